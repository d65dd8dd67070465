"""What each rule of the pack needs from a sensor's suricata.yaml to load and behave as tested."""
from __future__ import annotations

import re
from dataclasses import dataclass

from harness.backends.detection_ports import PORT_BOUND
from harness.backends.suricata import SuricataBackend, address_groups
from harness.rules.loader import RuleSet
from harness.backends.logic import hunt_plan

TRANSPORTS = frozenset({"ip", "tcp", "udp", "icmp", "tcp-pkt", "tcp-stream"})
# Parsers Suricata 7 leaves off when suricata.yaml does not mention them (the others default on).
OFF_BY_DEFAULT = frozenset({"modbus", "dnp3", "enip"})
# The settings the harness proves the rules with, which `sensor configure` writes for a parser it
# has to add from nothing (templates/suricata_harness.yaml.j2).
PARSER_SETTINGS = {name: {"detection-ports": PORT_BOUND[name].detection_ports} for name in OFF_BY_DEFAULT}
PARSER_SETTINGS["modbus"]["stream-depth"] = "0"
SITE_GROUPS = ("HOME_NET", "EXTERNAL_NET")   # the site's own; configure adds them only when absent or asked
_VAR = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class RuleNeeds:
    rule_id: str
    sid: int
    address_vars: tuple[str, ...]    # $VARS in the rule header's addresses
    port_vars: tuple[str, ...]       # ... and in its ports
    parser: str | None               # app-layer parser the rule inspects
    eve_types: tuple[str, ...]       # EVE event types its SIEM searches read
    threshold: bool


@dataclass(frozen=True)
class PackNeeds:
    rules: tuple[RuleNeeds, ...]
    groups: tuple[tuple[str, str], ...]     # the pack's address groups, rules/networks.yaml order-sorted

    def group_value(self, name: str) -> str | None:
        return dict(self.groups).get(name)


def _header_vars(rule_text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """($VARS of the addresses, $VARS of the ports) of `action proto src sport dir dst dport (`."""
    _, _, source, source_port, _, destination, destination_port = rule_text.split("(", 1)[0].split()
    return (tuple(dict.fromkeys(_VAR.findall(source + " " + destination))),
            tuple(dict.fromkeys(_VAR.findall(source_port + " " + destination_port))))


def pack_needs(ruleset: RuleSet) -> PackNeeds:
    backend = SuricataBackend()
    rules = []
    for source in sorted(ruleset.active(), key=lambda s: s.rule.sid):
        rule = source.rule
        protocol = rule.detection.protocol
        plan, _ = hunt_plan(rule)
        eve = ("alert",) + ((plan.event_type,) if plan else ())
        rules.append(RuleNeeds(rule.id, rule.sid, *_header_vars(backend.compile(rule)),
                               None if protocol in TRANSPORTS else protocol, eve, rule.detection.threshold is not None))
    return PackNeeds(tuple(rules), tuple(address_groups(ruleset.networks)))


def referenced(value: str) -> list[str]:
    return _VAR.findall(value)
