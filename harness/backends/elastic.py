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
from harness.backends.base import TextRenderer
from harness.backends.settings import SiemQueries, SiemSettings
from harness.model import Rule
from harness.networks import Networks
from harness.templating import environment


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
                raise esc.Untranslatable(f"{spec.name} is a number in ECS; {node.op} {value!r} compares text")
            value = tuple(int(v) for v in value) if node.op == "in" else int(value)
            return super().match(L.Match(L.Ref(node.field.path, "int"), node.op, value))
        fold = node.fold
        if node.op == "regex":
            value, insensitive = esc.lucene_regex(str(value))
            fold = fold or insensitive
        return super().match(L.Match(node.field, node.op, value, fold))


@dataclass(frozen=True)
class ElasticBackend:
    name = "eql"
    title = "Elastic EQL"
    lexer = "text"
    comment = "// {}"
    published = True

    def compile(self, rule: Rule, networks: Networks, settings: SiemSettings) -> SiemQueries:
        env = environment()
        common = {"sid": rule.sid, "event_type": ecs.ecs_field("event_type").name,
                  "sid_field": ecs.ecs_field("alert.signature_id").name}
        alert = env.get_template("eql_alert.j2").render(**common).strip()
        plan, reason = L.hunt_plan(rule)
        if plan is None:
            return SiemQueries(alert, None, reason)
        renderer = EqlRenderer("", networks)
        try:
            where = [renderer.expr(c) for c in L.conjuncts(plan.where)]
        except esc.Untranslatable as exc:
            return SiemQueries(alert, None, f"not expressible in EQL: {exc}")
        threshold = plan.threshold
        key = renderer.column(threshold.key) if threshold else None
        hunt = env.get_template("eql_hunt.j2").render(
            event_type=plan.event_type, where=where, threshold=threshold, key=key,
            event_type_field=common["event_type"]).strip()
        return SiemQueries(alert, hunt, None)


def timestamp_field(rule: Rule) -> str:
    """The field the Kibana EQL rule orders and windows by: flow records are written when the flow
    ends, so flow hunts use the flow's start, as the other SIEM searches do."""
    plan, _ = L.hunt_plan(rule)
    return ecs.ecs_field("flow.start" if plan is not None and plan.flow_time else "timestamp").name
