"""The merged engine's eve.json split back into its cases (harness/suricata/merged.py).

Whose a record is:
- a flow record or an alert names its flow's start: the case whose window holds it;
- a record made on a packet read from the file carries that packet's time: the case whose window
  holds it (no packet reaches a flow of an earlier case: it has timed out);
- anything else (a transaction logged when its flow ended) carries only the flow_id, which
  Suricata 7.0 makes of the flow's hash (its addresses and ports) and only the low bits of its
  start time, so cases talking between the same hosts can share it: the flow with that id still
  open at that point of the file (a flow's records all come before its flow record) that started
  before the record. Two such: both cases are replayed.

The first pass (what each line says: evelines.py) is fed the bytes as Suricata writes them
(follow.py), so it runs on the other core while Suricata reads the packets; the second pass, which
needs every flow record, runs when Suricata has finished.
"""
from __future__ import annotations

import bisect
import collections
import re
from pathlib import Path

from harness.rules.errors import EngineError
from harness.suricata import eve, evelines
from harness.suricata.flush import is_flush_line

_PCAP_CNT = re.compile(rb'"pcap_cnt":(?P<n>\d+)')


class Split:
    """One merged file's eve.json: feed() its bytes in any pieces, then finish()."""

    def __init__(self, cases: list, eve_path: Path):
        self.cases, self.eve_path = cases, eve_path
        self.starts = [case.first_us for case in cases]
        self.parsed: list[tuple] = []
        self.flows = collections.defaultdict(list)     # flow_id -> [(case, index of its flow record)]
        self.seconds: dict = {}
        self.rest = b""
        self.error: EngineError | None = None

    def case_at(self, micros: int) -> int:
        return max(0, bisect.bisect_right(self.starts, micros) - 1)

    def feed(self, data: bytes) -> None:
        """Bytes of eve.json in order; a line cut in two waits for its end. A line that is not EVE
        is remembered, not raised, while Suricata still runs (finish() raises it)."""
        data = self.rest + data if self.rest else data
        cut = data.rfind(b"\n")
        if cut < 0:
            self.rest = data
            return
        self.rest = data[cut + 1:]
        if self.error is None:
            try:
                self._lines(data[:cut])
            except EngineError as error:
                self.error = error

    def _lines(self, block: bytes) -> None:
        # Bytes throughout: only alerts and lines of an unexpected shape are parsed (evelines.py);
        # lines are written back as Suricata wrote them.
        parsed, flows, seconds, case_at = self.parsed, self.flows, self.seconds, self.case_at
        for line in block.split(b"\n"):
            if not line.strip() or is_flush_line(line):
                continue
            try:
                when, start, event_type, flow_id, packet_time, record = evelines.read(line, seconds)
            except EngineError as exc:
                raise EngineError(f"{self.eve_path} is not EVE JSON ({exc})") from None
            started = None if start is None else case_at(start)
            if event_type == "flow" and flow_id is not None:
                flows[flow_id].append((started, len(parsed)))
            parsed.append((line, record, when, started, event_type, flow_id, packet_time))

    def finish(self, keep_lines: bool) -> tuple[set[str], list[tuple[list[dict], int]], list[list[bytes]]]:
        """(keys of cases that may have influenced each other, (alert records, number of records)
        of each case, each case's lines when keep_lines)."""
        if self.rest:
            self.feed(b"\n")
        if self.error is not None:
            raise self.error
        cases, case_at, flows, starts = self.cases, self.case_at, self.flows, self.starts
        lines: list[list[bytes]] = [[] for _ in cases]
        counts = [0] * len(cases)
        alerts: list[list[dict]] = [[] for _ in cases]
        replay: set[str] = set()
        for index, (line, record, when, owner, event_type, flow_id, packet_time) in enumerate(self.parsed):
            if owner is None and packet_time:
                owner = case_at(when)
            if owner is None:
                candidates = {case for case, logged in flows.get(flow_id, ())
                              if logged > index and case is not None and starts[case] <= when}
                owner = max(candidates, default=case_at(when))
                if len(candidates) != 1:
                    replay |= {cases[case].job.key for case in candidates | {owner}}
            case = cases[owner]
            if when > case.end_us:
                if event_type == "flow" and case.flush_second is None:
                    line = as_at_teardown(line, record or evelines.read_parsed(line)[-1], case)
                else:
                    # Inspected late, in another case's time: replay both of them alone.
                    replay.add(case.job.key)
                    replay.add(cases[case_at(when)].job.key)
            counts[owner] += 1
            if event_type == "alert":
                final = own_packet_count(line, case)
                alerts[owner].append(record if final is line else eve.loads(final))
                if keep_lines:
                    lines[owner].append(final)
            elif keep_lines:
                lines[owner].append(own_packet_count(line, case))
        return replay, list(zip(alerts, counts)), lines


def as_at_teardown(line: bytes, record: dict, case) -> bytes:
    """A flow record logged after its case: the time and reason a file's teardown gives it."""
    stamp = record["timestamp"]
    line = line.replace(f'"timestamp":"{stamp}"'.encode(),
                        f'"timestamp":"{evelines.eve_time(case.last_us, stamp)}"'.encode(), 1)
    return line.replace(b'"reason":"timeout"', b'"reason":"shutdown"', 1)


def own_packet_count(line: bytes, case) -> bytes:
    """pcap_cnt counted from the case's own first packet, as in a file of its own."""
    if not case.packets_before:
        return line
    match = _PCAP_CNT.search(line)
    if not match or int(match.group("n")) <= case.packets_before:
        return line
    return b"%s%d%s" % (line[:match.start("n")], int(match.group("n")) - case.packets_before, line[match.end("n"):])
