"""`inventory diff`: a planted new device, a moved MAC, a moved IP and a changed firmware banner, from real scans."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness import cli

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures" / "inventory"


@pytest.fixture
def project(tmp_path) -> Path:
    (tmp_path / "rules").mkdir()
    shutil.copyfile(REPO / "rules" / "networks.yaml", tmp_path / "rules" / "networks.yaml")
    shutil.copytree(FIXTURES / "site", tmp_path / "inventory")
    return tmp_path


def diff(project: Path, scan: str, capsys, *flags: str) -> tuple[int, str]:
    code = cli.main(["--root", str(project), "inventory", "diff", str(FIXTURES / scan), *flags])
    return code, capsys.readouterr().out


def test_scan_matching_the_inventory_exits_0(project, capsys):
    code, out = diff(project, "scan.xml", capsys)
    assert (code, out.strip()) == (0, "no drift: the scan matches the inventory")


def test_drift_scan_reports_new_missing_and_changed(project, capsys):
    code, out = diff(project, "scan-drift.xml", capsys, "--json")
    result = json.loads(out)
    assert code == 1 and result["drift"] is True
    assert [(h["ip"], h["mac"], h["open_ports"]) for h in result["new"]] == [
        ("192.168.200.66", "02:1f:00:00:00:66", ["tcp/80", "tcp/8000"])]
    assert result["missing"] == ["hvac-01"]
    changes = {(c["device"], c["field"]): (c["before"], c["after"]) for c in result["changed"]}
    assert changes == {
        ("cam-yard", "mac"): ("02:1a:00:00:00:21", "02:1a:00:00:00:99"),
        ("sensor-01", "open_port"): ("", "tcp/23"),
        ("sensor-01", "banner"): ("lighttpd/1.4.59 (SensorOS 2.3.1)", "SensorOS 2.4.0 login:"),
        ("sensor-01", "firmware"): ("2.3.1", "2.4.0"),
    }


def test_ip_moved_is_found_by_mac(project, capsys):
    devices = project / "inventory" / "devices.yaml"
    devices.write_text(devices.read_text().replace("ips: [192.168.200.21]", "ips: [192.168.200.121]"))
    code, out = diff(project, "scan.xml", capsys)
    assert code == 1
    assert "CHANGED  cam-yard: ip 192.168.200.121 -> 192.168.200.21" in out
    assert "NEW" not in out and "MISSING" not in out


def test_unsafe_scan_is_refused(project, capsys, tmp_path):
    evil = tmp_path / "evil.xml"
    evil.write_text('<?xml version="1.0"?><!DOCTYPE nmaprun [<!ENTITY x SYSTEM "file:///etc/passwd">]><nmaprun>&x;</nmaprun>')
    assert cli.main(["--root", str(project), "inventory", "diff", str(evil)]) == 2
    assert "refused unsafe XML" in capsys.readouterr().err
