"""Elastic Security backend: the alert search and the hunt search of one rule as EQL over the
Elastic Agent Suricata integration's ECS documents (`logs-suricata.eve-*`, field names in ecs.py).

EQL, not ES|QL, for every rule: EQL has Elastic's own offline parser (the `eql` package), and its
sequences express a threshold with the semantics the other targets share: `sequence by KEY with
maxspan=S [q] with runs=N` is N matching events of one key within S seconds, from any event, where
a threshold rule or an ES|QL `STATS ... BY BUCKET` counts per fixed bin. EQL has no macros, so
network variables are expanded inline; rule regexes become Lucene regexes (eql_text.py).
"""
from __future__ import annotations

from dataclasses import dataclass

from harness.backends import ecs, eql_text as esc, logic as L
from harness.backends.base import TemplateBackend, TextRenderer, Untranslatable
from harness.backends.settings import SiemSettings
from harness.rules.model import Rule
from harness.rules.networks import Networks


@dataclass(frozen=True)
class EqlRenderer(TextRenderer):
    networks: Networks | None = None

    true = "true"
    and_ = " and "
    or_ = " or "
    not_group = "not {}"
    not_item = "not ({})"
    port_equals = "{column} == {low}"
    port_between = "({column} >= {low} and {column} <= {high})"
    fold_field = None    # EQL folds with its `~` operators
    operators = {"exists_int": "{field} != null", "exists": '({field} != null and {field} != "")',
                 "in": ("{field} in ({value})", "{field} in~ ({value})"),
                 "gt": "{field} > {value}", "lt": "{field} < {value}",
                 "equals": ("{field} == {value}", "{field} in~ ({value})"),
                 "contains": ("stringContains({field}, {value})", "stringContains~({field}, {value})"),
                 "startswith": ("startsWith({field}, {value})", "startsWith~({field}, {value})"),
                 "endswith": ("endsWith({field}, {value})", "endsWith~({field}, {value})"),
                 "regex": ("{field} regex {value}", "{field} regex~ {value}")}

    def field(self, ref: L.Ref) -> str:
        return ecs.ecs_field(ref.path).name

    def column(self, name: str) -> str:
        return ecs.ecs_field(name).name

    def string(self, text: str) -> str:
        return esc.string(text)

    def in_network(self, name: str, ip: str) -> str:
        # No macros in EQL: the variable's definition, expanded (nested variables recursively).
        return self.expr(L.address(self.networks.groups[name], ip))

    def cidrs(self, cidrs: tuple[str, ...], ip: str) -> str:
        return f"cidrMatch({self.column(ip)}, {', '.join(esc.string(c) for c in cidrs)})"

    def match(self, node: L.Match) -> str:
        spec = ecs.ecs_field(node.field.path)
        value = node.value
        if spec.lowercase and node.op in ("equals", "in"):      # the pipeline lower-cased the field
            value = tuple(str(v).lower() for v in value) if node.op == "in" else str(value).lower()
        if spec.type == "long" and node.field.type == "str" and node.op != "exists":
            if node.op not in ("equals", "in") or not all(str(v).isdigit() for v in
                                                         (value if node.op == "in" else (value,))):
                raise Untranslatable(f"{spec.name} is a number in ECS; {node.op} {value!r} compares text")
            value = tuple(int(v) for v in value) if node.op == "in" else int(value)
            return super().match(L.Match(L.Ref(node.field.path, "int"), node.op, value))
        fold = node.fold
        if node.op == "regex":
            value, insensitive = esc.lucene_regex(str(value))
            fold = fold or insensitive
        return super().match(L.Match(node.field, node.op, value, fold))


@dataclass(frozen=True)
class ElasticBackend(TemplateBackend):
    name = "eql"
    title = "Elastic EQL"
    lexer = "text"
    comment = "// {}"
    published = True

    def renderer(self, networks: Networks, settings: SiemSettings) -> EqlRenderer:
        return EqlRenderer("", networks)

    def common(self, rule: Rule, settings: SiemSettings) -> dict:
        return {"sid": rule.sid, "event_type_field": ecs.ecs_field("event_type").name,
                "sid_field": ecs.ecs_field("alert.signature_id").name}

    def hunt_values(self, plan: L.HuntPlan, renderer, networks: Networks, settings: SiemSettings) -> dict:
        return {"key": renderer.column(plan.threshold.key) if plan.threshold else None}


def timestamp_field(rule: Rule) -> str:
    """The field the Kibana EQL rule orders and windows by: flow records are written when the flow
    ends, so flow hunts use the flow's start, as the other SIEM searches do."""
    plan, _ = L.hunt_plan(rule)
    return ecs.ecs_field("flow.start" if plan is not None and plan.flow_time else "timestamp").name
