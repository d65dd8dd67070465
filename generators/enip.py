"""EtherNet/IP + CIP (TCP/UDP 44818): RegisterSession, SendRRData CIP services, ListIdentity."""

from __future__ import annotations

import struct

from scapy.packet import Packet

from . import addresses as A
from .session import TcpSession, UdpExchange

SESSION_HANDLE = 0x00010203
SERVICE_NAMES = {0x01: "get_attributes_all", 0x05: "reset", 0x06: "start", 0x07: "stop",
                 0x0E: "get_attribute_single", 0x10: "set_attribute_single",
                 0x4C: "read_tag", 0x4D: "write_tag", 0x52: "unconnected_send"}


def encap(command: int, data: bytes = b"", *, session: int = 0, context: bytes = b"iotdtct\0",
          status: int = 0) -> bytes:
    return struct.pack("<HHII8sI", command, len(data), session, status, context, 0) + data


def cip_path(cls: int, instance: int, attribute: int | None = None,
             tag: str | None = None) -> bytes:
    if tag is not None:
        name = tag.encode()
        seg = bytes([0x91, len(name)]) + name + (b"\0" if len(name) % 2 else b"")
    else:
        seg = bytes([0x20, cls, 0x24, instance])
        if attribute is not None:
            seg += bytes([0x30, attribute])
    return bytes([len(seg) // 2]) + seg


def send_rr_data(cip: bytes, *, session: int) -> bytes:
    cpf = struct.pack("<IHH", 0, 0, 2) + struct.pack("<HH", 0x0000, 0)
    cpf += struct.pack("<HH", 0x00B2, len(cip)) + cip
    return encap(0x6F, cpf, session=session)


def identity_item(product: str = "1756-L71/B LOGIX5571") -> bytes:
    name = product.encode()
    body = (struct.pack("<H", 1) + struct.pack(">HHI8s", 2, 44818, 0xC0A8D214, b"\0" * 8)
            + struct.pack("<HHHBBHI", 1, 0x0E, 54, 20, 11, 0x0030, 0x00C0FFEE)
            + bytes([len(name)]) + name + b"\x03")
    return struct.pack("<HHH", 1, 0x000C, len(body)) + body


def cip_request(*, src: str = A.ENG_WORKSTATION, dst: str = A.PLC, sport: int = A.CLIENT_PORT,
                dport: int = 44818, start: float = A.START, service: int = 0x4C,
                cls: int = 0x01, instance: int = 1, attribute: int | None = None,
                tag: str | None = None, data: bytes | None = None, count: int = 1,
                response: bool = True, general_status: int = 0) -> list[Packet]:
    """RegisterSession then ``count`` SendRRData with CIP ``service`` (0x07 stop,
    0x05 reset, 0x06 start, 0x4C read tag [default tag "Tag1"], 0x0E get attribute)."""
    if service == 0x4C and tag is None and attribute is None:
        tag = "Tag1"
    if data is None:
        data = struct.pack("<H", 1) if service in (0x4C, 0x4D) else b""
    s = TcpSession(src, sport, dst, dport, start=start)
    s.client_send(encap(0x65, struct.pack("<HH", 1, 0)))
    s.server_send(encap(0x65, struct.pack("<HH", 1, 0), session=SESSION_HANDLE))
    cip = bytes([service]) + cip_path(cls, instance, attribute, tag) + data
    for _ in range(count):
        s.client_send(send_rr_data(cip, session=SESSION_HANDLE))
        if response:
            reply = bytes([service | 0x80, 0, general_status, 0])
            if service == 0x4C and not general_status:
                reply += struct.pack("<HH", 0x00C4, 42)  # DINT 42
            s.server_send(send_rr_data(reply, session=SESSION_HANDLE))
    s.client_send(encap(0x66, session=SESSION_HANDLE))  # UnRegisterSession
    s.close()
    return s.packets


def list_identity(*, src: str = A.ENG_WORKSTATION, dst: str = A.PLC, sport: int = A.CLIENT_PORT,
                  dport: int = 44818, start: float = A.START, transport: str = "udp",
                  response: bool = True) -> list[Packet]:
    """ListIdentity (0x63) over ``transport`` "udp" (discovery scan) or "tcp"."""
    req = encap(0x63)
    rsp = encap(0x63, identity_item())
    if transport == "tcp":
        s = TcpSession(src, sport, dst, dport, start=start)
        s.client_send(req)
        if response:
            s.server_send(rsp)
        s.close()
        return s.packets
    u = UdpExchange(src, sport, dst, dport, start=start)
    u.client_send(req)
    if response:
        u.server_send(rsp)
    return u.packets
