"""The multi-day proof (issue 16): learn on 5 normal days, then held-out and anomalous days through
the real Suricata with the compiled baseline rules and the DuckDB form of both SIEM searches."""
from __future__ import annotations

import pytest

from harness.baseline import learn as L, proof, traffic
from harness.baseline.profile import profile_files, render
from tests.conftest import REPO


@pytest.fixture(scope="module")
def result(repo_ruleset):
    return proof.run(repo_ruleset)


def _day(result, anomaly):
    return next(r for r in result.anomalous if r.day.anomaly == anomaly)


def test_no_alert_on_any_held_out_device_day(result):
    assert len(result.holdout) == len(traffic.HOLDOUT_DAYS)
    for day in result.holdout:
        for detector in proof.DETECTORS:
            assert day.alerts[detector] == {}, (day.day.label, detector)
    assert result.summary()["holdout_device_days"] == len(result.profiles) * len(traffic.HOLDOUT_DAYS)
    # the project's own signature rules, loaded alongside, stay silent on the normal days too
    assert [day.signatures for day in result.holdout] == [0] * len(result.holdout)


def test_every_anomaly_is_found_by_a_siem_search_and_by_suricata(result):
    assert {r.day.anomaly for r in result.anomalous} == set(traffic.multiday.ANOMALIES)
    for day in result.anomalous:
        assert day.detected("volume") or day.detected("fanout"), day.day.anomaly
        assert day.detected("suricata"), day.day.anomaly
    assert proof.passed(result)


def test_each_detector_fires_where_it_should_and_nowhere_else(result):
    exfil, scan, c2, poller = (_day(result, n) for n in ("exfiltration", "scan", "c2", "new-poller"))
    assert exfil.detected("volume") and not exfil.detected("fanout")      # same peer, same port: only volume
    assert poller.detected("fanout") and not poller.detected("volume")    # one more client, no bytes sent
    assert scan.detected("fanout") and c2.detected("fanout")
    for day in result.anomalous:
        for detector in proof.DETECTORS:
            assert day.others(detector) == 0, (day.day.anomaly, detector, day.alerts[detector])


def test_alert_budget_once_per_device_peer_and_hour(result):
    # c2: 48 connections in 4 hours to one new peer -> new-peer and new-port once an hour each
    assert _day(result, "c2").alerts["suricata"] == {traffic.multiday.SENSORS[1]: 8}
    # scan: 40 new hosts x 4 ports within a minute -> once per new peer for each of the two rules
    assert _day(result, "scan").alerts["suricata"] == {traffic.multiday.CAMERAS[2]: 80}
    assert _day(result, "exfiltration").alerts["suricata"] == {traffic.multiday.CAMERAS[1]: 1}
    assert _day(result, "new-poller").alerts["suricata"] == {traffic.multiday.PLCS[0]: 1}
    # SIEM: one row per anomalous hour of the planted device
    assert _day(result, "c2").alerts["fanout"] == {traffic.multiday.SENSORS[1]: 4}
    assert _day(result, "exfiltration").alerts["volume"] == {traffic.multiday.CAMERAS[1]: 1}


def test_committed_profiles_are_what_learning_the_normal_days_gives(result):
    committed = {p.name: p.read_text(encoding="utf-8") for p in profile_files(REPO / "profiles")}
    learned = {p.name + ".yaml": render(p, L.header(p)) for p in result.profiles}
    assert committed == learned, "run `iotdetect baseline proof --bless` and review the diff"


def test_coverage_report_carries_the_figures_and_the_plot(result, repo_ruleset):
    import xml.etree.ElementTree as ET
    from harness.rules.attack import load_catalog
    from harness.baseline import plot
    from harness.release import report
    from harness.templating import environment
    summary = result.summary()
    behaviour = {**summary, "svg": plot.svg(summary["days"]), "svg_file": "baseline-alerts.svg"}
    svg = ET.fromstring(behaviour["svg"])
    bars = [e for e in svg.iter("{http://www.w3.org/2000/svg}rect") if e.find("{http://www.w3.org/2000/svg}title") is not None]
    tested = [d for d in summary["days"] if d["kind"] != "learn"]
    assert len(bars) == 3 * len(tested)
    assert [b.find("{http://www.w3.org/2000/svg}title").text for b in bars[:3]] == [
        "Suricata rules: 0", "SIEM volume (DuckDB): 0", "SIEM fan-out (DuckDB): 0"]
    ctx = report.context(repo_ruleset, load_catalog(), "9.9.9", {}, None, behaviour)
    pages = report.render(environment(), ctx)
    assert f"{summary['holdout_device_days']} held-out device-days raised 0 Suricata alerts" in pages["coverage.md"]
    assert "| scan | anomaly | 80 | 1 | 1 | 192.168.200.22 |" in pages["coverage.md"]
    assert "| day 5 | holdout | 0 | 0 | 0 |  | 0 |" in pages["coverage.md"]
    assert "![alerts per day, held-out vs anomalous](baseline-alerts.svg)" in pages["coverage.md"]
    assert "<svg " in pages["coverage.html"]
    without = report.render(environment(), report.context(repo_ruleset, load_catalog(), "9.9.9", {}))
    assert "No device-baseline proof was run for this build." in without["coverage.md"]


def test_per_class_allowlists_keep_the_result(repo_ruleset):
    # with an inventory, cameras share one allowlist (any camera's peers), sensors and PLCs too
    inventory = L.read_inventory(REPO / "tests" / "fixtures" / "baseline" / "devices.yaml", REPO)
    classed = proof.run(repo_ruleset, inventory=inventory)
    units = {p.name: p.unit for p in classed.profiles}
    assert units["cam-1"] == units["cam-3"] == "camera" and units["plc-2"] == "plc"
    assert units["dev-192-168-200-5"] == "dev-192-168-200-5"          # not in the inventory: its own class
    assert classed.rules.count("load iotdetect-baseline-camera-out.lst") == 3
    assert proof.passed(classed)
    assert all(r.detected("suricata") for r in classed.anomalous)
    assert sum(r.total("suricata") for r in classed.holdout) == 0
