"""Per-rule-file memo: what the code derives from one rule file alone (the validated rule and its
line map, its compiled Suricata rule, its SIEM searches) kept in the project's .iotdetect-cache/
under the sha256 of the file's bytes, so a warm run reads and hashes each file and skips YAML,
pydantic and the backends for every file it has seen before.

A value is trusted only where it cannot differ from a fresh computation:
- the key is the file's content hash; the pack's name and header carry a digest of the code that
  computes the values (every file of the harness package, the Python and library versions) and of
  the other inputs of the stage (site plan, settings), so an edit or an upgrade misses;
- only successes are stored: a file that fails to load is loaded (and reported) again every run;
- the pack carries the sha256 of its body: a truncated or damaged pack reads as empty, and so does
  any pack that fails to unpickle. A cache can make a run slower, never different.
Unpickling is restricted to the harness's own model classes (and datetime): a pack planted in the
cache folder (a CI cache restored from an untrusted branch) cannot name any other callable.

One pack per stage, not one file per rule: measured on 10k rules, opening 10k small files costs
more than the unpickling, and one pickle of all entries shares the repeated key strings (0.4 s to
load 10k rules' models against 0.66 s for 10k separate pickles).
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib.util
import io
import os
import pickle
import sys
from importlib import metadata
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel

from harness.rules.answers import digest
from harness.rules.project import CACHE

MAGIC = b"iotdetect-memo 1\n"
SPARE = 1000        # entries kept beyond this run's (an edit loop leaves the old versions behind)
_LIBRARIES = ("pydantic", "pydantic_core", "PyYAML", "Jinja2")
_ALLOWED = {("datetime", "date"), ("datetime", "datetime"), ("datetime", "timedelta"), ("datetime", "timezone")}


def _packages() -> list[Path]:
    """The harness package and the traffic generators (their role defaults decide what a case's
    roles resolve to); found without importing them (generators imports scapy)."""
    folders = [Path(__file__).resolve().parent.parent]
    spec = importlib.util.find_spec("generators")
    if spec is not None and spec.submodule_search_locations:
        folders += [Path(p) for p in spec.submodule_search_locations]
    return folders


@functools.cache
def code_digest() -> str:
    """Every file of the harness and generators packages (code, templates, data) and the versions
    of what runs them: ~2 MB, ~10 ms to hash."""
    parts = [sys.version.encode()]
    for name in _LIBRARIES:
        try:
            parts.append(f"{name}={metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            parts.append(f"{name}=?".encode())
    for package in _packages():
        parts.append(package.name.encode())
        for top, folders, names in os.walk(package):
            folders[:] = sorted(f for f in folders if f != "__pycache__")
            for name in sorted(names):
                if not name.endswith((".pyc", ".pyo")):
                    path = Path(top, name)
                    parts += [str(path.relative_to(package)).encode(), path.read_bytes()]
    return digest(*parts)


def file_key(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        if module.startswith("harness.") and "." not in name:
            found = super().find_class(module, name)
            if isinstance(found, type) and (issubclass(found, BaseModel) or dataclasses.is_dataclass(found)):
                return found
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a memo pack")


def pack(value) -> bytes:
    """value as bytes for a memo entry that is rarely read (unpack() it on demand)."""
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def unpack(data: bytes):
    return _Unpickler(io.BytesIO(data)).load()


class PackedLines(Mapping):
    """A rule's line map kept packed until first asked: only findings read it, and unpickling the
    ~40 key tuples of each of 10k rules was half the time and a third of the memory of a warm load."""
    __slots__ = ("_packed", "_lines")

    def __init__(self, packed: bytes):
        self._packed = packed
        self._lines: dict | None = None

    def _unpacked(self) -> dict:
        if self._lines is None:
            self._lines = unpack(self._packed)
        return self._lines

    def __getitem__(self, key):
        return self._unpacked()[key]

    def __contains__(self, key) -> bool:
        return key in self._unpacked()

    def __iter__(self):
        return iter(self._unpacked())

    def __len__(self) -> int:
        return len(self._unpacked())


class Memo:
    """key -> value for one stage, in root/.iotdetect-cache/memo-<stage>-<digest>.pickle.
    get() answers None for a miss (None is never stored); save() writes the pack once, atomically,
    only when something was added."""

    def __init__(self, root: Path | None, stage: str, context: str = ""):
        self.fingerprint = digest(code_digest(), stage, context)
        self.path = root / CACHE / f"memo-{stage}-{self.fingerprint[:16]}.pickle" if root else None
        self.known: dict[str, object] = self._read() if self.path else {}
        self.used: dict[str, None] = {}
        self.added = 0

    def _read(self) -> dict:
        """The pack's entries, or {} for a missing, foreign or damaged pack. Read twice from the
        page cache (checksum, then unpickle as a stream) rather than held whole: a 20 MB body in
        memory next to its objects raised a 10k-rule run's peak RSS by as much."""
        start = len(MAGIC) + 64 + 32   # magic, fingerprint (hex), sha256 of the body
        try:
            with open(self.path, "rb") as handle:
                head = handle.read(start)
                if head[:len(MAGIC)] != MAGIC or head[len(MAGIC):len(MAGIC) + 64] != self.fingerprint.encode():
                    return {}
                hasher = hashlib.sha256()
                while chunk := handle.read(1 << 20):
                    hasher.update(chunk)
                if hasher.digest() != head[start - 32:start]:
                    return {}
                handle.seek(start)
                known = _Unpickler(handle).load()
        except Exception:  # noqa: BLE001 - whatever a missing or damaged pack raises, it is a miss
            return {}
        return known if isinstance(known, dict) else {}

    def get(self, key: str):
        value = self.known.get(key)
        if value is not None:
            self.used[key] = None
        return value

    def put(self, key: str, value) -> None:
        self.known[key] = value
        self.used[key] = None
        self.added += 1

    def save(self) -> None:
        if not self.path or not self.added:
            return
        keep = list(self.used) + [k for k in self.known if k not in self.used][:SPARE]
        self.added = 0
        temporary = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(temporary, "wb") as handle:
                handle.write(MAGIC + self.fingerprint.encode() + bytes(32))
                writer = _Hashing(handle)
                # Streamed to the file: no copy of the whole body in memory.
                pickle.Pickler(writer, protocol=pickle.HIGHEST_PROTOCOL).dump({key: self.known[key] for key in keep})
                handle.seek(len(MAGIC) + 64)
                handle.write(writer.hasher.digest())
            temporary.replace(self.path)
        except (OSError, pickle.PicklingError, TypeError, AttributeError, ValueError, RecursionError):
            temporary.unlink(missing_ok=True)   # no pack (read-only cache, odd value): a slower next run


class _Hashing:
    """A write-only file that hashes what passes through it."""

    def __init__(self, handle):
        self.handle = handle
        self.hasher = hashlib.sha256()

    def write(self, data) -> int:
        self.hasher.update(data)
        return self.handle.write(data)
