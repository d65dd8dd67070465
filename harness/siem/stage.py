"""The `siem` build stage: the published SIEM searches (SPL, KQL, EQL) of every active rule, next to
the Suricata output.

    siem/spl/<rule-id>.alert.spl   siem/spl/<rule-id>.hunt.spl   siem/spl/macros.conf
    siem/kql/<rule-id>.alert.kql   siem/kql/<rule-id>.hunt.kql   siem/kql/Suricata_CL.schema.json
    siem/eql/<rule-id>.alert.eql   siem/eql/<rule-id>.hunt.eql
    siem/index.json                rule id -> sid, files, and why a hunt search is missing
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from harness.rules.loader import RuleSet
from harness.backends.settings import SiemSettings
from harness.siem.golden import macros_conf
from harness.siem.targets import compile_all


def _write(path: Path, text: str) -> None:
    """Path.write_text's bytes (UTF-8, "\n" kept: POSIX) without its text-file wrapper: a 10k-rule
    build writes 50,000 of these files, and the wrapper was a third of the time per file."""
    data = text.encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def stage_siem(ruleset: RuleSet, folder: Path, release: str, settings: SiemSettings | None = None) -> None:
    settings = settings or SiemSettings()
    compiled = compile_all(ruleset, settings)
    index: dict[str, dict] = {}
    for language, by_rule in compiled.items():
        target = folder / "siem" / language
        target.mkdir(parents=True, exist_ok=True)
        for rule_id, queries in sorted(by_rule.items()):
            entry = index.setdefault(rule_id, {"sid": ruleset.by_id(rule_id).rule.sid, "files": [],
                                               "hunt_unavailable": queries.hunt_unavailable})
            for kind, text in (("alert", queries.alert), ("hunt", queries.hunt)):
                if text:
                    name = f"{rule_id}.{kind}.{language}"
                    _write(target / name, text + "\n")
                    entry["files"].append(f"{language}/{name}")
    (folder / "siem" / "spl" / "macros.conf").write_text(macros_conf(ruleset, settings), encoding="utf-8")
    schema = {"table": settings.schema.table, "release": release,
              "columns": [{"name": c.name, "type": c.type} for c in settings.schema.columns]}
    (folder / "siem" / "kql" / f"{settings.schema.table}.schema.json").write_text(
        json.dumps(schema, indent=2) + "\n", encoding="utf-8")
    (folder / "siem" / "index.json").write_text(json.dumps(index, indent=2, sort_keys=True) + "\n", encoding="utf-8")
