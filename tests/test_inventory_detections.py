"""The inventory in every target, proven: Suricata with the datasets loaded (suricata -T and the
batch engine), the SIEM searches in DuckDB over the same eve.json, KQL through the Kusto parser."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from generators.inventory import firmware_sha256
from harness.suricata.engine import Job, ProcessEngine, alerts, check_rules, make_engine, read_eve
from harness.rules.errors import RuleErrors
from harness.inventory import package, siem, suricata as ids
from harness.inventory.checks import lint_spl_searches
from harness.inventory.evaluate import InventoryEvaluator
from harness.inventory.load import load_inventory
from harness.inventory.suite import case_refs, prepare, run_inventory_cases
from harness.siem.kusto import check_kql
from harness.backends.settings import SiemSettings

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def inventory(repo_ruleset):
    return load_inventory(repo_ruleset.project, repo_ruleset.networks)


@pytest.fixture(scope="module")
def verdicts(repo_ruleset, inventory, tmp_path_factory):
    return {v.ref.key: v for v in run_inventory_cases(repo_ruleset, inventory, make_engine("batch"),
                                                      tmp_path_factory.mktemp("inventory-suite"))}


def test_every_inventory_case_passes_on_suricata_and_duckdb(verdicts):
    failed = {key: v.explain() for key, v in verdicts.items() if not v.passed}
    assert not failed, failed
    assert len(verdicts) >= 10


def test_each_detection_fires_once_and_stays_silent_on_its_negative(verdicts):
    assert verdicts["inventory/unknown-host-on-the-iot-vlan"].actual == {"unknown-host": 1}
    assert verdicts["inventory/known-camera-on-its-profile"].actual == {}
    assert verdicts["inventory/camera-on-the-hvac-vendor-portal-port"].actual == {"off-profile": 1}
    assert verdicts["inventory/hvac-unit-on-its-own-vendor-portal-port"].actual == {}
    assert verdicts["inventory/unapproved-camera-firmware"].actual["unapproved-firmware"] == 1
    assert "unapproved-firmware" not in verdicts["inventory/approved-camera-firmware"].actual
    assert verdicts["inventory/outdated-sensor-on-its-profile"].actual_hunts["outdated-firmware"] == 1
    assert verdicts["inventory/known-camera-on-its-profile"].actual_hunts == {
        "unknown-device": 0, "off-profile": 0, "unapproved-firmware": 0, "outdated-firmware": 0}


def _replay(ruleset, inventory, pcap: Path, folder: Path) -> dict[int, int]:
    workspace = prepare(ruleset, inventory, folder / "engine")
    job = Job("x", pcap, folder / "out")
    ProcessEngine().run(workspace, [job])
    counts: dict[int, int] = {}
    for record in alerts(read_eve(job.outdir)):
        counts[record["alert"]["signature_id"]] = counts.get(record["alert"]["signature_id"], 0) + 1
    return counts


def test_the_dataset_is_what_decides(repo_ruleset, inventory, tmp_path):
    """The same known-camera pcap: silent with the camera in the dataset, an unknown host without it."""
    ref = next(r for r in case_refs(repo_ruleset.project, inventory) if r.case.name == "known camera on its profile")
    pcap = ref.pcap_path(repo_ruleset.project.pcaps_dir)
    assert ids.SID_UNKNOWN_HOST not in _replay(repo_ruleset, inventory, pcap, tmp_path / "with")
    without = dataclasses.replace(inventory, devices=tuple(d for d in inventory.devices if d.name != "cam-lobby"))
    assert _replay(repo_ruleset, without, pcap, tmp_path / "without").get(ids.SID_UNKNOWN_HOST) == 1


def test_approved_hash_list_is_what_decides(repo_ruleset, inventory, tmp_path):
    ref = next(r for r in case_refs(repo_ruleset.project, inventory) if r.case.name == "approved camera firmware")
    pcap = ref.pcap_path(repo_ruleset.project.pcaps_dir)
    assert ids.SID_UNAPPROVED_FIRMWARE not in _replay(repo_ruleset, inventory, pcap, tmp_path / "approved")
    axis = next(m for m in inventory.models if m.vendor == "Axis")
    revoked = axis.model_copy(update={"approved": ()})
    others = tuple(revoked if m is axis else m for m in inventory.models)
    assert _replay(repo_ruleset, dataclasses.replace(inventory, models=others), pcap,
                   tmp_path / "revoked").get(ids.SID_UNAPPROVED_FIRMWARE) == 1


def test_suricata_refuses_a_missing_dataset(repo_ruleset, inventory, tmp_path):
    workspace = prepare(repo_ruleset, inventory, tmp_path)
    (tmp_path / ids.KNOWN_DEVICES).unlink()
    with pytest.raises(RuleErrors, match="dataset"):
        check_rules(workspace)


def test_shipped_approved_hashes_are_the_generator_images(inventory):
    approved = {image.file: image.sha256 for m in inventory.models for image in m.approved}
    assert approved["Q1615-LE_10_12_165.bin"] == firmware_sha256("Q1615-LE_10_12_165")
    assert approved["th200-2.4.0.bin"] == firmware_sha256("th200-2.4.0")


def test_profiles_and_sids(inventory):
    groups = ids.profiles(inventory)
    cams = next(p for p in groups if p.device_class == "camera")
    assert [d.name for d in cams.devices] == ["cam-lobby", "cam-yard"] and cams.ports("tcp") == [80, 443, 554]
    hvac = next(p for p in groups if p.device_class == "hvac")
    assert 8443 in hvac.ports("tcp")
    names = ids.sid_names(inventory)
    assert all(sid in ids.SID_RANGE for sid in names) and len(names) == 2 + 4 * len(groups)
    rules = ids.compile_inventory(inventory)[ids.RULES_FILE]
    assert rules.count("\nalert ") + rules.startswith("alert ") == len(names)


def test_inventory_sids_do_not_collide_with_rules(repo_ruleset, inventory):
    assert not set(ids.sid_names(inventory)) & {s.rule.sid for s in repo_ruleset.sources}


def test_kql_passes_the_kusto_parser_and_a_wrong_column_fails(inventory):
    """One node process: the four searches clean, a misspelt watchlist column caught (the declared
    _GetWatchlist carries the watchlists' columns, so it is not a pass-everything stub)."""
    settings = SiemSettings()
    queries = list(siem.searches("kql", inventory.networks, settings).values())
    bad = siem.render("kql", "outdated-firmware", inventory.networks).replace("tostring(firmware_key)", "tostring(firmwarekey)")
    answers = check_kql(queries + [bad], settings.schema, REPO, [siem.watchlist_function(siem.tables(inventory))])
    assert [[d.message for d in a if d.is_error] for a in answers[:4]] == [[], [], [], []]
    assert any("firmwarekey" in d.message for d in answers[4] if d.is_error)


def test_spl_passes_the_lint(inventory):
    assert lint_spl_searches(inventory) == 4


def test_lookups_are_one_table_for_every_siem(repo_ruleset, inventory):
    tables = {t.name: t for t in siem.tables(inventory)}
    devices = tables["iotdetect_devices"].csv().splitlines()
    assert devices[0] == "ip,name,mac,class,vendor,model,firmware,firmware_key,location,owner"
    assert any(line.startswith("192.168.200.30,sensor-01,") for line in devices)
    assert "192.168.200.40|tcp/8443" in tables["iotdetect_allowed_services"].csv()
    assert "192.168.200.20|tcp/8443" not in tables["iotdetect_allowed_services"].csv()
    evaluator = InventoryEvaluator(inventory)
    try:
        rows = evaluator.eve.query("SELECT count(*) FROM inv_devices").rows
        assert rows == ((len(devices) - 1,),)
    finally:
        evaluator.close()


def test_ipv6_devices_are_looked_up_in_suricata_full_form():
    assert siem.eve_forms("2001:db8::30") == ["2001:db8::30", "2001:0db8:0000:0000:0000:0000:0000:0030"]


def test_packaged_files(repo_ruleset, inventory):
    files = package.files(repo_ruleset, "9.9.9", splunk_archive_mtime=0)
    assert {"suricata/iotdetect-inventory.rules", "suricata/iotdetect-known-devices.lst",
            "suricata/iotdetect-approved-firmware.sha256", "splunk/iotdetect_inventory-9.9.9.tgz",
            "sentinel/azuredeploy-inventory.json"} <= set(files)
    arm = json.loads(files["sentinel/azuredeploy-inventory.json"])
    watchlists = [r for r in arm["resources"] if r["type"] == "Microsoft.SecurityInsights/watchlists"]
    rules = [r for r in arm["resources"] if r["type"] == "Microsoft.SecurityInsights/alertRules"]
    assert {w["properties"]["watchlistAlias"] for w in watchlists} == {t.name for t in siem.tables(inventory)}
    devices = next(w for w in watchlists if w["name"] == "iotdetect_devices")["properties"]
    assert devices["itemsSearchKey"] == "ip" and devices["rawContent"] == siem.tables(inventory)[0].csv()
    assert len(rules) == 4 and all("_GetWatchlist('iotdetect_" in r["properties"]["query"] for r in rules)
    assert all(len(r["properties"]["query"]) <= 10_000 and len(r["dependsOn"]) == 4 for r in rules)
    splunk = package.splunk_files(inventory, repo_ruleset, "9.9.9", SiemSettings())
    transforms = splunk["default/transforms.conf"]
    for table in siem.tables(inventory):
        assert f"[{table.name}]\nfilename = {table.name}.csv" in transforms
        assert f"lookups/{table.name}.csv" in splunk
    assert splunk["default/savedsearches.conf"].count("\nsearch = `iotdetect_eve`") == 4


def test_golden_searches(repo_ruleset):
    """tests/golden/inventory holds every inventory search as reviewed (`iotdetect inventory golden --bless`)."""
    from harness.inventory.cli import golden_files
    folder = REPO / "tests" / "golden" / "inventory"
    expected = golden_files(repo_ruleset.project)
    assert sorted(p.name for p in folder.iterdir()) == sorted(expected)
    assert [n for n, text in expected.items() if (folder / n).read_text() != text] == []


def test_elastic_eql_parses_and_carries_the_inventory(inventory, repo_ruleset):
    from harness.inventory import elastic
    from harness.release.elastic_rules import check
    from harness.siem.eql_check import problems
    queries = elastic.searches(inventory)
    assert sorted(queries) == sorted(siem.SEARCHES)
    assert {k: problems(q) for k, q in queries.items()} == {k: [] for k in queries}
    assert problems(queries["off-profile"].replace(") )", ")")) != []        # the parser does reject
    assert '"192.168.200.40") and not ((network.transport == "tcp" and destination.port in (80, 443, 8443))' \
        in queries["off-profile"]
    assert elastic.outdated(inventory) == ["192.168.200.30"]
    docs = elastic.kibana_rules(inventory, "9.9.9")
    assert [check(d) for d in docs] == [[], [], [], []]
    files = package.files(repo_ruleset, "9.9.9", splunk_archive_mtime=0)
    assert len(files["elastic/iotdetect-inventory-kibana-rules.ndjson"].decode().splitlines()) == 4
