"""Device addresses by role: inventory/devices.yaml may name `$IOT_NET[19]`, resolved against the site
plan at load, so the shipped demo inventory follows whatever rules/networks.yaml (or --networks) says."""
from __future__ import annotations

import ipaddress
import shutil
from pathlib import Path

import pytest

from harness import cli
from harness.cases import roles
from harness.suricata.engine import make_engine
from harness.rules.errors import RuleErrors
from harness.inventory.importer import import_files
from harness.inventory.load import DEVICE_NETWORKS, load_inventory
from harness.inventory.suite import run_inventory_cases
from harness.rules.networks import load as load_networks
from harness.rules.project import Project
from tests.conftest import PLANS_DIR, plan_names, repo_project

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures" / "inventory"
PLANS = plan_names()


@pytest.fixture
def site(tmp_path) -> Path:
    """A throw-away project with the shipped inventory (roles) and the repository's plan."""
    (tmp_path / "rules").mkdir()
    shutil.copyfile(REPO / "rules" / "networks.yaml", tmp_path / "rules" / "networks.yaml")
    shutil.copytree(REPO / "inventory", tmp_path / "inventory")
    return tmp_path


def set_ips(root: Path, device: str, value: str) -> int:
    """Replace the ips of one device in the copied devices.yaml; returns that line's number."""
    path = root / "inventory" / "devices.yaml"
    lines = path.read_text().splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.strip() == f"- name: {device}") + 1
    assert lines[at].lstrip().startswith("ips:"), lines[at]
    lines[at] = f"    ips: {value}\n"
    path.write_text("".join(lines))
    return at + 1


def findings(root: Path) -> list[str]:
    with pytest.raises(RuleErrors) as info:
        load_inventory(Project(root))
    return [str(f) for f in info.value.findings]


def test_shipped_inventory_names_its_addresses_by_role():
    text = (REPO / "inventory" / "devices.yaml").read_text()
    assert "192.168.2" not in text.split("devices:", 1)[1]       # no literal lab address left
    assert '"$IOT_NET[19]"' in text and '"$MQTT_BROKERS"' in text


def test_lab_plan_resolves_to_the_lab_addresses():
    """On rules/networks.yaml the roles are the addresses the nmap fixtures and baselines record."""
    inventory = load_inventory(Project(REPO))
    assert {d.name: d.ips for d in inventory.devices} == {
        "cam-lobby": ("192.168.200.20",), "cam-yard": ("192.168.200.21",), "sensor-01": ("192.168.200.30",),
        "hvac-01": ("192.168.200.40",), "plc-01": ("192.168.210.20",), "mqtt-broker": ("192.168.200.2",)}


@pytest.mark.parametrize("plan", PLANS)
def test_every_plan_gives_distinct_hosts_inside_the_device_networks(plan):
    project = repo_project(plan)
    nets, problems = load_networks(project.networks_file, REPO)
    assert not problems
    inventory = load_inventory(project)
    ips = [ip for d in inventory.devices for ip in d.ips]
    assert len(set(ips)) == len(ips) == len(inventory.devices)
    for ip in ips:
        assert any(nets.contains(nets.groups[v], ip) for v in DEVICE_NETWORKS), (plan, ip)
    assert inventory.by_name("mqtt-broker").ips[0] in nets.groups["MQTT_BROKERS"]
    # the unknown-host cases' own hosts ($IOT_NET, $OT_NET) are not inventory devices
    plan_roles = roles.Plan(nets)
    for var in DEVICE_NETWORKS:
        assert roles.assign([roles.Role(var)], plan_roles)[roles.Role(var)] not in ips


def test_dual_stack_plan_puts_the_devices_on_ipv6():
    inventory = load_inventory(repo_project("dual-stack"))
    assert inventory.by_name("cam-lobby").ips == ("2001:db8:200::14",)
    assert all(ipaddress.ip_address(d.ips[0]).version == 6 for d in inventory.devices)


@pytest.mark.parametrize("plan", PLANS)
def test_validate_is_green_on_every_plan(plan, capsys):
    args = ["--root", str(REPO), "validate", "--no-siem"]
    if plan != "default":
        args += ["--networks", str(PLANS_DIR / f"{plan}.yaml")]
    assert cli.main(args) == 0, capsys.readouterr().err
    assert "inventory valid: 6 devices" in capsys.readouterr().out


