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

The lines are fed as Suricata writes them (follow.py), so reading them (evelines.py) and counting
each record for its case happen on the other core while Suricata reads the packets; only records
whose case only their flow_id can tell (~90 in the suite) wait for Suricata's exit: they need every
flow record.
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
    """One merged file's eve.json: feed() its bytes in any pieces, then finish(). A record whose
    case its flow's start or its packet's time names is counted as it arrives; only the few that
    name neither wait for every flow record (finish). keep_lines: also each case's lines (with
    their record numbers, so the waiting ones go back in their place)."""

    def __init__(self, cases: list, eve_path: Path, keep_lines: bool = True):
        self.cases, self.eve_path, self.keep_lines = cases, eve_path, keep_lines
        self.starts = [case.first_us for case in cases]
        self.ends = [case.end_us for case in cases]
        self.flows = collections.defaultdict(list)     # flow_id -> [(case, index of its flow record)]
        self.waiting: list[tuple] = []                 # records whose case the flow_id decides
        self.counts = [0] * len(cases)
        self.alerts: list[list[tuple[int, dict]]] = [[] for _ in cases]
        self.lines: list[list[tuple[int, bytes]]] = [[] for _ in cases]
        self.replay: set[str] = set()
        self.index = 0
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
        flows, seconds, starts, ends, counts = self.flows, self.seconds, self.starts, self.ends, self.counts
        count, read, plain = self._count, evelines.read, not self.keep_lines
        index = self.index
        for line in block.split(b"\n"):
            if not line.strip() or is_flush_line(line):
                continue
            try:
                when, start, event_type, flow_id, packet_time, record = read(line, seconds)
            except EngineError as exc:
                raise EngineError(f"{self.eve_path} is not EVE JSON ({exc})") from None
            owner = None if start is None else max(0, bisect.bisect_right(starts, start) - 1)
            if event_type == "flow" and flow_id is not None:
                flows[flow_id].append((owner, index))
            if owner is None and packet_time:
                owner = max(0, bisect.bisect_right(starts, when) - 1)
            if owner is None:
                self.waiting.append((index, line, record, when, event_type, flow_id))
            elif plain and when <= ends[owner] and event_type != "alert":
                counts[owner] += 1          # most records: counted, nothing else to keep
            else:
                count(index, owner, line, record, when, event_type)
            index += 1
        self.index = index

    def _count(self, index: int, owner: int, line: bytes, record, when: int, event_type) -> None:
        case = self.cases[owner]
        if when > case.end_us:
            if event_type == "flow" and case.flush_second is None:
                if self.keep_lines:
                    line = as_at_teardown(line, record or evelines.read_parsed(line)[-1], case)
            else:
                # Inspected late, in another case's time: replay both of them alone.
                self.replay.add(case.job.key)
                self.replay.add(self.cases[self.case_at(when)].job.key)
        self.counts[owner] += 1
        if event_type == "alert":
            final = own_packet_count(line, case)
            self.alerts[owner].append((index, record if final is line else eve.loads(final)))
            if self.keep_lines:
                self.lines[owner].append((index, final))
        elif self.keep_lines:
            self.lines[owner].append((index, own_packet_count(line, case)))

    def finish(self) -> tuple[set[str], list[tuple[list[dict], int]], list[list[bytes]]]:
        """(keys of cases that may have influenced each other, (alert records, number of records)
        of each case, each case's lines when keep_lines), records in the file's order."""
        if self.rest:
            self.feed(b"\n")
        if self.error is not None:
            raise self.error
        cases, flows, starts = self.cases, self.flows, self.starts
        for index, line, record, when, event_type, flow_id in self.waiting:
            candidates = {case for case, logged in flows.get(flow_id, ())
                          if logged > index and case is not None and starts[case] <= when}
            owner = max(candidates, default=self.case_at(when))
            if len(candidates) != 1:
                self.replay |= {cases[case].job.key for case in candidates | {owner}}
            self._count(index, owner, line, record, when, event_type)
        if self.waiting:        # counted after the records that followed them
            for kept in self.alerts + self.lines:
                kept.sort(key=lambda item: item[0])
        alerts = [[record for _, record in kept] for kept in self.alerts]
        return (self.replay, list(zip(alerts, self.counts)),
                [[line for _, line in kept] for kept in self.lines])


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
