"""harness/suricata/pcapshift.py: time shifts, and host maps that carry a capture onto a site plan."""
from __future__ import annotations

import struct

import pytest
from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.inet6 import ICMPv6EchoRequest, IPv6
from scapy.layers.l2 import ARP, Ether
from scapy.utils import rdpcap

from generators.pcapio import pcap_bytes, write_pcap
from generators.session import IcmpExchange, TcpSession, UdpExchange
from harness.suricata.pcapshift import RewriteError, rewrite_hosts, shift_pcap

DEVICE, BROKER, PEER = "192.168.1.10", "192.168.1.2", "198.51.100.7"


def _capture(tmp_path):
    s = TcpSession(DEVICE, 40000, BROKER, 1883, start=1700000000.0)
    s.client_send(b"\x10\x0c\x00\x04MQTT\x04\x02\x00\x3c\x00\x00")
    s.close()
    u = UdpExchange(DEVICE, 53000, BROKER, 53, start=1700000001.0)
    u.client_send(b"dns?").server_send(b"dns!")
    ping = IcmpExchange(DEVICE, BROKER, start=1700000002.0)
    ping.echo(True)
    arp = Ether(src="02:00:00:00:00:01", dst="ff:ff:ff:ff:ff:ff") / ARP(psrc=DEVICE, pdst=BROKER)
    arp.time = 1700000003.0
    return write_pcap(s.packets + u.packets + ping.packets + [arp], tmp_path / "in.pcap")


def _checksums_hold(packets) -> bool:
    for packet in packets:
        for layer in (IP, TCP, UDP):
            if layer in packet:
                fresh = packet.copy()
                fresh[layer].chksum = None
                if Ether(bytes(fresh))[layer].chksum != packet[layer].chksum:
                    return False
    return True


def test_shift_moves_every_timestamp(tmp_path):
    source = _capture(tmp_path)
    shift_pcap(source, tmp_path / "out.pcap", 86400)
    assert [float(p.time) for p in rdpcap(str(tmp_path / "out.pcap"))] == \
        [float(p.time) + 86400 for p in rdpcap(str(source))]


def test_rewrite_within_ipv4_recomputes_checksums_and_keeps_times(tmp_path):
    source = _capture(tmp_path)
    hosts = {DEVICE: "10.20.0.5", BROKER: "10.20.0.1"}
    rewrite_hosts(source, tmp_path / "out.pcap", hosts)
    before, after = rdpcap(str(source)), rdpcap(str(tmp_path / "out.pcap"))
    assert [p.time for p in after] == [p.time for p in before]
    assert {p[IP].src for p in after if IP in p} == {"10.20.0.5", "10.20.0.1"}
    assert (after[-1][ARP].psrc, after[-1][ARP].pdst) == ("10.20.0.5", "10.20.0.1")
    assert _checksums_hold(after)
    assert [bytes(p[TCP].payload) for p in after if TCP in p] == [bytes(p[TCP].payload) for p in before if TCP in p]


def test_rewrite_onto_ipv6_and_back(tmp_path):
    source = _capture(tmp_path)
    there = {DEVICE: "fd00:200::10", BROKER: "fd00:200::2"}
    assert rewrite_hosts(source, tmp_path / "v6.pcap", there) == len(rdpcap(str(source))) - 1   # ARP dropped
    v6 = rdpcap(str(tmp_path / "v6.pcap"))
    assert all(IPv6 in p and IP not in p for p in v6)
    assert all(p[Ether].type == 0x86DD for p in v6)
    assert [p[IPv6].hlim for p in v6] == [64] * len(v6)
    assert any(ICMPv6EchoRequest in p for p in v6)
    assert _checksums_hold(v6)
    back = {v: k for k, v in there.items()}
    rewrite_hosts(tmp_path / "v6.pcap", tmp_path / "v4.pcap", back)
    v4, original = rdpcap(str(tmp_path / "v4.pcap")), rdpcap(str(source))[:-1]
    assert [(p[IP].src, p[IP].dst) for p in v4] == [(p[IP].src, p[IP].dst) for p in original]
    assert [bytes(p[TCP]) for p in v4 if TCP in p] == [bytes(p[TCP]) for p in original if TCP in p]
    assert [bytes(p[UDP]) for p in v4 if UDP in p] == [bytes(p[UDP]) for p in original if UDP in p]
    assert [p[ICMP].type for p in v4 if ICMP in p] == [8]
    assert _checksums_hold(v4)


def test_rewrite_refuses_to_mix_families_and_names_the_unmapped_address(tmp_path):
    source = _capture(tmp_path)
    with pytest.raises(RewriteError, match=rf"map {BROKER} in hosts"):
        rewrite_hosts(source, tmp_path / "out.pcap", {DEVICE: "fd00:200::10"})


def test_rewrite_leaves_unmapped_packets_and_keeps_the_link_type(tmp_path):
    s = TcpSession(PEER, 40000, "203.0.113.9", 80)
    s.close()
    bare = [IP(bytes(p[IP])) for p in s.packets]
    for packet, original in zip(bare, s.packets):
        packet.time = original.time
    raw = pcap_bytes(bare, linktype=101)   # LINKTYPE_RAW: no Ethernet header
    (tmp_path / "raw.pcap").write_bytes(raw)
    rewrite_hosts(tmp_path / "raw.pcap", tmp_path / "out.pcap", {"203.0.113.9": "2001:db8::9", PEER: "2001:db8::7"})
    data = (tmp_path / "out.pcap").read_bytes()
    assert struct.unpack_from("<I", data, 20)[0] == 101
    assert all(IPv6 in p for p in rdpcap(str(tmp_path / "out.pcap")))


