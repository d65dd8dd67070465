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
from harness.rules.model import Rule
from harness.rules.networks import Networks
from harness.templating import environment

Output = TypeVar("Output", covariant=True)


class Untranslatable(ValueError):
    """A part of the logic tree the language cannot express (then the rule has no hunt there, with why)."""


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
                return self.port_range(column, low, high)
            case L.Match():
                return self.match(node)
        raise TypeError(f"unknown node {node!r}")

    def in_network(self, name: str, ip: str) -> str:
        """A call of the network variable's macro/function (defined once per site, outside the query)."""
        return self.network_call.format(prefix=self.network_prefix, name=name, ip=ip)

    def port_range(self, column: str, low: int, high: int) -> str:
        return (self.port_equals if low == high else self.port_between).format(column=self.column(column), low=low,
                                                                               high=high)

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


class TemplateBackend:
    """`compile` for the SIEM backends, written once: the alert template, then the hunt plan's
    conditions through the language's renderer into the hunt template (<name>_alert.j2, <name>_hunt.j2).
    A backend supplies its renderer and the template values only it knows."""
    name: ClassVar[str]
    title: ClassVar[str]

    def renderer(self, networks: Networks, settings: SiemSettings) -> TextRenderer:
        raise NotImplementedError

    def common(self, rule: Rule, settings: SiemSettings) -> dict:
        """Values both templates use (where EVE lives, the rule's id, sid, title literal)."""
        raise NotImplementedError

    def hunt_values(self, plan: L.HuntPlan, renderer: TextRenderer, networks: Networks,
                    settings: SiemSettings) -> dict:
        """Extra values of the hunt template (event time, definitions the query carries)."""
        return {}

    def compile(self, rule: Rule, networks: Networks, settings: SiemSettings) -> SiemQueries:
        env = environment()
        common = self.common(rule, settings)
        alert = env.get_template(f"{self.name}_alert.j2").render(**common).strip()
        plan, reason = L.hunt_plan(rule)
        if plan is None:
            return SiemQueries(alert, None, reason)
        renderer = self.renderer(networks, settings)
        try:
            where = [renderer.expr(c) for c in L.conjuncts(plan.where)]
        except Untranslatable as exc:
            return SiemQueries(alert, None, f"not expressible in {self.title}: {exc}")
        hunt = env.get_template(f"{self.name}_hunt.j2").render(
            event_type=plan.event_type, where=where, threshold=plan.threshold,
            **self.hunt_values(plan, renderer, networks, settings), **common).strip()
        return SiemQueries(alert, hunt, None)
