"""Modbus/TCP (TCP 502): MBAP header via scapy.contrib.modbus, PDU by function code."""

from __future__ import annotations

import struct

from scapy.contrib.modbus import ModbusADURequest, ModbusADUResponse
from scapy.packet import Packet, Raw

from . import addresses as A
from .forward import forwards_to
from .session import TcpSession


def request_pdu(function: int, address: int, quantity: int, value: int | None,
                values: list[int] | None) -> bytes:
    f = function
    if f in (1, 2, 3, 4):
        return struct.pack(">BHH", f, address, quantity)
    if f == 5:
        return struct.pack(">BHH", f, address, 0xFF00 if value else 0x0000)
    if f == 6:
        return struct.pack(">BHH", f, address, value or 0)
    if f == 15:
        bits = values or [1]
        data = bytearray((len(bits) + 7) // 8)
        for i, b in enumerate(bits):
            if b:
                data[i // 8] |= 1 << (i % 8)
        return struct.pack(">BHHB", f, address, len(bits), len(data)) + bytes(data)
    if f == 16:
        regs = values or [value or 0]
        return struct.pack(">BHHB", f, address, len(regs), 2 * len(regs)) + b"".join(
            struct.pack(">H", r) for r in regs)
    if f == 8:  # diagnostics: sub-function in address, data in value
        return struct.pack(">BHH", f, address, value or 0)
    if f == 43:  # read device identification (MEI 14), basic, object 0
        return bytes([43, 14, 1, 0])
    return bytes([f]) + (struct.pack(">H", address) if address else b"")


def response_pdu(function: int, req: bytes, quantity: int, exception: int | None) -> bytes:
    f = function
    if exception:
        return bytes([f | 0x80, exception])
    if f in (1, 2):
        n = (quantity + 7) // 8
        return bytes([f, n]) + bytes(n)
    if f in (3, 4):
        return bytes([f, 2 * quantity]) + b"".join(
            struct.pack(">H", 100 + i) for i in range(quantity))
    if f in (5, 6, 8):
        return req
    if f in (15, 16):
        return req[:5]
    if f == 43:
        obj = b"PLC-Vendor"
        return bytes([43, 14, 1, 1, 0, 0, 1, 0, len(obj)]) + obj
    return bytes([f])


def request(*, src: str = A.ENG_WORKSTATION, dst: str = A.PLC, sport: int = A.CLIENT_PORT,
            dport: int = 502, start: float = A.START, function: int = 3, unit: int = 1,
            address: int = 0, quantity: int = 10, value: int | None = None,
            values: list[int] | None = None, trans_id: int = 1, count: int = 1,
            response: bool = True, exception: int | None = None,
            segments: int | None = None) -> list[Packet]:
    """``count`` requests of ``function`` (1-6, 8, 15, 16, 43 or raw) with responses."""
    s = TcpSession(src, sport, dst, dport, start=start)
    for i in range(count):
        pdu = request_pdu(function, address, quantity, value, values)
        s.client_send(bytes(ModbusADURequest(transId=trans_id + i, unitId=unit) / Raw(pdu)),
                      segments=segments)
        if response:
            rsp = response_pdu(function, pdu, quantity, exception)
            s.server_send(bytes(ModbusADUResponse(transId=trans_id + i, unitId=unit) / Raw(rsp)))
    s.close()
    return s.packets


@forwards_to(request)
def write_register(*, address: int = 40, value: int = 1234, **kw) -> list[Packet]:
    """Function 6 (write single register)."""
    return request(function=6, address=address, value=value, **kw)


@forwards_to(request)
def write_coil(*, address: int = 0, value: int = 1, **kw) -> list[Packet]:
    """Function 5 (write single coil)."""
    return request(function=5, address=address, value=value, **kw)
