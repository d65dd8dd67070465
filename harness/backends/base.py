"""The one interface every target implements, and the one renderer of the logic tree.

A backend turns a validated rule into its target's text: `compile(rule, networks, settings)`.
Suricata returns one rule line; each SIEM backend returns its alert and hunt searches (`SiemQueries`).
Facts about a language (its name, how it comments, its file suffix) are class attributes, so the
golden files, the build stage and `show` read them from the backend instead of keeping their own tables.

`TextRenderer.expr` is the only recursion over the logic tree (harness/backends/logic.py). A
language subclasses it and supplies tokens (how AND, OR, NOT, a port range, a network call are
written) and the leaves that cannot be tokens (a field reference, a CIDR test, literal values),
the idea of pySigma's TextQueryBackend on our frozen tree.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol, TypeVar

from harness.backends import logic as L
from harness.backends.settings import SiemQueries, SiemSettings
from harness.model import Rule
from harness.networks import Networks

Output = TypeVar("Output", covariant=True)


class Backend(Protocol[Output]):
    name: ClassVar[str]          # registry key, also the build folder and the file suffix
    title: ClassVar[str]         # shown by `iotdetect show`
    lexer: ClassVar[str]         # pygments lexer for `show`

    def compile(self, rule: Rule, networks: Networks, settings: SiemSettings) -> Output: ...


class SiemBackend(Backend[SiemQueries], Protocol):
    comment: ClassVar[str]       # a one-line comment in the language, "{}" for the text
    published: ClassVar[bool]    # shipped to users (build, golden files, dist); False: proof only


@dataclass(frozen=True)
class TextRenderer:
    """Renders a logic-tree expression; subclasses set the tokens and the leaf methods."""
    network_prefix: str          # network variable NAME is the macro/function <prefix>NAME

    true: ClassVar[str]
    and_: ClassVar[str]
    or_: ClassVar[str]
    group: ClassVar[str] = "({})"
    not_group: ClassVar[str]     # NOT of an already parenthesised All/AnyOf
    not_item: ClassVar[str]      # NOT of anything else
    network_call: ClassVar[str] = "{prefix}{name}({ip})"
    port_equals: ClassVar[str]   # {column} {low}
    port_between: ClassVar[str]  # {column} {low} {high}
    fold_field: ClassVar[str | None] = "lower({})"   # None: the operator itself folds (see `operators`)
    # op -> template with {field} and {value}; a pair is (case-sensitive, folded). "exists_int" is
    # `exists` on an integer field.
    operators: ClassVar[dict[str, str | tuple[str, str]]]

    def expr(self, node: L.Expr) -> str:
        match node:
            case L.Always():
                return self.true
            case L.All(items):
                return self.group.format(self.and_.join(self.expr(i) for i in items))
            case L.AnyOf(items):
                return self.group.format(self.or_.join(self.expr(i) for i in items))
            case L.Not(item):
                template = self.not_group if isinstance(item, (L.All, L.AnyOf)) else self.not_item
                return template.format(self.expr(item))
            case L.InNetwork(name, ip):
                return self.in_network(name, ip)
            case L.InCidrs(cidrs, ip):
                return self.cidrs(cidrs, ip)
            case L.PortRange(column, low, high):
                return (self.port_equals if low == high else self.port_between).format(
                    column=self.column(column), low=low, high=high)
            case L.Match():
                return self.match(node)
        raise TypeError(f"unknown node {node!r}")

    def in_network(self, name: str, ip: str) -> str:
        """A call of the network variable's macro/function (defined once per site, outside the query)."""
        return self.network_call.format(prefix=self.network_prefix, name=name, ip=ip)

    def column(self, name: str) -> str:
        """A top-level EVE column (src_ip, dest_port) as the language names it."""
        return name

    def cidrs(self, cidrs: tuple[str, ...], ip: str) -> str:
        tests = [self.cidr(c, ip) for c in cidrs]
        return tests[0] if len(tests) == 1 else self.group.format(self.or_.join(tests))

    def match(self, node: L.Match) -> str:
        target = self.field(node.field)
        if node.fold and self.fold_field:
            target = self.fold_field.format(target)
        op = "exists_int" if node.op == "exists" and node.field.type == "int" else node.op
        template = self.operators[op]
        if isinstance(template, tuple):
            template = template[1 if node.fold else 0]
        return template.format(field=target, value=self.operand(node.op, node.value))

    def operand(self, op: str, value: object) -> str:
        if op == "exists":
            return ""
        if op == "in":
            return ", ".join(self.value(v) for v in value)
        if op in ("gt", "lt"):
            return str(int(value))
        if op == "regex":
            return self.string(str(value))
        return self.value(value)

    def value(self, value: object) -> str:
        """A scalar literal: integers as digits, anything else as a string."""
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else self.string(str(value))

    # --- leaves each language writes ---------------------------------------------------------------
    def field(self, ref: L.Ref) -> str:
        raise NotImplementedError

    def cidr(self, cidr: str, ip: str) -> str:
        raise NotImplementedError

    def string(self, text: str) -> str:
        raise NotImplementedError
