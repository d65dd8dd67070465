"""`inventory import`: nmap XML (a real scan, tests/fixtures/inventory) and CMDB CSV merged into devices.yaml
with the user's comments kept; unsafe or conflicting input is refused and nothing is written."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from harness import cli
from harness.inventory.load import load_inventory
from harness.inventory.nmap import ScanError, parse_scan
from harness.rules.project import Project

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures" / "inventory"
HAND = """# my devices (comment kept by the import)
devices:
  - name: cam-lobby   # the lobby one
    ips: [192.168.200.20]
    class: camera
    location: HQ lobby  # hand-edited
    firmware: "10.12.100"
"""


@pytest.fixture
def project(tmp_path) -> Path:
    (tmp_path / "rules").mkdir()
    shutil.copyfile(REPO / "rules" / "networks.yaml", tmp_path / "rules" / "networks.yaml")
    (tmp_path / "inventory").mkdir()
    for name in ("classes.yaml", "firmware.yaml"):
        shutil.copyfile(FIXTURES / "site" / name, tmp_path / "inventory" / name)
    (tmp_path / "inventory" / "devices.yaml").write_text(HAND)
    return tmp_path


def run(project: Path, *args: str) -> int:
    return cli.main(["--root", str(project), "inventory", "import", *map(str, args)])


def devices_text(project: Path) -> str:
    return (project / "inventory" / "devices.yaml").read_text()


def test_real_scan_parses_hosts_ports_macs_and_ignores_hosthints():
    hosts = parse_scan(FIXTURES / "scan.xml")
    assert [h.ips[0] for h in hosts] == ["192.168.200.2", "192.168.200.20", "192.168.200.21", "192.168.200.30", "192.168.200.40",
                                         "192.168.210.20"]
    assert hosts[2].mac == "02:1a:00:00:00:21" and hosts[2].services == ("tcp/80", "tcp/554")
    assert "SensorOS 2.3.1" in hosts[3].ports[0].product


def test_import_scan_keeps_comments_and_hand_edits(project, capsys):
    assert run(project, FIXTURES / "scan.xml") == 0
    text = devices_text(project)
    assert text.startswith("# my devices (comment kept by the import)\n")
    assert "  - name: cam-lobby   # the lobby one\n" in text and "location: HQ lobby  # hand-edited" in text
    inventory = load_inventory(Project(project))
    lobby = inventory.by_name("cam-lobby")
    assert lobby.firmware == "10.12.100"            # hand-set firmware kept, the scan's 10.12.165 is not forced
    assert lobby.mac == "02:1a:00:00:00:20" and lobby.open_ports == ("tcp/80", "tcp/554")
    sensor = inventory.by_name("sensor-192-168-200-30")
    assert (sensor.device_class, sensor.vendor, sensor.model, sensor.firmware) == ("sensor", "Acme", "TH-200", "2.3.1")
    assert inventory.by_name("plc-192-168-210-20").device_class == "plc"
    assert len(inventory.devices) == 6
    # a second import of the same scan changes nothing
    before = devices_text(project)
    assert run(project, FIXTURES / "scan.xml") == 0
    assert devices_text(project) == before
    assert "nothing written" in capsys.readouterr().out


def test_import_cmdb_csv(project):
    assert run(project, FIXTURES / "cmdb.csv") == 2        # CMDB firmware 10.12.165 against the hand-set 10.12.100
    assert devices_text(project) == HAND
    (project / "inventory" / "devices.yaml").write_text(HAND.replace('    firmware: "10.12.100"\n', ""))
    assert run(project, FIXTURES / "cmdb.csv") == 0
    inventory = load_inventory(Project(project))
    assert inventory.by_name("cam-lobby").owner == "facilities"
    assert inventory.by_name("sensor-02").device_class == "sensor"       # sys_class_name mapped
    assert inventory.by_name("door-ctl-01").device_class == "hvac"       # u_device_class wins


def test_conflicting_cmdb_value_names_the_csv_line(project, capsys):
    assert run(project, FIXTURES / "cmdb.csv") == 2
    err = capsys.readouterr().err
    assert "tests/fixtures/inventory/cmdb.csv:2: [firmware] CMDB says '10.12.165', the inventory says '10.12.100'" in err
    assert "nothing written" in err


def test_duplicate_rows_are_refused(project, tmp_path, capsys):
    csv = tmp_path / "dup.csv"
    csv.write_text("name,ip_address,u_device_class\nnew-1,192.168.200.77,camera\nnew-2,192.168.200.77,camera\n")
    assert run(project, csv) == 2
    assert "dup.csv:3: duplicate device: new-1 is also" in capsys.readouterr().err
    assert devices_text(project) == HAND


def test_missing_columns_and_out_of_network_rows(project, tmp_path, capsys):
    csv = tmp_path / "bad.csv"
    csv.write_text("hostname,ip\nx,1.2.3.4\n")
    assert run(project, csv) == 2
    assert "bad.csv:1: [name,ip_address] missing required column(s)" in capsys.readouterr().err
    csv.write_text("name,ip_address,u_device_class\nfar,8.8.8.8,camera\n")
    assert run(project, csv) == 2
    assert "inventory/devices.yaml:9: [ips] 8.8.8.8 is outside $IOT_NET and $OT_NET" in capsys.readouterr().err
    assert devices_text(project) == HAND


def test_scan_host_with_another_mac_is_a_conflict(project, capsys):
    (project / "inventory" / "devices.yaml").write_text(HAND.replace("    class: camera\n", "    class: camera\n    mac: 02:1a:00:00:00:ff\n"))
    before = devices_text(project)
    assert run(project, FIXTURES / "scan.xml") == 2
    assert "192.168.200.20 now answers with MAC 02:1a:00:00:00:20, the inventory says 02:1a:00:00:00:ff" in capsys.readouterr().err
    assert devices_text(project) == before


BOMB = """<?xml version="1.0"?>
<!DOCTYPE nmaprun [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>
<nmaprun><host><status state="up"/><address addr="192.168.200.9" addrtype="ipv4"/><hostnames><hostname name="&c;"/></hostnames></host></nmaprun>
"""
XXE = """<?xml version="1.0"?>
<!DOCTYPE nmaprun [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<nmaprun><host><status state="up"/><address addr="192.168.200.9" addrtype="ipv4"/><hostnames><hostname name="&x;"/></hostnames></host></nmaprun>
"""


@pytest.mark.parametrize("text,kind", [(BOMB, "EntitiesForbidden"), (XXE, "EntitiesForbidden")])
def test_entity_bombs_and_xxe_are_refused(project, tmp_path, capsys, text, kind):
    scan = tmp_path / "evil.xml"
    scan.write_text(text)
    with pytest.raises(ScanError, match=kind):
        parse_scan(scan)
    assert run(project, scan) == 2
    err = capsys.readouterr().err
    assert "refused unsafe XML" in err and "nothing written" in err
    assert devices_text(project) == HAND


def test_malformed_and_foreign_xml(project, tmp_path, capsys):
    scan = tmp_path / "cut.xml"
    scan.write_text((FIXTURES / "scan.xml").read_text()[:3000])
    assert run(project, scan) == 2
    assert "malformed XML" in capsys.readouterr().err
    scan.write_text("<html><body/></html>")
    assert run(project, scan) == 2
    assert "not an nmap XML file (root element <html>" in capsys.readouterr().err
    assert devices_text(project) == HAND


def test_dry_run_writes_nothing(project, capsys):
    assert run(project, FIXTURES / "scan.xml", "--dry-run") == 0
    assert "added 5" in capsys.readouterr().out
    assert devices_text(project) == HAND


def test_first_import_creates_devices_yaml(project):
    (project / "inventory" / "devices.yaml").unlink()
    assert run(project, FIXTURES / "scan.xml") == 0
    assert devices_text(project).startswith("# The device inventory")
    assert len(load_inventory(Project(project)).devices) == 6


def test_findings_name_the_real_file(project, capsys):
    (project / "inventory" / "devices.yaml").write_text(HAND.replace("class: camera", "class: robot"))
    assert run(project, FIXTURES / "scan.xml") == 2
    assert "inventory/devices.yaml:5: [class] unknown class 'robot'" in capsys.readouterr().err
