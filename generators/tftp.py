"""TFTP (UDP 69): read/write request, one DATA block and its ACK."""

from __future__ import annotations

import struct

from scapy.packet import Packet

from . import addresses as A
from .session import UdpExchange


def _request(opcode: int, filename: str, mode: str) -> bytes:
    return struct.pack(">H", opcode) + filename.encode() + b"\0" + mode.encode() + b"\0"


def read(*, src: str = A.IOT_DEVICE, dst: str = A.CORP_HOST, sport: int = A.CLIENT_PORT,
         dport: int = 69, start: float = A.START, filename: str = "firmware.bin",
         mode: str = "octet", data: bytes = b"\x7fELF" + bytes(100),
         server_tid: int = 50001) -> list[Packet]:
    """RRQ for ``filename``; server answers DATA #1 from port ``server_tid``; client ACKs.
    (The DATA/ACK use a new server port, as TFTP does; the RRQ flow holds the filename.)"""
    u = UdpExchange(src, sport, dst, dport, start=start)
    u.client_send(_request(1, filename, mode))
    t = UdpExchange(src, sport, dst, server_tid, ip_id=50, clock=u.clock)
    t.server_send(struct.pack(">HH", 3, 1) + data)
    t.client_send(struct.pack(">HH", 4, 1))
    return u.packets + t.packets


def write(*, src: str = A.CORP_HOST, dst: str = A.IOT_DEVICE, sport: int = A.CLIENT_PORT,
          dport: int = 69, start: float = A.START, filename: str = "config.cfg",
          mode: str = "octet", data: bytes = b"admin_password=1234\n",
          server_tid: int = 50001) -> list[Packet]:
    """WRQ for ``filename``, ACK #0 from the server's new port, DATA #1, ACK #1."""
    u = UdpExchange(src, sport, dst, dport, start=start)
    u.client_send(_request(2, filename, mode))
    t = UdpExchange(src, sport, dst, server_tid, ip_id=50, clock=u.clock)
    t.server_send(struct.pack(">HH", 4, 0))
    t.client_send(struct.pack(">HH", 3, 1) + data)
    t.server_send(struct.pack(">HH", 4, 1))
    return u.packets + t.packets
