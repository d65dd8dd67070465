"""The merged engine's split reads most EVE lines from their bytes (harness/suricata/evelines.py):
what it reads must be what parsing the whole record gives, on every line Suricata wrote for the
suite, and a line of any other shape must be left to the parser."""
from __future__ import annotations

import json

from harness.suricata import evelines


def _both(line: bytes):
    fast = evelines._from_bytes(line, {})
    return fast, evelines.read_parsed(line)


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
            assert evelines.read(line, {})[:5] == parsed[:5]
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
        assert evelines.read(text.encode(), {}) == parsed
    # The plain shapes are read from the bytes, with the same answers as the parser's.
    for text in (_HEADER % "flow" + ',"app_proto":"dnp3",' + _FLOW + ',"tcp":{"syn":true}}',
                 _HEADER % "dns" + ',"pkt_src":"wire/pcap","dns":{"type":"query"}}',
                 _HEADER % "http" + ',"pkt_src":"stream (flow timeout)","http":{}}'):
        fast, parsed = _both(text.encode())
        assert fast is not None and fast[:5] == parsed[:5], text


def test_the_split_fed_in_pieces_is_the_split_of_the_whole_file(suite_run):
    """Suricata's eve.json reaches the split in whatever pieces follow.py reads (a line may be cut
    anywhere): the result must not depend on where."""
    import random
    from types import SimpleNamespace

    from harness.suricata.evesplit import Split
    _, workdir = suite_run
    path = sorted((workdir / "engine" / "merged").glob("out-*/eve.json"))[0]
    data = path.read_bytes()
    first = evelines.read(data.split(b"\n", 1)[0], {})[0]
    cases = [SimpleNamespace(first_us=first + n * 86_400_000_000 * 30, last_us=0, end_us=10 ** 18, flush_second=1,
                             packets_before=n * 10, job=SimpleNamespace(key=f"case/{n}")) for n in range(4)]
    whole = Split(cases, path)
    whole.feed(data)
    expected = whole.finish()
    counted = Split(cases, path, keep_lines=False)
    counted.feed(data)
    assert counted.finish()[:2] == expected[:2]           # the same without keeping the lines
    pieces, rng, at = Split(cases, path), random.Random(7), 0
    while at < len(data):
        step = rng.choice((1, 7, 300, 4096, 65536))
        pieces.feed(data[at:at + step])
        at += step
    assert pieces.finish() == expected
    assert sum(count for _, count in expected[1]) > 1000 and sum(len(alerts) for alerts, _ in expected[1])


def test_following_a_command_feeds_its_file_as_it_grows_and_times_out(tmp_path):
    import time

    import pytest

    from harness.rules.errors import EngineError
    from harness.suricata.follow import run_following
    out, pieces = tmp_path / "out.txt", []
    script = f"for i in 1 2 3 4 5; do echo line$i >> {out}; sleep 0.05; done; echo finished"
    code, output = run_following(["sh", "-c", script], 10, "writing", path=out, feed=pieces.append)
    assert (code, output.strip()) == (0, "finished")
    assert b"".join(pieces) == out.read_bytes() == b"".join(b"line%d\n" % n for n in range(1, 6))
    assert len(pieces) > 1                      # read while it ran, not once at the end
    began = time.monotonic()
    with pytest.raises(EngineError, match="did not finish sleeping within 0.3 s"):
        run_following(["sh", "-c", f"echo x > {out}; sleep 30"], 0.3, "sleeping", path=out, feed=pieces.append)
    assert time.monotonic() - began < 5
