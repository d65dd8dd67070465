"""A test case may replay a real capture (pcaps/<path>) instead of a generator."""
from __future__ import annotations

from generators.pcapio import write_pcap
from harness.cli import main
from harness.pcaps import generate
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
