"""The issue's path end to end on a small project: import a real scan -> validate -> build -> dist."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import jsonschema
import pytest

from harness import cli
from harness.version import version
from harness.suricata.workspace import write_harness_config
from harness.release.dist import DistOptions, dist
from tests.arm_schema import ALERT_RULE, TEMPLATE
from tests.packaging_project import load, make_release_project

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures" / "inventory"


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    project = make_release_project(tmp_path_factory.mktemp("inv-e2e") / "project")
    shutil.copyfile(REPO / "rules" / "networks.yaml", project.networks_file)
    (project.root / "inventory").mkdir()
    for name in ("classes.yaml", "firmware.yaml"):
        shutil.copyfile(FIXTURES / "site" / name, project.root / "inventory" / name)
    (project.root / "inventory" / "devices.yaml").write_text("# imported from the lab scan\ndevices: []\n")
    assert cli.main(["--root", str(project.root), "inventory", "import", str(FIXTURES / "scan.xml")]) == 0
    return project


def test_import_then_validate(project, capsys):
    assert cli.main(["--root", str(project.root), "inventory", "validate"]) == 0
    assert "inventory valid: 6 devices" in capsys.readouterr().out
    assert cli.main(["--root", str(project.root), "validate", "--no-siem"]) == 0
    assert "inventory valid: 6 devices" in capsys.readouterr().out


def test_invalid_inventory_fails_the_project_validate(project, tmp_path, capsys):
    broken = tmp_path / "broken"
    shutil.copytree(project.root, broken)
    devices = broken / "inventory" / "devices.yaml"
    devices.write_text(devices.read_text().replace("class: plc", "class: robot"))
    assert cli.main(["--root", str(broken), "validate", "--no-siem"]) == 2
    assert "inventory/devices.yaml" in capsys.readouterr().err


def test_build_writes_the_inventory_next_to_the_pack(project, tmp_path):
    out = tmp_path / "build"
    assert cli.main(["--root", str(project.root), "build", "--out", str(out)]) == 0
    rules = (out / "suricata" / "iotdetect-inventory.rules").read_text()
    assert "load iotdetect-known-devices.lst" in rules
    assert (out / "suricata" / "iotdetect-known-devices.lst").read_text().splitlines() == [
        "192.168.200.2", "192.168.200.20", "192.168.200.21", "192.168.200.30", "192.168.200.40", "192.168.210.20"]
    assert (out / "splunk" / "iotdetect_inventory" / "lookups" / "iotdetect_devices.csv").is_file()
    # the built folder loads in Suricata as shipped: both rule files, lists found next to them
    write_harness_config(load(project), tmp_path / "cfg")
    config = tmp_path / "cfg" / "suricata.yaml"
    check = subprocess.run(["suricata", "-T", "--init-errors-fatal", "-c", str(config), "-S",
                            str(out / "suricata" / "iotdetect-inventory.rules"), "-l", str(tmp_path)],
                           capture_output=True, text=True, cwd="/")
    assert check.returncode == 0 and "Loading signatures failed" not in check.stderr, check.stderr[-800:]


@pytest.fixture(scope="module")
def released(project, tmp_path_factory) -> Path:
    return dist(load(project), DistOptions(out=tmp_path_factory.mktemp("inv-dist")))


def test_dist_carries_the_inventory_and_sums_it(released):
    folder, release = released, version()
    sums = (folder / "SHA256SUMS").read_text()
    for name in ("suricata/iotdetect-inventory.rules", "suricata/iotdetect-approved-firmware.sha256",
                 f"splunk/iotdetect_inventory-{release}.tgz", "sentinel/azuredeploy-inventory.json"):
        assert (folder / name).is_file() and name in sums
    with tarfile.open(folder / "splunk" / f"iotdetect_inventory-{release}.tgz") as archive:
        names = archive.getnames()
    assert "iotdetect_inventory/default/transforms.conf" in names
    assert "iotdetect_inventory/lookups/iotdetect_firmware_policy.csv" in names
    arm = json.loads((folder / "sentinel" / "azuredeploy-inventory.json").read_text())
    jsonschema.validate(arm, TEMPLATE)
    for resource in arm["resources"]:
        if resource["type"] == "Microsoft.SecurityInsights/alertRules":
            jsonschema.validate(resource, ALERT_RULE)
    assert subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=folder, capture_output=True).returncode == 0


def test_splunk_appinspect_precert_passes_the_inventory_app(released, tmp_path):
    appinspect = shutil.which("splunk-appinspect") or str(Path(sys.executable).with_name("splunk-appinspect"))
    if not Path(appinspect).exists():
        pytest.skip("splunk-appinspect is not installed (pip install -e '.[dist]')")
    report = tmp_path / "appinspect.json"
    subprocess.run([appinspect, "inspect", str(released / "splunk" / f"iotdetect_inventory-{version()}.tgz"),
                    "--mode", "precert", "--output-file", str(report), "--data-format", "json"],
                   capture_output=True, text=True, timeout=600)
    summary = json.loads(report.read_text())["summary"]
    assert summary["failure"] == 0 and summary["error"] == 0, summary
    assert summary["success"] > 50, summary
