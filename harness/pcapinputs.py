"""What each committed generator pcap was made from, so a changed or broken generator fails
`validate` and `test` instead of the old pcap being replayed (re-running every generator would take
~15 s of CPU; hashing their inputs takes milliseconds).

pcaps/generators.lock holds one line per generated pcap: its path, the digest of its inputs (the
generator's name and arguments, the source of the whole generators package, rules/networks.yaml,
which roles resolve against) and the digest of the pcap bytes `iotdetect pcaps` wrote.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from harness.errors import Finding, rel

LOCK_NAME = "generators.lock"


def package_digest(package_dir: Path | None = None) -> str:
    """Digest of every Python source of the generators package (any edit changes every pcap's inputs)."""
    if package_dir is None:
        import generators
        package_dir = Path(generators.__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(package_dir.rglob("*.py")):
        digest.update(str(path.relative_to(package_dir)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def input_digest(ref, sources: str, networks: bytes) -> str:
    traffic = ref.traffic
    spec = json.dumps({"generator": traffic.generator, "args": traffic.args}, sort_keys=True, default=str)
    return hashlib.sha256(f"{spec}\0{sources}\0".encode() + networks).hexdigest()


def _networks(root: Path) -> bytes:
    path = root / "rules" / "networks.yaml"
    return path.read_bytes() if path.is_file() else b""


def read(pcaps_dir: Path) -> dict[str, tuple[str, str]]:
    path = pcaps_dir / LOCK_NAME
    if not path.is_file():
        return {}
    entries = {}
    for line in path.read_text(encoding="utf-8").split("\n"):
        parts = line.split(" ")
        if len(parts) == 3:
            entries[parts[0]] = (parts[1], parts[2])
    return entries


def record(refs, pcaps_dir: Path, root: Path) -> Path:
    """Write (or update, for the refs given) the lock after `iotdetect pcaps` wrote their pcaps."""
    sources, networks = package_digest(), _networks(root)
    entries = read(pcaps_dir)
    for ref in refs:
        if ref.traffic.generator:
            path = ref.pcap_path(pcaps_dir)
            entries[str(path.relative_to(pcaps_dir))] = (input_digest(ref, sources, networks),
                                                         hashlib.sha256(path.read_bytes()).hexdigest())
    lock = pcaps_dir / LOCK_NAME
    lock.write_text("".join(f"{name} {inputs} {data}\n" for name, (inputs, data) in sorted(entries.items())),
                    encoding="utf-8")
    return lock


def findings(refs, pcaps_dir: Path, root: Path, *, missing_ok: bool = False) -> list[Finding]:
    """A located finding for every generated pcap whose inputs changed since it was written, or whose
    bytes are no longer what its generator wrote. missing_ok: pcaps not written yet are skipped."""
    generated = [ref for ref in refs if ref.traffic.generator and (not missing_ok or ref.pcap_path(pcaps_dir).exists())]
    if not generated:
        return []
    entries = read(pcaps_dir)
    sources, networks = package_digest(), _networks(root)
    problems = []
    for ref in generated:
        path = ref.pcap_path(pcaps_dir)
        entry = entries.get(str(path.relative_to(pcaps_dir)))
        shown = rel(path, root)
        if entry is None:
            message = f"{shown} is not in pcaps/{LOCK_NAME}: run `iotdetect pcaps`"
        elif entry[0] != input_digest(ref, sources, networks):
            message = (f"{shown} was made from other inputs (its generator's code or arguments, or"
                       " rules/networks.yaml, changed since): run `iotdetect pcaps`")
        elif path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() != entry[1]:
            message = f"{shown} is not the pcap its generator wrote: run `iotdetect pcaps`"
        else:
            continue
        problems.append(Finding(*ref.error_location(root), "traffic", message))
    return problems
