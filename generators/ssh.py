"""SSH (TCP 22): version banners both sides (plus an opaque KEXINIT-sized blob)."""

from __future__ import annotations

import struct

from scapy.packet import Packet

from . import addresses as A
from .session import TcpSession


def _kexinit(tag: int) -> bytes:
    names = [b"curve25519-sha256", b"ssh-ed25519", b"aes128-ctr", b"aes128-ctr",
             b"hmac-sha2-256", b"hmac-sha2-256", b"none", b"none", b"", b""]
    body = bytes([20]) + bytes([tag]) * 16 + b"".join(struct.pack(">I", len(n)) + n
                                                     for n in names) + b"\0" + b"\0" * 4
    pad = 8 - (len(body) + 5) % 8
    pad += 8 if pad < 4 else 0
    return struct.pack(">IB", len(body) + pad + 1, pad) + body + b"\0" * pad


def banner(*, src: str = A.MGMT_HOST, dst: str = A.IOT_DEVICE, sport: int = A.CLIENT_PORT,
           dport: int = 22, start: float = A.START,
           client_version: str = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3",
           server_version: str = "SSH-2.0-dropbear_2019.78", kexinit: bool = True,
           server_first: bool = True) -> list[Packet]:
    """Exchange of version strings (server first by default) and KEXINIT messages."""
    s = TcpSession(src, sport, dst, dport, start=start)
    cb, sb = (client_version + "\r\n").encode(), (server_version + "\r\n").encode()
    if server_first:
        s.server_send(sb)
        s.client_send(cb)
    else:
        s.client_send(cb)
        s.server_send(sb)
    if kexinit:
        s.client_send(_kexinit(0x11))
        s.server_send(_kexinit(0x22))
    s.close()
    return s.packets
