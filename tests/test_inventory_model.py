"""inventory/ loads like the rules: every problem reported with file:line:[field], nothing half-loaded."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from harness import cli
from harness.rules.errors import RuleErrors
from harness.inventory.load import load_inventory
from harness.inventory.model import version_key
from harness.rules.project import Project

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def inv_project(tmp_path) -> Path:
    """A fixed copy of the example inventory (tests/fixtures/inventory/site) in a throw-away project."""
    shutil.copytree(REPO / "tests" / "fixtures" / "inventory" / "site", tmp_path / "inventory")
    (tmp_path / "rules").mkdir()
    shutil.copyfile(REPO / "rules" / "networks.yaml", tmp_path / "rules" / "networks.yaml")
    return tmp_path


def findings(root: Path) -> list[str]:
    with pytest.raises(RuleErrors) as info:
        load_inventory(Project(root))
    return [str(f) for f in info.value.findings]


def replace(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, count))


def test_shipped_inventory_loads():
    inventory = load_inventory(Project(REPO))
    assert {d.name for d in inventory.devices} >= {"cam-lobby", "sensor-01", "plc-01"}
    hvac = inventory.by_name("hvac-01")
    assert "tcp/8443" in inventory.services(hvac) and "udp/47808" in inventory.services(hvac)
    assert "tcp/8443" not in inventory.services(inventory.by_name("cam-lobby"))
    assert inventory.policy(inventory.by_name("sensor-01")).minimum == "2.4.0"


def test_duplicate_ip_and_mac_name_both_devices(inv_project):
    devices = inv_project / "inventory" / "devices.yaml"
    replace(devices, "ips: [192.168.200.21]", "ips: [192.168.200.20]")
    replace(devices, "mac: 02:1a:00:00:00:21", "mac: 02:1A:00:00:00:20")
    found = findings(inv_project)
    assert any(f.startswith("inventory/devices.yaml:16: [ips] duplicate ip 192.168.200.20 (also device cam-lobby") for f in found), found
    assert any(f.startswith("inventory/devices.yaml:17: [mac] duplicate mac 02:1a:00:00:00:20") for f in found), found
    assert len(found) == 2


def test_duplicate_name(inv_project):
    replace(inv_project / "inventory" / "devices.yaml", "name: cam-yard", "name: cam-lobby")
    assert findings(inv_project) == [
        "inventory/devices.yaml:15: [name] duplicate name cam-lobby (also device cam-lobby, line 4)"]


def test_ip_outside_the_device_networks(inv_project):
    replace(inv_project / "inventory" / "devices.yaml", "ips: [192.168.200.21]", "ips: [10.1.1.5]")
    assert findings(inv_project) == [
        "inventory/devices.yaml:16: [ips] 10.1.1.5 is outside $IOT_NET and $OT_NET (rules/networks.yaml)"]


def test_ipv6_device_inside_a_v6_iot_net(inv_project):
    replace(inv_project / "rules" / "networks.yaml", "IOT_NET: [192.168.200.0/24]", 'IOT_NET: [192.168.200.0/24, "2001:db8:200::/64"]')
    replace(inv_project / "inventory" / "devices.yaml", "ips: [192.168.200.30]", 'ips: [192.168.200.30, "2001:db8:200::30"]')
    assert "2001:db8:200::30" in load_inventory(Project(inv_project)).by_name("sensor-01").ips
    replace(inv_project / "inventory" / "devices.yaml", '"2001:db8:200::30"', '"2001:db8:999::30"')
    assert findings(inv_project) == [
        "inventory/devices.yaml:27: [ips] 2001:db8:999::30 is outside $IOT_NET and $OT_NET (rules/networks.yaml)"]


def test_unknown_class_bad_values_and_unknown_keys_all_reported(inv_project):
    devices = inv_project / "inventory" / "devices.yaml"
    replace(devices, "class: plc", "class: robot")
    replace(devices, "mac: 02:1e:00:00:00:02", "mac: 02:1e:00:00:00")
    replace(devices, 'firmware: "2.0.18"', 'firmware: "2.0-beta"')
    replace(devices, "    owner: it-ops\n    open_ports: [tcp/80, tcp/8883]", "    owner: it-ops\n    colour: red\n    open_ports: [tcp/80, tcp/8883]")
    found = findings(inv_project)
    assert any("[devices.5.mac] '02:1e:00:00:00' is not a MAC address" in f for f in found), found
    assert any("[devices.5.firmware] '2.0-beta' is not a dotted numeric version" in f for f in found), found
    assert any(f.startswith("inventory/devices.yaml:35: [devices.2.colour] unknown key") for f in found), found
    # class is checked once the file's values are valid: no half-validated cross checks
    replace(devices, "mac: 02:1e:00:00:00\n", "mac: 02:1e:00:00:00:02\n")
    replace(devices, 'firmware: "2.0-beta"', 'firmware: "2.0.18"')
    replace(devices, "    colour: red\n", "")
    found = findings(inv_project)
    assert found == ["inventory/devices.yaml:52: [class] unknown class 'robot'; classes: camera, gateway, hvac, plc, sensor"]


def test_class_file_errors(inv_project):
    classes = inv_project / "inventory" / "classes.yaml"
    replace(classes, "services: [tcp/80, tcp/443, tcp/554, udp/123, udp/53]", "services: [tcp/80, sctp/9]")
    replace(classes, "protocols: [modbus, enip]", "protocols: [modbus, profinet]")
    replace(classes, "peers: [$MQTT_BROKERS, $IOT_SERVICES]", "peers: [$NOPE]")
    found = findings(inv_project)
    assert any(f.startswith("inventory/classes.yaml:9: [classes.camera.services.1] 'sctp/9' is not a service") for f in found), found
    assert any("[classes.plc.protocols] unknown app protocol 'profinet'" in f for f in found), found


def test_unquoted_numeric_sha256_is_explained(inv_project):
    firmware = inv_project / "inventory" / "firmware.yaml"
    text = firmware.read_text()
    start = text.index("sha256: ") + len("sha256: ")
    firmware.write_text(text[:start] + "1" * 64 + text[start + 64:])
    assert any("YAML read this sha256 as a number: quote it" in f for f in findings(inv_project))


def test_yaml_syntax_and_duplicate_keys(inv_project):
    devices = inv_project / "inventory" / "devices.yaml"
    replace(devices, "    class: camera\n    vendor: Axis", "    class: camera\n    class: sensor\n    vendor: Axis")
    assert findings(inv_project) == ["inventory/devices.yaml:8: duplicate key 'class'"]


def test_cli_validate_exit_codes(inv_project, capsys):
    assert cli.main(["--root", str(inv_project), "inventory", "validate"]) == 0
    assert "inventory valid: 6 devices" in capsys.readouterr().out
    replace(inv_project / "inventory" / "devices.yaml", "class: plc", "class: robot")
    assert cli.main(["--root", str(inv_project), "inventory", "validate"]) == 2
    assert "[class] unknown class 'robot'" in capsys.readouterr().err


def test_version_key_orders_like_versions():
    assert version_key("1.10.0") > version_key("1.9.2") > version_key("1.9")
    assert version_key("2.4") == version_key("2.4.0")
