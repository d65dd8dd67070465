"""Port groups in the rule headers of protocols Suricata detects only on configured ports
(backends/detection_ports): the header the backend writes, what `sensor check` says when a group
leaves out a detection port, how `sensor configure` mends it, and the real Suricata showing why
it matters (Modbus on a second port is parsed, but only looked at once the group holds it)."""
from __future__ import annotations

import collections
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from generators import modbus
from generators.pcapio import write_pcap
from harness.backends.detection_ports import PORT_BOUND
from harness.backends.suricata import SuricataBackend, header_ports
from harness.rules.loader import load_project
from harness.rules.project import Project
from harness.sensor import check, configure
from harness.sensor.conf import load_view
from harness.sensor.needs import pack_needs
from harness.sensor.ports import detection_ports, ports_of
from harness.suricata.ruleset import compile_rules
from harness.suricata.workspace import write_harness_config

ROOT = Path(__file__).resolve().parents[1]
WRITE = "modbus-write-non-engineering"


@pytest.fixture(scope="module")
def ruleset():
    return load_project(Project(ROOT))


def _rule(ruleset, rule_id):
    return next(s.rule for s in ruleset.sources if s.rule.id == rule_id)


def _with_detection(rule, **changes):
    return rule.model_copy(update={"detection": rule.detection.model_copy(update=changes)})


@pytest.mark.parametrize("value, expected", [
    ("502", {502}), ('"[502, 5020]"', {502, 5020}), ("[502,[5020,5021]]", {502, 5020, 5021}),
    ("1000:1002", {1000, 1001, 1002}), ("65534:", {65534, 65535}), ("$OTHER", {20000}),
    ("[$OTHER,502]", {502, 20000}),
])
def test_ports_of_reads_suricata_port_syntax(value, expected):
    assert ports_of(value, {"OTHER": "20000"}) == frozenset(expected)


@pytest.mark.parametrize("value", ["!502", "[502,!503]", "$UNDEFINED", "$LOOP", "http", ":"])
def test_ports_of_says_when_it_cannot_tell(value):
    assert ports_of(value, {"LOOP": "$LOOP"}) is None


def test_header_names_the_port_group_on_the_servers_side(ruleset):
    write = _rule(ruleset, WRITE)
    assert header_ports(write) == ("any", "$MODBUS_PORTS")
    line = SuricataBackend().compile(write)
    assert line.startswith("alert modbus [any,!$ENGINEERING_HOSTS] any -> any $MODBUS_PORTS (")
    responses = _with_detection(write, flow=("established", "to_client"))
    assert header_ports(responses) == ("$MODBUS_PORTS", "any")
    assert header_ports(_with_detection(write, flow=("established", "from_client"))) == ("any", "$MODBUS_PORTS")
    # What the rule says itself stays: a port it names, both directions, a rule without a side.
    named = write.detection.destination_port.model_copy(update={"items": ("5020",)})
    assert header_ports(_with_detection(write, destination_port=named)) == ("any", "5020")
    assert header_ports(_with_detection(write, bidirectional=True)) == ("any", "any")
    assert header_ports(_with_detection(write, flow=("established",))) == ("any", "any")


def test_every_rule_of_a_port_bound_protocol_names_its_group_and_no_other_does(ruleset):
    compiled = compile_rules(ruleset).text.splitlines()
    for line in compiled:
        if not line.startswith("alert "):
            continue
        protocol, header = line.split()[1], line.split("(", 1)[0]
        named = {bound.group for bound in PORT_BOUND.values() if f"${bound.group}" in header}
        assert named == ({PORT_BOUND[protocol].group} if protocol in PORT_BOUND else set()), line[:120]


def _harness_config(ruleset, folder: Path, modbus_ports: str | None = None, enip_group: bool = True) -> Path:
    """The harness's own suricata.yaml, Modbus detected on `modbus_ports` and ENIP_PORTS dropped
    when asked."""
    path = write_harness_config(ruleset, folder)
    text = path.read_text()
    if modbus_ports:
        text = text.replace('detection-ports: {"dp": "502"}', f'detection-ports: {{"dp": "{modbus_ports}"}}')
    if not enip_group:
        text = text.replace('    ENIP_PORTS: "44818"\n', "")
    path.write_text(text)
    return path


def test_harness_config_passes_and_its_detection_ports_are_the_groups(ruleset, tmp_path):
    config = _harness_config(ruleset, tmp_path)
    view = load_view(config)
    assert check.check_port_vars(view, pack_needs(ruleset)) == []
    for bound in PORT_BOUND.values():
        assert detection_ports(view, bound.protocol) == frozenset(bound.dp)


