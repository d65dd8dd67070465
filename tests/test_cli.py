"""CLI exit codes CI relies on (0 ok, 1 test failures, 2 invalid rules, 3 environment) and
`validate FILE` reporting only that file's findings."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from harness.cli import EXIT_ENVIRONMENT, EXIT_FAILED, EXIT_INVALID, EXIT_OK, main
from tests.tmp_project import GOOD_RULE, good_rule_text, write_lock, write_rule

SECOND = "rules/iot/second-rule.yaml"


def _second_rule(*extra):
    return good_rule_text(("id: mqtt-admin-login", "id: second-rule"), ("sid: 9100900", "sid: 9100901"), *extra)


def test_exit_codes_are_distinct():
    assert len({EXIT_OK, EXIT_FAILED, EXIT_INVALID, EXIT_ENVIRONMENT}) == 4
    assert (EXIT_OK, EXIT_FAILED, EXIT_INVALID, EXIT_ENVIRONMENT) == (0, 1, 2, 3)


def test_ok(tmp_project, capsys):
    assert main(["--root", str(tmp_project), "validate"]) == EXIT_OK
    assert "1 rules valid" in capsys.readouterr().out
    assert main(["--root", str(tmp_project), "pcaps"]) == EXIT_OK
    assert main(["--root", str(tmp_project), "pcaps", "--check"]) == EXIT_OK
    assert main(["--root", str(tmp_project), "test", "--engine", "process"]) == EXIT_OK


def test_failing_case_exits_1_and_says_why(tmp_project, capsys, tmp_path):
    # The detection is fine, the declared expectation is wrong: a test failure, not an invalid rule.
    write_rule(tmp_project, GOOD_RULE, good_rule_text(("    expect: {alerts: 1}", "    expect: {alerts: 3}")))
    write_lock(tmp_project)
    root = str(tmp_project)
    assert main(["--root", root, "pcaps"]) == EXIT_OK
    junit = tmp_path / "junit.xml"
    assert main(["--root", root, "test", "--junit", str(junit)]) == EXIT_FAILED
    err = capsys.readouterr().err
    assert "mqtt-admin-login/admin-login" in err and "expected 3 alerts, got 1" in err
    suite = ET.parse(junit).getroot().find("testsuite")
    assert (suite.get("tests"), suite.get("failures")) == ("2", "1")
    assert len(suite.findall("testcase/failure")) == 1


def test_stale_pcap_exits_1(tmp_project):
    root = str(tmp_project)
    assert main(["--root", root, "pcaps"]) == EXIT_OK
    pcap = tmp_project / "pcaps" / "mqtt-admin-login" / "admin-login.pcap"
    pcap.write_bytes(pcap.read_bytes() + b"\0")
    assert main(["--root", root, "pcaps", "--check"]) == EXIT_FAILED


@pytest.mark.parametrize("verb", [["validate"], ["lock"], ["build", "--out", "OUT"], ["test"], ["pcaps"]])
def test_invalid_rule_exits_2_for_every_verb(tmp_project, tmp_path, capsys, verb):
    write_rule(tmp_project, GOOD_RULE, good_rule_text(("severity: high", "severity: urgent")))
    verb = [str(tmp_path / "out") if part == "OUT" else part for part in verb]
    assert main(["--root", str(tmp_project), *verb]) == EXIT_INVALID
    err = capsys.readouterr().err
    assert f"{GOOD_RULE}:7: [severity]" in err and "nothing written" in err


def test_unknown_rule_name_exits_2(tmp_project, capsys):
    assert main(["--root", str(tmp_project), "test", "no-such-rule"]) == EXIT_INVALID
    assert "no such rule: no-such-rule" in capsys.readouterr().err


def test_missing_suricata_exits_3(tmp_project, monkeypatch, capsys):
    assert main(["--root", str(tmp_project), "pcaps"]) == EXIT_OK
    monkeypatch.setenv("SURICATA", "/nonexistent/suricata")
    assert main(["--root", str(tmp_project), "test"]) == EXIT_ENVIRONMENT
    assert "suricata is not installed" in capsys.readouterr().err


def test_validate_file_reports_only_that_files_findings(tmp_project, capsys):
    write_rule(tmp_project, SECOND, _second_rule(("severity: high", "severity: urgent")))
    write_rule(tmp_project, GOOD_RULE, good_rule_text(("status: test", "status: done")))
    root = str(tmp_project)
    assert main(["--root", root, "validate", str(tmp_project / SECOND)]) == EXIT_INVALID
    err = capsys.readouterr().err
    assert f"{SECOND}:7: [severity]" in err
    assert GOOD_RULE not in err and "1 problem(s)" in err
    assert main(["--root", root, "validate", str(tmp_project / GOOD_RULE)]) == EXIT_INVALID
    err = capsys.readouterr().err
    assert f"{GOOD_RULE}:8: [status]" in err and SECOND not in err


def test_validate_file_that_is_fine_passes_while_another_is_broken(tmp_project, capsys):
    write_rule(tmp_project, SECOND, _second_rule(("severity: high", "severity: urgent")))
    assert main(["--root", str(tmp_project), "validate", str(tmp_project / GOOD_RULE)]) == EXIT_OK
    assert main(["--root", str(tmp_project), "validate"]) == EXIT_INVALID


def test_validate_file_still_reports_a_broken_networks_file(tmp_project, capsys):
    nets = tmp_project / "rules" / "networks.yaml"
    nets.write_text(nets.read_text().replace("IOT_NET: [192.168.200.0/24]", "IOT_NET: [192.168.200.0/33]"))
    assert main(["--root", str(tmp_project), "validate", str(tmp_project / GOOD_RULE)]) == EXIT_INVALID
    assert "rules/networks.yaml:3: [IOT_NET] invalid CIDR" in capsys.readouterr().err


def test_version(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith("iotdetect ")
