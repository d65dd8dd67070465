"""The merged engine (harness/suricata/merged.py) gives the batch engine's verdicts: each case is
placed where the batch engine places it, its EVE records come back to it, and cases inspected late
(in another case's time) are replayed alone."""
from __future__ import annotations

import collections
import json
import struct
from pathlib import Path

import pytest

from harness.cases.pcaps import all_refs
from harness.cases.runner import run_cases
from harness.rules.project import Project
from harness.suricata.engine import BatchEngine, Job, Workspace, alerts, read_eve
from harness.suricata.merged import MergedEngine
from harness.suricata.workspace import prepare_workspace
from tests.test_engine import _threshold_pairs

# Rules whose cases cover what the merged engine must get right: DNP3 and FTP transactions
# inspected only when their flow ends (late: replayed alone), thresholds by source and destination,
# budgets, real captures rewritten onto the plan, stateless scans, UDP and ICMP, IPv6.
SUBSET = ("dnp3-operate-non-engineering", "iot-ftp-login-bruteforce", "iot-telnet-session", "tcp-null-scan",
          "icmpv6-echo-sweep", "iot-mqtt-plaintext-publish", "iot-snmp-v1-v2c", "iot-http-admin-plaintext")


def _records(path: Path) -> collections.Counter:
    """A case's EVE records without what differs on every run (flow ids), as comparable text."""
    found = collections.Counter()
    for record in read_eve(path.parent):
        record.pop("flow_id", None)
        record.pop("parent_id", None)
        found[json.dumps(record, sort_keys=True)] += 1
    return found


def test_merged_and_batch_engines_give_identical_verdicts_on_a_subset(repo_ruleset, tmp_path):
    refs = all_refs(repo_ruleset, list(SUBSET))
    merged = MergedEngine()
    runs = {name: {v.ref.key: v for v in run_cases(repo_ruleset, refs, engine, tmp_path / name)}
            for name, engine in (("batch", BatchEngine()), ("merged", merged))}
    assert {k: v.actual for k, v in runs["merged"].items()} == {k: v.actual for k, v in runs["batch"].items()}
    assert all(v.passed for v in runs["merged"].values())
    # Not vacuous: alerts of several rules, among them DNP3's, which Suricata raises only when the
    # flow ends (inspected at the case's flush packet, harness/suricata/flush.py): none was late,
    # so nothing had to be replayed alone.
    assert len({sid for v in runs["merged"].values() for sid in v.actual}) >= len(SUBSET) - 1
    late = [r for v in runs["merged"].values() for r in v.alert_records if r.get("pkt_src") == "stream (flow timeout)"]
    assert any(r.get("app_proto") == "dnp3" for r in late)
    assert not merged.replayed
    # Every record comes back to its case: the same EVE as the batch engine's (flow ids aside),
    # flow records and late inspections included.
    for key in runs["batch"]:
        assert _records(runs["merged"][key].eve_path) == _records(runs["batch"][key].eve_path), key


def test_merged_engine_keeps_threshold_state_from_leaking_between_cases(tmp_project, tmp_path):
    """The batch engine's threshold test (tests/test_engine.py), all 60 cases in one merged pcap."""
    ruleset, jobs = _threshold_pairs(tmp_project, tmp_path, pairs=30)
    engine = MergedEngine(workers=1)
    engine.run(prepare_workspace(ruleset, tmp_path / "ws"), jobs)
    counts = {job.key: len(alerts(read_eve(job.outdir))) for job in jobs}
    assert counts == {job.key: (1 if job.key.startswith("fast") else 0) for job in jobs}
    assert not engine.replayed


def _pcapng(classic: bytes) -> bytes:
    import tempfile

    from scapy.utils import PcapNgWriter, rdpcap
    with tempfile.TemporaryDirectory() as tmp:
        source, target = Path(tmp) / "in.pcap", Path(tmp) / "out.pcapng"
        source.write_bytes(classic)
        writer = PcapNgWriter(str(target))
        for packet in rdpcap(str(source)):
            writer.write(packet)
        writer.close()
        return target.read_bytes()


