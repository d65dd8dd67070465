"""A rule's hunt logic as a small target-neutral expression tree that every SIEM backend renders.

SPL, KQL and the DuckDB SQL all render the same tree (one recursion, harness/backends/base.py), so
the DuckDB run over the test cases' eve.json proves the logic the others carry. Addresses and ports follow Suricata's rule
semantics (`Networks.contains`): a value matches when it matches a positive item (or there is none)
and no negated item.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Union

from harness.backends.flow import default_flow
from harness.rules.model import APP_PROTOCOLS_TCP, APP_PROTOCOLS_UDP, Condition, Operator, Rule
from harness.rules.networks import Networks


@dataclass(frozen=True)
class Ref:
    """An EVE field: a top-level column (src_ip) or a path into an EVE object (http.hostname)."""
    path: str
    type: str = "str"          # "str" or "int"

    @property
    def top(self) -> str:
        return self.path.split(".", 1)[0]

    @property
    def rest(self) -> tuple[str, ...]:
        return tuple(self.path.split(".")[1:])


@dataclass(frozen=True)
class Always:
    pass


@dataclass(frozen=True)
class All:
    items: tuple["Expr", ...]


@dataclass(frozen=True)
class AnyOf:
    items: tuple["Expr", ...]


@dataclass(frozen=True)
class Not:
    item: "Expr"


@dataclass(frozen=True)
class InNetwork:
    """The address in column `ip` belongs to network variable `name` (a macro/function per SIEM)."""
    name: str
    ip: str


@dataclass(frozen=True)
class InCidrs:
    cidrs: tuple[str, ...]
    ip: str


@dataclass(frozen=True)
class PortRange:
    column: str
    low: int
    high: int


@dataclass(frozen=True)
class Match:
    """One comparison (the model's operators). fold: compare case-insensitively (rule nocase, or a
    field Suricata lower-cases)."""
    field: Ref
    op: Operator
    value: object = None
    fold: bool = False


Expr = Union[Always, All, AnyOf, Not, InNetwork, InCidrs, PortRange, Match]

TRUE = Always()


def all_of(*items: Expr) -> Expr:
    kept: list[Expr] = []
    for item in items:
        for part in item.items if isinstance(item, All) else [] if isinstance(item, Always) else [item]:
            if part not in kept:     # two negated conditions on one field share their `exists`
                kept.append(part)
    return TRUE if not kept else kept[0] if len(kept) == 1 else All(tuple(kept))


def any_of(items: list[Expr]) -> Expr:
    if any(isinstance(i, Always) for i in items):
        return TRUE
    flat: list[Expr] = []
    for item in items:
        flat += item.items if isinstance(item, AnyOf) else [item]
    return flat[0] if len(flat) == 1 else AnyOf(tuple(flat))


def conjuncts(expr: Expr) -> list[Expr]:
    """The top-level AND-ed parts: each becomes its own `| where` line."""
    return list(expr.items) if isinstance(expr, All) else [] if isinstance(expr, Always) else [expr]


# --- addresses and ports ---------------------------------------------------------------------------

def _address_item(item: str, ip: str) -> Expr:
    if item == "any":
        return TRUE
    if item.startswith("$"):
        return InNetwork(item[1:], ip)
    return InCidrs((str(ipaddress.ip_network(item)),), ip)   # 10.0.0.53 -> 10.0.0.53/32: SIEMs want CIDRs


def _merge_cidrs(items: list[Expr]) -> list[Expr]:
    """Adjacent literal CIDRs become one InCidrs (one cidrmatch list / one range array)."""
    merged: list[Expr] = []
    for item in items:
        if isinstance(item, InCidrs) and merged and isinstance(merged[-1], InCidrs):
            merged[-1] = InCidrs(merged[-1].cidrs + item.cidrs, item.ip)
        else:
            merged.append(item)
    return merged


def address(items: tuple[str, ...], ip: str) -> Expr:
    positive = [i for i in items if not i.startswith("!")]
    negative = [i[1:] for i in items if i.startswith("!")]
    pos = _merge_cidrs([_address_item(i, ip) for i in positive])
    neg = _merge_cidrs([_address_item(i, ip) for i in negative])
    return all_of(any_of(pos) if pos else TRUE, *[Not(n) for n in neg])


# (id of the Networks, param) -> (that Networks, its definitions): every rule's hunt asks for the same
# definitions, and parsing every CIDR again per rule was a quarter of a 10k-rule build.
_DEFINITIONS: dict[tuple[int, str], tuple[Networks, dict[str, Expr]]] = {}


def network_definitions(networks: Networks, param: str) -> dict[str, Expr]:
    """Variable name -> its membership test on `param`, referring to nested variables by name."""
    cached = _DEFINITIONS.get((id(networks), param))
    if cached is not None and cached[0] is networks:
        return dict(cached[1])
    if len(_DEFINITIONS) > 16:
        _DEFINITIONS.clear()
    definitions = {name: address(items, param) for name, items in sorted(networks.groups.items())}
    _DEFINITIONS[(id(networks), param)] = (networks, definitions)
    return dict(definitions)


def networks_used(expr: Expr, networks: Networks) -> list[str]:
    """Variables an expression needs, dependencies first (so `let` statements can be ordered)."""
    ordered: list[str] = []

    def visit_var(name: str) -> None:
        if name in ordered:
            return
        for ref in networks.references(networks.groups[name]):
            visit_var(ref)
        ordered.append(name)

    def visit(node: Expr) -> None:
        if isinstance(node, InNetwork):
            visit_var(node.name)
        elif isinstance(node, (All, AnyOf)):
            for item in node.items:
                visit(item)
        elif isinstance(node, Not):
            visit(node.item)

    visit(expr)
    return ordered


def _port_item(item: str, column: str) -> Expr:
    if item == "any":
        return TRUE
    if ":" in item:
        low, high = item.split(":")
        return PortRange(column, int(low or 0), int(high or 65535))
    return PortRange(column, int(item), int(item))


def ports(items: tuple[str, ...], column: str) -> Expr:
    positive = [i for i in items if not i.startswith("!")]
    negative = [i[1:] for i in items if i.startswith("!")]
    pos = [_port_item(i, column) for i in positive]
    return all_of(any_of(pos) if pos else TRUE, *[Not(_port_item(i, column)) for i in negative])


# --- TCP flags on flow records ---------------------------------------------------------------------

_FLAG_BITS = {"F": 0, "S": 1, "R": 2, "P": 3, "A": 4, "U": 5, "E": 6, "C": 7}


def flag_set(column: str, letter: str) -> Match:
    """EVE writes a flow's OR-ed TCP flags as two hex digits; test one bit with a regex on one digit."""
    bit = _FLAG_BITS[letter]
    digits = "".join(f"{d:x}" for d in range(16) if d & (1 << (bit % 4)))
    pattern = f"[{digits}]$" if bit < 4 else f"[{digits}].$"
    return Match(Ref(f"tcp.{column}"), "regex", pattern)


