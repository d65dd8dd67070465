"""A test case may replay a real capture (pcaps/<path>) instead of a generator."""
from __future__ import annotations

import json

from generators.pcapio import write_pcap
from harness.cli import main
from harness.cases.pcaps import generate
from tests.tmp_project import GOOD_RULE, good_rule_text, write_lock, write_rule

CAPTURE_CASES = """\
  - name: captured admin login
    traffic: {pcap: captures/admin-login.pcap}
    expect: {alerts: 1}
"""


def _with_capture_case(root):
    write_rule(root, GOOD_RULE, good_rule_text(("tests:\n", "tests:\n" + CAPTURE_CASES)))
    write_lock(root)


def test_a_captured_pcap_is_replayed_like_a_generated_one(tmp_project, capsys):
    _with_capture_case(tmp_project)
    write_pcap(generate("mqtt.connect", {"username": "admin"}, root=tmp_project), tmp_project / "pcaps" / "captures" / "admin-login.pcap")
    assert main(["--root", str(tmp_project), "pcaps"]) == 0
    assert main(["--root", str(tmp_project), "test"]) == 0
    assert "3 passed, 0 failed" in capsys.readouterr().err
    # the capture is not a generator output: `pcaps --check` leaves it alone
    assert main(["--root", str(tmp_project), "pcaps", "--check"]) == 0


def test_a_capture_that_does_not_fire_fails_its_case(tmp_project, capsys):
    _with_capture_case(tmp_project)
    write_pcap(generate("mqtt.connect", root=tmp_project), tmp_project / "pcaps" / "captures" / "admin-login.pcap")
    assert main(["--root", str(tmp_project), "pcaps"]) == 0
    assert main(["--root", str(tmp_project), "test"]) == 1
    assert "expected 1 alerts, got 0" in capsys.readouterr().err


def test_a_missing_capture_is_a_finding_on_the_rule(tmp_project, capsys):
    _with_capture_case(tmp_project)
    assert main(["--root", str(tmp_project), "validate"]) == 2
    err = capsys.readouterr().err
    assert f"{GOOD_RULE}:" in err and "[tests.traffic.pcap] capture pcaps/captures/admin-login.pcap does not exist" in err


# -- host maps: a capture taken elsewhere follows the site plan --------------------------------------

MAPPED_CASES = """\
  - name: captured admin login
    traffic: {pcap: captures/elsewhere.pcap, hosts: {172.31.7.9: $IOT_NET, 172.31.7.254: $MQTT_BROKERS}}
    expect: {alerts: 1}
  - name: captured admin login kept on its own addresses
    traffic: {pcap: captures/elsewhere.pcap}
    expect: {alerts: 0}
"""
DUAL_STACK = """\
IOT_NET: ["fd00:200::/64"]
OT_NET: [192.168.210.0/24]
CORP_NET: [10.0.0.0/8, "fd00:c0::/48"]
MGMT_NET: [10.10.0.0/24]
MQTT_BROKERS: ["fd00:200::2"]
HOME_NET: [$IOT_NET, $OT_NET, $CORP_NET]
EXTERNAL_NET: ["!$HOME_NET"]
"""


def _capture_from_elsewhere(root):
    """An admin login captured on another site's addresses (172.31.7.9 -> broker 172.31.7.254)."""
    from harness.rules.networks import Networks
    from harness.cases.roles import Plan
    plan = Plan(Networks({"IOT_NET": ("172.31.7.9",), "MQTT_BROKERS": ("172.31.7.254",)}))
    write_pcap(generate("mqtt.connect", {"username": "admin"}, plan), root / "pcaps" / "captures" / "elsewhere.pcap")
    write_rule(root, GOOD_RULE, good_rule_text(("tests:\n", "tests:\n" + MAPPED_CASES)))
    write_lock(root)


def test_a_mapped_capture_is_rewritten_onto_the_plan(tmp_project, capsys):
    _capture_from_elsewhere(tmp_project)
    assert main(["--root", str(tmp_project), "pcaps"]) == 0
    assert main(["--root", str(tmp_project), "test"]) == 0
    assert "4 passed, 0 failed" in capsys.readouterr().err


