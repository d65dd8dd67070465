"""Text exchanges, bulk uploads and HTTP requests with text bodies.

YAML test cases cannot hand ``bytes`` to a generator, so these take ``str`` (encoded as
UTF-8; ``\\r\\n`` line ends are the caller's job) and build on the session builder.
"""

from __future__ import annotations

from scapy.packet import Packet

from . import addresses as A
from . import http
from .forward import forwards_to
from .session import TcpSession


def text_exchange(*, src: str = A.IOT_DEVICE, dst: str = A.EXTERNAL_HOST,
                  sport: int = A.CLIENT_PORT, dport: int = 4444, start: float = A.START,
                  client: list[str] | None = None, server: list[str] | None = None,
                  segments: int | None = None) -> list[Packet]:
    """One TCP connection; ``client[i]`` is sent, then ``server[i]`` (if any) answers it.

    ``segments`` splits every client message into that many TCP segments (evasion cases).
    """
    client = client if client is not None else ["hello\r\n"]
    server = server or []
    s = TcpSession(src, sport, dst, dport, start=start)
    for i, message in enumerate(client):
        s.client_send(message.encode(), segments=segments)
        if i < len(server):
            s.server_send(server[i].encode())
    s.close()
    return s.packets


def bulk_upload(*, src: str = A.IOT_DEVICE, dst: str = A.EXTERNAL_HOST,
                sport: int = A.CLIENT_PORT, dport: int = 443, start: float = A.START,
                size: int = 1_200_000, download: int = 0,
                chunk: int = 8192) -> list[Packet]:
    """The client sends ``size`` opaque bytes (``chunk``-sized segments, each ACKed); the
    server then sends ``download`` bytes. Opaque, so no app-layer parser claims the flow.
    The default chunk is what a capture on a host with segmentation offload shows (larger than
    the MSS); it keeps megabyte uploads at a few hundred packets, cheap to build on every plan."""
    s = TcpSession(src, sport, dst, dport, start=start, step=0.0002)
    block = bytes((i * 31 + 7) & 0xFF for i in range(chunk))
    for sent in range(0, size, chunk):
        s.client_send(block[:min(chunk, size - sent)], segments=1)
    for sent in range(0, download, chunk):
        s.server_send(block[:min(chunk, download - sent)], segments=1)
    s.close()
    return s.packets


@forwards_to(http.request)
def http_text(*, body: str = "", **kw) -> list[Packet]:
    """``http.request`` with a text ``body`` (e.g. an XML or form payload of an exploit)."""
    return http.request(body=body.encode(), **kw)
