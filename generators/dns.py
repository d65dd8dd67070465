"""DNS over UDP 53 (scapy DNS): query + response with fixed ids."""

from __future__ import annotations

from scapy.layers.dns import DNS, DNSQR, DNSRR
from scapy.packet import Packet

from . import addresses as A
from .forward import forwards_to
from .session import UdpExchange

QTYPES = {"A": 1, "NS": 2, "CNAME": 5, "PTR": 12, "MX": 15, "TXT": 16, "AAAA": 28,
          "SRV": 33, "ANY": 255}


def query(*, src: str = A.IOT_DEVICE, dst: str = A.DNS_RESOLVER, sport: int = 53000,
          dport: int = 53, start: float = A.START, qname: str = "time.vendor.example",
          qtype: str | int = "A", answers: list[str] | None = None, rcode: int = 0,
          dns_id: int = 0x1234, response: bool = True, ttl: int = 300) -> list[Packet]:
    """One query and (``response``) its answer. ``answers`` default: one A 192.0.2.10
    (TXT: "v=ok", AAAA: 2001:db8::10, CNAME/PTR: host.example). rcode 3 = NXDOMAIN."""
    qt = QTYPES[qtype.upper()] if isinstance(qtype, str) else int(qtype)
    u = UdpExchange(src, sport, dst, dport, start=start)
    q = DNSQR(qname=qname.encode(), qtype=qt, qclass=1)
    u.client_send(DNS(id=dns_id, rd=1, qd=[q]))
    if response:
        if answers is None:
            answers = [] if rcode else [{1: "192.0.2.10", 28: "2001:db8::10",
                                         16: "v=ok"}.get(qt, "host.example.")]
        an = [DNSRR(rrname=qname.encode(), type=qt, rclass=1, ttl=ttl,
                    rdata=a if qt != 16 else [a.encode()]) for a in answers]
        u.server_send(DNS(id=dns_id, qr=1, aa=0, rd=1, ra=1, rcode=rcode, qd=[q], an=an))
    return u.packets


@forwards_to(query)
def queries(*, names: list[str] | None = None, interval: float = 1.0, start: float = A.START,
            sport: int = 53000, **kw) -> list[Packet]:
    """Several queries (e.g. DGA/tunnelling volume), one source port and id per name."""
    names = names or [f"host{i}.vendor.example" for i in range(5)]
    out: list[Packet] = []
    for i, n in enumerate(names):
        out += query(qname=n, start=start + i * interval, sport=sport + i,
                     dns_id=0x1000 + i, **kw)
    return out
