"""Deterministic tar.gz: the same members give the same bytes on every machine and every run."""
from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path


def tar_gz(members: dict[str, bytes], mtime: int) -> bytes:
    """members: archive path -> file content. Directories are added for every parent path.

    Sorted entries, one fixed mtime, root ownership with empty names, fixed modes, PAX-free
    GNU format and a gzip header with mtime 0 and no file name: nothing depends on the builder.
    """
    directories = sorted({str(parent) for name in members for parent in Path(name).parents if str(parent) != "."})
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name in sorted(set(directories) | set(members)):
            info = tarfile.TarInfo(name)
            info.mtime, info.uid, info.gid, info.uname, info.gname = mtime, 0, 0, "", ""
            if name in members:
                info.size, info.mode, info.type = len(members[name]), 0o644, tarfile.REGTYPE
                tar.addfile(info, io.BytesIO(members[name]))
            else:
                info.mode, info.type = 0o755, tarfile.DIRTYPE
                tar.addfile(info)
    compressed = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=compressed, mtime=0, compresslevel=9) as gz:
        gz.write(buffer.getvalue())
    return compressed.getvalue()

