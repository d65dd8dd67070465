"""Splunk backend: the alert search and the hunt search of one rule as SPL.

Splunk ingests EVE as sourcetype=suricata with KV_MODE=json, so nested fields keep their dotted
path (alert.signature_id, http.hostname); inside where/eval such names are single-quoted.
Network variables are search macros `iotdetect_net_<NAME>(ip)` built on cidrmatch; where EVE
lives is the macro `iotdetect_eve` (index and sourcetype, site-specific).
"""
from __future__ import annotations

from dataclasses import dataclass

from harness.backends import logic as L, spl_text as esc
from harness.backends.base import TemplateBackend, TextRenderer
from harness.backends.settings import SiemSettings
from harness.rules.model import Rule
from harness.rules.networks import Networks

EVE_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%6N%z"


def field(ref: L.Ref) -> str:
    name = f"'{ref.path}'" if ref.rest else ref.path
    return f"tonumber({name})" if ref.type == "int" and ref.rest else name


@dataclass(frozen=True)
class SplRenderer(TextRenderer):
    true = "true()"
    and_ = " AND "
    or_ = " OR "
    not_group = "NOT {}"
    not_item = "NOT ({})"
    network_call = "`{prefix}{name}({ip})`"
    port_equals = "{column}={low}"
    port_between = "({column}>={low} AND {column}<={high})"
    operators = {"exists_int": "isnotnull({field})", "exists": 'isnotnull({field}) AND {field}!=""',
                 "in": "in({field}, {value})", "gt": "{field}>{value}", "lt": "{field}<{value}",
                 "equals": "{field}=={value}", "regex": "match({field}, {value})",
                 "contains": "match({field}, {value})", "startswith": "match({field}, {value})",
                 "endswith": "match({field}, {value})"}

    def field(self, ref: L.Ref) -> str:
        return field(ref)

    def cidr(self, cidr: str, ip: str) -> str:
        return f'cidrmatch("{cidr}", {ip})'

    def string(self, text: str) -> str:
        return esc.string(text)

    def operand(self, op: str, value: object) -> str:
        # SPL has no contains/startswith function in where: a regex with the value escaped.
        if op in ("contains", "startswith", "endswith"):
            body = esc.regex_literal(str(value))
            return esc.string({"contains": body, "startswith": "^" + body, "endswith": body + "$"}[op])
        return super().operand(op, value)


@dataclass(frozen=True)
class SplBackend(TemplateBackend):
    name = "spl"
    title = "Splunk SPL"
    lexer = "text"
    comment = "``` {} ```"
    published = True

    def macros(self, networks: Networks, settings: SiemSettings) -> dict[str, tuple[str, tuple[str, ...]]]:
        """Search macros the searches use: name -> (definition, argument names)."""
        renderer = SplRenderer(settings.splunk_net_macro_prefix)
        found = {settings.splunk_eve_macro: (settings.splunk_eve_search, ())}
        for name, expr in L.network_definitions(networks, "$ip$").items():
            found[f"{settings.splunk_net_macro_prefix}{name}"] = (renderer.expr(expr), ("ip",))
        return found

    def renderer(self, networks: Networks, settings: SiemSettings) -> SplRenderer:
        return SplRenderer(settings.splunk_net_macro_prefix)

    def common(self, rule: Rule, settings: SiemSettings) -> dict:
        return {"eve_macro": settings.splunk_eve_macro, "rule_id": rule.id, "sid": rule.sid,
                "title_literal": esc.string(rule.title)}

    def hunt_values(self, plan: L.HuntPlan, renderer, networks: Networks, settings: SiemSettings) -> dict:
        flow_start = f'strptime({field(L.Ref("flow.start"))}, "{EVE_TIME_FORMAT}")'
        return {"event_time": flow_start if plan.flow_time else "_time"}
