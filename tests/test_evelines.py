"""The merged engine's split reads most EVE lines from their bytes (harness/suricata/evelines.py):
what it reads must be what parsing the whole record gives, on every line Suricata wrote for the
suite, and a line of any other shape must be left to the parser."""
from __future__ import annotations

import json

from harness.suricata import evelines
from harness.suricata.merged import _eve_micros


def _both(line: bytes):
    fast = evelines._from_bytes(line, {}, _eve_micros)
    return fast, evelines.read_parsed(line, _eve_micros)


def test_the_bytes_say_what_the_parsed_record_says_on_every_line_of_the_suite(suite_run):
    _, workdir = suite_run
    files = sorted((workdir / "engine" / "merged").glob("out-*/eve.json"))
    assert files
    fast_read, lines, types = 0, 0, set()
    for path in files:
        for line in path.read_bytes().split(b"\n"):
            if not line.strip():
                continue
            lines += 1
            fast, parsed = _both(line)
            assert evelines.read(line, _eve_micros, {})[:5] == parsed[:5]
            if fast is not None:
                fast_read += 1
                types.add(fast[2])
                assert fast[:5] == parsed[:5], line[:300]
                assert fast[5] is None
            else:
                assert parsed[5] is not None
    # Not vacuous: flow records and packet-stamped transactions of many protocols came from the
    # bytes; alerts never do (the verdicts need them whole).
    assert lines > 5000 and fast_read > 0.9 * lines
    assert {"flow", "dns", "http", "anomaly", "modbus"} <= types and "alert" not in types


_HEADER = ('{"timestamp":"2023-11-14T22:13:20.004000+0000","flow_id":2341359609,"pcap_cnt":5,'
           '"event_type":"%s","src_ip":"10.0.0.1","src_port":49152,"dest_ip":"192.168.210.1","dest_port":20000,'
           '"proto":"TCP"')
_FLOW = '"flow":{"pkts_toserver":4,"start":"2023-11-14T22:13:19.500000+0000","end":"2023-11-14T22:13:21.000000+0000"}'


def test_lines_of_another_shape_are_parsed_and_read_the_same():
    shapes = [
        # metadata (flowbits) before the flow object: the first object is not the flow
        _HEADER % "flow" + ',"metadata":{"flowbits":["a"]},' + _FLOW + "}",
        # pkt_src after a nested object
        _HEADER % "dns" + ',"dns":{"type":"query"},"pkt_src":"wire/pcap"}',
        # a flow object further on in a transaction record
        _HEADER % "http" + ',"pkt_src":"wire/pcap","http":{"hostname":"x"},' + _FLOW + "}",
        # an escaped pkt_src, a timestamp of another precision, no flow_id in the header
        _HEADER % "dns" + ',"pkt_src":"wire\\/pcap","dns":{}}',
        _HEADER.replace(".004000", ".004") % "dns" + ',"pkt_src":"wire/pcap","dns":{}}',
        _HEADER.replace('"flow_id":2341359609,', "") % "anomaly" + ',"anomaly":{},"flow_id":7}',
        # an alert: always parsed whole
        _HEADER % "alert" + ',"pkt_src":"wire/pcap","alert":{"signature_id":1},' + _FLOW + "}",
    ]
    for text in shapes:
        json.loads(text)                       # each is a valid record
        fast, parsed = _both(text.encode())
        assert fast is None, text
        assert evelines.read(text.encode(), _eve_micros, {}) == parsed
    # The plain shapes are read from the bytes, with the same answers as the parser's.
    for text in (_HEADER % "flow" + ',"app_proto":"dnp3",' + _FLOW + ',"tcp":{"syn":true}}',
                 _HEADER % "dns" + ',"pkt_src":"wire/pcap","dns":{"type":"query"}}',
                 _HEADER % "http" + ',"pkt_src":"stream (flow timeout)","http":{}}'):
        fast, parsed = _both(text.encode())
        assert fast is not None and fast[:5] == parsed[:5], text
