"""Generic TCP/UDP traffic: connections with any payload, SYN scans, UDP datagrams."""

from __future__ import annotations

from scapy.packet import Packet

from . import addresses as A
from .session import IcmpExchange, TcpSession, UdpExchange, syn_attempt


def connect(*, src: str = A.CORP_HOST, dst: str = A.IOT_DEVICE, sport: int = A.CLIENT_PORT,
            dport: int = 80, start: float = A.START, payload: bytes = b"",
            response: bytes = b"", segments: int | None = None,
            close: bool = True) -> list[Packet]:
    """A full TCP connection, optional client payload and server response."""
    s = TcpSession(src, sport, dst, dport, start=start)
    if payload:
        s.client_send(payload, segments=segments)
    if response:
        s.server_send(response)
    if close:
        s.close()
    return s.packets


def syn_scan(*, src: str = A.CORP_HOST, dst: str = A.IOT_DEVICE, sport: int = A.CLIENT_PORT,
             dport: int = 23, dports: list[int] | None = None, count: int | None = None,
             interval: float = 1.0, start: float = A.START, reply: str | None = "rst",
             vary_sport: bool = True) -> list[Packet]:
    """SYN attempts from one source, ``interval`` seconds apart.

    ``dports`` given: one attempt per port (``count`` defaults to len(dports), cycling).
    Otherwise ``count`` (default 5) attempts to ``dport``.  Each attempt uses a new
    source port when ``vary_sport``.  ``reply``: "rst" | "synack" | "unreachable" (ICMP or
    ICMPv6 from a filtering firewall) | None.
    """
    ports = list(dports) if dports else [dport]
    n = count if count is not None else (len(ports) if dports else 5)
    out: list[Packet] = []
    for i in range(n):
        out += syn_attempt(src, sport + i if vary_sport else sport, dst, ports[i % len(ports)],
                           start=start + i * interval, reply=reply,
                           client_isn=1000 + i * 100_000, ip_id=1 + i * 4)
    return out


def connect_repeat(*, src: str = A.CORP_HOST, dst: str = A.IOT_DEVICE,
                   sport: int = A.CLIENT_PORT, dport: int = 23, count: int = 5,
                   interval: float = 1.0, start: float = A.START,
                   payload: bytes = b"") -> list[Packet]:
    """``count`` complete TCP connections to one port, ``interval`` seconds apart."""
    out: list[Packet] = []
    for i in range(count):
        out += connect(src=src, dst=dst, sport=sport + i, dport=dport,
                       start=start + i * interval, payload=payload)
    return out


def udp_send(*, src: str = A.IOT_DEVICE, dst: str = A.EXTERNAL_HOST, sport: int = A.CLIENT_PORT,
             dport: int = 9999, start: float = A.START, payload: bytes = b"hello",
             response: bytes = b"", count: int = 1, interval: float = 0.0,
             unreachable: bool = False) -> list[Packet]:
    """``count`` UDP datagrams with ``payload`` (and optional reply each); ``unreachable``
    answers each with ICMP/ICMPv6 port unreachable instead (a closed port, as UDP scans see)."""
    u = UdpExchange(src, sport, dst, dport, start=start)
    for i in range(count):
        if i and interval:
            u.wait(interval)
        u.client_send(payload)
        if unreachable:
            u.unreachable(u.packets[-1], "port")
        elif response:
            u.server_send(response)
    return u.packets


def ping_sweep(*, src: str = A.CORP_HOST, dsts: tuple[str, ...] = (A.IOT_DEVICE, A.IOT_DEVICE_2, "$IOT_NET[3]"),
               start: float = A.START, interval: float = 0.5, reply: bool = True) -> list[Packet]:
    """ICMP echo requests (ICMPv6 on an IPv6 plan) from ``src`` to every host of ``dsts``,
    ``interval`` seconds apart, each answered when ``reply``: host discovery before a scan."""
    out: list[Packet] = []
    for i, dst in enumerate(dsts):
        u = IcmpExchange(src, dst, start=start + i * interval, ip_id=1 + i * 4)
        u.echo(True, seq=i + 1)
        if reply:
            u.echo(False, seq=i + 1, reply=True)
        out += u.packets
    return out
