"""Traffic for the inventory-driven detections: an unknown host, off-profile services, firmware images.

The inventory suite (harness/inventory/suite.py) fills `src`/`dst` from the inventory's devices, so
these generators only shape the traffic.
"""

from __future__ import annotations

import hashlib

from scapy.packet import Packet

from . import addresses as A
from .http import request
from .session import TcpSession, UdpExchange, merge


def firmware_image(name: str, size: int = 4096) -> bytes:
    """The deterministic bytes of a named test image (a sha256 chain: same name, same hash)."""
    out, block = b"", name.encode()
    while len(out) < size:
        block = hashlib.sha256(block).digest()
        out += block
    return out[:size]


def firmware_sha256(name: str, size: int = 4096) -> str:
    return hashlib.sha256(firmware_image(name, size)).hexdigest()


def firmware_download(*, src: str = A.IOT_DEVICE, dst: str = A.UPDATE_SERVER, image: str = "approved",
                      size: int = 4096, path: str | None = None, host: str = "updates.vendor.example",
                      dport: int = 80, start: float = A.START) -> list[Packet]:
    """A device fetching a firmware image over HTTP; the body is firmware_image(image, size)."""
    return request(src=src, dst=dst, dport=dport, start=start, path=path or f"/firmware/{image}.bin", host=host,
                   user_agent="fwupdate/1.0", response_body=firmware_image(image, size),
                   content_type="application/octet-stream")


def service(*, src: str = A.IOT_DEVICE, dst: str = A.EXTERNAL_HOST, transport: str = "tcp", dport: int = 23,
            sport: int = A.CLIENT_PORT, payload: bytes = b"hello\r\n", response: bytes = b"ok\r\n",
            start: float = A.START) -> list[Packet]:
    """One conversation from src to dst on transport/dport: a full TCP session or a UDP exchange."""
    if transport == "udp":
        exchange = UdpExchange(src, sport, dst, dport, start=start)
        exchange.client_send(payload)
        if response:
            exchange.server_send(response)
        return exchange.packets
    session = TcpSession(src, sport, dst, dport, start=start)
    session.client_send(payload)
    if response:
        session.server_send(response)
    session.close()
    return session.packets


def unknown_host(*, src: str = A.IOT_DEVICE, dst: str = A.NTP_SERVER, dports: list[int] | None = None,
                 start: float = A.START) -> list[Packet]:
    """A host the inventory does not know: a few conversations (NTP, HTTPS), as a new device would."""
    ports = dports or [123, 443]
    groups = []
    for index, port in enumerate(ports):
        transport = "udp" if port in (53, 123) else "tcp"
        groups.append(service(src=src, dst=dst, transport=transport, dport=port, sport=A.CLIENT_PORT + index,
                              start=start + index))
    return merge(*groups)