def test_a_v4_capture_replays_on_a_v6_plan(tmp_project, tmp_path, capsys):
    _capture_from_elsewhere(tmp_project)
    plan = tmp_path / "dual.yaml"
    plan.write_text(DUAL_STACK)
    assert main(["--root", str(tmp_project), "test", "--networks", str(plan), "--keep", str(tmp_path / "eve")]) == 0
    assert "4 passed, 0 failed" in capsys.readouterr().err
    import ipaddress
    import json
    eve = tmp_path / "eve" / "cases" / "mqtt-admin-login" / "captured-admin-login" / "eve.json"
    alerts = [json.loads(line) for line in eve.read_text().splitlines() if '"event_type":"alert"' in line]
    pairs = [(ipaddress.ip_address(a["src_ip"]) in ipaddress.ip_network("fd00:200::/64"),
              ipaddress.ip_address(a["dest_ip"])) for a in alerts]
    assert pairs == [(True, ipaddress.ip_address("fd00:200::2"))]
    assert list((tmp_project / ".iotdetect-cache" / "plans").iterdir())                 # the plan's traffic is cached


def test_a_host_map_that_would_mix_families_names_the_address(tmp_project, tmp_path, capsys):
    _capture_from_elsewhere(tmp_project)
    rule = tmp_project / GOOD_RULE
    rule.write_text(rule.read_text().replace(", 172.31.7.254: $MQTT_BROKERS", ""))
    write_lock(tmp_project)
    plan = tmp_path / "dual.yaml"
    plan.write_text(DUAL_STACK)
    assert main(["--root", str(tmp_project), "test", "--networks", str(plan)]) == 2
    err = capsys.readouterr().err
    assert f"{GOOD_RULE}:" in err and "would mix IPv4 and IPv6" in err and "map 172.31.7.254 in hosts" in err


def test_a_host_map_role_the_plan_lacks_is_a_validate_error(tmp_project, capsys):
    _capture_from_elsewhere(tmp_project)
    rule = tmp_project / GOOD_RULE
    rule.write_text(rule.read_text().replace("172.31.7.254: $MQTT_BROKERS", "172.31.7.254: $BROKERS"))
    write_lock(tmp_project)
    assert main(["--root", str(tmp_project), "validate", "--no-siem"]) == 2
    assert "undefined network variable $BROKERS" in capsys.readouterr().err


def test_pcap_check_answers_are_kept_by_content_and_a_changed_or_damaged_entry_is_checked_again(tmp_path):
    """harness/cases/pcapcheck.py remembers captures that passed under their bytes' sha256
    (.iotdetect-cache/pcap-checks.json): a capture cut short afterwards is reported, and a damaged
    cache file is only a slower run."""
    from generators.pcapio import write_pcap
    from harness.cases import pcapcheck
    from harness.cases.pcaps import generate
    from harness.rules.project import CACHE

    class Ref:   # the part of a CaseRef the check reads
        traffic = type("Traffic", (), {"generator": None})()

        def __init__(self, path):
            self.path = path

        def pcap_path(self, *_):
            return self.path

        def pcap_name(self, *_):
            return str(self.path)

        def error_location(self, root, *key):
            return "rules/x.yaml", 7

    pcap = tmp_path / "capture.pcap"
    write_pcap(generate("tcp.syn_scan", {"src": "10.1.1.50", "dst": "192.168.200.10", "dports": [22, 23]}), pcap)
    refs = [Ref(pcap)]
    assert pcapcheck.case_findings(refs, tmp_path, tmp_path, tmp_path) == []
    cache = tmp_path / CACHE / pcapcheck.CACHE_NAME
    assert list(json.loads(cache.read_text()).values()) == [4]
    pcap.write_bytes(pcap.read_bytes()[:-5])                       # its bytes change: checked again
    [finding] = pcapcheck.case_findings(refs, tmp_path, tmp_path, tmp_path)
    assert "cut short" in finding.message and finding.line == 7
    for damaged in ("{not json", '["a list"]', json.dumps({"0" * 64: "four"})):
        cache.write_text(damaged)
        [finding] = pcapcheck.case_findings(refs, tmp_path, tmp_path, tmp_path)
        assert "cut short" in finding.message
