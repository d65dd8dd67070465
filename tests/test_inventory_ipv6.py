"""IPv6 devices through the chain: the dataset (type ip) and the profile rules in Suricata, the
SIEM lookups matching Suricata's full-form IPv6 in DuckDB."""
from __future__ import annotations

import dataclasses
from pathlib import Path

from generators.inventory import service
from generators.pcapio import pcap_bytes
from harness.suricata.engine import Job, ProcessEngine, alerts, read_eve
from harness.inventory import suricata as ids
from harness.inventory.evaluate import InventoryEvaluator
from harness.inventory.load import Inventory
from harness.inventory.model import Device
from harness.inventory.suite import prepare
from harness.rules.networks import Networks

KNOWN, UNKNOWN, SERVER = "2001:db8:200::30", "2001:db8:200::99", "2001:db8:10::123"


def _setup(repo_ruleset) -> tuple:
    groups = dict(repo_ruleset.networks.groups)
    groups["IOT_NET"] = groups["IOT_NET"] + ("2001:db8:200::/64",)
    groups["CORP_NET"] = groups["CORP_NET"] + ("2001:db8:10::/48",)
    nets = Networks(groups)
    ruleset = dataclasses.replace(repo_ruleset, networks=nets)
    from harness.inventory.load import load_inventory
    base = load_inventory(repo_ruleset.project, repo_ruleset.networks)
    sensor = next(d for d in base.devices if d.name == "sensor-01")
    v6 = Device.model_validate({**sensor.model_dump(by_alias=True), "ips": [sensor.ips[0], KNOWN]})
    inventory = Inventory(base.classes, tuple(v6 if d is sensor else d for d in base.devices), base.models, nets,
                          base.device_lines)
    return ruleset, inventory


def _run(ruleset, inventory, cases: dict[str, list], folder: Path) -> dict[str, tuple[list[int], dict[str, int]]]:
    """Every case through one Suricata workspace (the inventory's rules and lists loaded)."""
    workspace = prepare(ruleset, inventory, folder / "engine")
    jobs = []
    for name, packets in cases.items():
        pcap = folder / f"{name}.pcap"
        pcap.write_bytes(pcap_bytes(packets))
        jobs.append(Job(name, pcap, folder / name))
    ProcessEngine().run(workspace, jobs)
    evaluator = InventoryEvaluator(inventory)
    try:
        return {job.key: ([r["alert"]["signature_id"] for r in alerts(read_eve(job.outdir))],
                          {k: len(v.rows) for k, v in evaluator.run_all(job.outdir / "eve.json").items()})
                for job in jobs}
    finally:
        evaluator.close()


def test_ipv6_devices(repo_ruleset, tmp_path):
    ruleset, inventory = _setup(repo_ruleset)
    results = _run(ruleset, inventory, {
        "known": service(src=KNOWN, dst=SERVER, transport="udp", dport=123),
        "unknown": service(src=UNKNOWN, dst=SERVER, transport="udp", dport=123),
        "off-profile": service(src=KNOWN, dst=SERVER, dport=23)}, tmp_path)
    sids, hunts = results["known"]
    assert [s for s in sids if s in ids.SID_RANGE] == []
    assert hunts["unknown-device"] == 0 and hunts["off-profile"] == 0
    assert hunts["outdated-firmware"] == 1          # sensor-01 runs 2.3.1 < 2.4.0, found by its IPv6 address
    sids, hunts = results["unknown"]
    assert sids.count(ids.SID_UNKNOWN_HOST) == 1 and hunts["unknown-device"] == 1
    sids, hunts = results["off-profile"]
    assert len([s for s in sids if s >= ids.SID_PROFILE_BASE and s in ids.SID_RANGE]) == 1
    assert hunts["off-profile"] == 1
