"""NTP (UDP 123): client request and server reply with fixed timestamps."""

from __future__ import annotations

from scapy.layers.ntp import NTPHeader
from scapy.packet import Packet

from . import addresses as A
from .session import UdpExchange

NTP_EPOCH_OFFSET = 2208988800


def query(*, src: str = A.IOT_DEVICE, dst: str = A.NTP_SERVER, sport: int = 123,
          dport: int = 123, start: float = A.START, response: bool = True) -> list[Packet]:
    """Mode 3 request, mode 4 reply; all timestamps derived from ``start``."""
    t = start + NTP_EPOCH_OFFSET
    u = UdpExchange(src, sport, dst, dport, start=start)
    u.client_send(NTPHeader(leap=0, version=4, mode=3, stratum=0, poll=6, precision=-20,
                            delay=0, dispersion=0, id="0.0.0.0", ref=0, orig=0, recv=0,
                            sent=t))
    if response:
        u.server_send(NTPHeader(leap=0, version=4, mode=4, stratum=2, poll=6, precision=-23,
                                delay=0.01, dispersion=0.02, id="192.0.2.1", ref=t - 60,
                                orig=t, recv=t + 0.0005, sent=t + 0.0006))
    return u.packets
