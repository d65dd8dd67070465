"""Deterministic TCP/UDP session builders.

Every packet gets a fixed MAC, a fixed TTL, an IP id from a per-session counter and a
timestamp of exactly ``start + n * step`` (kept as integer microseconds internally, so
float drift never changes the pcap).  Same arguments, same bytes.
"""

from __future__ import annotations

import ipaddress
from typing import Iterable

from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.inet6 import ICMPv6DestUnreach, ICMPv6EchoReply, ICMPv6EchoRequest, IPv6
from scapy.layers.l2 import Ether
from scapy.packet import Packet, Raw

DEFAULT_START = 1700000000.0
CLIENT_MAC = "02:00:00:00:00:01"
SERVER_MAC = "02:00:00:00:00:02"
TTL = 64
WINDOW = 64240
# destination-unreachable codes: RFC 792/1812 (ICMP), RFC 4443 (ICMPv6)
UNREACHABLE_V4 = {"host": 1, "port": 3, "prohibited": 13}
UNREACHABLE_V6 = {"host": 3, "port": 4, "prohibited": 1}


def _us(seconds: float) -> int:
    return int(round(seconds * 1_000_000))


def dst_mac_for(ip: str, default: str) -> str:
    """Multicast/broadcast destination MAC for ``ip``, else ``default``."""
    addr = ipaddress.ip_address(ip)
    if addr.version == 4:
        if ip == "255.255.255.255":
            return "ff:ff:ff:ff:ff:ff"
        if addr.is_multicast:
            b = addr.packed
            return "01:00:5e:%02x:%02x:%02x" % (b[1] & 0x7F, b[2], b[3])
    elif addr.is_multicast:
        b = addr.packed
        return "33:33:%02x:%02x:%02x:%02x" % (b[12], b[13], b[14], b[15])
    return default


class _Clock:
    """Shared packet clock: integer microseconds, advanced by ``step`` per packet."""

    def __init__(self, start: float, step: float) -> None:
        self.t_us = _us(start)
        self.step_us = _us(step)

    def tick(self) -> float:
        t = self.t_us
        self.t_us += self.step_us
        return t / 1_000_000

    def wait(self, seconds: float) -> None:
        self.t_us += _us(seconds)

    @property
    def now(self) -> float:
        return self.t_us / 1_000_000


class _Endpoints:
    def __init__(self, client_ip, client_port, server_ip, server_port, start, client_mac,
                 server_mac, step, ttl, ip_id, clock=None):
        for ip in (client_ip, server_ip):
            if str(ip).startswith("$"):
                raise ValueError(f"unresolved role {ip}: generators get concrete hosts; run them through the"
                                 " harness (iotdetect pcaps), or pass addresses when calling one from another")
        self.client_ip, self.client_port = client_ip, int(client_port)
        self.server_ip, self.server_port = server_ip, int(server_port)
        self.client_mac, self.server_mac = client_mac, server_mac
        self.v6 = ":" in client_ip
        self.ttl = ttl
        self.clock = clock if clock is not None else _Clock(start, step)
        self._ip_id = {True: ip_id, False: ip_id + 0x4000}
        self.packets: list[Packet] = []

    def wait(self, seconds: float) -> None:
        """Advance the clock without sending anything (idle time)."""
        self.clock.wait(seconds)

    @property
    def now(self) -> float:
        return self.clock.now

    def _l3(self, from_client: bool) -> Packet:
        src, dst = ((self.client_ip, self.server_ip) if from_client
                    else (self.server_ip, self.client_ip))
        smac, dmac = ((self.client_mac, self.server_mac) if from_client
                      else (self.server_mac, self.client_mac))
        dmac = dst_mac_for(dst, dmac)
        if self.v6:
            return Ether(src=smac, dst=dmac) / IPv6(src=src, dst=dst, hlim=self.ttl)
        ip_id = self._ip_id[from_client] & 0xFFFF
        self._ip_id[from_client] += 1
        return Ether(src=smac, dst=dmac) / IP(src=src, dst=dst, ttl=self.ttl, id=ip_id, flags="DF")

    def unreachable(self, offending: Packet, reason: str = "port", *, from_client: bool = False) -> Packet:
        """An ICMP (IPv4) or ICMPv6 destination-unreachable answer quoting ``offending``;
        ``reason``: "port" (no listener), "prohibited" (a firewall's refusal), "host"."""
        codes = UNREACHABLE_V6 if self.v6 else UNREACHABLE_V4
        if reason not in codes:
            raise ValueError(f"unreachable reason {reason!r}: one of {', '.join(codes)}")
        quoted = bytes(offending[IPv6] if self.v6 else offending[IP])
        if self.v6:
            body = ICMPv6DestUnreach(code=codes[reason]) / Raw(load=quoted[:1232])
        else:
            body = ICMP(type=3, code=codes[reason]) / Raw(load=quoted[:28])
        return self._emit(self._l3(from_client) / body)

    def echo(self, from_client: bool = True, *, ident: int = 0x4242, seq: int = 1,
             payload: bytes = b"iotdetect-ping", reply: bool = False) -> Packet:
        """An ICMP/ICMPv6 echo request (or ``reply``) between the two hosts."""
        if self.v6:
            icmp = (ICMPv6EchoReply if reply else ICMPv6EchoRequest)(id=ident, seq=seq, data=payload)
        else:
            icmp = ICMP(type=0 if reply else 8, id=ident, seq=seq) / Raw(load=payload)
        return self._emit(self._l3(from_client) / icmp)

    def _emit(self, pkt: Packet) -> Packet:
        pkt = pkt.__class__(bytes(pkt))  # freeze lengths/checksums
        pkt.time = self.clock.tick()
        self.packets.append(pkt)
        return pkt


