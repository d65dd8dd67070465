"""Sigma backend: one Sigma rule per hunt, for every SIEM pySigma converts to.

Log source (documented for users in docs/siem.md): `product: suricata, service: eve` — Suricata's
EVE JSON as Suricata writes it, one record per line, field names the EVE paths (`src_ip`,
`dest_port`, `http.url`; `event_type` selects the record kind). A site whose SIEM renames fields
(ECS, CIM) maps them with a pySigma processing pipeline, as for any Sigma rule.

The logic tree renders through the shared recursion: every leaf becomes one named selection, the
condition combines them with and/or/not. Strings compare case-insensitively, Sigma's default (see
`match`): on case the Sigma rules are a superset of the other targets' logic. A threshold becomes an
`event_count` correlation rule over the base rule (Sigma counts per time span, a fixed window).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import yaml

from harness.backends import logic as L
from harness.backends.base import TextRenderer
from harness.backends.settings import SiemSettings
from harness.rules.model import Rule
from harness.rules.networks import Networks

RULE_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:iotdetect:sigma-rule")
LOGSOURCE = {"product": "suricata", "service": "eve"}
STATUS = {"experimental": "experimental", "test": "test", "stable": "stable", "deprecated": "deprecated"}
_MODIFIER = {"equals": "", "contains": "|contains", "startswith": "|startswith", "endswith": "|endswith"}


def escape(value: str) -> str:
    """A Sigma plain value: *, ? and \\ are wildcards/escapes there, so they are escaped."""
    return value.replace("\\", "\\\\").replace("*", "\\*").replace("?", "\\?")


@dataclass(frozen=True)
class SigmaRenderer(TextRenderer):
    """Renders the condition; each leaf is added to `selections` and rendered as its name."""
    networks: Networks | None = None
    selections: dict[str, dict] = field(default_factory=dict)

    true = "all of them"    # never reached: hunt plans drop TRUE conjuncts
    and_ = " and "
    or_ = " or "
    not_group = "not {}"
    not_item = "not {}"
    operators = {}

    def select(self, selection: dict) -> str:
        for name, existing in self.selections.items():
            if existing == selection:
                return name
        name = f"sel{len(self.selections) + 1}"
        self.selections[name] = selection
        return name

    def in_network(self, name: str, ip: str) -> str:
        return self.expr(L.address(self.networks.groups[name], ip))

    def cidrs(self, cidrs: tuple[str, ...], ip: str) -> str:
        return self.select({f"{ip}|cidr": list(cidrs)})

    def port_range(self, column: str, low: int, high: int) -> str:
        if low == high:
            return self.select({column: low})
        return self.select({f"{column}|gte": low, f"{column}|lte": high})

    def match(self, node: L.Match) -> str:
        name, op, value = node.field.path, node.op, node.value
        if op == "exists":
            present = self.select({f"{name}|exists": True})
            if node.field.type == "int":
                return present
            return f"({present} and not {self.select({name: ''})})"
        if op in ("gt", "lt"):
            return self.select({f"{name}|{op}": int(value)})
        if node.field.type == "int":
            return self.select({name: list(value) if op == "in" else value})
        if op == "regex":
            insensitive = value.startswith("(?i)")
            pattern = value[4:] if insensitive else value
            return self.select({f"{name}|re" + ("|i" if insensitive or node.fold else ""): pattern})
        # Sigma compares strings case-insensitively; `|cased` would keep Suricata's case-sensitivity,
        # but pySigma's Splunk and Lucene backends refuse it, so the rules fold case (a superset).
        if op == "in":
            return self.select({name: [escape(str(v)) for v in value]})
        return self.select({f"{name}{_MODIFIER[op]}": escape(str(value))})


@dataclass(frozen=True)
class SigmaRule:
    text: str | None              # one YAML document, or two (base rule + correlation) for thresholds
    unavailable: str | None       # why there is none (no hunt search)


def rule_uuid(rule_id: str, kind: str = "hunt") -> str:
    return str(uuid.uuid5(RULE_NAMESPACE, f"{rule_id}#{kind}"))


def _tags(rule: Rule) -> list[str]:
    return [f"attack.{t.lower()}" for t in rule.attack]


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):   # libyaml when present: ~10x faster
    pass


_Dumper.add_representer(str, lambda d, s: d.represent_scalar("tag:yaml.org,2002:str", s,
                                                             style="|" if "\n" in s else None))


@dataclass(frozen=True)
class SigmaBackend:
    name = "sigma"
    title = "Sigma (hunt)"
    lexer = "yaml"

    def compile(self, rule: Rule, networks: Networks, settings: SiemSettings | None = None) -> SigmaRule:
        plan, reason = L.hunt_plan(rule)
        if plan is None:
            return SigmaRule(None, reason)
        renderer = SigmaRenderer("", networks)
        event_type = renderer.select({"event_type": plan.event_type})
        condition = " and ".join([event_type] + [renderer.expr(c) for c in L.conjuncts(plan.where)])
        base_name = f"iotdetect_{rule.id.replace('-', '_')}"
        base = {
            "title": rule.title if not plan.threshold else f"{rule.title} (single event)",
            "id": rule_uuid(rule.id),
            "name": base_name,
            "status": STATUS[rule.status],
            "description": " ".join(rule.description.split()),
            "references": list(rule.references) or None,
            "author": "iotdetect",
            "date": rule.created,
            "modified": rule.updated,
            "tags": _tags(rule) or None,
            "logsource": dict(LOGSOURCE),
            "detection": {**renderer.selections, "condition": condition},
            "falsepositives": ["See the rule's response notes: " + " ".join(rule.response.split())],
            "level": rule.severity,
        }
        docs = [{k: v for k, v in base.items() if v is not None}]
        if plan.threshold:
            docs[0]["title"] = f"{rule.title} (matching event)"
            docs.append({
                "title": rule.title,
                "id": rule_uuid(rule.id, "threshold"),
                "status": STATUS[rule.status],
                "description": f"{plan.threshold.count} or more matching events of one {plan.threshold.key} "
                               f"within {plan.threshold.seconds} s.",
                "author": "iotdetect",
                "date": rule.created,
                "modified": rule.updated,
                "tags": _tags(rule) or None,
                "correlation": {"type": "event_count", "rules": [base_name], "group-by": [plan.threshold.key],
                                "timespan": f"{plan.threshold.seconds}s", "condition": {"gte": plan.threshold.count}},
                "level": rule.severity,
            })
            docs[1] = {k: v for k, v in docs[1].items() if v is not None}
        text = yaml.dump_all(docs, Dumper=_Dumper, sort_keys=False, allow_unicode=True, explicit_start=len(docs) > 1)
        return SigmaRule(text, None)
