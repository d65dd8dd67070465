"""Hosts by role: `$VAR` / `$VAR[n]` in a test case's traffic resolve to concrete addresses of the site plan.

A role names a host that lies inside the variable, outside what it excludes (`!` items) and outside
every variable that is a proper subset of it (a `$CORP_NET` host is never in `$MGMT_NET` when the
management net sits inside the corporate one). Among those, hosts that belong to the fewest other
variables come first, in the order the plan declares its items; `$VAR[n]` is the n-th of that list,
so distinct indexes are distinct hosts. A variable with no positive item (`EXTERNAL_NET: [!$HOME_NET]`)
draws its hosts from the documentation ranges (RFC 5737, RFC 3849, RFC 9637).

All addresses of one case share one family: the family the case's first role prefers, else the other
when every role has hosts there. Everything here is a pure function of the plan; `Plan` caches the
interval arithmetic, so resolving a whole suite costs milliseconds.
"""
from __future__ import annotations

import bisect
import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any, Iterator

from harness.rules.networks import Networks

ROLE = re.compile(r"^\$([A-Z][A-Z0-9_]*)(?:\[([0-9]+)\])?$")
_MAX = {4: 2 ** 32 - 1, 6: 2 ** 128 - 1}
# Where variables without a positive item (the internet) find hosts, in this order.
DOCUMENTATION = ("203.0.113.0/24", "198.51.100.0/24", "192.0.2.0/24", "2001:db8::/32", "3fff::/20")

Interval = tuple[int, int, int]          # (family, first, last), integers of the address


class RoleError(ValueError):
    """A role the plan cannot satisfy; the message names the variable(s)."""


@dataclass(frozen=True, order=True)
class Role:
    var: str
    index: int = 1

    def __str__(self) -> str:
        return f"${self.var}" if self.index == 1 else f"${self.var}[{self.index}]"


def parse(value: object) -> Role | None:
    """The role a string names, or None for anything else; `$VAR[0]` is a ValueError."""
    if not isinstance(value, str) or not value.startswith("$"):
        return None
    match = ROLE.match(value)
    if not match:
        raise ValueError(f"{value!r} is not a role: write $VARIABLE or $VARIABLE[n] (n >= 1)")
    index = int(match.group(2) or 1)
    if index < 1:
        raise ValueError(f"{value!r}: role indexes start at 1")
    return Role(match.group(1), index)


# -- interval sets ---------------------------------------------------------------------------------

def _normal(intervals: list[Interval]) -> tuple[Interval, ...]:
    out: list[list[int]] = []
    for fam, lo, hi in sorted(intervals):
        if out and out[-1][0] == fam and lo <= out[-1][2] + 1:
            out[-1][2] = max(out[-1][2], hi)
        else:
            out.append([fam, lo, hi])
    return tuple((f, lo, hi) for f, lo, hi in out)


def _minus(a: tuple[Interval, ...], b: tuple[Interval, ...]) -> tuple[Interval, ...]:
    out = []
    for fam, lo, hi in a:
        pieces = [(lo, hi)]
        for bf, blo, bhi in b:
            if bf != fam:
                continue
            nxt = []
            for plo, phi in pieces:
                if bhi < plo or blo > phi:
                    nxt.append((plo, phi))
                    continue
                if plo < blo:
                    nxt.append((plo, blo - 1))
                if bhi < phi:
                    nxt.append((bhi + 1, phi))
            pieces = nxt
        out += [(fam, plo, phi) for plo, phi in pieces]
    return _normal(out)


def _network(text: str) -> Interval:
    net = ipaddress.ip_network(text, strict=False)
    return (net.version, int(net.network_address), int(net.broadcast_address))


def _contains(intervals: tuple[Interval, ...], fam: int, address: int) -> bool:
    i = bisect.bisect_right(intervals, (fam, address, _MAX[6] + 1)) - 1
    return i >= 0 and intervals[i][0] == fam and intervals[i][1] <= address <= intervals[i][2]


