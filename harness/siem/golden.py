"""Golden files: the published SIEM searches (SPL, KQL) of every active rule, checked in under
tests/golden/ and re-blessed after review with `iotdetect golden --bless`."""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from harness.backends.registry import SIEM_BACKENDS, published_siem
from harness.backends.settings import SiemQueries, SiemSettings
from harness.backends.spl import SplBackend
from harness.rules.loader import RuleSet
from harness.siem.targets import compile_all

MACROS_FILE = "_splunk_macros.conf"


def document(language: str, rule_id: str, sid: int, queries: SiemQueries) -> str:
    comment = SIEM_BACKENDS[language].comment.format   # each golden file is valid text of its language
    parts = [comment(f"iotdetect {rule_id} (sid {sid}): alert search"), queries.alert, ""]
    if queries.hunt:
        parts += [comment("hunt search"), queries.hunt, ""]
    else:
        parts += [comment(f"no hunt search: {queries.hunt_unavailable}"), ""]
    return "\n".join(parts)


def macros_conf(ruleset: RuleSet, settings: SiemSettings) -> str:
    lines = []
    for name, (definition, args) in sorted(SplBackend().macros(ruleset.networks, settings).items()):
        lines += [f"[{name}({len(args)})]" if args else f"[{name}]", f"definition = {definition}"]
        lines += [f"args = {','.join(args)}"] if args else []
        lines.append("")
    return "\n".join(lines)


def render(ruleset: RuleSet, settings: SiemSettings) -> dict[str, str]:
    """File name -> expected content, for every rule and language."""
    compiled = compile_all(ruleset, settings)
    files = {MACROS_FILE: macros_conf(ruleset, settings)}
    for source in ruleset.active():
        rule = source.rule
        for language in published_siem():
            files[f"{rule.id}.{language}"] = document(language, rule.id, rule.sid, compiled[language][rule.id])
    return files


@dataclass(frozen=True)
class Difference:
    """One golden file out of step with the backends: its name and why."""
    name: str
    reason: str

    def __str__(self) -> str:
        return f"{self.name}: {self.reason}"


def differences(folder: Path, expected: dict[str, str]) -> list[Difference]:
    found = []
    for name, text in sorted(expected.items()):
        path = folder / name
        if not path.exists():
            found.append(Difference(name, "missing"))
        elif path.read_text(encoding="utf-8") != text:
            found.append(Difference(name, "differs from what the backends emit now"))
    stale = sorted(p.name for p in folder.glob("*") if p.is_file() and p.name not in expected) if folder.is_dir() else []
    return found + [Difference(name, "no rule emits this any more") for name in stale]


def unified_diff(folder: Path, expected: dict[str, str], name: str) -> str:
    path = folder / name
    old = path.read_text(encoding="utf-8").splitlines(keepends=True) if path.exists() else []
    new = expected.get(name, "").splitlines(keepends=True)
    return "".join(difflib.unified_diff(old, new, f"golden/{name}", f"now/{name}"))


def bless(folder: Path, expected: dict[str, str]) -> list[str]:
    """Write every golden file and remove stale ones; returns the names that changed."""
    folder.mkdir(parents=True, exist_ok=True)
    changed = [difference.name for difference in differences(folder, expected)]
    for name, text in expected.items():
        (folder / name).write_text(text, encoding="utf-8")
    for path in folder.glob("*"):
        if path.is_file() and path.name not in expected:
            path.unlink()
    return changed
