"""Network variables in the SIEMs mean what they mean to Suricata (Networks.contains): nesting,
negation, IPv4 and IPv6. The DuckDB macros run for real; the SPL macros and KQL `let` functions
are evaluated by translating their (small, generated) boolean expressions to Python, with the
documented behaviour of cidrmatch / ipv4_is_in_any_range / ipv6_is_in_any_range."""
from __future__ import annotations

import ipaddress
import re

import pytest

from harness.backends.kql import KqlBackend
from harness.backends.spl import SplBackend
from harness.rules.networks import Networks
from harness.backends import logic as L
from harness.siem.evaluate import EveEvaluator
from harness.backends.settings import SiemSettings

NETWORKS = Networks({
    "IOT_NET": ("192.168.200.0/24", "2001:db8:200::/48"),
    "MGMT_NET": ("10.10.0.0/24",),
    "CORP_NET": ("10.0.0.0/8", "!$MGMT_NET"),
    "HOME_NET": ("$IOT_NET", "$CORP_NET"),
    "EXTERNAL_NET": ("!$HOME_NET",),
    "MIXED": ("$HOME_NET", "!192.168.200.128/25", "fd00::/8", "!fd00:1::/32"),
    "NOT_PRIVATE": ("!10.0.0.0/8", "!2001:db8::/32", "!192.168.0.0/16"),
    "ONE_HOST": ("192.168.200.2",),
})
ADDRESSES = ["192.168.200.0", "192.168.200.1", "192.168.200.127", "192.168.200.128", "192.168.200.255",
             "192.168.201.1", "10.0.0.1", "10.10.0.5", "10.10.1.5", "10.255.255.255", "11.0.0.1", "8.8.8.8",
             "192.168.200.2", "2001:db8:200::1", "2001:db8:200:ffff::1", "2001:db8:201::1", "2001:db8::1",
             "fd00::1", "fd00:1::5", "fe80::1", "::1", "0.0.0.0"]
RULE_ADDRESSES = [("!$IOT_NET", "!$MGMT_NET"), ("$HOME_NET", "!10.1.0.0/16"), ("any",), ("10.0.0.5",),
                  ("$EXTERNAL_NET",), ("!$EXTERNAL_NET", "2001:db8::/32"), ("192.168.200.0/25", "192.168.200.200")]


@pytest.fixture(scope="module")
def evaluator():
    evaluator = EveEvaluator(NETWORKS)
    yield evaluator
    evaluator.close()


def _sql_results(evaluator, expr: L.Expr) -> dict[str, bool]:
    """The expression over column ip_value for every sample address, in one query."""
    from harness.backends.sql import SqlRenderer, literal
    rows = ", ".join(f"({literal(ip)})" for ip in ADDRESSES)
    sql = (f"SELECT ip_value, coalesce({SqlRenderer('iotdetect_net_').expr(expr)}, false) "
           f"FROM (VALUES {rows}) AS samples(ip_value)")
    return dict(evaluator.query(sql).rows)


@pytest.mark.parametrize("name", sorted(NETWORKS.groups))
def test_duckdb_macros_match_suricata_semantics(name, evaluator):
    got = _sql_results(evaluator, L.InNetwork(name, "ip_value"))
    assert got == {ip: NETWORKS.contains((f"${name}",), ip) for ip in ADDRESSES}


@pytest.mark.parametrize("items", RULE_ADDRESSES)
def test_rule_addresses_match_suricata_semantics(items, evaluator):
    got = _sql_results(evaluator, L.address(items, "ip_value"))
    assert got == {ip: NETWORKS.contains(items, ip) for ip in ADDRESSES}


# --- SPL and KQL, evaluated through a translation to Python -----------------------------------------

def _in(cidr: str, ip: str) -> bool:
    network, address = ipaddress.ip_network(cidr), ipaddress.ip_address(ip)
    return network.version == address.version and address in network


def _spl_python(text: str) -> str:
    text = re.sub(r"`iotdetect_net_(\w+)\((\w+)\)`", r'net["\1"](\2)', text)
    text = re.sub(r"\bcidrmatch\(", "cidrmatch(", text)
    return text.replace(" AND ", " and ").replace(" OR ", " or ").replace("NOT ", "not ")


