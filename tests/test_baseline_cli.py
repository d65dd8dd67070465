"""`iotdetect baseline learn|diff|pcaps` and profiles inside `validate`."""
from __future__ import annotations

import shutil

from harness.cli import EXIT_INVALID, EXIT_OK, main
from harness.baseline import traffic
from tests.conftest import REPO
from tests.test_baseline_profile import CAM, eve, flow, sample


def test_learn_writes_profiles_and_diff_reports_changes(tmp_project, tmp_path, capsys):
    path = sample(tmp_path)
    assert main(["--root", str(tmp_project), "baseline", "learn", str(path), "--out", str(tmp_path / "a")]) == EXIT_OK
    assert "wrote 4 profiles" in capsys.readouterr().out
    later = eve(tmp_path / "later.json", [flow(CAM, "203.0.113.9", 443, "2023-11-16T01:00:00.000000+0000", 80)])
    assert main(["--root", str(tmp_project), "baseline", "learn", str(later), "--out", str(tmp_path / "b"),
                 "--devices", "$IOT_NET"]) == EXIT_OK
    capsys.readouterr()
    assert main(["--root", str(tmp_project), "baseline", "diff", str(tmp_path / "a"), str(tmp_path / "b"),
                 "--exit-code"]) == 1
    out = capsys.readouterr().out
    assert "+ outbound tcp/443 203.0.113.9" in out and "- device 192.168.210.20" in out


def test_learn_rejects_an_unknown_network_variable(tmp_project, tmp_path, capsys):
    code = main(["--root", str(tmp_project), "baseline", "learn", str(sample(tmp_path)), "--devices", "$NOPE"])
    assert code == EXIT_INVALID and "undefined network variable $NOPE" in capsys.readouterr().err


def test_validate_reports_a_broken_profile_with_file_and_line(tmp_project, tmp_path, capsys):
    main(["--root", str(tmp_project), "baseline", "learn", str(sample(tmp_path)), "--out",
          str(tmp_project / "profiles")])
    target = tmp_project / "profiles" / "dev-192-168-200-20.yaml"
    lines = target.read_text().splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("thresholds:"))
    lines[index] = "thresholds: {bytes_out: -5, flows: 3, peers: 1, flow_bytes_out: 6000}"
    target.write_text("\n".join(lines) + "\n")
    capsys.readouterr()
    assert main(["--root", str(tmp_project), "validate", "--no-siem"]) == EXIT_INVALID
    assert f"profiles/dev-192-168-200-20.yaml:{index + 1}: [thresholds.bytes_out]" in capsys.readouterr().err


def test_anomaly_pcaps_are_what_the_generator_makes(tmp_path):
    names = [f"anomaly-{name}.pcap" for name in traffic.multiday.ANOMALIES]
    assert traffic.check(REPO / "pcaps", names) == []
    shutil.copytree(REPO / "pcaps" / traffic.FOLDER, tmp_path / traffic.FOLDER)
    (tmp_path / traffic.FOLDER / names[0]).write_bytes(b"stale")
    assert "differs" in traffic.check(tmp_path, names)[0]


def test_an_anomalous_day_is_its_base_day_moved_plus_the_anomaly(tmp_path):
    day = next(d for d in traffic.plan() if d.anomaly == "new-poller")
    composed = traffic.compose(REPO / "pcaps", day, tmp_path / "x.pcap").read_bytes()
    base = traffic.normal_file(REPO / "pcaps", day.base).read_bytes()
    extra = traffic.anomaly_file(REPO / "pcaps", "new-poller").read_bytes()
    assert len(composed) == len(base) + len(extra) - 24
    records = traffic._records(composed)
    times = [t for t, _ in records]
    assert times == sorted(times)
    assert times[0] // 1_000_000 >= traffic.multiday.START + day.index * traffic.multiday.DAY
    assert times[-1] // 1_000_000 < traffic.multiday.START + (day.index + 1) * traffic.multiday.DAY


def test_learn_uses_the_projects_inventory_unless_told_not_to(tmp_project, tmp_path, capsys):
    (tmp_project / "inventory").mkdir()
    (tmp_project / "inventory" / "devices.yaml").write_text(
        "devices:\n  - {name: Cam Lobby, ips: [192.168.200.20], class: Camera, mac: '02:00:00:00:00:20'}\n")
    path = sample(tmp_path)
    assert main(["--root", str(tmp_project), "baseline", "learn", str(path), "--out", str(tmp_path / "p")]) == EXIT_OK
    text = (tmp_path / "p" / "cam-lobby.yaml").read_text()
    assert "name: cam-lobby\nclass: camera\n" in text
    assert main(["--root", str(tmp_project), "baseline", "learn", str(path), "--out", str(tmp_path / "q"),
                 "--no-inventory"]) == EXIT_OK
    assert (tmp_path / "q" / "dev-192-168-200-20.yaml").is_file()


def test_learn_names_a_missing_eve_file(tmp_project, tmp_path, capsys):
    code = main(["--root", str(tmp_project), "baseline", "learn", str(tmp_path / "nope.json")])
    assert code == EXIT_INVALID and "no such eve.json" in capsys.readouterr().err
    assert not (tmp_project / "profiles").exists()


def test_a_committed_normal_day_is_what_the_generator_makes():
    # one day (~1,650 packets, a few seconds of scapy): the others differ only in their seed;
    # `iotdetect baseline pcaps --check` compares all of them
    assert traffic.check(REPO / "pcaps", [f"day-{traffic.HOLDOUT_DAYS[0]:02d}.pcap"]) == []
