"""Kibana detection rules (Elastic Security) as importable NDJSON: one EQL rule per alert search and
one per hunt search, in the detection engine's rule shape (POST /api/detection_engine/rules and
Rules > Import take the same objects).

`rule_id` is a UUID derived from our id, so re-importing or re-deploying updates the rule in place;
`version` is the rule's rev. ATT&CK techniques map to Kibana's `threat` entries, Enterprise and ICS
(tactic ids from harness/data/attack_tactic_ids.yaml).
"""
from __future__ import annotations

import json
import uuid
from importlib import resources

import yaml

from harness.rules.attack import AttackCatalog
from harness.backends import ecs
from harness.backends.elastic import timestamp_field
from harness.backends.settings import SiemQueries, SiemSettings
from harness.rules.model import Rule
from harness.formats.sentinel import load_tactics

RULE_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:iotdetect:elastic-rule")
# Elastic's own convention for risk_score by severity (prebuilt rules: 21/47/73/99).
RISK_SCORE = {"low": 21, "medium": 47, "high": 73, "critical": 99}
ATTACK_URL = "https://attack.mitre.org"
REQUIRED = ("rule_id", "name", "description", "risk_score", "severity", "type", "language", "query", "index",
            "interval", "from", "version")


def rule_uuid(rule_id: str, kind: str) -> str:
    return str(uuid.uuid5(RULE_NAMESPACE, rule_id if kind == "alert" else f"{rule_id}#{kind}"))


def load_tactic_ids() -> dict[str, dict[str, tuple[str, str]]]:
    text = resources.files("harness").joinpath("data/attack_tactic_ids.yaml").read_text(encoding="utf-8")
    return {domain: {name: tuple(pair) for name, pair in table.items()} for domain, table in yaml.safe_load(text).items()}


def threat(rule: Rule, catalog: AttackCatalog, tactics: dict[str, tuple[str, ...]],
           tactic_ids: dict[str, dict[str, tuple[str, str]]]) -> list[dict]:
    """Kibana `threat`: one entry per tactic, holding the rule's techniques of that tactic."""
    entries: dict[tuple[str, str], dict] = {}
    for technique in rule.attack:
        parent = technique.split(".")[0]
        domain = catalog.domain(technique) or "enterprise"
        for tactic in tactics.get(parent, ()):
            tactic_id, tactic_name = tactic_ids[domain][tactic]
            entry = entries.setdefault((domain, tactic_id), {
                "framework": "MITRE ATT&CK",
                "tactic": {"id": tactic_id, "name": tactic_name, "reference": f"{ATTACK_URL}/tactics/{tactic_id}/"},
                "technique": []})
            found = next((t for t in entry["technique"] if t["id"] == parent), None)
            if found is None:
                found = {"id": parent, "name": catalog.name(parent), "reference": f"{ATTACK_URL}/techniques/{parent}/"}
                entry["technique"].append(found)
            if technique != parent:
                found.setdefault("subtechnique", []).append({"id": technique, "name": catalog.name(technique),
                                              "reference": f"{ATTACK_URL}/techniques/{parent}/{technique.split('.')[1]}/"})
    return list(entries.values())


def _suppression(rule: Rule, query: str) -> dict:
    # Kibana suppresses EQL alerts only for single-event queries, not sequences.
    if query.startswith("sequence") or not rule.siem.suppress.by:
        return {}
    seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    value, unit = int(rule.siem.suppress.for_[:-1]), rule.siem.suppress.for_[-1]
    if unit not in seconds:
        return {}
    return {"alert_suppression": {"group_by": [ecs.ecs_field(c).name for c in rule.siem.suppress.by],
                                  "duration": {"value": value, "unit": unit},
                                  "missing_fields_strategy": "suppress"}}


def kibana_rule(rule: Rule, kind: str, query: str, catalog: AttackCatalog, tactics, tactic_ids,
                settings: SiemSettings) -> dict:
    what = "Suricata alerts of sid" if kind == "alert" else "Hunt (the rule's logic over EVE) for sid"
    return {
        "rule_id": rule_uuid(rule.id, kind),
        "name": f"IoTDetect - {rule.title}" + ("" if kind == "alert" else " (hunt)"),
        "description": " ".join(rule.description.split()) + f" {what} {rule.sid}.",
        "risk_score": RISK_SCORE[rule.severity],
        "severity": rule.severity,
        "type": "eql",
        "language": "eql",
        "query": query,
        "index": list(settings.elastic_index),
        "timestamp_field": timestamp_field(rule) if kind == "hunt" else ecs.ecs_field("timestamp").name,
        "interval": rule.siem.schedule,
        "from": f"now-{rule.siem.lookback}",
        "max_signals": 100,
        "enabled": kind == "alert",     # hunts are opt-in, as in the Splunk app
        "version": rule.rev,
        "author": ["iotdetect"],
        "license": "Apache-2.0",
        "tags": ["iotdetect", f"iotdetect:{kind}", f"iotdetect:sid:{rule.sid}", f"iotdetect:id:{rule.id}",
                 "Domain: Network", "Data Source: Suricata"],
        "references": list(rule.references),
        "note": " ".join(rule.response.split()),
        "threat": threat(rule, catalog, tactics, tactic_ids),
        "setup": "Ingest Suricata EVE with the Elastic Agent Suricata integration (data stream logs-suricata.eve-*).",
        **_suppression(rule, query),
    }


def kibana_rules(rules: list[Rule], eql: dict[str, SiemQueries], catalog: AttackCatalog,
                 settings: SiemSettings | None = None) -> list[dict]:
    settings = settings or SiemSettings()
    tactics, tactic_ids = load_tactics(), load_tactic_ids()
    docs = []
    for rule in sorted(rules, key=lambda r: r.sid):
        queries = eql[rule.id]
        docs.append(kibana_rule(rule, "alert", queries.alert, catalog, tactics, tactic_ids, settings))
        if queries.hunt:
            docs.append(kibana_rule(rule, "hunt", queries.hunt, catalog, tactics, tactic_ids, settings))
    return docs


def check(doc: dict) -> list[str]:
    """What the detection engine would refuse: missing fields, ranges, enum values."""
    problems = [f"missing {key}" for key in REQUIRED if key not in doc]
    if not 0 <= doc.get("risk_score", -1) <= 100:
        problems.append("risk_score outside 0-100")
    if doc.get("severity") not in ("low", "medium", "high", "critical"):
        problems.append(f"severity {doc.get('severity')!r}")
    if not isinstance(doc.get("version"), int) or doc["version"] < 1:
        problems.append("version must be an integer >= 1")
    for entry in doc.get("threat", []):
        if not entry["tactic"]["id"].startswith("TA") or not all(t["id"].startswith("T") for t in entry["technique"]):
            problems.append(f"threat entry {entry['tactic']}")
    return problems


def render_ndjson(docs: list[dict]) -> str:
    return "".join(json.dumps(doc, sort_keys=True, ensure_ascii=False) + "\n" for doc in docs)
