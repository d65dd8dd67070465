"""The `siem` build stage: the published SIEM searches (SPL, KQL, EQL) of every active rule, next to
the Suricata output.

    siem/spl/<rule-id>.alert.spl   siem/spl/<rule-id>.hunt.spl   siem/spl/macros.conf
    siem/kql/<rule-id>.alert.kql   siem/kql/<rule-id>.hunt.kql   siem/kql/Suricata_CL.schema.json
    siem/eql/<rule-id>.alert.eql   siem/eql/<rule-id>.hunt.eql
    siem/index.json                rule id -> sid, files, and why a hunt search is missing
"""
from __future__ import annotations

import json
from pathlib import Path

from harness.rules.loader import RuleSet
from harness.backends.settings import SiemSettings
from harness.siem.golden import macros_conf
from harness.siem.targets import compile_all


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
                    (target / name).write_text(text + "\n", encoding="utf-8")
                    entry["files"].append(f"{language}/{name}")
    (folder / "siem" / "spl" / "macros.conf").write_text(macros_conf(ruleset, settings), encoding="utf-8")
    schema = {"table": settings.schema.table, "release": release,
              "columns": [{"name": c.name, "type": c.type} for c in settings.schema.columns]}
    (folder / "siem" / "kql" / f"{settings.schema.table}.schema.json").write_text(
        json.dumps(schema, indent=2) + "\n", encoding="utf-8")
    (folder / "siem" / "index.json").write_text(json.dumps(index, indent=2, sort_keys=True) + "\n", encoding="utf-8")