def spl_contains(macros: dict, name: str, ip: str) -> bool:
    functions = {}
    for macro, (definition, _) in macros.items():
        if macro.startswith("iotdetect_net_"):
            body = _spl_python(definition.replace("$ip$", "ip"))
            functions[macro.removeprefix("iotdetect_net_")] = body
    # cidrmatch is false across address families, like Suricata.
    scope = {"cidrmatch": _in, "net": {}}
    for var, body in functions.items():
        scope["net"][var] = (lambda b: lambda ip: eval(b, scope, {"ip": ip}))(body)
    return bool(scope["net"][name](ip))


def _kql_python(body: str) -> str:
    body = body.replace("dynamic(", "(").replace(" and ", " and ").replace(" or ", " or ")
    body = re.sub(r'(\w+) contains ":"', r'(":" in \1)', body)
    return re.sub(r"\bnot\(", "not_(", body)


def kql_contains(lets: list[str], name: str, ip: str) -> bool:
    # ipv4_is_in_any_range is null (None) for a non-IPv4 address; the IPv6 one accepts both families.
    scope: dict = {"ipv4_is_in_any_range": lambda a, ranges: None if ":" in a else any(_in(r, a) for r in ranges),
                   "ipv6_is_in_any_range": lambda a, ranges: any(_in(r, a) for r in ranges),
                   "coalesce": lambda value, default: default if value is None else value,
                   "not_": lambda value: None if value is None else not value, "false": False, "true": True}
    for let in lets:
        match = re.match(r"let (\w+) = \(ip:string\) \{ (.*) \};$", let)
        function, body = match.group(1), _kql_python(match.group(2))
        scope[function] = (lambda b: lambda ip: eval(b, scope, {"ip": ip}))(body)
    return bool(scope[f"iotdetect_net_{name}"](ip))


@pytest.mark.parametrize("name", sorted(NETWORKS.groups))
def test_spl_macros_match_suricata_semantics(name):
    macros = SplBackend().macros(NETWORKS, SiemSettings())
    for ip in ADDRESSES:
        assert spl_contains(macros, name, ip) == NETWORKS.contains((f"${name}",), ip), (name, ip)


@pytest.mark.parametrize("name", sorted(NETWORKS.groups))
def test_kql_functions_match_suricata_semantics(name):
    lets = KqlBackend().lets(L.InNetwork(name, "src_ip"), NETWORKS, SiemSettings())
    for ip in ADDRESSES:
        assert kql_contains(lets, name, ip) == NETWORKS.contains((f"${name}",), ip), (name, ip)


def test_kql_lets_come_dependencies_first():
    lets = KqlBackend().lets(L.InNetwork("MIXED", "src_ip"), NETWORKS, SiemSettings())
    names = [re.match(r"let (\w+)", let).group(1).removeprefix("iotdetect_net_") for let in lets]
    assert names == ["IOT_NET", "MGMT_NET", "CORP_NET", "HOME_NET", "MIXED"]


def _port_contains(items: tuple[str, ...], port: int) -> bool:
    def hit(item: str) -> bool:
        if item == "any":
            return True
        low, _, high = item.partition(":")
        return int(low or 0) <= port <= int(high or 65535) if ":" in item else port == int(item)
    positive = [i for i in items if not i.startswith("!")]
    negative = [i[1:] for i in items if i.startswith("!")]
    return (not positive or any(map(hit, positive))) and not any(map(hit, negative))


@pytest.mark.parametrize("items", [("80",), ("80", "8080"), ("1000:2000", "!1500"), ("!22",), (":1024",),
                                   ("1024:",), ("any",), ("!23", "!2323")])
def test_ports_match_suricata_semantics(items, evaluator):
    from harness.backends.sql import SqlRenderer
    ports = [0, 22, 23, 80, 1000, 1024, 1025, 1500, 2000, 2001, 2323, 8080, 65535]
    expr = SqlRenderer("iotdetect_net_").expr(L.ports(items, "port"))
    rows = ", ".join(f"({p})" for p in ports)
    got = dict(evaluator.query(f"SELECT port, coalesce({expr}, false) FROM (VALUES {rows}) AS samples(port)").rows)
    assert got == {p: _port_contains(items, p) for p in ports}
