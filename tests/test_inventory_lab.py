"""The nmap fixtures are real scans: their provenance, and (opt-in, needs root and nmap: set
IOTDETECT_LAB=1) a fresh run of scripts/inventory-lab/run.sh that must find the same devices."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from defusedxml import ElementTree

from harness.inventory.nmap import parse_scan

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures" / "inventory"


def _summary(path: Path) -> list[tuple]:
    return [(h.ips, h.mac, h.services, tuple(p.name for p in h.ports)) for h in parse_scan(path)]


@pytest.mark.parametrize("name", ["scan.xml", "scan-drift.xml"])
def test_fixtures_come_from_nmap_with_the_guides_flags(name):
    root = ElementTree.parse(FIXTURES / name).getroot()
    assert root.get("scanner") == "nmap" and root.get("version", "").startswith("7.")
    for flag in ("-p 1-65535", "--open", "--script banner", "-T4", "-oX"):
        assert flag in root.get("args")


@pytest.mark.parametrize("variant,fixture", [("base", "scan.xml"), ("drift", "scan-drift.xml")])
def test_lab_rerun_finds_the_same_network(tmp_path, variant, fixture):
    if os.environ.get("IOTDETECT_LAB") != "1":
        pytest.skip("set IOTDETECT_LAB=1 (root, nmap, iproute2) to re-run the nmap lab")
    if os.geteuid() != 0 or not shutil.which("nmap") or not shutil.which("ip"):
        pytest.skip("the lab needs root, nmap and iproute2")
    out = tmp_path / "scan.xml"
    subprocess.run(["timeout", "600", str(REPO / "scripts" / "inventory-lab" / "run.sh"), str(out), variant],
                   check=True, capture_output=True)
    assert _summary(out) == _summary(FIXTURES / fixture)
