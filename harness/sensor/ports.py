"""The port groups the pack's rule headers name (backends/detection_ports) against a sensor's
suricata.yaml: each must be defined, and must hold every port the sensor detects its protocol on,
or Suricata parses that protocol on a port where the rules never look."""
from __future__ import annotations

import re

from harness.backends.detection_ports import PORT_BOUND, port_list
from harness.sensor.conf import View, lookup
from harness.sensor.needs import PackNeeds

ALL_PORTS = frozenset(range(65536))
GROUP_OF = {bound.group: bound for bound in PORT_BOUND.values()}


def var_groups(view: View, section: str) -> dict[str, str]:
    """vars.<section> (address-groups, port-groups) as name -> value text."""
    groups = lookup(view.tree, "vars", section)
    return {k: ("" if v is None else str(v)) for k, v in groups.items()} if isinstance(groups, dict) else {}


def compact(value: str) -> str:
    """A group's value without quotes or whitespace, as Suricata reads it."""
    return re.sub(r"\s+", "", str(value).strip().strip('"').strip("'"))


def _items(text: str) -> list[str]:
    """The top-level items of a Suricata port list: `[502,[5020,5021]]` -> ['502', '[5020,5021]']."""
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    items, depth, start = [], 0, 0
    for index, char in enumerate(text):
        depth += {"[": 1, "]": -1}.get(char, 0)
        if char == "," and depth == 0:
            items.append(text[start:index])
            start = index + 1
    return items + [text[start:]]


def ports_of(value: str, groups: dict[str, str], seen: frozenset[str] = frozenset()) -> frozenset[int] | None:
    """The ports a port-group value (Suricata's port syntax) stands for; None when that cannot be
    told here (a negation, an undefined or circular variable, something that is not a port)."""
    text = compact(value)
    ports: set[int] = set()
    for item in _items(text):
        if item.startswith("["):
            found = ports_of(item, groups, seen)
        elif item.startswith("$"):
            name = item[1:]
            found = None if name in seen or name not in groups else ports_of(groups[name], groups, seen | {name})
        elif item == "any":
            found = ALL_PORTS
        elif re.fullmatch(r"\d*:\d*", item) and item != ":":
            low, high = item.split(":")
            found = frozenset(range(int(low or 0), int(high or 65535) + 1))
        elif item.isdigit():
            found = frozenset({int(item)})
        else:
            found = None
        if found is None:
            return None
        ports |= found
    return frozenset(ports)


def detection_ports(view: View, protocol: str) -> frozenset[int] | None:
    """The server ports (`dp`) the config detects the protocol on; Suricata's defaults when the
    config names none."""
    value = lookup(view.tree, "app-layer", "protocols", protocol, "detection-ports", "dp")
    if value is None:
        return frozenset(PORT_BOUND[protocol].dp)
    return ports_of(str(value), {})


def wanted_port_groups(view: View, needs: PackNeeds) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(groups to add, groups to widen) as (name, value) for `sensor configure`: a missing group gets
    the ports the config detects its protocol on, a group that leaves some out gets them added."""
    defined = var_groups(view, "port-groups")
    add, widen = [], []
    for name in sorted({v for rule in needs.rules for v in rule.port_vars}):
        bound = GROUP_OF.get(name)
        detected = detection_ports(view, bound.protocol) if bound else None
        if name not in defined:
            if bound is not None:
                add.append((name, port_list(detected or bound.dp)))
            continue
        held = ports_of(defined[name], defined)
        if held is not None and detected is not None and detected - held:
            current = compact(defined[name])
            widen.append((name, "[" + ",".join(_items(current) + sorted(map(str, detected - held), key=int)) + "]"))
    return add, widen