def test_check_names_the_detection_port_a_group_leaves_out_and_configure_adds_it(ruleset, tmp_path):
    needs = pack_needs(ruleset)
    config = _harness_config(ruleset, tmp_path, modbus_ports="502, 5020")
    [finding] = check.check_port_vars(load_view(config), needs)
    assert (finding.level, finding.kind, finding.subject) == ("error", "port-var", "MODBUS_PORTS")
    assert "leaves out port(s) 5020" in finding.message and WRITE in finding.rules
    plan = configure.plan(config, needs, "test")
    assert plan.changes == ("vars.port-groups.MODBUS_PORTS: set to [502,5020]",)
    configure.write(plan)
    assert check.check_port_vars(load_view(config), needs) == []
    assert configure.plan(config, needs, "test").changes == ()


def test_check_and_configure_a_missing_group(ruleset, tmp_path):
    needs = pack_needs(ruleset)
    config = _harness_config(ruleset, tmp_path, enip_group=False)
    [finding] = check.check_port_vars(load_view(config), needs)
    assert (finding.level, finding.subject) == ("error", "ENIP_PORTS") and "not defined" in finding.message
    assert all(rule.startswith("enip-") for rule in finding.rules) and len(finding.rules) == 9
    plan = configure.plan(config, needs, "test")
    assert plan.changes == ("vars.port-groups: add ENIP_PORTS",)
    assert '    ENIP_PORTS: "44818"' in plan.after.splitlines()
    configure.write(plan)
    assert check.check_port_vars(load_view(config), needs) == []


def _modbus_writes(path: Path) -> Path:
    """One Modbus write from a corporate host to a PLC on 502, one to another PLC on 5020."""
    packets = modbus.write_register(src="10.0.0.7", dst="192.168.210.20", dport=502)
    packets += modbus.write_register(src="10.0.0.8", dst="192.168.210.21", dport=5020, start=1_700_000_100.0)
    return write_pcap(packets, path)


def _write_alerts(ruleset, config: Path, pcap: Path, out: Path) -> list[int]:
    """Destination ports of the Modbus write rule's alerts, the real Suricata on `config`."""
    rules = out / "iotdetect.rules"
    out.mkdir(parents=True)
    rules.write_text(compile_rules(ruleset).text)
    run = subprocess.run(["suricata", "-c", str(config), "-S", str(rules), "-r", str(pcap), "-l", str(out),
                          "-k", "none", "--runmode", "single"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    sid = _rule(ruleset, WRITE).sid
    records = [json.loads(line) for line in (out / "eve.json").read_text().splitlines()]
    return sorted(r["dest_port"] for r in records if r.get("event_type") == "alert" and r["alert"]["signature_id"] == sid)


@pytest.mark.skipif(not shutil.which("suricata"), reason="needs Suricata")
def test_suricata_looks_at_a_second_detection_port_once_the_group_holds_it(ruleset, tmp_path):
    pcap = _modbus_writes(tmp_path / "writes.pcap")
    # Detected on 502 only (Suricata's default): the 5020 flow is not Modbus to Suricata at all.
    assert _write_alerts(ruleset, _harness_config(ruleset, tmp_path / "default"), pcap, tmp_path / "a") == [502]
    # Detected on 5020 too, the group still 502: parsed as Modbus there, but the rule never looks.
    widened = _harness_config(ruleset, tmp_path / "widened", modbus_ports="502, 5020")
    assert _write_alerts(ruleset, widened, pcap, tmp_path / "b") == [502]
    assert collections.Counter(f.subject for f in check.check_port_vars(load_view(widened), pack_needs(ruleset))) \
        == {"MODBUS_PORTS": 1}
    # After `sensor configure`: the group holds 5020 and the write there alerts too.
    configure.write(configure.plan(widened, pack_needs(ruleset), "test"))
    assert _write_alerts(ruleset, widened, pcap, tmp_path / "c") == [502, 5020]


def test_configure_will_not_claim_to_widen_a_group_an_include_defines(ruleset, tmp_path):
    config = _harness_config(ruleset, tmp_path, modbus_ports="502, 5020")
    text = config.read_text().replace('    MODBUS_PORTS: "502"\n', "    include: ports.yaml\n")
    config.write_text(text)
    (tmp_path / "ports.yaml").write_text('%YAML 1.1\n---\nMODBUS_PORTS: "502"\n')
    assert check.check_port_vars(load_view(config), pack_needs(ruleset))[0].subject == "MODBUS_PORTS"
    with pytest.raises(configure.ConfigError, match=r"MODBUS_PORTS comes from an included file; set it to \[502,5020\]"):
        configure.plan(config, pack_needs(ruleset), "test")
