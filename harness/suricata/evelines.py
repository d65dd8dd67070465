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
import re
from datetime import datetime, timedelta, timezone

from harness.rules.errors import EngineError
from harness.suricata import eve

# EVE pkt_src of records made on a packet read from the file (or decoded out of one): stamped with
# that packet's own time. Pseudo-packets made when a flow times out or at shutdown are not.
PACKET_TIME = frozenset({"wire/pcap", "gre tunnel", "ipv4 tunnel", "ipv6 tunnel", "teredo tunnel", "defrag",
                         "stream (detect/log)", "geneve encapsulation", "vxlan encapsulation"})
_PACKET_TIME_BYTES = frozenset(source.encode() for source in PACKET_TIME)

_PKT_SRC, _FLOW = b'"pkt_src":"', b',"flow":{'


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


def _micros_of(whole: bytes, fraction: bytes, zone: bytes, seconds: dict) -> int:
    """µs of a timestamp matched as "YYYY-mm-ddTHH:MM:SS", "ffffff", "+hhmm"."""
    second = seconds.get(whole + zone)
    if second is None:
        second = seconds[whole + zone] = _second((whole + zone).decode("ascii")) * 1_000_000
    return second + int(fraction)


_STAMP = rb'(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{6})([+-]\d{4})"'
# The header, flat up to the first "{": timestamp and flow_id first, as Suricata writes them, then
# event_type (an identifier) and the rest of the flat part (where pkt_src is).
_HEAD = re.compile(rb'\{"timestamp":"' + _STAMP + rb',"flow_id":(\d+),[^{]*?"event_type":"([a-z0-9_]+)"([^{]*)')
# A flow object's start, before anything nested in it.
_FLOW_START = re.compile(rb'\{[^{}]*?"start":"' + _STAMP)


def _from_bytes(line: bytes, seconds: dict):
    """The facts, or None where the line is not of the one shape read here (then it is parsed)."""
    match = _HEAD.match(line)
    if match is None or not line.endswith(b"}"):
        return None
    whole, fraction, zone, flow_id, event_type, rest = match.groups()
    if event_type == b"alert":
        return None                     # the verdicts need an alert's whole record
    when = _micros_of(whole, fraction, zone, seconds)
    if rest.endswith(_FLOW[:-1]):
        # The first object is the top-level flow: its start comes before anything nested in it.
        start = _FLOW_START.match(line, match.end())
        if start is None:
            return None
        return when, _micros_of(*start.groups(), seconds), event_type.decode(), int(flow_id), None, None
    if _FLOW[1:] in line:
        return None                     # a "flow" object elsewhere: let the parser say where it is
    at = rest.find(_PKT_SRC)
    end = rest.find(b'"', at + 11) if at >= 0 else -1
    source = rest[at + 11:end] if end >= 0 else b"\\"
    if b"\\" in source:
        return None                     # none, or an escaped one: parse
    return when, None, event_type.decode(), int(flow_id), source in _PACKET_TIME_BYTES, None