@dataclass(frozen=True)
class _Segment:
    fam: int
    lo: int
    hi: int
    score: int         # how many variables hold it
    order: int         # position in the variable's declaration

    def hosts(self) -> Iterator[str]:
        """Ordinary host addresses (no IPv4 .0/.255, no IPv6 ...:0); the others only when a segment
        holds nothing else (a /32 on a .0, say)."""
        cls = ipaddress.IPv4Address if self.fam == 4 else ipaddress.IPv6Address
        last = min(self.hi, self.lo + 4096)
        ordinary = [v for v in range(self.lo, last + 1)
                    if ((v & 0xFF) not in (0, 255) if self.fam == 4 else v & 0xFFFF != 0)]
        for value in ordinary or range(self.lo, last + 1):
            yield str(cls(value))


@dataclass
class Plan:
    """A site plan prepared for role resolution (one per networks.yaml)."""
    networks: Networks
    source: str = "rules/networks.yaml"      # named in error messages
    _sets: dict[str, tuple[Interval, ...]] = field(default_factory=dict)
    _segments: dict[str, tuple[_Segment, ...]] = field(default_factory=dict)
    _hosts: dict[tuple[str, int], list[str]] = field(default_factory=dict)

    # the address set of a variable
    def addresses(self, var: str) -> tuple[Interval, ...]:
        if var not in self._sets:
            self._sets[var] = self._items(self.networks.groups[var])
        return self._sets[var]

    def _items(self, items: tuple[str, ...]) -> tuple[Interval, ...]:
        positive, negative = self.networks.split(items)
        universe = ((4, 0, _MAX[4]), (6, 0, _MAX[6]))
        plus = _normal([i for item in positive for i in self._item(item)]) if positive else universe
        return _minus(plus, _normal([i for item in negative for i in self._item(item)]))

    def _item(self, item: str) -> tuple[Interval, ...]:
        if item == "any":
            return ((4, 0, _MAX[4]), (6, 0, _MAX[6]))
        if item.startswith("$"):
            return self.addresses(item[1:])
        return (_network(item),)

    def _declared(self, var: str) -> list[Interval]:
        """The variable's positive networks in declaration order, nested variables expanded in place."""
        positive, _ = self.networks.split(self.networks.groups[var])
        if not positive:
            return [_network(n) for n in DOCUMENTATION]
        out: list[Interval] = []
        for item in positive:
            if item == "any":
                out += [_network(n) for n in DOCUMENTATION]
            elif item.startswith("$"):
                out += self._declared(item[1:])
            else:
                out.append(_network(item))
        return out

    def segments(self, var: str) -> tuple[_Segment, ...]:
        """Pieces of var with one membership each, best first: fewest other variables, then declared order."""
        if var in self._segments:
            return self._segments[var]
        own = self.addresses(var)
        others = [v for v in self.networks.groups if v != var]
        narrower = [v for v in others if not _minus(self.addresses(v), own) and _minus(own, self.addresses(v))]
        allowed = _minus(own, _normal([i for v in narrower for i in self.addresses(v)]))
        cuts = sorted({(f, x) for v in others for f, lo, hi in self.addresses(v) for x in (lo, hi + 1)})
        seen: tuple[Interval, ...] = ()
        found: list[_Segment] = []
        for order, interval in enumerate(self._declared(var)):
            for fam, lo, hi in _minus(_minus(_normal([interval]), seen), _minus(_normal([interval]), allowed)):
                starts = [lo] + [x for f, x in cuts if f == fam and lo < x <= hi]
                for a, b in zip(starts, starts[1:] + [hi + 1]):
                    score = sum(_contains(self.addresses(v), fam, a) for v in others)
                    found.append(_Segment(fam, a, b - 1, score, order))
            seen = _normal(list(seen) + [interval])
        found.sort(key=lambda s: (s.score, s.order, s.lo))
        self._segments[var] = tuple(found)
        return self._segments[var]

    def hosts(self, var: str, fam: int, count: int) -> list[str]:
        """The first `count` hosts of var in family fam (fewer when the variable is that small)."""
        key = (var, fam)
        known = self._hosts.setdefault(key, [])
        if len(known) < count:
            known.clear()
            for segment in self.segments(var):
                if segment.fam != fam:
                    continue
                for host in segment.hosts():
                    known.append(host)
                    if len(known) >= count:
                        return known[:count]
        return known[:count]

    def families(self, var: str) -> list[int]:
        """Families var has hosts in, its preferred (best segment's) first."""
        return list(dict.fromkeys(s.fam for s in self.segments(var)))


