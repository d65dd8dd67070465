"""Profiles: learning from EVE flow events, the frozen model with file:line errors, diff."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.rules.errors import UsageError
from harness.baseline import learn as L
from harness.baseline.flows import hourly, read_flows
from harness.baseline.profile import load_profiles, render
from harness.rules.errors import RuleErrors
from harness.rules.networks import load as load_networks
from tests.conftest import REPO


def flow(src, dest, port, start, sent=100, proto="TCP", app="failed"):
    return {"timestamp": start, "event_type": "flow", "src_ip": src, "src_port": 40000, "dest_ip": dest,
            "dest_port": port, "proto": proto, "app_proto": app,
            "flow": {"start": start, "end": start, "bytes_toserver": sent, "bytes_toclient": 10}}


def eve(path: Path, records) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture
def networks():
    nets, findings = load_networks(REPO / "tests" / "fixtures" / "project" / "rules" / "networks.yaml")
    assert not findings
    return nets


CAM, NVR, PLC, ENG = "192.168.200.20", "192.168.200.5", "192.168.210.20", "192.168.210.10"


def sample(tmp_path):
    return eve(tmp_path / "eve.json", [
        flow(CAM, NVR, 554, "2023-11-15T00:10:00.000000+0000", 1000),
        flow(CAM, NVR, 554, "2023-11-15T00:59:59.999999+0000", 3000),   # still hour 0
        flow(CAM, "10.0.0.53", 53, "2023-11-15T01:00:00.000000+0000", 80, "UDP", "dns"),   # hour 1
        flow(ENG, PLC, 502, "2023-11-15T02:30:00.000000+0000", 300, app="modbus"),
        {"event_type": "alert", "src_ip": CAM, "dest_ip": NVR},
    ])


def test_hourly_counters_bin_by_flow_start_hour(tmp_path):
    stats = hourly(read_flows([sample(tmp_path)]), lambda ip: ip.startswith("192.168."))
    cam = stats[CAM]
    assert dict(cam.bytes_out) == {1700006400: 4000, 1700010000: 80}
    assert dict(cam.flows) == {1700006400: 2, 1700010000: 1}
    assert {h: len(p) for h, p in cam.peers.items()} == {1700006400: 1, 1700010000: 1}
    assert dict(stats[NVR].flows) == {1700006400: 2} and dict(stats[NVR].bytes_out) == {}
    assert "10.0.0.53" not in stats


def test_learn_thresholds_peers_and_zero_hours(tmp_path, networks):
    profiles = {p.device: p for p in L.learn([sample(tmp_path)], networks)}
    assert list(profiles) == [NVR, CAM, ENG, PLC]          # by address, not by text
    cam = profiles[CAM]
    assert cam.learned.hours == 3                       # hours 0..2 of the whole window, zeros included
    assert cam.hourly.bytes_out.max == 4000 and cam.hourly.bytes_out.mean == round(4080 / 3, 1)
    assert cam.thresholds.bytes_out == 8000 and cam.thresholds.flows == 3 and cam.thresholds.peers == 1
    assert cam.thresholds.flow_bytes_out == 6000
    assert [(p.peer, p.proto, p.port, p.app_proto, p.flows) for p in cam.outbound] == [
        ("10.0.0.53", "UDP", 53, "dns", 1), (NVR, "TCP", 554, "failed", 2)]
    assert [(p.peer, p.port) for p in profiles[PLC].inbound] == [(ENG, 502)] and profiles[PLC].outbound == ()
    assert cam.diurnal_bytes_out[:3] == (4000, 80, 0)
    assert len({p.sid for p in profiles.values()}) == 4


def test_learning_is_deterministic_and_round_trips(tmp_path, networks):
    first = [render(p, L.header(p)) for p in L.learn([sample(tmp_path)], networks)]
    again = [render(p, L.header(p)) for p in L.learn([sample(tmp_path)], networks)]
    assert first == again
    L.write_profiles(L.learn([sample(tmp_path)], networks), tmp_path / "profiles")
    loaded = load_profiles(tmp_path / "profiles", tmp_path)
    assert [render(p, L.header(p)) for p in loaded] == first


def test_inventory_names_and_classes_and_sids_survive_relearning(tmp_path, networks):
    inventory = tmp_path / "devices.yaml"
    inventory.write_text("devices:\n  - {name: cam-lobby, ips: [192.168.200.20], class: camera, vendor: Axis}\n"
                         "  - {name: nvr, ips: [192.168.200.5], class: recorder}\n")
    inv = L.read_inventory(inventory, tmp_path)
    profiles = {p.device: p for p in L.learn([sample(tmp_path)], networks, inventory=inv)}
    assert (profiles[CAM].name, profiles[CAM].device_class, profiles[CAM].unit) == ("cam-lobby", "camera", "camera")
    assert profiles[PLC].device_class is None and profiles[PLC].unit == "dev-192-168-210-20"
    # a re-learn without the NVR keeps everyone else's sid block
    shifted = eve(tmp_path / "later.json", [flow(CAM, "10.0.0.53", 53, "2023-11-16T01:00:00.000000+0000", 80, "UDP"),
                                            flow(ENG, PLC, 502, "2023-11-16T02:30:00.000000+0000")])
    again = {p.device: p for p in L.learn([shifted], networks, existing=list(profiles.values()))}
    assert NVR not in again
    assert all(again[d].sid == profiles[d].sid for d in again)


def test_load_errors_name_file_line_and_field(tmp_path, networks):
    folder = tmp_path / "profiles"
    L.write_profiles(L.learn([sample(tmp_path)], networks), folder)
    cam = folder / "dev-192-168-200-20.yaml"
    text = cam.read_text()
    cam.write_text(text.replace("device: 192.168.200.20", "device: 192.168.200.300").replace(
        "hourly:", "colour: red\nhourly:"))
    nvr = folder / "dev-192-168-200-5.yaml"
    nvr.write_text(nvr.read_text().replace("sid: 9190000", "sid: 9190011"))
    with pytest.raises(RuleErrors) as caught:
        load_profiles(folder, tmp_path)
    messages = [str(f) for f in caught.value.findings]
    device_line = text.splitlines().index("device: 192.168.200.20") + 1
    assert any(m.startswith(f"profiles/dev-192-168-200-20.yaml:{device_line}: [device]") for m in messages), messages
    assert any("[colour] unknown key" in m for m in messages), messages
    assert any("profiles/dev-192-168-200-5.yaml" in m and "[sid]" in m and "multiple of 10" in m for m in messages)


def test_duplicate_device_and_wrong_file_name(tmp_path, networks):
    folder = tmp_path / "profiles"
    L.write_profiles(L.learn([sample(tmp_path)], networks), folder)
    (folder / "copy.yaml").write_text((folder / "dev-192-168-200-20.yaml").read_text())
    with pytest.raises(RuleErrors) as caught:
        load_profiles(folder, tmp_path)
    text = "\n".join(str(f) for f in caught.value.findings)
    assert "profiles/copy.yaml:1: [name] name 'dev-192-168-200-20' differs from the file name" in text
    assert "profiles/dev-192-168-200-20.yaml:1: [device] device 192.168.200.20 also used by profiles/copy.yaml" in text


def test_diff_lists_new_peers_and_threshold_changes(tmp_path, networks):
    before = L.learn([sample(tmp_path)], networks)
    more = eve(tmp_path / "more.json", [
        flow(CAM, NVR, 554, "2023-11-15T00:10:00.000000+0000", 9000),
        flow(CAM, "203.0.113.9", 443, "2023-11-15T01:00:00.000000+0000", 80, app="tls"),
        flow(ENG, PLC, 502, "2023-11-15T02:30:00.000000+0000", 300, app="modbus")])
    after = L.learn([more], networks, existing=before)
    lines = L.diff(before, after)
    assert "~ device 192.168.200.20 (dev-192-168-200-20)" in lines
    assert "  + outbound tcp/443 203.0.113.9" in lines
    assert "  - outbound udp/53 10.0.0.53" in lines
    assert "  ~ threshold bytes_out: 8000 -> 18000 (+125%)" in lines
    assert "- device 192.168.200.5 (dev-192-168-200-5)" not in lines     # the NVR is still there
    assert L.diff(before, before) == []


def test_not_a_flow_event_is_reported_with_its_line(tmp_path):
    path = tmp_path / "eve.json"
    path.write_text(json.dumps(flow(CAM, NVR, 554, "2023-11-15T00:10:00.000000+0000")) + "\n"
                    + '{"event_type":"flow","src_ip":"1.2.3.4"}\n')
    with pytest.raises(UsageError, match=r"eve.json:2: not an EVE flow event"):
        read_flows([path])
