"""sha256 of a pcap's bytes, computed once per process for a file that has not changed since (same
inode, size and mtime): the pcap checks, the generator lock check and the merged-pcap cache key all
ask for the same files in one run. A file changed less than RACY seconds ago is hashed every time
(git's "racily clean" rule: a same-size rewrite inside one tick of the file system's clock keeps
its mtime)."""
from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

_KNOWN: dict[tuple, str] = {}
RACY = 2.0


def file_sha256(path: Path, data: bytes | None = None) -> str:
    """Hex sha256 of the file's bytes (data: those bytes, when the caller read them already)."""
    info = os.stat(path)
    stamp = (str(path), info.st_ino, info.st_size, info.st_mtime_ns)
    known = _KNOWN.get(stamp)
    if known is None:
        known = hashlib.sha256(Path(path).read_bytes() if data is None else data).hexdigest()
        if time.time() - info.st_mtime > RACY:
            _KNOWN[stamp] = known
    return known
