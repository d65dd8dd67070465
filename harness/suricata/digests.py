"""sha256 of a pcap's bytes, computed once per process for a file that has not changed since (same
inode, size and mtime): the pcap checks, the generator lock check and the merged-pcap cache key all
ask for the same files in one run. A file changed less than RACY seconds ago is hashed every time
(git's "racily clean" rule: a same-size rewrite inside one tick of the file system's clock keeps
its mtime). remember(root) ... save(root) keep them across processes in the project's cache, keyed by
inode, size, mtime and ctime (ctime cannot be set back by hand): a warm `validate` of a 10k-rule
library would otherwise read and hash its 20,000 pcaps again (~0.6 s)."""
from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

from harness.rules.answers import bounded, cache_file, read_json, write_json

_KNOWN: dict[tuple, str] = {}
_USED: dict[str, None] = {}   # stamps asked for since the last save, in order (an ordered set)
_hashed = 0   # files hashed and kept since the last save(): it writes only when there were some
RACY = 2.0
CACHE_NAME = "digests.json"
LIMIT = 100_000   # entries (~150 bytes each)


def _stamp(path, info: os.stat_result) -> tuple:
    return (str(path), info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def _text(stamp: tuple) -> str:
    return "\0".join(map(str, stamp))


def file_sha256(path: Path, data: bytes | None = None) -> str:
    """Hex sha256 of the file's bytes (data: those bytes, when the caller read them already)."""
    global _hashed
    info = os.stat(path)
    stamp = _stamp(path, info)
    known = _KNOWN.get(stamp)
    if known is None:
        known = hashlib.sha256(Path(path).read_bytes() if data is None else data).hexdigest()
        if time.time() - info.st_mtime > RACY:
            _KNOWN[stamp] = known
            _hashed += 1
    _USED[_text(stamp)] = None
    return known


def remember(root: Path) -> None:
    """What an earlier process of this project hashed (a damaged cache is an empty one)."""
    for text, known in read_json(cache_file(root, CACHE_NAME)).items():
        parts = text.split("\0")
        if len(parts) == 5 and isinstance(known, str) and all(p.isdigit() for p in parts[1:]):
            _KNOWN.setdefault((parts[0], *map(int, parts[1:])), known)


def save(root: Path) -> None:
    """The digests of files below root known now, this run's first (an unchanged file is found by its
    stamp again; a run's temporary copies elsewhere are not kept)."""
    global _hashed
    if not _hashed:
        return
    _hashed = 0
    inside = str(root.resolve()) + os.sep
    known = {_text(stamp): value for stamp, value in _KNOWN.items() if stamp[0].startswith(inside)}
    write_json(cache_file(root, CACHE_NAME), bounded(known, list(_USED), LIMIT))
    _USED.clear()
