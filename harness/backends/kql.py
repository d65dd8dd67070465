"""Sentinel backend: the alert search and the hunt search of one rule as KQL.

EVE lands in a custom table (default Suricata_CL, schema in harness/data/sentinel_schema.yaml)
whose EVE objects are `dynamic` columns: `tostring(http.hostname)`. Network variables become `let`
functions over range arrays (`ipv4_is_in_any_range`, `ipv6_is_in_any_range`), nested as in
rules/networks.yaml, so each query is self-contained.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from harness.backends import kql_text as esc, logic as L
from harness.backends.base import TemplateBackend, TextRenderer
from harness.backends.settings import SiemSettings
from harness.rules.model import Rule
from harness.rules.networks import Networks


def field(ref: L.Ref) -> str:
    if not ref.rest:
        return ref.path
    path = ref.top + "".join(esc.path_element(part) for part in ref.rest)
    return f"tolong({path})" if ref.type == "int" else f"tostring({path})"


def _array(items: list[str]) -> str:
    return "dynamic([" + ", ".join(esc.string(i) for i in items) + "])"


@dataclass(frozen=True)
class KqlRenderer(TextRenderer):
    true = "true"
    and_ = " and "
    or_ = " or "
    # A function of a malformed or other-family address is null; treat null as "no match".
    not_group = not_item = "not(coalesce({}, false))"
    port_equals = "{column} == {low}"
    port_between = "{column} between ({low} .. {high})"
    fold_field = None    # KQL folds with its operators (=~, in~, contains) instead of tolower()
    operators = {"exists_int": "isnotnull({field})", "exists": "isnotempty({field})",
                 "in": ("{field} in ({value})", "{field} in~ ({value})"),
                 "gt": "{field} > {value}", "lt": "{field} < {value}",
                 "regex": ("{field} matches regex {value}", "tolower({field}) matches regex {value}"),
                 "equals": ("{field} == {value}", "{field} =~ {value}"),
                 "contains": ("{field} contains_cs {value}", "{field} contains {value}"),
                 "startswith": ("{field} startswith_cs {value}", "{field} startswith {value}"),
                 "endswith": ("{field} endswith_cs {value}", "{field} endswith {value}")}

    def field(self, ref: L.Ref) -> str:
        return field(ref)

    def string(self, text: str) -> str:
        return esc.string(text)

    def cidrs(self, cidrs: tuple[str, ...], ip: str) -> str:
        v4 = [c for c in cidrs if ipaddress.ip_network(c).version == 4]
        v6 = [c for c in cidrs if ipaddress.ip_network(c).version == 6]
        tests = [f"ipv4_is_in_any_range({ip}, {_array(v4)})"] if v4 else []
        if v6:   # the IPv6 functions also accept IPv4 addresses; Suricata keeps the families apart
            tests.append(f'({ip} contains ":" and ipv6_is_in_any_range({ip}, {_array(v6)}))')
        return tests[0] if len(tests) == 1 else "(" + " or ".join(tests) + ")"


@dataclass(frozen=True)
class KqlBackend(TemplateBackend):
    name = "kql"
    title = "Sentinel KQL"
    lexer = "kusto"
    comment = "// {}"
    published = True

    def lets(self, expr: L.Expr, networks: Networks, settings: SiemSettings) -> list[str]:
        """`let` functions for the network variables an expression uses, dependencies first."""
        renderer = KqlRenderer(settings.kql_net_function_prefix)
        definitions = L.network_definitions(networks, "ip")
        return [f"let {settings.kql_net_function_prefix}{name} = (ip:string) {{ {renderer.expr(definitions[name])} }};"
                for name in L.networks_used(expr, networks)]

    def renderer(self, networks: Networks, settings: SiemSettings) -> KqlRenderer:
        return KqlRenderer(settings.kql_net_function_prefix)

    def common(self, rule: Rule, settings: SiemSettings) -> dict:
        return {"table": settings.sentinel_table, "rule_id": rule.id, "sid": rule.sid,
                "title_literal": esc.string(rule.title)}

    def hunt_values(self, plan: L.HuntPlan, renderer, networks: Networks, settings: SiemSettings) -> dict:
        return {"lets": self.lets(plan.where, networks, settings),
                "event_time": "todatetime(flow.start)" if plan.flow_time else "timestamp"}
