"""What the merged engine's split needs to know of an EVE line: its time, its flow's start, its
event type, its flow_id and whether it was made on a packet read from the file.

Parsing all ~27,000 lines of a suite run with orjson was most of the split's cost, and only the
alerts are needed whole. Suricata 7 writes every record's header first, flat, before any nested
object (`{"timestamp":"…","flow_id":N,"pcap_cnt":N,"event_type":"…",…,"pkt_src":"…","dnp3":{…`),
and a flow record's first object is its `"flow":{` with `"start"` before anything nested in it.
Read from the bytes, a key in the part before the first `{` is a top-level key (a quote inside a
string value is escaped, so `"name":"` cannot occur inside one). Where a line does not have exactly
that shape, or it is an alert, it is parsed whole (`read_parsed`) and the same facts are taken from
the record, so the fast reading only ever answers where it is certain to agree
(tests/test_evelines.py compares both on every line of a suite run).
"""
from __future__ import annotations

import functools
from datetime import datetime, timedelta, timezone

from harness.rules.errors import EngineError
from harness.suricata import eve

# EVE pkt_src of records made on a packet read from the file (or decoded out of one): stamped with
# that packet's own time. Pseudo-packets made when a flow times out or at shutdown are not.
PACKET_TIME = frozenset({"wire/pcap", "gre tunnel", "ipv4 tunnel", "ipv6 tunnel", "teredo tunnel", "defrag",
                         "stream (detect/log)", "geneve encapsulation", "vxlan encapsulation"})
_PACKET_TIME_BYTES = frozenset(source.encode() for source in PACKET_TIME)

_OPEN = b'{"timestamp":"'           # every EVE line starts so; the stamp is "YYYY-mm-ddTHH:MM:SS.ffffff+hhmm"
_EVENT, _FLOW_ID, _PKT_SRC = b'"event_type":"', b'"flow_id":', b'"pkt_src":"'
_FLOW, _START = b',"flow":{', b'"start":"'


@functools.lru_cache(maxsize=4096)
def _second(text: str) -> int:
    """Epoch second of an EVE timestamp's "YYYY-mm-ddTHH:MM:SS" and "+hhmm" (cached: a case's
    records share a handful of seconds)."""
    moment = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z")
    return round((moment - _EPOCH).total_seconds())


def micros(text: str) -> int:
    """Microseconds since the epoch of an EVE timestamp ("2023-11-14T22:13:20.005000+0000")."""
    if len(text) != 31 or text[19] != ".":
        moment = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z")
        return round((moment - _EPOCH) / timedelta(microseconds=1))
    return _second(text[:19] + text[26:]) * 1_000_000 + int(text[20:26])


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def eve_time(when: int, like: str) -> str:
    """when (µs) as Suricata writes a timestamp, in the UTC offset of `like` (one of its timestamps)."""
    offset = datetime.strptime(like, "%Y-%m-%dT%H:%M:%S.%f%z").utcoffset()
    moment = (_EPOCH + timedelta(microseconds=when)).astimezone(timezone(offset))
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + like[-5:]


def read(line: bytes, seconds: dict) -> tuple:
    """(time µs, flow start µs or None, event_type, flow_id, made on a packet (None when the flow's
    start decides), the parsed record or None). seconds caches the µs of each whole second
    ("YYYY-mm-ddTHH:MM:SS" + zone) seen: a case's records share a few."""
    try:
        facts = _from_bytes(line, seconds)
    except ValueError:
        facts = None                    # not the shape it looked like: the parser says what it is
    return facts if facts is not None else read_parsed(line)


def read_parsed(line: bytes) -> tuple:
    """The same facts from the record parsed whole; EngineError (the parser's reason) when it is
    not an EVE record."""
    try:
        record = eve.loads(line)
        when = micros(record["timestamp"])
        flow = record.get("flow")
        start = micros(flow["start"]) if isinstance(flow, dict) and "start" in flow else None
        packet_time = None if start is not None else record.get("pkt_src") in PACKET_TIME
        return when, start, record.get("event_type"), record.get("flow_id"), packet_time, record
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise EngineError(f"{exc}") from None


def _stamp(line: bytes, at: int, seconds: dict) -> int | None:
    """µs of the 31-byte timestamp at line[at:] (closed by a quote), None for another shape."""
    if line[at + 31:at + 32] != b'"' or line[at + 19:at + 20] != b".":
        return None
    whole = line[at:at + 19] + line[at + 26:at + 31]
    second = seconds.get(whole)
    if second is None:
        text = line[at:at + 31].decode("ascii", errors="replace")
        second = seconds[whole] = micros(text) - int(text[20:26])
    return second + int(line[at + 20:at + 26])


def _from_bytes(line: bytes, seconds: dict):
    if not line.startswith(_OPEN) or not line.endswith(b"}"):
        return None
    when = _stamp(line, 14, seconds)
    head = line.find(b"{", 1)          # the header is what comes before the first nested object
    if when is None or head < 0:
        return None
    at = line.find(_EVENT, 0, head)
    end = line.find(b'"', at + 14, head) if at >= 0 else -1
    if end < 0:
        return None
    event_type = line[at + 14:end]
    if event_type == b"alert" or b"\\" in event_type:
        return None                     # the verdicts need an alert's whole record
    at = line.find(_FLOW_ID, 0, head)
    end = line.find(b",", at + 10, head) if at >= 0 else -1
    digits = line[at + 10:end] if end >= 0 else b""
    if not digits.isdigit():
        return None                     # no flow_id before the first object: it may follow one
    flow_id = int(digits)
    if line.startswith(_FLOW, head - 8):
        # The first object is the top-level flow: its start comes before anything nested in it.
        inner = line.find(b"{", head + 1)
        close = line.find(b"}", head + 1)
        limit = close if inner < 0 else min(inner, close)
        at = line.find(_START, head, limit)
        start = _stamp(line, at + 9, seconds) if at >= 0 else None
        if start is None:
            return None
        return when, start, event_type.decode(), flow_id, None, None
    if _FLOW[1:] in line:
        return None                     # a "flow" object elsewhere: let the parser say where it is
    at = line.find(_PKT_SRC, 0, head)
    end = line.find(b'"', at + 11, head) if at >= 0 else -1
    source = line[at + 11:end] if end >= 0 else b"\\"
    if b"\\" in source:
        return None                     # none, or an escaped one: parse
    return when, None, event_type.decode(), flow_id, source in _PACKET_TIME_BYTES, None
