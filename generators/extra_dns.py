"""DNS over TCP (RFC 7766): a length-prefixed query and answer on one connection."""

from __future__ import annotations

import struct

from scapy.layers.dns import DNS, DNSQR, DNSRR
from scapy.packet import Packet

from . import addresses as A
from .session import TcpSession


def tcp_query(*, src: str = A.IOT_DEVICE, dst: str = A.DNS_RESOLVER, sport: int = A.CLIENT_PORT,
              dport: int = 53, start: float = A.START, qname: str = "time.vendor.example",
              answer: str = "192.0.2.10", dns_id: int = 0x2345) -> list[Packet]:
    """One A query and its answer, each with the two-byte length prefix."""
    q = DNSQR(qname=qname.encode(), qtype=1, qclass=1)
    query = bytes(DNS(id=dns_id, rd=1, qd=[q]))
    reply = bytes(DNS(id=dns_id, qr=1, rd=1, ra=1, qd=[q],
                      an=[DNSRR(rrname=qname.encode(), type=1, rclass=1, ttl=300, rdata=answer)]))
    s = TcpSession(src, sport, dst, dport, start=start)
    s.client_send(struct.pack(">H", len(query)) + query)
    s.server_send(struct.pack(">H", len(reply)) + reply)
    s.close()
    return s.packets
