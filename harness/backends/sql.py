"""SQL backend: the SIEM logic as DuckDB SQL over a view `eve` of one eve.json.

It renders the same expression tree as the other SIEM backends (the one recursion in base.py);
running it over the eve.json that Suricata wrote for each test case proves the logic they carry. EVE objects are JSON columns,
as they are `dynamic` columns in Sentinel.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from harness.backends import logic as L
from harness.backends.base import TemplateBackend, TextRenderer
from harness.backends.settings import SiemSettings, TableSchema
from harness.rules.model import Rule
from harness.rules.networks import Networks

EVE_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%f%z"
NET_PREFIX = "iotdetect_net_"
_SQL_TYPES = {"datetime": "VARCHAR", "string": "VARCHAR", "int": "INTEGER", "long": "BIGINT",
              "dynamic": "JSON", "bool": "BOOLEAN", "real": "DOUBLE"}

# Address keys: '4:' + 8 hex digits or '6:' + 32 hex digits, so ranges compare as strings.
_IP_HELPERS = (
    "CREATE OR REPLACE MACRO iotdetect_groups(s) AS "
    "(CASE WHEN s = '' THEN []::VARCHAR[] ELSE string_split(s, ':') END)",
    "CREATE OR REPLACE MACRO iotdetect_ip6_groups(ip) AS (CASE WHEN contains(ip, '::') THEN "
    "iotdetect_groups(split_part(ip, '::', 1)) || list_transform(range(8 - len(iotdetect_groups(split_part(ip, '::', 1)))"
    " - len(iotdetect_groups(split_part(ip, '::', 2)))), lambda x: '0') || iotdetect_groups(split_part(ip, '::', 2)) "
    "ELSE string_split(ip, ':') END)",
    "CREATE OR REPLACE MACRO iotdetect_ip_key(ip) AS (CASE "
    "WHEN regexp_full_match(ip, '[0-9]{1,3}([.][0-9]{1,3}){3}') THEN '4:' || "
    "array_to_string(list_transform(string_split(ip, '.'), lambda o: printf('%02x', o::INTEGER)), '') "
    "WHEN contains(ip, ':') THEN '6:' || "
    "array_to_string(list_transform(iotdetect_ip6_groups(lower(ip)), lambda g: lpad(g, 4, '0')), '') END)",
)


def literal(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _key(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    width = 8 if address.version == 4 else 32
    return f"{address.version}:{int(address):0{width}x}"


def field(ref: L.Ref) -> str:
    if not ref.rest:
        return ref.path
    path = "$" + "".join(f'."{part}"' for part in ref.rest)
    text = f"json_extract_string({ref.top}, {literal(path)})"
    return f"TRY_CAST({text} AS BIGINT)" if ref.type == "int" else text


@dataclass(frozen=True)
class SqlRenderer(TextRenderer):
    true = "true"
    and_ = " AND "
    or_ = " OR "
    not_group = not_item = "NOT coalesce({}, false)"
    port_equals = "{column} = {low}"
    port_between = "{column} BETWEEN {low} AND {high}"
    operators = {"exists_int": "{field} IS NOT NULL", "exists": "coalesce({field}, '') <> ''",
                 "in": "{field} IN ({value})", "equals": "{field} = {value}", "gt": "{field} > {value}",
                 "lt": "{field} < {value}", "contains": "contains({field}, {value})",
                 "startswith": "starts_with({field}, {value})", "endswith": "ends_with({field}, {value})",
                 "regex": "regexp_matches({field}, {value})"}

    def field(self, ref: L.Ref) -> str:
        return field(ref)

    def string(self, text: str) -> str:
        return literal(text)

    def value(self, value: object) -> str:
        return literal(value)

    def cidr(self, cidr: str, ip: str) -> str:
        net = ipaddress.ip_network(cidr)
        return (f"iotdetect_ip_key({ip}) BETWEEN {literal(_key(net.network_address))} AND "
                f"{literal(_key(net.broadcast_address))}")


@dataclass(frozen=True)
class SqlBackend(TemplateBackend):
    name = "sql"
    title = "DuckDB SQL (the evaluator)"
    lexer = "sql"
    comment = "-- {}"
    published = False

    def setup(self, networks: Networks, settings: SiemSettings) -> list[str]:
        """Statements defining the address helpers and one macro per network variable."""
        renderer = SqlRenderer(NET_PREFIX)
        definitions = L.network_definitions(networks, "ip")
        everything = L.AnyOf(tuple(L.InNetwork(name, "ip") for name in definitions))
        # Nested variables call each other: define each after the variables it refers to.
        return list(_IP_HELPERS) + [
            f"CREATE OR REPLACE MACRO {NET_PREFIX}{name}(ip) AS ({renderer.expr(definitions[name])})"
            for name in L.networks_used(everything, networks)]

    def eve_view(self, eve_path: str, schema: TableSchema) -> str:
        """A view `eve` over one eve.json with the Sentinel table's columns (objects as JSON)."""
        columns = [c for c in schema.columns if c.name != "TimeGenerated"]
        spec = ", ".join(f"{c.name}: '{_SQL_TYPES[c.type]}'" for c in columns)
        parsed = [f"strptime({c.name}, {literal(EVE_TIME_FORMAT)}) AS {c.name}" for c in columns if c.type == "datetime"]
        return (f"CREATE OR REPLACE VIEW eve AS SELECT * REPLACE ({', '.join(parsed)}) "
                f"FROM read_json({literal(eve_path)}, format='newline_delimited', columns={{{spec}}})")

    def renderer(self, networks: Networks, settings: SiemSettings) -> SqlRenderer:
        return SqlRenderer(NET_PREFIX)

    def common(self, rule: Rule, settings: SiemSettings) -> dict:
        return {"rule_id": rule.id, "sid": rule.sid, "title_literal": literal(rule.title),
                "sid_field": field(L.Ref("alert.signature_id", "int"))}

    def hunt_values(self, plan: L.HuntPlan, renderer, networks: Networks, settings: SiemSettings) -> dict:
        flow_start = f"strptime({field(L.Ref('flow.start'))}, {literal(EVE_TIME_FORMAT)})"
        return {"event_time": flow_start if plan.flow_time else "timestamp"}
