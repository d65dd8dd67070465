"""The merged engine's pcaps, kept in .iotdetect-cache/merged/ under the hash of what they are made
of: every case's pcap bytes in order, the layout (workers, file size limit, time stride and origin)
and the code that lays them out. Building them costs Python a pass over every packet (shifting
its time, bounding the flows its flush must end: ~1 s of CPU for the library's 700 cases); a
repeat run of the same cases reads the files where they are.

An entry is a folder of the merged pcaps (and captures read alone) plus meta.json naming each
file's sha256; a hit is used only when every file is there with those bytes (hashed again unless
this process saw the file unchanged: same inode, size and mtime, not touched in the last seconds),
so a damaged or half-written entry is built again, never replayed. Entries are written to a temporary folder and
renamed into place (two runs at once: one wins, both are whole). KEEP entries are kept.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

from harness.rules.answers import digest
from harness.suricata.digests import file_sha256
from harness.rules.project import CACHE

KEEP = 8            # suites remembered: a few site plans and branches
VERSION = "1"


def _code() -> str:
    from harness.suricata import flush, merged, pcapshift
    return digest(*(Path(module.__file__).read_bytes() for module in (merged, flush, pcapshift)))


def key(pcaps: list[bytes] | None, layout: tuple, paths: list[Path] | None = None) -> str:
    """What an entry depends on: the cases' pcap bytes in order (their sha256), the layout, the code.
    paths: where those bytes are (their digests are known once per process; pcaps None: read
    there when not known)."""
    if paths is not None:
        given = pcaps if pcaps is not None else [None] * len(paths)
        shas = [file_sha256(path, data) for path, data in zip(paths, given)]
    else:
        shas = [hashlib.sha256(data).hexdigest() for data in pcaps]
    return digest(VERSION, _code(), repr(layout), *shas)


def folder(root: Path, entry: str) -> Path:
    return root / CACHE / "merged" / entry[:32]


def load(root: Path, entry: str) -> dict | None:
    """meta.json of a whole entry (every file present with its recorded sha256); None otherwise."""
    where = folder(root, entry)
    try:
        meta = json.loads((where / "meta.json").read_text(encoding="utf-8"))
        if meta.get("key") != entry:
            return None
        for name, sha in meta["files"].items():
            # Hashed once per process while unchanged (digests.py): a bench or pytest run asks
            # again and again for the same entry.
            if file_sha256(where / name) != sha:
                return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    try:
        os.utime(where)      # recently used: kept longest
    except OSError:
        pass
    return meta


def store(root: Path, entry: str, meta: dict, paths: list[Path]) -> None:
    """Copy paths (the built files) into a new entry; a read-only cache only loses the speed-up."""
    where = folder(root, entry)
    temporary = where.with_name(f"{where.name}.{os.getpid()}.tmp")
    try:
        shutil.rmtree(temporary, ignore_errors=True)
        temporary.mkdir(parents=True)
        files = {}
        for path in paths:
            data = path.read_bytes()
            (temporary / path.name).write_bytes(data)
            files[path.name] = hashlib.sha256(data).hexdigest()
        (temporary / "meta.json").write_text(json.dumps({**meta, "key": entry, "files": files}), encoding="utf-8")
        shutil.rmtree(where, ignore_errors=True)
        os.replace(temporary, where)
        _prune(where.parent)
    except OSError:
        shutil.rmtree(temporary, ignore_errors=True)


def _prune(parent: Path) -> None:
    entries = sorted((p for p in parent.iterdir() if p.is_dir() and not p.name.endswith(".tmp")),
                     key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[KEEP:]:
        shutil.rmtree(old, ignore_errors=True)
