"""SMB (TCP 445) and RDP (TCP 3389): a connection with a plausible first exchange."""

from __future__ import annotations

import struct

from scapy.packet import Packet

from . import addresses as A
from .session import TcpSession


def _smb2(command: int, body: bytes, *, response: bool = False) -> bytes:
    hdr = (b"\xfeSMB" + struct.pack("<HHIHHIIQIIQ", 64, 0, 0, command, 1,
                                     1 if response else 0, 0, 0, 0xFEFF, 0, 0) + b"\0" * 16)
    msg = hdr + body
    return struct.pack(">I", len(msg)) + msg  # NetBIOS session message (type 0)


def smb_negotiate(*, src: str = A.IOT_DEVICE, dst: str = A.CORP_HOST, sport: int = A.CLIENT_PORT,
                  dport: int = 445, start: float = A.START,
                  dialects: list[int] | None = None, response: bool = True) -> list[Packet]:
    """SMB2 NEGOTIATE request (dialects default 2.0.2/2.1/3.0) and response."""
    dl = dialects or [0x0202, 0x0210, 0x0300]
    req = struct.pack("<HHHHI16sQ", 36, len(dl), 1, 0, 0, b"iotdetect-client", 0)
    req += b"".join(struct.pack("<H", d) for d in dl)
    s = TcpSession(src, sport, dst, dport, start=start)
    s.client_send(_smb2(0, req))
    if response:
        rsp = struct.pack("<HHHH16sIIIIQQHHI", 65, 1, dl[-1], 0, b"iotdetect-server", 0,
                          65536, 65536, 65536, 0, 0, 128, 0, 0) + b"\0"
        s.server_send(_smb2(0, rsp, response=True))
    s.close()
    return s.packets


def rdp_connect(*, src: str = A.IOT_DEVICE, dst: str = A.CORP_HOST, sport: int = A.CLIENT_PORT,
                dport: int = 3389, start: float = A.START, cookie: str = "admin",
                protocols: int = 0x03, response: bool = True) -> list[Packet]:
    """TPKT/X.224 Connection Request with ``mstshash`` cookie + RDP_NEG_REQ, and the
    Connection Confirm selecting standard RDP security."""
    x224 = b"\xe0\x00\x00\x00\x00\x00" + f"Cookie: mstshash={cookie}\r\n".encode()
    x224 += struct.pack("<BBHI", 1, 0, 8, protocols)
    cr = bytes([len(x224)]) + x224
    s = TcpSession(src, sport, dst, dport, start=start)
    s.client_send(b"\x03\x00" + struct.pack(">H", len(cr) + 4) + cr)
    if response:
        cc = b"\x0e\xd0\x00\x00\x12\x34\x00" + struct.pack("<BBHI", 2, 0, 8, 0)
        s.server_send(b"\x03\x00" + struct.pack(">H", len(cc) + 4) + cc)
    s.close()
    return s.packets
