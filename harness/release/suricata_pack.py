"""The Suricata pack: rules, address-group vars, sid-msg.map, the operator README and a tarball
suricata-update accepts as a source."""
from __future__ import annotations

import io
from collections import defaultdict
from pathlib import Path

import idstools.rule

from harness.backends.detection_ports import port_groups
from harness.backends.suricata import render_vars
from harness.suricata.ruleset import RULES_FILENAME, compile_rules
from harness.rules.loader import RuleSet
from harness.formats.archive import tar_gz
from harness.sensor.needs import SITE_GROUPS, PackNeeds, pack_needs
from harness.templating import environment

VARS_FILENAME = "iotdetect-vars.yaml"
FRAGMENT_FILENAME = "iotdetect-address-groups.yaml"
PORTS_FRAGMENT_FILENAME = "iotdetect-port-groups.yaml"


def sid_msg_map(rules_text: str) -> str:
    """v2 sid-msg.map (gid || sid || rev || classtype || priority || msg || refs), lines written by
    idstools. barnyard2 reads a file as v2 only when its first line is `#v2`; without it, it takes
    the v1 layout (sid || msg) and reads the gid, 1, as every rule's sid."""
    rules = sorted(idstools.rule.parse_fileobj(io.StringIO(rules_text)), key=lambda r: (r.gid, r.sid))
    return "#v2\n" + "".join(idstools.rule.format_sidmsgmap_v2(rule) + "\n" for rule in rules)


def tarball_name(release: str) -> str:
    return f"iotdetect-{release}.rules.tar.gz"


def address_groups_fragment(needs: PackNeeds, release: str) -> str:
    return environment().get_template("suricata_groups_fragment.yaml.j2").render(
        version=release, groups=[(n, v) for n, v in needs.groups if n not in SITE_GROUPS],
        filename=FRAGMENT_FILENAME, section="address-groups", example='HOME_NET: "[...]"',
        what="the address groups the pack's rules use (from rules/networks.yaml),\n# without HOME_NET/EXTERNAL_NET,"
             " which stay your site's own.")


def port_groups_fragment(release: str) -> str:
    return environment().get_template("suricata_groups_fragment.yaml.j2").render(
        version=release, groups=port_groups(), filename=PORTS_FRAGMENT_FILENAME,
        section="port-groups", example='HTTP_PORTS: "80"',
        what="the port groups the pack's rule headers name: the ports Suricata detects their\n# protocols on."
             " Each must hold every port app-layer.protocols.<name>.detection-ports has.")


def readme(needs: PackNeeds, release: str) -> str:
    eve: dict[str, list[str]] = defaultdict(list)
    for rule in needs.rules:
        for event_type in rule.eve_types[1:]:
            eve[event_type].append(rule.rule_id)
    rows = []
    for rule in needs.rules:
        parts = [f"${v}" for v in rule.address_vars + rule.port_vars] + ([f"{rule.parser} parser"] if rule.parser else []) \
            + [f"EVE {t}" for t in rule.eve_types[1:]] + (["threshold"] if rule.threshold else [])
        rows.append({"sid": rule.sid, "rule_id": rule.rule_id, "needs": ", ".join(parts) or "-"})
    return environment().get_template("suricata_readme.md.j2").render(
        version=release, rules=rows, tarball=tarball_name(release), fragment=FRAGMENT_FILENAME,
        ports_fragment=PORTS_FRAGMENT_FILENAME, port_groups=port_groups(),
        pack_groups=[n for n, _ in needs.groups if n not in SITE_GROUPS], eve_needs=sorted(eve.items()),
        threshold_rules=[r for r in needs.rules if r.threshold])


def stage(ruleset: RuleSet, folder: Path, release: str, mtime: int) -> None:
    target = folder / "suricata"
    target.mkdir(parents=True)
    text = compile_rules(ruleset, release).text
    needs = pack_needs(ruleset)
    files = {RULES_FILENAME: text, VARS_FILENAME: render_vars(ruleset.networks, release),
             FRAGMENT_FILENAME: address_groups_fragment(needs, release),
             PORTS_FRAGMENT_FILENAME: port_groups_fragment(release), "sid-msg.map": sid_msg_map(text),
             "README.md": readme(needs, release)}
    for name, content in files.items():
        (target / name).write_text(content, encoding="utf-8")
    # suricata-update reads every *.rules member of a source archive; rules/ is the ET/Snort layout.
    members = {f"rules/{name}": content.encode() for name, content in files.items() if name != "README.md"}
    (target / tarball_name(release)).write_bytes(tar_gz(members, mtime))
