"""Splunk backend: the alert search and the hunt search of one rule as SPL.

Splunk ingests EVE as sourcetype=suricata with KV_MODE=json, so nested fields keep their dotted
path (alert.signature_id, http.hostname); inside where/eval such names are single-quoted.
Network variables are search macros `iotdetect_net_<NAME>(ip)` built on cidrmatch; where EVE
lives is the macro `iotdetect_eve` (index and sourcetype, site-specific).
"""
from __future__ import annotations

from dataclasses import dataclass

from harness.backends import spl_text as esc
from harness.model import Rule
from harness.networks import Networks
from harness.siem import logic as L
from harness.siem.settings import SiemQueries, SiemSettings
from harness.templating import environment

EVE_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%6N%z"


def field(ref: L.Ref) -> str:
    name = f"'{ref.path}'" if ref.rest else ref.path
    return f"tonumber({name})" if ref.type == "int" and ref.rest else name


def _value(value: object) -> str:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else esc.string(str(value))


@dataclass(frozen=True)
class SplRenderer:
    macro_prefix: str

    def expr(self, node: L.Expr) -> str:
        match node:
            case L.Always():
                return "true()"
            case L.All(items):
                return "(" + " AND ".join(self.expr(i) for i in items) + ")"
            case L.AnyOf(items):
                return "(" + " OR ".join(self.expr(i) for i in items) + ")"
            case L.Not(item):
                return f"NOT {self.expr(item)}" if isinstance(item, (L.All, L.AnyOf)) else f"NOT ({self.expr(item)})"
            case L.InNetwork(name, ip):
                return f"`{self.macro_prefix}{name}({ip})`"
            case L.InCidrs(cidrs, ip):
                tests = [f'cidrmatch("{c}", {ip})' for c in cidrs]
                return tests[0] if len(tests) == 1 else "(" + " OR ".join(tests) + ")"
            case L.PortRange(column, low, high):
                return f"{column}={low}" if low == high else f"({column}>={low} AND {column}<={high})"
            case L.Match():
                return self.match(node)
        raise TypeError(f"unknown node {node!r}")

    def match(self, node: L.Match) -> str:
        target = field(node.field)
        if node.fold:
            target = f"lower({target})"
        op, value = node.op, node.value
        if op == "exists":
            return f"isnotnull({target})" if node.field.type == "int" else f'isnotnull({target}) AND {target}!=""'
        if op == "in":
            return f"in({target}, {', '.join(_value(v) for v in value)})"
        if op in ("gt", "lt"):
            return f"{target}{'>' if op == 'gt' else '<'}{int(value)}"
        if op == "equals":
            return f"{target}=={_value(value)}"
        if op == "regex":
            return f"match({target}, {esc.string(value)})"
        body = esc.regex_literal(str(value))
        pattern = {"contains": body, "startswith": "^" + body, "endswith": body + "$"}[op]
        return f"match({target}, {esc.string(pattern)})"


@dataclass(frozen=True)
class SplBackend:
    name = "spl"

    def macros(self, networks: Networks, settings: SiemSettings) -> dict[str, tuple[str, tuple[str, ...]]]:
        """Search macros the searches use: name -> (definition, argument names)."""
        renderer = SplRenderer(settings.splunk_net_macro_prefix)
        found = {settings.splunk_eve_macro: (settings.splunk_eve_search, ())}
        for name, expr in L.network_definitions(networks, "$ip$").items():
            found[f"{settings.splunk_net_macro_prefix}{name}"] = (renderer.expr(expr), ("ip",))
        return found

    def compile(self, rule: Rule, networks: Networks, settings: SiemSettings) -> SiemQueries:
        env = environment()
        common = {"eve_macro": settings.splunk_eve_macro, "rule_id": rule.id, "sid": rule.sid,
                  "title_literal": esc.string(rule.title)}
        alert = env.get_template("spl_alert.j2").render(**common).strip()
        plan, reason = L.hunt_plan(rule)
        if plan is None:
            return SiemQueries(alert, None, reason)
        renderer = SplRenderer(settings.splunk_net_macro_prefix)
        event_time = f'strptime({field(L.Ref("flow.start"))}, "{EVE_TIME_FORMAT}")' if plan.flow_time else "_time"
        hunt = env.get_template("spl_hunt.j2").render(
            event_type=plan.event_type, where=[renderer.expr(c) for c in L.conjuncts(plan.where)],
            event_time=event_time, threshold=plan.threshold, **common).strip()
        return SiemQueries(alert, hunt, None)
