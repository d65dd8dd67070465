"""All-or-nothing output: write into a hidden sibling folder, swap it into place only on success."""
from __future__ import annotations

import contextlib
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

from harness.rules.errors import writing


@contextlib.contextmanager
def staged_folder(final: Path) -> Iterator[Path]:
    """Yield an empty staging folder next to `final`; replace `final` with it when the block
    succeeds, delete it when the block raises (the old `final` is then left untouched)."""
    with writing(final):
        final.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{final.name}-", dir=final.parent))
    try:
        with writing(final):
            yield staging
            staging.chmod(0o755)   # mkdtemp makes it 0700
            if final.exists():
                shutil.rmtree(final)
            staging.rename(final)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
