"""SIP over UDP 5060: REGISTER or INVITE with a response (raw text)."""

from __future__ import annotations

from scapy.packet import Packet

from . import addresses as A
from .session import UdpExchange


def request(*, src: str = A.EXTERNAL_HOST, dst: str = A.IOT_DEVICE, sport: int = 5060,
            dport: int = 5060, start: float = A.START, method: str = "REGISTER",
            user: str = "100", user_agent: str = "friendly-scanner", status: int = 401,
            call_id: str = "a84b4c76e66710") -> list[Packet]:
    """SIP ``method`` for ``user`` (default the SIPVicious scanner UA) and a response."""
    uri = f"sip:{user}@{dst}"
    req = (f"{method} {uri} SIP/2.0\r\n"
           f"Via: SIP/2.0/UDP {src}:{sport};branch=z9hG4bK776asdhds\r\n"
           f"Max-Forwards: 70\r\nTo: <{uri}>\r\nFrom: <{uri}>;tag=1928301774\r\n"
           f"Call-ID: {call_id}\r\nCSeq: 1 {method}\r\nContact: <sip:{user}@{src}>\r\n"
           f"User-Agent: {user_agent}\r\nContent-Length: 0\r\n\r\n").encode()
    reason = {200: "OK", 401: "Unauthorized", 404: "Not Found"}.get(status, "Status")
    rsp = (f"SIP/2.0 {status} {reason}\r\n"
           f"Via: SIP/2.0/UDP {src}:{sport};branch=z9hG4bK776asdhds\r\n"
           f"To: <{uri}>;tag=a6c85cf\r\nFrom: <{uri}>;tag=1928301774\r\n"
           f"Call-ID: {call_id}\r\nCSeq: 1 {method}\r\nContent-Length: 0\r\n\r\n").encode()
    u = UdpExchange(src, sport, dst, dport, start=start)
    u.client_send(req)
    if status:
        u.server_send(rsp)
    return u.packets
