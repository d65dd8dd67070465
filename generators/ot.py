"""OT attack and reconnaissance sessions built on the protocol generators: DNP3 select-before-
operate and control/application/file commands, Modbus function-code sweeps and register-map scans,
CIP sessions with several services (program download/upload through the File object)."""

from __future__ import annotations

import struct

from scapy.contrib.modbus import ModbusADURequest, ModbusADUResponse
from scapy.packet import Packet, Raw

from . import addresses as A
from . import dnp3, modbus
from .enip import SESSION_HANDLE, cip_path, encap, send_rr_data
from .session import TcpSession

_CROB = bytes.fromhex("0c0128010000" "41" "01" "e8030000" "00000000" "00")   # g12v1 pulse on, index 0
# Object headers real masters send with these functions (IEEE 1815 tables 4-x).
DNP3_OBJECTS = {
    3: _CROB, 4: _CROB, 5: _CROB, 6: _CROB,
    7: bytes.fromhex("140006"), 8: bytes.fromhex("140006"),            # g20v0 all counters
    17: bytes.fromhex("5a01" "5b" "01" "0600" "505247303100"),           # g90v1 application "PRG01"
    18: bytes.fromhex("5a01" "5b" "01" "0600" "505247303100"),
    25: bytes.fromhex("4603" "5b" "01" "1a00" "1000" "0000" "00000000" "0000" "ff01" "0000" "0004" "0100" "636f6e6669672e6461740000"),
    26: bytes.fromhex("4604" "5b" "01" "0b00" "01000000" "00000000" "0000" "00"),
    27: bytes.fromhex("4603" "5b" "01" "1a00" "1000" "0000" "00000000" "0000" "ff01" "0000" "0000" "0100" "636f6e6669672e6461740000"),
    28: bytes.fromhex("4603" "5b" "01" "1a00" "1000" "0000" "00000000" "0000" "ff01" "0000" "0000" "0100" "636f6e6669672e6461740000"),
}


def dnp3_command(*, src: str = A.ENG_WORKSTATION, dst: str = A.PLC, function: int = 5, **kw) -> list[Packet]:
    """``dnp3.request`` with the object headers a real master sends for ``function``."""
    return dnp3.request(src=src, dst=dst, function=function,
                        objects=kw.pop("objects", DNP3_OBJECTS.get(function, b"")), **kw)


def dnp3_select_operate(*, src: str = A.ENG_WORKSTATION, dst: str = A.PLC, sport: int = A.CLIENT_PORT,
                        dport: int = 20000, start: float = A.START, master: int = 1, outstation: int = 10,
                        operate: bool = True) -> list[Packet]:
    """Select-before-operate on one connection: SELECT (3) of a CROB, its echo, then OPERATE (4)."""
    s = TcpSession(src, sport, dst, dport, start=start)
    steps = [3, 4] if operate else [3]
    for i, function in enumerate(steps):
        s.client_send(dnp3.request_bytes(function, _CROB, dest=outstation, src=master, app_seq=i, transport_seq=i))
        s.server_send(dnp3.response_bytes(129, _CROB, dest=master, src=outstation, app_seq=i, transport_seq=i))
    s.close()
    return s.packets


def modbus_function_sweep(*, src: str = A.CORP_HOST, dst: str = A.PLC, sport: int = A.CLIENT_PORT,
                          dport: int = 502, start: float = A.START, first: int = 1, last: int = 127,
                          unit: int = 1, supported: list[int] | None = None) -> list[Packet]:
    """What a function-code scanner does: every code from ``first`` to ``last`` on one connection;
    codes not in ``supported`` (default 1-6, 15, 16) get exception 01 (illegal function)."""
    supported = supported if supported is not None else [1, 2, 3, 4, 5, 6, 15, 16]
    s = TcpSession(src, sport, dst, dport, start=start)
    for i, code in enumerate(range(first, last + 1)):
        pdu = modbus.request_pdu(code, 0, 1, 0, None) if code in supported else bytes([code])
        s.client_send(bytes(ModbusADURequest(transId=1 + i, unitId=unit) / Raw(pdu)))
        rsp = modbus.response_pdu(code, pdu, 1, None) if code in supported else bytes([code | 0x80, 1])
        s.server_send(bytes(ModbusADUResponse(transId=1 + i, unitId=unit) / Raw(rsp)))
    s.close()
    return s.packets


