"""rules.lock: a content hash per rule, so a changed detection without a rev bump fails validation."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from harness.errors import Finding, rel
from harness.model import Rule

# The parts of a rule that change what it detects. Titles, tests and mappings may change freely.
DETECTION_PARTS = {"detection", "suricata"}


def detection_hash(rule: Rule) -> str:
    canonical = json.dumps(rule.model_dump(mode="json", include=DETECTION_PARTS, by_alias=True),
                           sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def read(path: Path) -> dict[str, dict]:
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def render(rules: list[Rule]) -> str:
    entries = {r.id: {"rev": r.rev, "sha256": detection_hash(r)} for r in sorted(rules, key=lambda r: r.id)}
    return json.dumps(entries, indent=2, sort_keys=True) + "\n"


def check(rules: list[tuple[Rule, Path, dict]], lock_path: Path) -> list[Finding]:
    """rules: (rule, file, line map). Findings for unbumped changes and a stale lock."""
    locked = read(lock_path)
    root = lock_path.parent   # findings name rule files relative to the project, like the loader's
    findings = []
    for rule, path, lines in rules:
        entry = locked.get(rule.id)
        line = lines.get(("rev",), 1)
        if entry is None:
            findings.append(Finding(rel(path, root), line, "rev", "rule is not in rules.lock: run `iotdetect lock`"))
            continue
        changed = entry["sha256"] != detection_hash(rule)
        if rule.rev < entry["rev"]:
            findings.append(Finding(rel(path, root), line, "rev", f"rev went backwards (rules.lock has {entry['rev']})"))
        elif changed and rule.rev == entry["rev"]:
            findings.append(Finding(rel(path, root), line, "rev",
                                    f"detection changed but rev is still {rule.rev}: bump rev to {rule.rev + 1}"))
        elif changed or rule.rev != entry["rev"]:
            findings.append(Finding(rel(path, root), line, "rev", "rules.lock is stale for this rule: run `iotdetect lock`"))
    return findings
