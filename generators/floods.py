"""Volume traffic for alert budgets and scan rules: SNMP walks, DNS floods, TCP flag scans, UDP
scans answered by ICMP port-unreachable, ICMP/ICMPv6 echo sweeps. Every packet is built with the
session builder's endpoints, so MACs, TTLs, IP ids and timestamps stay deterministic."""

from __future__ import annotations

import ipaddress

from scapy.asn1.asn1 import ASN1_NULL, ASN1_OID, ASN1_STRING
from scapy.layers.inet import ICMP, IP, TCP, UDP, IPerror, UDPerror
from scapy.layers.inet6 import ICMPv6DestUnreach, ICMPv6EchoReply, ICMPv6EchoRequest, IPv6
from scapy.layers.snmp import SNMP, SNMPnext, SNMPresponse, SNMPvarbind
from scapy.packet import Packet, Raw

from . import addresses as A
from . import dns
from .session import TcpSession, UdpExchange, _Endpoints, merge
from .snmp import VERSIONS

# nmap's names for its flag scans -> the TCP flags of the probe
SCAN_FLAGS = {"syn": "S", "fin": "F", "xmas": "FPU", "null": "", "ack": "A", "maimon": "FA", "window": "A"}


def snmp_walk(*, src: str = A.CORP_HOST, dst: str = A.IOT_DEVICE, sport: int = A.CLIENT_PORT,
              dport: int = 161, start: float = A.START, community: str = "public", version: str = "v2c",
              count: int = 1000, base_oid: str = "1.3.6.1.2.1.2.2.1", interval: float = 0.002) -> list[Packet]:
    """An snmpwalk: ``count`` GETNEXT requests on one socket, each answered with the next OID."""
    ver = VERSIONS[str(version).lower()]
    u = UdpExchange(src, sport, dst, dport, start=start)
    for i in range(count):
        if i:
            u.wait(interval)
        oid = f"{base_oid}.{i // 50 + 1}.{i % 50 + 1}"
        nxt = f"{base_oid}.{(i + 1) // 50 + 1}.{(i + 1) % 50 + 1}"
        u.client_send(SNMP(version=ver, community=community.encode(), PDU=SNMPnext(
            id=1000 + i, varbindlist=[SNMPvarbind(oid=ASN1_OID(oid), value=ASN1_NULL(0))])))
        u.server_send(SNMP(version=ver, community=community.encode(), PDU=SNMPresponse(
            id=1000 + i, varbindlist=[SNMPvarbind(oid=ASN1_OID(nxt), value=ASN1_STRING(f"if{i}".encode()))])))
    return u.packets


def dns_flood(*, src: str = A.IOT_DEVICE, dst: str = A.EXTERNAL_HOST_2, count: int = 300,
              interval: float = 0.1, start: float = A.START, domain: str = "vendor.example",
              **kw) -> list[Packet]:
    """``count`` queries for distinct names under ``domain``, each from a new source port."""
    names = [f"h{i}.{domain}" for i in range(count)]
    return dns.queries(src=src, dst=dst, names=names, interval=interval, start=start, **kw)


def _lone(src: str, sport: int, dst: str, dport: int, start: float, ip_id: int) -> _Endpoints:
    return _Endpoints(src, sport, dst, dport, start, "02:00:00:00:00:01", "02:00:00:00:00:02", 0.001, 64, ip_id)


def flag_scan(*, src: str = A.CORP_HOST, dst: str = A.IOT_DEVICE, sport: int = 40000, scan: str = "syn",
              first_port: int = 1, count: int = 200, dports: list[int] | None = None,
              interval: float = 0.01, start: float = A.START, open_ports: list[int] | None = None,
              hosts: int = 1) -> list[Packet]:
    """An nmap-style scan: one probe with the ``scan`` flags per port (``dports``, else ``count``
    ports from ``first_port``), fixed source port as nmap uses. Closed ports answer RST (a SYN or
    ACK probe gets RST/ACK / RST); open ports answer SYN/ACK to SYN and stay silent to FIN/NULL/Xmas.
    ``hosts`` > 1 sweeps consecutive addresses from ``dst`` with the first port only."""
    flags = SCAN_FLAGS[scan]
    ports = list(dports) if dports else list(range(first_port, first_port + count))
    targets = [str(ipaddress.ip_address(dst) + h) for h in range(hosts)] if hosts > 1 else [dst]
    probes = [(t, ports[0]) for t in targets] if hosts > 1 else [(dst, p) for p in ports]
    eps = []
    for i, (target, port) in enumerate(probes):
        e = _lone(src, sport, target, port, start + i * interval, 1 + i)
        seq = 0x10000 + i * 1000
        ack = 0x5000 if "A" in flags else 0
        e._emit(e._l3(True) / TCP(sport=sport, dport=port, flags=flags, seq=seq, ack=ack, window=1024))
        eps.append(e)
        if port in (open_ports or []):
            if flags == "S":
                e._emit(e._l3(False) / TCP(sport=port, dport=sport, flags="SA", seq=0x9000, ack=seq + 1, window=64240))
            continue
        if "A" in flags:      # RFC 793: an ACK to a port with no connection gets RST, seq = its ack
            e._emit(e._l3(False) / TCP(sport=port, dport=sport, flags="R", seq=ack, window=0))
        else:
            used = 1 if ("S" in flags or "F" in flags) else 0
            e._emit(e._l3(False) / TCP(sport=port, dport=sport, flags="RA", seq=0, ack=seq + used, window=0))
    return _collect(eps)


