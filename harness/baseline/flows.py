"""EVE flow events seen from each device: the one definition of what a profile counts.

A flow event names its initiator (src_ip) and responder (dest_ip). For a device:
- ``bytes_out``: bytes it sent in flows it initiated (``flow.bytes_toserver``), per hour;
- ``flows``: flows it took part in, either end, per hour;
- ``peers``: distinct other ends of those flows, per hour.
A flow belongs to the UTC hour of ``flow.start``. The SIEM searches (harness/baseline/siem.py)
compute exactly these three from the same fields; a change here must change them too.
"""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterable

from harness.rules.errors import UsageError

HOUR = 3600


@dataclass(frozen=True)
class Flow:
    src: str
    dest: str
    proto: str          # TCP | UDP | ...
    dest_port: int
    app_proto: str
    start: int          # epoch seconds
    bytes_toserver: int

    @property
    def hour(self) -> int:
        return self.start - self.start % HOUR


def parse_time(text: str) -> int:
    return int(datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp())


def read_flows(paths: Iterable[Path]) -> list[Flow]:
    """Flow events of every eve.json, in file order (other event types are skipped)."""
    flows = []
    for path in paths:
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if '"event_type":"flow"' not in line.replace(" ", ""):
                    continue
                try:
                    event = json.loads(line)
                    flow = event["flow"]
                    flows.append(Flow(event["src_ip"], event["dest_ip"], str(event.get("proto", "")).upper(),
                                      int(event.get("dest_port") or 0), str(event.get("app_proto") or ""),
                                      parse_time(flow["start"]), int(flow.get("bytes_toserver") or 0)))
                except (ValueError, KeyError, TypeError) as exc:
                    raise UsageError(f"{path}:{number}: not an EVE flow event ({exc})") from None
    return flows


@dataclass
class Hourly:
    """Per device: the three counters, by hour (epoch seconds of the hour's start)."""
    bytes_out: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    flows: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    peers: dict[int, set] = field(default_factory=lambda: defaultdict(set))


def hourly(flows: Iterable[Flow], is_device: Callable[[str], bool]) -> dict[str, Hourly]:
    out: dict[str, Hourly] = defaultdict(Hourly)
    for flow in flows:
        for device, peer in ((flow.src, flow.dest), (flow.dest, flow.src)):
            if not is_device(device):
                continue
            stats = out[device]
            stats.flows[flow.hour] += 1
            stats.peers[flow.hour].add(peer)
            if device == flow.src:
                stats.bytes_out[flow.hour] += flow.bytes_toserver
    return dict(out)
