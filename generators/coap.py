"""CoAP (UDP 5683) via scapy.contrib.coap: confirmable request + piggybacked response."""

from __future__ import annotations

from scapy.contrib.coap import CoAP
from scapy.packet import Packet

from . import addresses as A
from .session import UdpExchange

METHODS = {"GET": 1, "POST": 2, "PUT": 3, "DELETE": 4}


def request(*, src: str = A.CORP_HOST, dst: str = A.IOT_DEVICE, sport: int = A.CLIENT_PORT,
            dport: int = 5683, start: float = A.START, method: str | int = "GET",
            uri_path: str = ".well-known/core", payload: bytes = b"", msg_id: int = 0x1001,
            token: bytes = b"\x42\x43", response: bool = True, response_code: int = 69,
            response_payload: bytes = b'</sensors/temp>;rt="temperature"') -> list[Packet]:
    """Method code (name or 1-4), ``uri_path`` split on '/'; response code 69 = 2.05."""
    code = METHODS[method.upper()] if isinstance(method, str) else int(method)
    opts = [("Uri-Path", seg.encode()) for seg in uri_path.strip("/").split("/") if seg]
    u = UdpExchange(src, sport, dst, dport, start=start)
    req = CoAP(type=0, code=code, msg_id=msg_id, token=token, options=opts)
    if payload:
        req.paymark = b"\xff"
        req = req / payload
    u.client_send(req)
    if response:
        rsp = CoAP(type=2, code=response_code, msg_id=msg_id, token=token,
                   options=[("Content-Format", b"\x28")])
        if response_payload:
            rsp.paymark = b"\xff"
            rsp = rsp / response_payload
        u.server_send(rsp)
    return u.packets