class TcpSession(_Endpoints):
    """A TCP connection with a correct handshake, seq/ack bookkeeping and teardown."""

    def __init__(self, client_ip: str, client_port: int, server_ip: str, server_port: int, *,
                 start: float = DEFAULT_START, client_mac: str = CLIENT_MAC,
                 server_mac: str = SERVER_MAC, step: float = 0.001, ttl: int = TTL,
                 client_isn: int = 1000, server_isn: int = 5000, ip_id: int = 1,
                 handshake: bool = True, mss: int = 1460, clock: _Clock | None = None) -> None:
        """``clock``: share another session's clock (``other.clock``) to interleave them."""
        super().__init__(client_ip, client_port, server_ip, server_port, start, client_mac,
                         server_mac, step, ttl, ip_id, clock)
        self.mss = mss
        self.client_seq = client_isn
        self.server_seq = server_isn
        self.established = False
        self.closed = False
        if handshake:
            self.handshake()

    # -- low level -------------------------------------------------------------------
    def _tcp(self, from_client: bool, flags: str, payload: bytes = b"", *, options=None,
             seq: int | None = None, ack: int | None = None) -> Packet:
        sport, dport = ((self.client_port, self.server_port) if from_client
                        else (self.server_port, self.client_port))
        if seq is None:
            seq = self.client_seq if from_client else self.server_seq
        if ack is None:
            ack = self.server_seq if from_client else self.client_seq
        tcp = TCP(sport=sport, dport=dport, flags=flags, seq=seq & 0xFFFFFFFF,
                  ack=(ack & 0xFFFFFFFF) if "A" in flags else 0, window=WINDOW,
                  options=options or [])
        pkt = self._l3(from_client) / tcp
        if payload:
            pkt = pkt / Raw(load=payload)
        return self._emit(pkt)

    def handshake(self) -> "TcpSession":
        if self.established:
            return self
        opts = [("MSS", 1460)]
        self._tcp(True, "S", options=opts)
        self.client_seq += 1
        self._tcp(False, "SA", options=opts)
        self.server_seq += 1
        self._tcp(True, "A")
        self.established = True
        return self

    def _send(self, from_client: bool, data: bytes, segments: int | Iterable[int] | None,
              ack: bool) -> "TcpSession":
        if not self.established:
            self.handshake()
        data = bytes(data)
        if segments is None and len(data) > self.mss:
            segments = [self.mss] * (len(data) // self.mss + 1)
        for chunk in split(data, segments):
            self._tcp(from_client, "PA", chunk)
            if from_client:
                self.client_seq += len(chunk)
            else:
                self.server_seq += len(chunk)
            if ack:
                self._tcp(not from_client, "A")
        return self

    def client_send(self, data: bytes, *, segments: int | Iterable[int] | None = None,
                    ack: bool = True) -> "TcpSession":
        """Client sends ``data``; ``segments`` = number of equal parts or list of sizes."""
        return self._send(True, data, segments, ack)

    def server_send(self, data: bytes, *, segments: int | Iterable[int] | None = None,
                    ack: bool = True) -> "TcpSession":
        return self._send(False, data, segments, ack)

    def close(self, *, by_client: bool = True) -> list[Packet]:
        """FIN/ACK both ways, last ACK from the initiator. Returns all packets."""
        if self.closed:
            return self.packets
        first = by_client
        self._tcp(first, "FA")
        self._bump(first)
        self._tcp(not first, "FA")
        self._bump(not first)
        self._tcp(first, "A")
        self.closed = True
        return self.packets

    def reset(self, *, by_client: bool = True) -> list[Packet]:
        self._tcp(by_client, "RA")
        self.closed = True
        return self.packets

    def _bump(self, from_client: bool) -> None:
        if from_client:
            self.client_seq += 1
        else:
            self.server_seq += 1


def split(data: bytes, segments: int | Iterable[int] | None) -> list[bytes]:
    """Split ``data`` into ``segments`` near-equal parts or parts of the given sizes."""
    if not data:
        return []
    if segments is None or segments == 1:
        return [data]
    if isinstance(segments, int):
        n = max(1, min(segments, len(data)))
        size, extra = divmod(len(data), n)
        sizes = [size + (1 if i < extra else 0) for i in range(n)]
    else:
        sizes = list(segments)
    out, pos = [], 0
    for s in sizes:
        if pos >= len(data):
            break
        out.append(data[pos:pos + s])
        pos += s
    if pos < len(data):
        out.append(data[pos:])
    return out


def syn_attempt(client_ip: str, client_port: int, server_ip: str, server_port: int, *,
                start: float = DEFAULT_START, reply: str | None = "rst",
                client_mac: str = CLIENT_MAC, server_mac: str = SERVER_MAC,
                step: float = 0.001, client_isn: int = 1000, ip_id: int = 1) -> list[Packet]:
    """A lone SYN, answered by RST/ACK (``reply="rst"``), SYN/ACK then client RST
    (``"synack"``), a firewall's ICMP/ICMPv6 administratively-prohibited (``"unreachable"``),
    or nothing (``None``)."""
    s = TcpSession(client_ip, client_port, server_ip, server_port, start=start,
                   client_mac=client_mac, server_mac=server_mac, step=step,
                   client_isn=client_isn, ip_id=ip_id, handshake=False)
    syn = s._tcp(True, "S", options=[("MSS", 1460)])
    s.client_seq += 1
    if reply == "unreachable":
        s.unreachable(syn, "prohibited")
    elif reply == "rst":
        s._tcp(False, "RA", seq=0)
    elif reply == "synack":
        s._tcp(False, "SA", options=[("MSS", 1460)])
        s.server_seq += 1
        s._tcp(True, "R", ack=0)
    return s.packets


class UdpExchange(_Endpoints):
    """UDP datagrams between a client and a server port."""

    def __init__(self, client_ip: str, client_port: int, server_ip: str, server_port: int, *,
                 start: float = DEFAULT_START, client_mac: str = CLIENT_MAC,
                 server_mac: str = SERVER_MAC, step: float = 0.001, ttl: int = TTL,
                 ip_id: int = 1, clock: _Clock | None = None) -> None:
        super().__init__(client_ip, client_port, server_ip, server_port, start, client_mac,
                         server_mac, step, ttl, ip_id, clock)

    def _udp(self, from_client: bool, payload, sport: int | None = None) -> Packet:
        a, b = ((self.client_port, self.server_port) if from_client
                else (self.server_port, self.client_port))
        if sport is not None:
            a = sport
        pkt = self._l3(from_client) / UDP(sport=a, dport=b)
        if isinstance(payload, Packet):
            pkt = pkt / payload
        elif payload:
            pkt = pkt / Raw(load=bytes(payload))
        return self._emit(pkt)

    def client_send(self, payload) -> "UdpExchange":
        self._udp(True, payload)
        return self

    def server_send(self, payload, *, sport: int | None = None) -> "UdpExchange":
        """Server reply; ``sport`` overrides the source port (e.g. TFTP's new TID)."""
        self._udp(False, payload, sport)
        return self


class IcmpExchange(_Endpoints):
    """ICMP (IPv4) or ICMPv6 messages between two hosts: ``echo`` and ``unreachable``."""

    def __init__(self, client_ip: str, server_ip: str, *, start: float = DEFAULT_START,
                 client_mac: str = CLIENT_MAC, server_mac: str = SERVER_MAC, step: float = 0.001,
                 ttl: int = TTL, ip_id: int = 1, clock: _Clock | None = None) -> None:
        super().__init__(client_ip, 0, server_ip, 0, start, client_mac, server_mac, step, ttl,
                         ip_id, clock)


def merge(*groups: Iterable[Packet]) -> list[Packet]:
    """All packets of several sessions, stably sorted by time."""
    pkts = [p for g in groups for p in g]
    return sorted(pkts, key=lambda p: _us(float(p.time)))