def _collect(endpoints: list[_Endpoints]) -> list[Packet]:
    return merge(*[e.packets for e in endpoints])


def udp_scan(*, src: str = A.CORP_HOST, dst: str = A.IOT_DEVICE, sport: int = 40000, first_port: int = 1,
             count: int = 100, dports: list[int] | None = None, interval: float = 0.01,
             start: float = A.START, open_ports: list[int] | None = None,
             payload: bytes = b"") -> list[Packet]:
    """nmap -sU: an (empty by default) datagram per port; closed ports answer ICMP/ICMPv6 port
    unreachable quoting the probe, open ones stay silent here."""
    ports = list(dports) if dports else list(range(first_port, first_port + count))
    eps = []
    for i, port in enumerate(ports):
        e = _lone(src, sport, dst, port, start + i * interval, 1 + i)
        probe = e._emit(e._l3(True) / UDP(sport=sport, dport=port) / Raw(load=bytes(payload)))
        if port not in (open_ports or []):
            quoted = bytes(probe.payload)[:48]
            if e.v6:
                e._emit(e._l3(False) / ICMPv6DestUnreach(code=4) / Raw(load=quoted))
            else:
                e._emit(e._l3(False) / ICMP(type=3, code=3) / Raw(load=quoted))
        eps.append(e)
    return _collect(eps)


def icmp_sweep(*, src: str = A.CORP_HOST, dst: str = A.IOT_DEVICE, hosts: int = 50, pings: int = 1,
               interval: float = 0.02, start: float = A.START, alive: int | None = None,
               ident: int = 0x1234) -> list[Packet]:
    """nmap -sn / fping: ``pings`` echo requests to each of ``hosts`` consecutive addresses from
    ``dst`` (ICMPv6 when ``dst`` is IPv6); the first ``alive`` hosts (default all) answer."""
    eps = []
    alive = hosts if alive is None else alive
    t = start
    for h in range(hosts):
        target = str(ipaddress.ip_address(dst) + h)
        e = _lone(src, 0, target, 0, t, 1 + h)
        for n in range(pings):
            body = Raw(load=bytes((n + k) & 0xFF for k in range(32)))
            if e.v6:
                e._emit(e._l3(True) / ICMPv6EchoRequest(id=ident, seq=n + 1) / body)
                if h < alive:
                    e._emit(e._l3(False) / ICMPv6EchoReply(id=ident, seq=n + 1) / body)
            else:
                e._emit(e._l3(True) / ICMP(type=8, id=ident, seq=n + 1) / body)
                if h < alive:
                    e._emit(e._l3(False) / ICMP(type=0, id=ident, seq=n + 1) / body)
            e.wait(interval)
        t = e.now
        eps.append(e)
    return _collect(eps)


def brute_force(*, src: str = A.CORP_HOST, dst: str = A.IOT_DEVICE, generator: str = "ftp.login",
                count: int = 500, interval: float = 0.2, start: float = A.START, sport: int = 30000,
                users: list[str] | None = None, args: dict | None = None) -> list[Packet]:
    """``count`` login sessions from ``src`` to ``dst``, a new connection each (as hydra/medusa run
    them); ``users`` are tried in turn when given (the generator's ``user`` argument)."""
    from . import registry
    make = registry.get(generator)
    base = {"src": src, "dst": dst, **(args or {})}
    runs = []
    for i in range(count):
        extra = {"user": users[i % len(users)]} if users else {}
        runs.append(make(**{**base, **extra, "sport": sport + i, "start": start + i * interval}))
    return merge(*runs)