# --- conditions ------------------------------------------------------------------------------------

def condition(cond: Condition) -> Expr:
    spec = cond.eve
    ref = Ref(cond.field, spec.value_type)
    op, value = cond.operator, cond.value
    if op == "regex":
        # Suricata runs the pcre on the buffer (lower-cased for lowercase fields); nocase is (?i).
        match = Match(ref, op, ("(?i)" if cond.nocase else "") + value, spec.lowercase)
    else:
        fold = bool(cond.nocase or spec.lowercase) and spec.value_type == "str"
        if spec.value_type == "str" and op != "exists":
            text = (lambda v: str(v).lower()) if fold else str
            value = tuple(text(v) for v in value) if op == "in" else text(value)
        match = Match(ref, op, value, fold)
    if cond.negate:
        # Suricata needs the buffer to exist before a negated match can succeed.
        return All((Match(ref, "exists"), Not(match)))
    return match


# --- the hunt plan ---------------------------------------------------------------------------------

# Records written once per direction: the field telling requests from responses, and whether the
# record's src_ip is the packet's sender (snmp) rather than the flow's client (dns, dnp3).
_DIRECTIONAL = {"dns": ("dns.type", "query", "answer", False),
                "dnp3": ("dnp3.type", "request", "response", False),
                "snmp": ("snmp.pdu_type", None, "response", True)}
_TRANSPORT_PROTO = {"tcp": ("TCP",), "udp": ("UDP",), "icmp": ("ICMP", "IPv6-ICMP")}


@dataclass(frozen=True)
class HuntThreshold:
    key: str        # EVE column holding the tracked address
    count: int
    seconds: int


@dataclass(frozen=True)
class HuntPlan:
    event_type: str
    where: Expr
    flow_time: bool                 # event time is flow.start: flow records are written when flows end
    threshold: HuntThreshold | None
    group_by: tuple[str, ...] = ("src_ip", "dest_ip")


