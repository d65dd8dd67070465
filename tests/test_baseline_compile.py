"""Profiles compiled: Suricata rules + datasets (load-tested by the real Suricata), KQL through the
Kusto parser, SPL through the lint, and the SQL form computing exactly what the learner counts."""
from __future__ import annotations

import json
import shutil
from collections import defaultdict

import pytest

from harness.baseline import learn as L, siem, stage, suricata
from harness.baseline.flows import hourly, read_flows
from harness.baseline.profile import Profile, load_profiles
from harness.rules.errors import RuleErrors
from harness.siem import kusto, spl_lint
from harness.backends.settings import SiemSettings
from tests.conftest import REPO
from tests.test_baseline_profile import CAM, ENG, NVR, PLC, eve, flow, networks, sample  # noqa: F401


@pytest.fixture(scope="module")
def profiles() -> list[Profile]:
    return load_profiles(REPO / "profiles", REPO)


def with_class(profile: Profile, device_class: str) -> Profile:
    return profile.model_copy(update={"device_class": device_class})


def test_class_allowlist_is_the_union_of_its_members(profiles):
    cams = [with_class(p, "camera") for p in profiles if p.device.startswith("192.168.200.2")
            and p.device != "192.168.200.2"]
    assert len(cams) == 3
    files = suricata.dataset_files(cams)
    assert list(files) == ["iotdetect-baseline-camera-out.lst"]
    union = sorted({peer.peer for p in cams for peer in p.outbound})
    assert files["iotdetect-baseline-camera-out.lst"].split() == sorted(union, key=lambda a: tuple(map(int, a.split("."))))
    rules = suricata.compile_rules(cams)
    assert rules.count("load iotdetect-baseline-camera-out.lst") == 3          # one rule per device, one list
    assert "alert tcp 192.168.200.21 any -> any ![443,554]" in rules
    assert "for dev-192-168-200-21 (camera)" in rules


def test_a_device_without_inbound_peers_alerts_on_any_inbound_flow(profiles):
    cam = next(p for p in profiles if p.device == "192.168.200.20")
    rules = suricata.device_rules(cam, suricata.allowlists([cam])["dev-192-168-200-20"])
    inbound = next(r for r in rules if "new inbound peer" in r)
    assert inbound.startswith("alert ip any any -> 192.168.200.20 any (") and "dataset" not in inbound
    assert all("threshold:type limit" in r for r in rules)
    assert [int(r.split("sid:")[1].split(";")[0]) - cam.sid for r in rules] == list(range(7))


def test_compiled_rules_and_datasets_load_in_suricata(repo_ruleset, profiles):
    stage.load_test(repo_ruleset, profiles)


def test_a_bad_dataset_entry_fails_the_load_test(repo_ruleset, profiles, monkeypatch):
    real = suricata.dataset_files

    def broken(loaded):
        files = real(loaded)
        name = sorted(files)[0]
        return {**files, name: files[name] + "not-an-address\n"}
    monkeypatch.setattr(suricata, "dataset_files", broken)
    with pytest.raises(RuleErrors) as caught:
        stage.load_test(repo_ruleset, profiles)
    assert "not-an-address" in str(caught.value) and caught.value.findings[0].path == "profiles"


def test_kql_passes_the_kusto_parser_and_a_broken_one_does_not(profiles):
    settings = SiemSettings()
    searches = siem.render(profiles, settings)
    assert "make-series" in searches["volume"]["kql"] and "series_decompose_anomalies" in searches["fanout"]["kql"]
    broken = searches["volume"]["kql"].replace("series_decompose_anomalies", "series_decompose_anomaly")
    queries = [searches["volume"]["kql"], searches["fanout"]["kql"], broken]
    try:   # one node process for all three
        volume, fanout, wrong = kusto.check_kql(queries, settings.schema, REPO)
    except kusto.KustoUnavailable as exc:
        pytest.skip(str(exc))
    assert [d for d in volume + fanout if d.is_error] == []
    assert any("'series_decompose_anomaly'" in d.message for d in wrong if d.is_error), wrong


def test_spl_lints_and_carries_every_threshold(profiles):
    settings = SiemSettings()
    macros = {settings.splunk_eve_macro: (settings.splunk_eve_search, ())}
    for search, texts in siem.render(profiles, settings).items():
        assert spl_lint.lint(texts["spl"], macros, settings.splunk_eve_macro) == [], search
    fanout = siem.render(profiles, settings)["fanout"]["spl"]
    for p in profiles:
        assert f'device=="{p.device}", {p.thresholds.peers}' in fanout
    assert "eventstats" in siem.render(profiles, settings)["volume"]["spl"]


def test_hostile_values_stay_inside_their_strings(profiles):
    # device addresses are validated as IPs; names and classes by pattern: nothing can end a string
    with pytest.raises(ValueError):
        Profile.model_validate({**profiles[0].model_dump(by_alias=True), "device": '1.2.3.4" or 1==1'})
    with pytest.raises(ValueError):
        Profile.model_validate({**profiles[0].model_dump(by_alias=True), "class": "cam;era"})


