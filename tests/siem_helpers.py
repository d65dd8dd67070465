"""Rules and EVE records built in code for the SIEM backend tests."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from harness.rules.model import Rule
from harness.rules.networks import Networks

NETWORKS = Networks({"IOT_NET": ("192.168.200.0/24",), "MGMT_NET": ("10.10.0.0/24",),
                     "HOME_NET": ("$IOT_NET", "10.0.0.0/8"), "EXTERNAL_NET": ("!$HOME_NET",)})
T0 = datetime(2024, 1, 1, 12, 0, 0, tzinfo=timezone.utc)


def make_rule(detection: dict, **overrides) -> Rule:
    data = {
        "id": "siem-test-rule", "sid": 9199999, "rev": 1, "title": "SIEM test rule",
        "description": "d", "response": "r", "severity": "medium", "status": "test",
        "created": "2024-01-01", "updated": "2024-01-01", "detection": detection,
        "tests": [{"name": "hit", "traffic": {"generator": "tcp.syn_scan"}, "expect": {"alerts": 1}},
                  {"name": "miss", "traffic": {"generator": "tcp.syn_scan"}, "expect": {"alerts": 0}}],
    }
    data.update(overrides)
    return Rule.model_validate(data)


def eve_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "+0000"


def syn_flow(start: datetime, src: str = "10.1.1.50", dst: str = "192.168.200.10", dport: int = 80,
             logged: datetime | None = None) -> dict:
    """A flow record as Suricata 7 writes it for a SYN answered by RST: logged when the flow ends."""
    return {"timestamp": eve_time(logged or start + timedelta(minutes=5)), "flow_id": 1, "event_type": "flow",
            "src_ip": src, "src_port": 49152, "dest_ip": dst, "dest_port": dport, "proto": "TCP",
            "flow": {"pkts_toserver": 1, "pkts_toclient": 1, "start": eve_time(start),
                     "end": eve_time(start + timedelta(milliseconds=1)), "state": "closed", "reason": "timeout"},
            "tcp": {"tcp_flags": "16", "tcp_flags_ts": "02", "tcp_flags_tc": "14", "syn": True, "rst": True}}


def write_eve(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def kusto_session():
    """One long-running Kusto checker for many small checks; skips when node/npm ci is missing."""
    from harness.siem.kusto import KustoSession, KustoUnavailable
    from harness.backends.settings import SiemSettings
    try:
        session = KustoSession(SiemSettings().schema, Path(__file__).resolve().parent.parent)
        session.check(["print 1"])
    except KustoUnavailable as exc:
        pytest.skip(str(exc))
    yield session
    session.close()