@pytest.mark.parametrize("plan", ["dual-stack", "mgmt-outside-corp"])
def test_inventory_cases_pass_on_another_plan(plan, plan_runs):
    ruleset = plan_runs.ruleset(plan)
    inventory = load_inventory(ruleset.project, ruleset.networks)
    verdicts = run_inventory_cases(ruleset, inventory, make_engine("batch"))
    assert len(verdicts) == 11
    failed = [f"{v.ref.key}\n{v.explain()}" for v in verdicts if not v.passed]
    assert not failed, "\n".join(failed)


def test_unresolvable_roles_are_located_errors_naming_the_variable(site):
    line = set_ips(site, "cam-yard", '["$NOPE_NET[3]"]')
    found = findings(site)
    assert f"inventory/devices.yaml:{line}: [ips] $NOPE_NET[3]: undefined network variable $NOPE_NET" \
           " (rules/networks.yaml)" in found, found
    assert not any("is not an IPv4" in f for f in found), found      # one finding per bad role
    line = set_ips(site, "cam-yard", '["$MQTT_BROKERS[2]"]')
    found = findings(site)
    assert len(found) == 1 and found[0].startswith(f"inventory/devices.yaml:{line}: [ips] $MQTT_BROKERS[2]:"), found
    assert "$MQTT_BROKERS has only 1 IPv4 host" in found[0]
    set_ips(site, "cam-yard", '["$iot_net"]')
    assert any("'$iot_net' is not a role" in f for f in findings(site))


def test_a_role_outside_the_device_networks_is_refused(site):
    line = set_ips(site, "cam-yard", '["$CORP_NET[5]"]')
    found = findings(site)
    assert found == [f"inventory/devices.yaml:{line}: [ips] 10.0.0.5 is outside $IOT_NET and $OT_NET (rules/networks.yaml)"]


def test_a_role_and_a_literal_for_one_host_are_duplicates(site):
    set_ips(site, "cam-yard", "[192.168.200.20]")                  # cam-lobby's $IOT_NET[19]
    assert any("duplicate ip 192.168.200.20 (also device cam-lobby" in f for f in findings(site))


def test_literal_and_role_addresses_mix(site):
    set_ips(site, "cam-yard", '[192.168.200.99, "$IOT_NET[50]"]')
    assert load_inventory(Project(site)).by_name("cam-yard").ips == ("192.168.200.99", "192.168.200.51")


def test_import_matches_roles_by_their_address_and_keeps_them(site):
    """A scan of the lab matches the role-named devices by resolved address; the roles stay in the
    file, the observations are refreshed, nothing is added twice."""
    before = load_inventory(Project(site))
    report = import_files(Project(site), [FIXTURES / "scan.xml"])
    assert report.added == [] and len(load_inventory(Project(site)).devices) == len(before.devices)
    text = (site / "inventory" / "devices.yaml").read_text()
    for role in ('"$IOT_NET[19]"', '"$IOT_NET[20]"', '"$IOT_NET[29]"', '"$IOT_NET[39]"', '"$OT_NET[19]"', '"$MQTT_BROKERS"'):
        assert f"ips: [{role}]" in text, role
    assert load_inventory(Project(site)).by_ip().keys() == before.by_ip().keys()


def test_import_moving_a_role_device_writes_the_observed_literal(site, tmp_path):
    """A device matched by MAC at another address moves to the literal the scan saw."""
    scan = tmp_path / "moved.xml"
    scan.write_text((FIXTURES / "scan.xml").read_text().replace('"192.168.200.21"', '"192.168.200.99"'))
    assert '"192.168.200.99"' in scan.read_text()
    import_files(Project(site), [scan])
    inventory = load_inventory(Project(site))
    assert inventory.by_name("cam-yard").ips == ("192.168.200.99",)
    assert "ips: [192.168.200.99]" in (site / "inventory" / "devices.yaml").read_text()
    assert inventory.by_name("cam-lobby").ips == ("192.168.200.20",)