def test_cases_are_placed_exactly_where_the_batch_engine_places_them(tmp_path):
    """Same shifted packets as the batch engine's per-case files; a pcapng or a capture cut short
    is read on its own, and the cases after it go into a later file (time only moves forward)."""
    from generators.pcapio import write_pcap
    from harness.cases.pcaps import generate
    plain = tmp_path / "plain.pcap"
    write_pcap(generate("tcp.syn_scan", {"src": "10.1.1.50", "dst": "192.168.200.10", "dports": [22, 23],
                                         "interval": 2}), plain)
    data = plain.read_bytes()
    pcapng, cut = tmp_path / "case.pcapng", tmp_path / "cut.pcap"
    pcapng.write_bytes(_pcapng(data))
    cut.write_bytes(data[:-3])
    raw = tmp_path / "raw.pcap"      # another link type: LINKTYPE_RAW, the same IP packets
    raw.write_bytes(data[:20] + struct.pack("<I", 101) + _strip_ethernet(data[24:]))
    sources = [plain, plain, pcapng, plain, cut, plain, raw, plain]
    jobs = [Job(f"case/{n}", pcap, tmp_path / "out" / str(n)) for n, pcap in enumerate(sources)]
    for name in ("batch", "merged"):
        (tmp_path / name).mkdir()
    batch = BatchEngine(workers=1)._time_separated(Workspace(tmp_path / "batch", None, tmp_path), jobs)
    files = MergedEngine(workers=1)._merge(Workspace(tmp_path / "merged", None, tmp_path), jobs)
    cases = [case for _, f in files for case in f.cases]
    assert [case.job.key for case in cases] == [job.key for job in jobs]
    for case, staged in zip(cases, batch):
        assert case.write_own().read_bytes() == staged.pcap.read_bytes()
    shape = [([c.job.key for c in f.cases], f.alone) for _, f in files]
    assert shape == [(["case/0", "case/1"], False), (["case/2"], True), (["case/3"], False), (["case/4"], True),
                     (["case/5"], False), (["case/6"], False), (["case/7"], False)]
    for _, merged in files:
        if not merged.alone:   # the merged file is its cases' packets, in order
            body = b"".join(case.job.pcap.read_bytes()[24:] for case in merged.cases)
            assert merged.path.read_bytes()[24:] == body


def _strip_ethernet(records: bytes) -> bytes:
    out, offset = b"", 0
    while offset + 16 <= len(records):
        sec, sub, captured, original = struct.unpack_from("<IIII", records, offset)
        packet = records[offset + 16 + 14:offset + 16 + captured]
        out += struct.pack("<IIII", sec, sub, len(packet), original - 14) + packet
        offset += 16 + captured
    return out


def test_a_failing_case_is_replayed_alone_before_it_is_reported(tmp_project, tmp_path):
    from harness.cases.pcaps import case_refs, write_all
    from harness.rules.loader import load_project
    from tests.tmp_project import GOOD_RULE, good_rule_text, write_lock, write_rule
    write_rule(tmp_project, GOOD_RULE, good_rule_text(("    expect: {alerts: 1}", "    expect: {alerts: 2}")))
    write_lock(tmp_project)
    ruleset = load_project(Project(tmp_project))
    refs = case_refs(ruleset)
    write_all(refs, ruleset.project.pcaps_dir)
    verdicts = {v.ref.key: v for v in run_cases(ruleset, refs, MergedEngine(workers=1), tmp_path / "run")}
    failed = [v for v in verdicts.values() if not v.passed]
    assert [v.ref.key for v in failed] == ["mqtt-admin-login/admin-login"]
    assert failed[0].actual == {ruleset.by_id("mqtt-admin-login").rule.sid: 1}
    # The batch engine's own staging: the failing case (and only it) was read again on its own.
    assert sorted(p.name for p in (tmp_path / "run" / "engine" / "pcaps").iterdir()) == ["00000.pcap"]


def test_without_keep_no_case_folder_is_written_and_the_verdicts_are_the_same(repo_ruleset, tmp_path):
    """run_suite without `keep` takes each case's alerts from the split (no eve.json per case)."""
    from harness.cases.runner import run_suite
    refs = all_refs(repo_ruleset, ["iot-mqtt-plaintext-publish", "iot-telnet-session"])
    kept = {v.ref.key: (v.actual, v.event_count, len(v.alert_records))
            for v in run_cases(repo_ruleset, refs, MergedEngine(), tmp_path / "kept")}
    engine = MergedEngine()
    unkept = {v.ref.key: (v.actual, v.event_count, len(v.alert_records))
              for v in run_suite(repo_ruleset, engine, ["iot-mqtt-plaintext-publish", "iot-telnet-session"])}
    assert unkept == kept and any(actual for actual, _, _ in kept.values())
    assert engine.write_eve                                    # the caller's setting is left as it was
    assert all((tmp_path / "kept" / "cases" / key / "eve.json").is_file() for key in kept)
    bare = {v.ref.key: (v.actual, v.event_count, len(v.alert_records))
            for v in run_cases(repo_ruleset, refs, MergedEngine(), tmp_path / "bare", keep_eve=False)}
    assert bare == kept and not (tmp_path / "bare" / "cases").exists()