def _direction_filter(event_type: str, to_client: bool) -> Expr:
    spec = _DIRECTIONAL.get(event_type)
    if not spec:
        return TRUE
    field, request, response, _ = spec
    if to_client:
        return Match(Ref(field), "equals", response)
    return Match(Ref(field), "equals", request) if request else \
        All((Match(Ref(field), "exists"), Not(Match(Ref(field), "equals", response))))


def _flow_scope(rule: Rule, to_client: bool) -> tuple[Expr, str | None]:
    det = rule.detection
    parts: list[Expr] = []
    if det.protocol in _TRANSPORT_PROTO:
        protos = _TRANSPORT_PROTO[det.protocol]
        parts.append(Match(Ref("proto"), "in", protos) if len(protos) > 1 else Match(Ref("proto"), "equals", protos[0]))
    elif det.protocol in APP_PROTOCOLS_TCP + APP_PROTOCOLS_UDP:
        parts.append(Match(Ref("app_proto"), "equals", det.protocol))
    if det.tcp_flags:
        required = det.tcp_flags.split(",")[0]
        if "0" in required:
            return TRUE, "tcp_flags 0 (no flags) has no EVE equivalent: flow records OR the flags of all packets"
        if "S" not in required and "established" not in default_flow(rule):
            # Measured on 7.0.10: a flow that never saw a SYN gets no TCP session, and its flow
            # record says tcp_flags "00" whatever the packets carried (FIN/Xmas/ACK scan probes).
            return TRUE, (f"tcp_flags {required} outside an established session: Suricata records no TCP"
                          " flags for flows that never started with a SYN")
        column = "tcp_flags_tc" if to_client else "tcp_flags_ts"
        parts += [flag_set(column, letter) for letter in required]
    flow = default_flow(rule)
    established = All((flag_set("tcp_flags_tc", "S"), flag_set("tcp_flags_ts", "A")))
    if "established" in flow and det.protocol == "tcp":
        parts.append(established)
    if "not_established" in flow and det.protocol == "tcp":
        parts.append(Not(established))
    return all_of(*parts), None


def hunt_plan(rule: Rule) -> tuple[HuntPlan | None, str | None]:
    """The rule's logic over EVE records, or (None, why it cannot be expressed)."""
    reason = rule.hunt_unavailable_reason()
    if reason:
        return None, reason
    det = rule.detection
    flow = default_flow(rule)
    to_client = "to_client" in flow or "from_server" in flow
    event_types = sorted({c.eve.event_type for c in det.where}) or ["flow"]
    if len(event_types) > 1:
        return None, f"conditions span EVE event types {', '.join(event_types)}, which are separate records"
    event_type = event_types[0]
    scope: list[Expr] = []
    if event_type == "flow":
        flow_expr, why = _flow_scope(rule, to_client)
        if why:
            return None, why
        scope.append(flow_expr)
    elif det.tcp_flags:
        return None, f"tcp_flags apply to packets; EVE {event_type} records carry no TCP flags"
    else:
        scope.append(_direction_filter(event_type, to_client))
    # EVE src_ip is the flow's client, except records written per packet direction (snmp).
    swap = to_client and not _DIRECTIONAL.get(event_type, (0, 0, 0, False))[3]
    src_ip, dest_ip = ("dest_ip", "src_ip") if swap else ("src_ip", "dest_ip")
    src_port, dest_port = ("dest_port", "src_port") if swap else ("src_port", "dest_port")
    forward = all_of(address(det.source.items, src_ip), ports(det.source_port.items, src_port),
                     address(det.destination.items, dest_ip), ports(det.destination_port.items, dest_port))
    if det.bidirectional:
        backward = all_of(address(det.source.items, dest_ip), ports(det.source_port.items, dest_port),
                          address(det.destination.items, src_ip), ports(det.destination_port.items, src_port))
        forward = any_of([forward, backward]) if forward != backward else forward
    scope.append(forward)
    scope += [condition(c) for c in det.where]
    threshold = None
    t = det.threshold
    if t and t.type != "limit" and t.count > 1:
        key = src_ip if t.track == "by_src" else dest_ip
        threshold = HuntThreshold(key, t.count, t.seconds)
    return HuntPlan(event_type, all_of(*scope), event_type == "flow", threshold), None
