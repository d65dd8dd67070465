"""ATT&CK Navigator layers (layer format 4.5) of the techniques the rules cover, one per domain."""
from __future__ import annotations

import json
from collections import defaultdict

from harness.rules.attack import AttackCatalog
from harness.rules.model import Rule

DOMAINS = {"enterprise": "enterprise-attack", "ics": "ics-attack"}
# The bundled catalog is ATT&CK v15 (see harness/data/attack_techniques.yaml).
ATTACK_VERSION = "15"
VERSIONS = {"attack": ATTACK_VERSION, "navigator": "4.9.5", "layer": "4.5"}


def layers(rules: list[Rule], catalog: AttackCatalog, release: str) -> dict[str, dict]:
    """Domain name -> layer dict. Score = number of active rules covering the technique."""
    covering: dict[str, dict[str, list[Rule]]] = {d: defaultdict(list) for d in DOMAINS}
    for rule in rules:
        if rule.status == "deprecated":
            continue
        for technique in rule.attack:
            domain = catalog.domain(technique)
            if domain:
                covering[domain][technique].append(rule)
    return {domain: _layer(domain, covering[domain], catalog, release) for domain in DOMAINS}


def _layer(domain: str, techniques: dict[str, list[Rule]], catalog: AttackCatalog, release: str) -> dict:
    top = max((len(r) for r in techniques.values()), default=1)
    return {
        "name": f"iotdetect {release} ({domain})",
        "versions": VERSIONS,
        "domain": DOMAINS[domain],
        "description": f"Techniques covered by iotdetect {release} rules; score = number of rules.",
        "techniques": [{
            "techniqueID": technique,
            "score": len(rules),
            "color": "",
            "comment": "; ".join(f"{r.id} (sid {r.sid})" for r in sorted(rules, key=lambda r: r.sid)),
            "enabled": True,
            "metadata": [{"name": "rule", "value": r.id} for r in sorted(rules, key=lambda r: r.sid)],
            "showSubtechniques": False,
        } for technique, rules in sorted(techniques.items())],
        "gradient": {"colors": ["#ffe766", "#8ec843"], "minValue": 0, "maxValue": top},
        "legendItems": [],
        "metadata": [{"name": "release", "value": release}],
        "links": [],
        "showTacticRowBackground": False,
        "selectTechniquesAcrossTactics": True,
        "selectSubtechniquesWithParent": False,
        "selectVisibleTechniques": False,
        "hideDisabled": False,
        "sorting": 0,
        "layout": {"layout": "side", "showID": True, "showName": True},
    }


def render(layer: dict) -> str:
    return json.dumps(layer, indent=2, sort_keys=False) + "\n"
