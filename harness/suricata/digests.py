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

_KNOWN: dict[str, str] = {}   # stamp text (path, inode, size, mtime, ctime) -> digest
_USED: dict[str, None] = {}   # stamps asked for since the last save, in order (an ordered set)
_hashed = 0   # files hashed and kept since the last save(): it writes only when there were some
RACY = 2.0
CACHE_NAME = "digests.json"
LIMIT = 100_000   # entries (~150 bytes each)


def _stamp(path, info: os.stat_result) -> str:
    """The key of a file's digest: its path and stat fields, as one string (the cache's JSON keys
    as they are, so remember() parses nothing per entry)."""
    return f"{path}\0{info.st_ino}\0{info.st_size}\0{info.st_mtime_ns}\0{info.st_ctime_ns}"


def file_sha256(path: str | os.PathLike, data: bytes | None = None, info: os.stat_result | None = None) -> str:
    """Hex sha256 of the file's bytes (data: those bytes, when the caller read them already; info:
    its os.stat, when the caller has it: 20,000 pcaps are stat-ed once per check, not twice)."""
    global _hashed
    if info is None:
        info = os.stat(path)
    stamp = _stamp(path, info)
    known = _KNOWN.get(stamp)
    if known is None:
        known = hashlib.sha256(Path(path).read_bytes() if data is None else data).hexdigest()
        if time.time() - info.st_mtime > RACY:
            _KNOWN[stamp] = known
            _hashed += 1
    _USED[stamp] = None
    return known


def remember(root: Path) -> None:
    """What an earlier process of this project hashed (a damaged cache is an empty one; an entry
    that is not a digest is skipped, and a key not of the stamp's form never matches one)."""
    for stamp, known in read_json(cache_file(root, CACHE_NAME)).items():
        if type(known) is str:
            _KNOWN.setdefault(stamp, known)


def save(root: Path) -> None:
    """The digests of files below root known now, this run's first (an unchanged file is found by its
    stamp again; a run's temporary copies elsewhere are not kept)."""
    global _hashed
    if not _hashed:
        return
    _hashed = 0
    inside = str(root.resolve()) + os.sep
    known = {stamp: value for stamp, value in _KNOWN.items() if stamp.startswith(inside)}
    write_json(cache_file(root, CACHE_NAME), bounded(known, list(_USED), LIMIT))
    _USED.clear()
