"""Network variables (rules/networks.yaml): named address groups, nested and negatable."""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path

from harness.rules import yamlsource
from harness.rules.errors import Finding, rel
from harness.rules.model import check_address_item

_NAME = re.compile(r"[A-Z][A-Z0-9_]*")   # fullmatch: `$` would accept a trailing newline
_VARIABLE = re.compile(r"\$([A-Z][A-Z0-9_]*)")


@dataclass(frozen=True)
class Networks:
    """name -> tuple of address items (CIDRs, $VARIABLES, each optionally negated)."""
    groups: dict[str, tuple[str, ...]]

    def references(self, items: tuple[str, ...]) -> list[str]:
        return [m.group(1) for item in items for m in [_VARIABLE.search(item)] if m]

    def split(self, items: tuple[str, ...]) -> tuple[list[str], list[str]]:
        """(positive items, negated items without their '!'). No positive item means 'any'."""
        positive = [i for i in items if not i.startswith("!")]
        negative = [i[1:] for i in items if i.startswith("!")]
        return positive, negative

    def contains(self, items: tuple[str, ...], address: str) -> bool:
        """Suricata semantics: matches a positive item (or there is none) and no negated item."""
        ip = ipaddress.ip_address(address)
        positive, negative = self.split(items)
        return (not positive or any(self._item_contains(i, ip) for i in positive)) and \
            not any(self._item_contains(i, ip) for i in negative)

    def _item_contains(self, item: str, ip) -> bool:
        if item == "any":
            return True
        if item.startswith("$"):
            return self.contains(self.groups[item[1:]], str(ip))
        network = ipaddress.ip_network(item)
        return ip.version == network.version and ip in network


def load(path: Path, root: Path | None = None) -> tuple[Networks | None, list[Finding]]:
    name = rel(path, root)
    try:
        data, lines = yamlsource.load(path, root)
    except FileNotFoundError:
        return None, [Finding(name, 0, "", "network variables file is missing")]
    except yamlsource.YamlSourceError as exc:
        return None, [Finding(name, exc.line, "", exc.message)]
    if not isinstance(data, dict):
        return None, [Finding(name, 1, "", "expected a mapping of VARIABLE: [CIDR, ...]")]
    findings: list[Finding] = []
    groups: dict[str, tuple[str, ...]] = {}
    for var, value in data.items():
        line = yamlsource.line_of(lines, (var,))
        if not isinstance(var, str) or not _NAME.fullmatch(var):
            findings.append(Finding(name, line, str(var), "variable names are UPPER_CASE"))
            continue
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not items or not all(isinstance(i, str) for i in items):
            findings.append(Finding(name, line, var, "expected a non-empty list of address strings"))
            continue
        for index, item in enumerate(items):
            try:
                check_address_item(item)
            except ValueError as exc:
                findings.append(Finding(name, yamlsource.line_of(lines, (var, index)), var, str(exc)))
        groups[var] = tuple(items)
    networks = Networks(groups)
    for var, items in groups.items():
        line = yamlsource.line_of(lines, (var,))
        for ref in networks.references(items):
            if ref not in groups:
                findings.append(Finding(name, line, var, f"undefined network variable ${ref}"))
    findings += _cycles(networks, name, lines)
    if not findings:
        findings += _repeated_references(networks, name, lines)
    return (None if findings else networks), findings


def _cycles(networks: Networks, name: str, lines) -> list[Finding]:
    findings = []
    reported: set[frozenset[str]] = set()   # one finding per cycle, not one per member
    for start in networks.groups:
        stack = [(start, (start,))]
        while stack:
            var, trail = stack.pop()
            for ref in networks.references(networks.groups.get(var, ())):
                if ref == start:
                    if frozenset(trail) not in reported:
                        reported.add(frozenset(trail))
                        cycle = " -> ".join("$" + v for v in trail + (ref,))
                        findings.append(Finding(name, yamlsource.line_of(lines, (start,)), start,
                                                f"cyclic network variable: {cycle}"))
                    stack.clear()
                    break
                if ref in networks.groups and ref not in trail:
                    stack.append((ref, trail + (ref,)))
    return findings


def _first_repeat(networks: Networks, var: str) -> str | None:
    """The first variable reached twice while expanding var, or None."""
    seen: set[str] = set()
    stack = list(networks.references(networks.groups[var]))
    while stack:
        ref = stack.pop()
        if ref in seen:
            return ref
        seen.add(ref)
        stack.extend(networks.references(networks.groups.get(ref, ())))
    return None


def _reachable(networks: Networks, var: str) -> set[str]:
    found: set[str] = set()
    stack = list(networks.references(networks.groups[var]))
    while stack:
        ref = stack.pop()
        if ref not in found:
            found.add(ref)
            stack.extend(networks.references(networks.groups.get(ref, ())))
    return found


def _repeated_references(networks: Networks, name: str, lines) -> list[Finding]:
    """A variable reached twice while resolving another. Suricata 7 rejects some of these as a "loop"
    (measured: [$CAMS,$IOT_NET] with CAMS: [$IOT_NET] fails, the reverse order loads); we reject all,
    since listing a network twice is redundant anyway. Only the innermost offender is reported, not
    every variable that includes it (EXTERNAL_NET: [!$HOME_NET] would otherwise repeat the finding)."""
    repeats = {var: ref for var in networks.groups if (ref := _first_repeat(networks, var))}
    findings = []
    for var, ref in repeats.items():
        if any(inner in repeats for inner in _reachable(networks, var)):
            continue
        findings.append(Finding(name, yamlsource.line_of(lines, (var,)), var,
                                f"${ref} is reached twice while resolving ${var}; Suricata 7 can reject this"
                                " as a loop: name each network once"))
    return findings