def test_sql_counts_exactly_what_the_learner_counts(tmp_path, networks):
    # every device-hour of a real learning day: SQL with all thresholds at -1 returns every hour
    path = sample(tmp_path)
    profiles = L.learn([path], networks)
    low = [p.model_copy(update={"thresholds": p.thresholds.model_copy(update={"bytes_out": -1, "flows": -1,
                                                                                  "peers": -1})}) for p in profiles]
    searches = siem.render(low)
    stats = hourly(read_flows([path]), lambda ip: networks.contains(("$IOT_NET", "$OT_NET"), ip))
    fanout = {(r["device"], r["hour"]): (r["flows"], r["peers"]) for r in siem.evaluate(searches["fanout"]["sql"], path)}
    volume = {(r["device"], r["hour"]): r["bytes_out"] for r in siem.evaluate(searches["volume"]["sql"], path)}
    expect_fanout = {(d, h): (n, len(s.peers[h])) for d, s in stats.items() for h, n in s.flows.items()}
    expect_volume = {(d, h): n for d, s in stats.items() for h, n in s.bytes_out.items()}
    assert fanout == expect_fanout and volume == expect_volume
    assert (CAM, 1700006400) in volume and (CAM, 1700010000) in volume      # 00:59:59.999999 vs 01:00:00


def test_sql_agrees_with_the_learner_on_a_whole_suricata_day(repo_ruleset, tmp_path):
    from harness.baseline import traffic
    from harness.baseline.replay import replay
    events = replay(repo_ruleset, {"d": traffic.normal_file(repo_ruleset.project.pcaps_dir, 0)}, tmp_path)
    assert sum(1 for e in events["d"] if e["event_type"] == "flow") > 300
    path = tmp_path / "out" / "d" / "eve.json"
    profiles = L.learn([path], repo_ruleset.networks, L.LearnOptions(device_networks=traffic.multiday.DEVICE_NETWORKS))
    low = [p.model_copy(update={"thresholds": p.thresholds.model_copy(update={"bytes_out": -1, "flows": -1,
                                                                                  "peers": -1})}) for p in profiles]
    rows = siem.evaluate(siem.render(low)["fanout"]["sql"], path)
    per_device = defaultdict(int)
    for row in rows:
        per_device[row["device"]] += row["flows"]
    assert dict(per_device) == {p.device: p.learned.flows for p in profiles}
    peak = {p.device: p.hourly.peers.max for p in profiles}
    assert {d: max(r["peers"] for r in rows if r["device"] == d) for d in peak} == peak


def test_build_writes_the_baseline_folder(repo_ruleset, tmp_path):
    out = tmp_path / "build"
    out.mkdir()
    stage.stage_build(repo_ruleset, out, "9.9.9")
    names = sorted(p.relative_to(out / "baseline").as_posix() for p in (out / "baseline").rglob("*") if p.is_file())
    assert "suricata/iotdetect-baseline.rules" in names
    assert {"siem/volume.kql", "siem/volume.spl", "siem/volume.sql", "siem/fanout.kql", "siem/fanout.spl",
            "siem/fanout.sql"} <= set(names)
    assert {"siem/sentinel-baseline-volume.yaml", "siem/sentinel-baseline-fanout.yaml", "siem/savedsearches.conf"} <= set(names)
    conf_text = (out / "baseline" / "siem" / "savedsearches.conf").read_text()
    assert "[iotdetect - baseline-fanout]" in conf_text and "cron_schedule = 5 * * * *" in conf_text
    import yaml
    rule = yaml.safe_load((out / "baseline" / "siem" / "sentinel-baseline-volume.yaml").read_text())
    assert rule["queryPeriod"] == "7d" and "make-series" in rule["query"] and rule["kind"] == "Scheduled"
    assert sum(n.startswith("profiles/") for n in names) == len(list((REPO / "profiles").glob("*.yaml")))
    assert (out / "baseline" / "suricata" / "iotdetect-baseline.rules").read_text().startswith("# iotdetect 9.9.9")


def test_no_profiles_folder_writes_nothing(tmp_project, tmp_path):
    from harness.rules.loader import load_project
    from harness.rules.project import Project
    ruleset = load_project(Project(tmp_project))
    stage.stage_build(ruleset, tmp_path, "1")
    assert not (tmp_path / "baseline").exists()
    assert stage.validate(ruleset) == (0, [])
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_a_query_over_sentinels_size_limit_is_refused(profiles):
    from harness.baseline import siem_pack
    many = [profiles[0].model_copy(update={"device": f"10.{i // 250}.{i % 250}.1", "sid": 9190000 + 10 * i})
            for i in range(400)]
    assert siem_pack.sentinel_rule("volume", siem.render(profiles)["volume"]["kql"])["queryPeriod"] == "7d"
    with pytest.raises(ValueError, match="baseline-volume: query is .* characters"):
        siem_pack.sentinel_rule("volume", siem.render(many)["volume"]["kql"])
