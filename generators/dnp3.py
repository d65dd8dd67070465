"""DNP3 over TCP 20000 with link-layer CRCs computed by hand (IEEE 1815 CRC-16/DNP)."""

from __future__ import annotations

import struct

from scapy.packet import Packet

from . import addresses as A
from .session import TcpSession

# Default object headers per application function code.
OBJECTS = {
    1: bytes.fromhex("3c0206" "3c0306" "3c0406" "3c0106"),   # read class 1,2,3,0
    2: bytes.fromhex("500100070700"),                       # write g80v1: clear IIN1.7 restart
    3: bytes.fromhex("0c0128010000" "0301" "64000000" "64000000" "00"),  # select CROB
    4: bytes.fromhex("0c0128010000" "0301" "64000000" "64000000" "00"),  # operate CROB
    5: bytes.fromhex("0c0128010000" "0301" "64000000" "64000000" "00"),  # direct operate
    20: bytes.fromhex("3c0206" "3c0306" "3c0406"),             # enable unsolicited
    21: bytes.fromhex("3c0206" "3c0306" "3c0406"),             # disable unsolicited
}
FUNCTION_NAMES = {0: "confirm", 1: "read", 2: "write", 3: "select", 4: "operate",
                  5: "direct_operate", 6: "direct_operate_nr", 13: "cold_restart",
                  14: "warm_restart", 18: "stop_application", 20: "enable_unsolicited",
                  21: "disable_unsolicited"}


def crc16_dnp(data: bytes) -> int:
    """CRC-16/DNP: reflected poly 0x3D65 (0xA6BC), init 0, final xor 0xFFFF."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA6BC if crc & 1 else crc >> 1
    return crc ^ 0xFFFF


def link_frame(user_data: bytes, *, dest: int, src: int, ctrl: int) -> bytes:
    """Link header + CRC, then user data in 16-byte blocks each followed by its CRC."""
    header = struct.pack("<BBBBHH", 0x05, 0x64, 5 + len(user_data), ctrl, dest, src)
    out = header + struct.pack("<H", crc16_dnp(header))
    for i in range(0, len(user_data), 16):
        block = user_data[i:i + 16]
        out += block + struct.pack("<H", crc16_dnp(block))
    return out


def request_bytes(function: int, objects: bytes | None = None, *, dest: int = 10,
                  src: int = 1, app_seq: int = 0, transport_seq: int = 0) -> bytes:
    """Master -> outstation: DIR=1 PRM=1 unconfirmed user data (ctrl 0xC4)."""
    objs = OBJECTS.get(function, b"") if objects is None else objects
    apdu = bytes([0xC0 | (app_seq & 0x0F), function]) + objs
    tpdu = bytes([0xC0 | (transport_seq & 0x3F)]) + apdu
    return link_frame(tpdu, dest=dest, src=src, ctrl=0xC4)


def response_bytes(function: int = 129, objects: bytes = b"", *, dest: int = 1,
                   src: int = 10, app_seq: int = 0, transport_seq: int = 0,
                   iin: int = 0x0000) -> bytes:
    """Outstation -> master: DIR=0 PRM=1 (ctrl 0x44), function 129 + IIN."""
    apdu = bytes([0xC0 | (app_seq & 0x0F), function]) + struct.pack(">H", iin) + objects
    tpdu = bytes([0xC0 | (transport_seq & 0x3F)]) + apdu
    return link_frame(tpdu, dest=dest, src=src, ctrl=0x44)


def request(*, src: str = A.ENG_WORKSTATION, dst: str = A.PLC, sport: int = A.CLIENT_PORT,
            dport: int = 20000, start: float = A.START, function: int = 1,
            objects: bytes | None = None, master: int = 1, outstation: int = 10,
            app_seq: int = 0, count: int = 1, response: bool = True,
            segments: int | None = None) -> list[Packet]:
    """``count`` requests with DNP3 ``function`` (1 read, 2 write, 13 cold restart,
    14 warm restart, 5 direct operate, 18 stop app, 21 disable unsolicited...)."""
    s = TcpSession(src, sport, dst, dport, start=start)
    for i in range(count):
        seq = (app_seq + i) & 0x0F
        s.client_send(request_bytes(function, objects, dest=outstation, src=master,
                                    app_seq=seq, transport_seq=i), segments=segments)
        if response:
            objs = bytes.fromhex("340207010000") if function in (13, 14) else b""  # g52v2
            s.server_send(response_bytes(129, objs, dest=master, src=outstation, app_seq=seq,
                                         transport_seq=i))
    s.close()
    return s.packets
