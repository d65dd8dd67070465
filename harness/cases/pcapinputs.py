"""What each committed generator pcap was made from, so a changed or broken generator fails
`validate` and `test` instead of the old pcap being replayed (re-running every generator would take
~15 s of CPU; comparing keys takes milliseconds).

pcaps/generators.lock holds one line per committed generator pcap: its path, its traffic key
(harness.cases.traffic.traffic_key: generator, arguments resolved on the project's own plan, the source
of the generators package) and the digest of the bytes `iotdetect pcaps` wrote. Traffic of another
plan lives in the cache with its own key files (pcaps.ensure), regenerated when they change.
"""
from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from harness.rules.errors import Finding, rel
from harness.rules.project import Project
from harness.cases.traffic import code_version, traffic_key
from harness.suricata.digests import file_sha256

LOCK_NAME = "generators.lock"


def package_digest(package_dir: Path | None = None) -> str:
    """Digest of the generators package's sources, as traffic keys include it (code_version)."""
    if package_dir is None:
        return code_version()
    digest = hashlib.sha256()
    for path in sorted(package_dir.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


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


def _key(ref, plan, root: Path, version: str, resolved=None) -> str | None:
    try:
        return traffic_key(ref, plan, root, version, resolved)
    except Exception:  # noqa: BLE001 - unresolvable roles are reported by role_findings, located
        return None


def record(refs, project: Project, plan) -> Path:
    """Write (or update, for the refs given) the lock after `iotdetect pcaps` wrote their pcaps."""
    pcaps_dir, version = project.pcaps_dir, code_version()
    entries = read(pcaps_dir)
    for ref in refs:
        if ref.traffic.generator:
            path = ref.pcap_path(pcaps_dir)
            entries[str(path.relative_to(pcaps_dir))] = (_key(ref, plan, project.root, version) or "-",
                                                         hashlib.sha256(path.read_bytes()).hexdigest())
    lock = pcaps_dir / LOCK_NAME
    lock.write_text("".join(f"{name} {key} {data}\n" for name, (key, data) in sorted(entries.items())),
                    encoding="utf-8")
    return lock


def findings(refs, project: Project, plan, *, missing_ok: bool = False, resolved=None) -> list[Finding]:
    """A located finding for every committed generator pcap whose inputs changed since it was
    written, or whose bytes are not what its generator wrote. missing_ok: pcaps not written yet are
    skipped (another check reports them). Nothing to check on a foreign plan (see module doc).
    resolved: a traffic.Resolved of the plan (memoised role resolution)."""
    if project.foreign_plan:
        return []
    # Each path made once, as a string, stat-ed once, and its name in the lock cut from it (it is
    # pcaps_dir/<rule>/<case>.pcap): pathlib's joins, exists and is_file were most of this check's
    # time on 20,000 cases.
    folder = str(project.pcaps_dir)
    generated = []
    for ref in refs:
        if ref.traffic.generator:
            name = ref.pcap_name(folder)
            try:
                info = os.stat(name)
            except OSError:
                info = None
            if info is not None or not missing_ok:
                generated.append((ref, name, info))
    if not generated:
        return []
    entries, version = read(project.pcaps_dir), code_version()
    prefix = len(folder) + 1
    problems = []
    for ref, name, info in generated:
        entry = entries.get(name[prefix:])
        key = _key(ref, plan, project.root, version, resolved)
        if key is None:
            continue
        if entry is None:
            problem = f"is not in pcaps/{LOCK_NAME}: run `iotdetect pcaps`"
        elif entry[0] != key:
            problem = ("was made from other inputs (its generator's code or arguments, or the"
                       " addresses its roles resolve to, changed since): run `iotdetect pcaps`")
        elif info is not None and stat.S_ISREG(info.st_mode) and file_sha256(name, info=info) != entry[1]:
            problem = "is not the pcap its generator wrote: run `iotdetect pcaps`"
        else:
            continue
        problems.append(Finding(*ref.error_location(project.root), "traffic", f"{rel(Path(name), project.root)} {problem}"))
    return problems
