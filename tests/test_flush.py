"""The flush packet that ends every case (harness/suricata/flush.py)."""
from __future__ import annotations

import struct

from generators.pcapio import write_pcap
from harness.cases.pcaps import generate
from harness.suricata import flush
from harness.suricata.pcapshift import time_span


def _records(data: bytes) -> list[tuple[int, bytes]]:
    out, offset = [], 24
    while offset + 16 <= len(data):
        sec, _, captured, _ = struct.unpack_from("<IIII", data, offset)
        out.append((sec, data[offset + 16:offset + 16 + captured]))
        offset += 16 + captured
    return out


def test_flush_packets_follow_the_case_and_finish_every_flow(tmp_path):
    pcap = tmp_path / "scan.pcap"
    write_pcap(generate("tcp.syn_scan", {"src": "10.1.1.50", "dst": "192.168.200.10", "dports": [22, 23, 80, 443, 8080],
                                         "interval": 2}), pcap)
    before = _records(pcap.read_bytes())
    data = pcap.read_bytes()
    # Five SYNs (each a new flow, counted twice: a pair and a SYN) and their answers.
    bound = flush.flows_upper_bound(data, "<", 1)
    assert 5 <= bound <= 2 * len(before)
    _, last = time_span(pcap)
    assert flush.append_flush(pcap, last + flush.FLUSH_AFTER)
    after = _records(pcap.read_bytes())
    assert after[:len(before)] == before
    added = after[len(before):]
    assert len(added) == 1 + -(-bound // 2)          # one evicts, two finished after each
    assert {sec for sec, _ in added} == {last + flush.FLUSH_AFTER}
    assert all(packet == flush.frame(1) for _, packet in added)


def test_no_flush_after_a_record_cut_short_or_on_an_unknown_link_type(tmp_path):
    pcap = tmp_path / "case.pcap"
    write_pcap(generate("tcp.syn_scan", {"src": "10.1.1.50", "dst": "192.168.200.10", "dports": [22]}), pcap)
    cut = pcap.read_bytes()[:-3]
    pcap.write_bytes(cut)
    assert not flush.append_flush(pcap, 1)
    assert pcap.read_bytes() == cut
    other = bytearray(cut[:24])
    struct.pack_into("<I", other, 20, 147)            # a user link type: no frame for it
    pcap.write_bytes(bytes(other))
    assert not flush.append_flush(pcap, 1)


def test_the_flush_flow_is_dropped_from_eve_and_an_alert_on_it_is_an_error(tmp_path):
    import pytest
    from harness.rules.errors import EngineError
    eve = tmp_path / "eve.json"
    own = '{"event_type":"flow","src_ip":"10.1.1.50","dest_ip":"192.168.200.10"}'
    mine = f'{{"event_type":"flow","src_ip":"{flush.FLUSH_SOURCE}","dest_ip":"{flush.FLUSH_DEST}"}}'
    eve.write_text(f"{own}\n{mine}\n")
    flush.drop_flush_records(eve)
    assert eve.read_text() == f"{own}\n"
    eve.write_text(f'{own}\n{{"event_type":"alert","src_ip":"{flush.FLUSH_SOURCE}","dest_ip":"{flush.FLUSH_DEST}"}}\n')
    with pytest.raises(EngineError, match="alerts on the harness's flush packet"):
        flush.drop_flush_records(eve)
