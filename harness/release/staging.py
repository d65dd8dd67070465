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
            if final.is_dir():
                # Out of the way first (one rename): `final` is missing only between two renames, not
                # for as long as deleting 50,000 files takes. (A file there makes the rename fail.)
                retired = Path(tempfile.mkdtemp(prefix=f".{final.name}-old-", dir=final.parent))
                final.rename(retired / final.name)
                try:
                    staging.rename(final)
                except OSError:
                    (retired / final.name).rename(final)   # the old output back where it was
                    raise
                finally:
                    shutil.rmtree(retired, ignore_errors=True)
            else:
                staging.rename(final)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