def collect(value: Any, found: list[Role]) -> None:
    """Every role in a traffic argument value (strings, list elements, nested mappings), in order."""
    if isinstance(value, dict):
        for item in value.values():
            collect(item, found)
    elif isinstance(value, (list, tuple)):
        for item in value:
            collect(item, found)
    else:
        role = parse(value)
        if role is not None and role not in found:
            found.append(role)


def assign(roles: list[Role], plan: Plan) -> dict[Role, str]:
    """One address per role, all of one family, distinct roles on distinct hosts."""
    if not roles:
        return {}
    undefined = sorted({r.var for r in roles if r.var not in plan.networks.groups})
    if undefined:
        raise RoleError(", ".join(f"undefined network variable ${v}" for v in undefined))
    usable = {r: set(plan.families(r.var)) for r in roles}
    empty = [r for r in roles if not usable[r]]
    if empty:
        raise RoleError(f"${empty[0].var} has no host outside the variables it contains"
                        f" ({_narrower_note(plan, empty[0].var)})")
    common = set.intersection(*usable.values())
    if not common:
        by_family = {f: [str(r) for r in roles if f in usable[r]] for f in (4, 6)}
        raise RoleError("no address family in which all of " + ", ".join(str(r) for r in roles) +
                        f" have hosts (IPv4: {', '.join(by_family[4]) or 'none'};"
                        f" IPv6: {', '.join(by_family[6]) or 'none'})")
    first = next((r for r in roles if plan.networks.split(plan.networks.groups[r.var])[0]), roles[0])
    preferred = [f for f in plan.families(first.var) if f in common] + sorted(common)
    fam = preferred[0]
    taken: dict[str, Role] = {}
    out: dict[Role, str] = {}
    for role in roles:
        need = role.index + len(taken)
        candidates = [h for h in plan.hosts(role.var, fam, need)
                      if taken.get(h, role).var == role.var]
        if len(candidates) < role.index:
            have = len(plan.hosts(role.var, fam, need))
            raise RoleError(f"{role}: ${role.var} has only {have} IPv{fam} host(s) outside the variables"
                            f" it contains and the case's other roles")
        host = candidates[role.index - 1]
        out[role] = host
        taken[host] = role
    return out


def _narrower_note(plan: Plan, var: str) -> str:
    own = plan.addresses(var)
    narrower = [v for v in plan.networks.groups if v != var
                and not _minus(plan.addresses(v), own) and _minus(own, plan.addresses(v))]
    return "it is empty" if not own else "narrower variables: " + ", ".join("$" + v for v in narrower)


def substitute(value: Any, hosts: dict[Role, str]) -> Any:
    """value with every role replaced by its host (structure and other values unchanged)."""
    if isinstance(value, dict):
        return {k: substitute(v, hosts) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(substitute(v, hosts) for v in value)
    role = parse(value)
    return hosts[role] if role is not None else value


def resolve(args: dict[str, Any], plan: Plan) -> tuple[dict[str, Any], dict[Role, str]]:
    """(args with concrete hosts, role -> host) for one case."""
    roles: list[Role] = []
    collect(args, roles)
    hosts = assign(roles, plan)
    return substitute(args, hosts), hosts


def nested_exclusions(plan: Plan) -> list[tuple[str, str, str]]:
    """(variable, nested variable, range) where a nested variable's `!` item removes addresses that
    the including variable lists through another item. Suricata 7 applies the `!` items of a nested
    group to the whole group (measured: HOME_NET [$IOT_NET, $CORP_NET] with CORP_NET [10.0.0.0/8,
    !10.20.0.0/24] does not match 10.20.0.0/24 even though IOT_NET is 10.20.0.0/24), while the SIEM
    searches and the roles scope it to the nested variable: such a plan would make them disagree."""
    groups, found = plan.networks.groups, []
    for var, items in groups.items():
        positive, _ = plan.networks.split(items)
        for item in positive:
            if not item.startswith("$"):
                continue
            _, excluded = plan.networks.split(groups[item[1:]])
            if not excluded:
                continue
            removed = _normal([i for n in excluded for i in plan._item(n)])
            others = _normal([i for p in positive if p != item for i in plan._item(p)])
            overlap = _minus(removed, _minus(removed, others))
            if overlap:
                fam, lo, hi = overlap[0]
                cls = ipaddress.IPv4Address if fam == 4 else ipaddress.IPv6Address
                span = str(cls(lo)) if lo == hi else f"{cls(lo)}-{cls(hi)}"
                found.append((var, item[1:], span))
    return found