def modbus_register_scan(*, src: str = A.CORP_HOST, dst: str = A.PLC, sport: int = A.CLIENT_PORT,
                         dport: int = 502, start: float = A.START, function: int = 3, first_address: int = 0,
                         reads: int = 100, quantity: int = 10, interval: float = 0.05,
                         unit: int = 1) -> list[Packet]:
    """A register-map crawl: ``reads`` reads of ``quantity`` registers, walking up the address space."""
    s = TcpSession(src, sport, dst, dport, start=start)
    for i in range(reads):
        if i:
            s.wait(interval)
        pdu = modbus.request_pdu(function, first_address + i * quantity, quantity, None, None)
        s.client_send(bytes(ModbusADURequest(transId=1 + i, unitId=unit) / Raw(pdu)))
        s.server_send(bytes(ModbusADUResponse(transId=1 + i, unitId=unit) /
                            Raw(modbus.response_pdu(function, pdu, quantity, None))))
    s.close()
    return s.packets


# CIP File object (class 0x37) services, CIP Vol. 1 ch. 5
FILE_CLASS = 0x37
INITIATE_UPLOAD, INITIATE_DOWNLOAD, UPLOAD_TRANSFER, DOWNLOAD_TRANSFER = 0x4B, 0x4C, 0x4F, 0x50


def cip_session(*, src: str = A.ENG_WORKSTATION, dst: str = A.PLC, sport: int = A.CLIENT_PORT,
                dport: int = 44818, start: float = A.START,
                requests: list[dict] | None = None) -> list[Packet]:
    """RegisterSession, then each request ``{service, cls, instance, attribute, data_hex}`` as
    SendRRData with a success reply, UnRegisterSession."""
    s = TcpSession(src, sport, dst, dport, start=start)
    s.client_send(encap(0x65, struct.pack("<HH", 1, 0)))
    s.server_send(encap(0x65, struct.pack("<HH", 1, 0), session=SESSION_HANDLE))
    for r in requests or [{"service": 0x0E, "cls": 1, "instance": 1, "attribute": 7}]:
        path = cip_path(int(r.get("cls", 1)), int(r.get("instance", 1)), r.get("attribute"))
        cip = bytes([int(r["service"])]) + path + bytes.fromhex(r.get("data_hex", ""))
        s.client_send(send_rr_data(cip, session=SESSION_HANDLE))
        s.server_send(send_rr_data(bytes([int(r["service"]) | 0x80, 0, 0, 0]), session=SESSION_HANDLE))
    s.client_send(encap(0x66, session=SESSION_HANDLE))
    s.close()
    return s.packets


def cip_program_transfer(*, src: str = A.ENG_WORKSTATION, dst: str = A.PLC, direction: str = "download",
                         blocks: int = 4, **kw) -> list[Packet]:
    """A program download (or upload) through the File object: initiate, then ``blocks`` transfers."""
    init, transfer = ((INITIATE_DOWNLOAD, DOWNLOAD_TRANSFER) if direction == "download"
                      else (INITIATE_UPLOAD, UPLOAD_TRANSFER))
    reqs = [{"service": init, "cls": FILE_CLASS, "instance": 1, "data_hex": "00100000"}]
    reqs += [{"service": transfer, "cls": FILE_CLASS, "instance": 1,
              "data_hex": f"{n:02x}" + ("00" if direction == "upload" else "a5" * 64)} for n in range(blocks)]
    # src/dst named here, not left to **kw: the harness binds role defaults from the signature.
    return cip_session(src=src, dst=dst, requests=reqs, **kw)
