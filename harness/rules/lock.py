"""rules.lock: a content hash per rule, so a changed detection without a rev bump fails validation."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from harness.rules.errors import Finding, RuleErrors, rel
from harness.rules.model import Rule

# The parts of a rule that change what it detects. Titles, tests and mappings may change freely.
DETECTION_PARTS = {"detection", "suricata"}


def detection_hash(rule: Rule) -> str:
    canonical = json.dumps(rule.model_dump(mode="json", include=DETECTION_PARTS, by_alias=True),
                           sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class LockEntry:
    """What rules.lock records for one rule: its rev and the hash of its detection parts."""
    rev: int
    sha256: str

    @classmethod
    def of(cls, rule: Rule) -> "LockEntry":
        return cls(rule.rev, detection_hash(rule))


def read(path: Path) -> dict[str, LockEntry]:
    """rule id -> entry; a lock file that is not the shape `iotdetect lock` writes is a finding."""
    if not path.exists():
        return {}
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return {rule_id: LockEntry(int(entry["rev"]), str(entry["sha256"])) for rule_id, entry in raw.items()}
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise RuleErrors([Finding(path.name, 1, "rules.lock", f"not a lock file `iotdetect lock` wrote ({exc!r}); "
                                                              "rewrite it with `iotdetect lock`")]) from None


def render(rules: list[Rule]) -> str:
    entries = {r.id: vars(LockEntry.of(r)) for r in sorted(rules, key=lambda r: r.id)}
    return json.dumps(entries, indent=2, sort_keys=True) + "\n"


def _problem(rule: Rule, entry: LockEntry | None, hashed=detection_hash) -> tuple[str, bool] | None:
    """(message, fixed by `iotdetect lock`) for one rule against its lock entry, or None."""
    if entry is None:
        return "rule is not in rules.lock: run `iotdetect lock`", True
    changed = entry.sha256 != hashed(rule)
    if rule.rev < entry.rev:
        return f"rev went backwards (rules.lock has {entry.rev})", False
    if changed and rule.rev == entry.rev:
        return f"detection changed but rev is still {rule.rev}: bump rev to {rule.rev + 1}", False
    if changed or rule.rev != entry.rev:
        return "rules.lock is stale for this rule: run `iotdetect lock`", True
    return None


def _findings(rules: list[tuple[Rule, Path, dict]], lock_path: Path, *, lockable: bool,
              hashed=detection_hash) -> list[Finding]:
    locked = read(lock_path)
    root = lock_path.parent   # findings name rule files relative to the project, like the loader's
    findings = []
    for rule, path, lines in rules:
        problem = _problem(rule, locked.get(rule.id), hashed)
        if problem and (lockable or not problem[1]):
            findings.append(Finding(rel(path, root), lines.get(("rev",), 1), "rev", problem[0]))
    return findings


def check(rules: list[tuple[Rule, Path, dict]], lock_path: Path, hashed=detection_hash) -> list[Finding]:
    """rules: (rule, file, line map). Findings for unbumped changes and a stale lock. hashed:
    detection_hash, or a function answering it from a memo (the loader's)."""
    return _findings(rules, lock_path, lockable=True, hashed=hashed)


def update(rules: list[tuple[Rule, Path, dict]], lock_path: Path) -> None:
    """Rewrite rules.lock; refused (nothing written) while any detection change lacks its rev bump."""
    refusals = _findings(rules, lock_path, lockable=False)
    if refusals:
        raise RuleErrors(refusals)
    lock_path.write_text(render([rule for rule, _, _ in rules]), encoding="utf-8")