def test_a_scans_port_unreachable_moves_between_families_with_the_packet_it_quotes():
    from scapy.layers.inet import ICMP, IP, UDP, IPerror, UDPerror
    from scapy.layers.inet6 import ICMPv6DestUnreach, IPerror6
    from scapy.layers.l2 import Ether
    from harness.suricata.pcapshift import _rewrite
    hosts = {"192.168.200.10": "fd00:200::10", "10.1.1.50": "fd00:1::50"}
    reply = Ether(bytes(Ether() / IP(src="192.168.200.10", dst="10.1.1.50") / ICMP(type=3, code=3)
                        / IP(src="10.1.1.50", dst="192.168.200.10") / UDP(sport=40000, dport=161) / b"abcd"))
    moved = _rewrite(reply, hosts, 1)
    assert moved[ICMPv6DestUnreach].code == 4                       # port unreachable
    assert (moved[IPerror6].src, moved[IPerror6].dst) == ("fd00:1::50", "fd00:200::10")
    back = _rewrite(moved, {v: k for k, v in hosts.items()}, 1)
    assert (back[ICMP].type, back[ICMP].code) == (3, 3)
    assert (back[IPerror].src, back[UDPerror].dport) == ("10.1.1.50", 161)


def test_a_port_unreachable_within_one_family_gets_its_quoted_addresses_rewritten_too():
    """Suricata files an ICMP error under the flow of the datagram it quotes: a stale quote starts a
    flow of its own, and udp-port-scan's once-per-probe flowbit then counts a whole scan once."""
    from scapy.layers.inet import IPerror, UDPerror
    from scapy.layers.inet6 import ICMPv6DestUnreach, IPerror6
    from scapy.utils import checksum
    from harness.suricata.pcapshift import _rewrite
    quoted = bytes(IP(src="10.1.1.50", dst="192.168.200.10", ttl=43) / UDP(sport=44892, dport=3))
    reply = Ether(bytes(Ether() / IP(src="192.168.200.10", dst="10.1.1.50") / ICMP(type=3, code=3) / quoted[:28]))
    moved = _rewrite(reply, {"10.1.1.50": "203.0.113.1", "192.168.200.10": "203.0.113.2"}, 1)
    assert (moved[IP].src, moved[IPerror].src, moved[IPerror].dst) == ("203.0.113.2", "203.0.113.1", "203.0.113.2")
    assert (moved[IPerror].len, moved[UDPerror].dport) == (28, 3)         # the quote's own lengths kept
    assert checksum(bytes(moved[IPerror])[:20]) == 0                      # quoted header checksum valid
    assert checksum(bytes(moved[ICMP])) == 0
    v6 = Ether(bytes(Ether() / IPv6(src="2001:db8:200::10", dst="2001:db8:10::50") / ICMPv6DestUnreach(code=4)
                     / IPv6(src="2001:db8:10::50", dst="2001:db8:200::10") / UDP(sport=40000, dport=7)))
    moved6 = _rewrite(v6, {"2001:db8:10::50": "2001:db8:c000::50", "2001:db8:200::10": "2001:db8:200::20"}, 1)
    assert (moved6[IPerror6].src, moved6[IPerror6].dst) == ("2001:db8:c000::50", "2001:db8:200::20")


def _tcp_payloads(path) -> list[bytes]:
    """Each Ethernet/IPv4/TCP frame's payload, cut from the file's bytes (no scapy dissection)."""
    data, payloads, offset = path.read_bytes(), [], 24
    while offset < len(data):
        length = struct.unpack_from("<I", data, offset + 8)[0]
        frame = data[offset + 16:offset + 16 + length]
        offset += 16 + length
        if frame[12:14] == b"\x08\x00" and frame[23] == 6:
            ihl = (frame[14] & 0x0F) * 4
            total = struct.unpack_from(">H", frame, 16)[0]
            tcp = 14 + ihl
            payloads.append(frame[tcp + (frame[tcp + 12] >> 4) * 4:14 + total])
    return payloads


def test_rewrite_keeps_payload_bytes_whatever_scapy_layers_are_imported(tmp_path):
    """A Modbus request with more data than its function code defines: scapy's Modbus layer
    (imported by the generators) rebuilt it without those bytes, so a capture was rewritten one
    way or the other depending on what the process had imported."""
    import scapy.contrib.modbus  # noqa: F401  (binds TCP port 502 to its layers)
    from scapy.packet import Raw
    source = tmp_path / "in.pcap"
    frames = []
    for number, (src, dst, sport, dport, load) in enumerate([
            (PEER, BROKER, 40000, 502, "000700000006010700000001"),    # fc 7 with 4 bytes it does not define
            (BROKER, PEER, 502, 40000, "0007000000030107ff")]):
        frame = Ether() / IP(src=src, dst=dst) / TCP(sport=sport, dport=dport, flags="PA") / Raw(bytes.fromhex(load))
        frame.time = 1700000000.0 + number
        frames.append(frame)          # built, never dissected: bytes() is exactly these fields
    source.write_bytes(pcap_bytes(frames))
    rewrite_hosts(source, tmp_path / "out.pcap", {PEER: "10.0.0.1", BROKER: "192.168.210.1"})
    assert _tcp_payloads(tmp_path / "out.pcap") == _tcp_payloads(source)
    assert bytes.fromhex("000700000006010700000001") in _tcp_payloads(source)
