"""Threshold semantics: "count N within S seconds by source" means N events of one key whose first
and last are less than S seconds apart, wherever they fall (docs/siem.md). A bin-based search
(count per fixed S-second bin) misses a burst that straddles a bin boundary; ours must not."""
from __future__ import annotations

from datetime import timedelta

import pytest

from harness.backends.kql import KqlBackend
from harness.backends.spl import SplBackend
from harness.siem.evaluate import EveEvaluator
from harness.backends.settings import SiemSettings
from tests.siem_helpers import NETWORKS, T0, make_rule, syn_flow, write_eve

SCAN = {"protocol": "tcp", "source": ["!$IOT_NET", "!$MGMT_NET"], "destination": "$IOT_NET", "tcp_flags": "S,CE",
        "threshold": {"type": "both", "track": "by_src", "count": 5, "seconds": 60}}


def seconds(*offsets: float):
    return [T0 + timedelta(seconds=s) for s in offsets]


@pytest.fixture(scope="module")
def evaluator():
    evaluator = EveEvaluator(NETWORKS)
    yield evaluator
    evaluator.close()


def hunt_rows(evaluator, tmp_path, records, detection=SCAN):
    queries = evaluator.compile(make_rule(detection), NETWORKS)
    return evaluator.run(queries.hunt, write_eve(tmp_path / "eve.json", records)).records()


def test_burst_straddling_a_bin_boundary_is_found(evaluator, tmp_path):
    # 12:00:56 .. 12:01:02: three events in the 12:00 minute, two in the 12:01 minute.
    records = [syn_flow(t, dport=port) for t, port in zip(seconds(56, 57, 58, 61, 62), (22, 23, 80, 443, 8080))]
    rows = hunt_rows(evaluator, tmp_path, records)
    assert [(r["src_ip"], r["bursts"]) for r in rows] == [("10.1.1.50", 1)]
    # The same events counted per 60 s bin stay below 5 in every bin: that search would miss them.
    binned = evaluator.query("SELECT time_bucket(INTERVAL 60 SECOND, strptime(json_extract_string(flow, '$.start'),"
                             " '%Y-%m-%dT%H:%M:%S.%f%z')) AS bin, count(*) AS n FROM eve GROUP BY bin").rows
    assert max(n for _, n in binned) < 5


def test_window_is_half_open_like_suricata(evaluator, tmp_path):
    # first and fifth exactly 60 s apart: not within 60 s (Suricata: now - first < seconds).
    assert hunt_rows(evaluator, tmp_path, [syn_flow(t) for t in seconds(0, 10, 20, 30, 60)]) == []
    assert len(hunt_rows(evaluator, tmp_path, [syn_flow(t) for t in seconds(0, 10, 20, 30, 59.999)])) == 1


def test_event_time_is_the_flow_start_not_the_log_time(evaluator, tmp_path):
    # Five attempts two minutes apart, all logged at the same moment when the flows time out.
    logged = T0 + timedelta(minutes=20)
    records = [syn_flow(t, logged=logged) for t in seconds(0, 120, 240, 360, 480)]
    assert hunt_rows(evaluator, tmp_path, records) == []


def test_four_events_or_two_sources_stay_below_the_threshold(evaluator, tmp_path):
    assert hunt_rows(evaluator, tmp_path, [syn_flow(t) for t in seconds(0, 1, 2, 3)]) == []
    mixed = [syn_flow(t, src=src) for t, src in zip(seconds(0, 1, 2, 3, 4), ["10.1.1.50", "10.1.1.51"] * 3)]
    assert hunt_rows(evaluator, tmp_path, mixed) == []


def test_track_by_dst_counts_per_destination(evaluator, tmp_path):
    detection = {**SCAN, "threshold": {"type": "both", "track": "by_dst", "count": 5, "seconds": 60}}
    spread = [syn_flow(t, src=f"10.1.1.{i}") for i, t in enumerate(seconds(0, 1, 2, 3, 4), start=50)]
    assert [r["dest_ip"] for r in hunt_rows(evaluator, tmp_path, spread, detection)] == ["192.168.200.10"]
    assert hunt_rows(evaluator, tmp_path, spread, SCAN) == []


def test_limit_threshold_flags_the_first_event(evaluator, tmp_path):
    detection = {**SCAN, "threshold": {"type": "limit", "track": "by_src", "count": 5, "seconds": 60}}
    assert len(hunt_rows(evaluator, tmp_path, [syn_flow(T0)], detection)) == 1


def test_spl_and_kql_use_the_same_burst_definition():
    """SPL: the Nth event of a key's time-sorted stream, window of N; KQL: next(event_time, N-1)."""
    rule = make_rule(SCAN)
    spl = SplBackend().compile(rule, NETWORKS, SiemSettings()).hunt
    kql = KqlBackend().compile(rule, NETWORKS, SiemSettings()).hunt
    assert "| sort 0 event_time\n| streamstats window=5 global=false" in spl
    assert "where burst_size=5 AND event_time - burst_start < 60" in spl
    assert "| sort by src_ip asc, event_time asc" in kql
    assert "next(event_time, 4), burst_key = next(src_ip, 4)" in kql
    assert "burst_end - event_time < 60s" in kql
    assert "strptime('flow.start'" in spl and "todatetime(flow.start)" in kql


def test_eql_keeps_the_sliding_burst_and_the_flow_start_clock():
    """EQL: N events of one key within S seconds from any event (a sequence with runs), ordered by
    the flow's start like the others; Kibana's rule carries that clock as its timestamp_field."""
    from harness.backends.elastic import ElasticBackend, timestamp_field
    rule = make_rule(SCAN)
    eql = ElasticBackend().compile(rule, NETWORKS, SiemSettings()).hunt
    assert eql.startswith("sequence by source.ip with maxspan=60s\n") and eql.endswith("] with runs=5")
    assert timestamp_field(rule) == "event.start"
    limit = make_rule({**SCAN, "threshold": {"type": "limit", "track": "by_src", "count": 5, "seconds": 60}})
    assert ElasticBackend().compile(limit, NETWORKS, SiemSettings()).hunt.startswith("any where ")
