"""HTTP/1.1 request + response as raw bytes (any method, path, headers, body)."""

from __future__ import annotations

import base64

from scapy.packet import Packet

from . import addresses as A
from .forward import forwards_to
from .session import TcpSession

REASONS = {200: "OK", 201: "Created", 204: "No Content", 301: "Moved Permanently",
           302: "Found", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
           500: "Internal Server Error"}


def build_request(method: str, path: str, host: str, user_agent: str | None,
                  headers: dict[str, str] | list[tuple[str, str]] | None, body: bytes,
                  version: str = "HTTP/1.1") -> bytes:
    lines = [f"{method} {path} {version}", f"Host: {host}"]
    if user_agent is not None:
        lines.append(f"User-Agent: {user_agent}")
    items = headers.items() if isinstance(headers, dict) else (headers or [])
    lines += [f"{k}: {v}" for k, v in items]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def build_response(status: int, body: bytes, content_type: str,
                   headers: dict[str, str] | None = None) -> bytes:
    lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}", "Server: lighttpd/1.4.59",
             f"Content-Type: {content_type}", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def request(*, src: str = A.CORP_HOST, dst: str = A.IOT_DEVICE, sport: int = A.CLIENT_PORT,
            dport: int = 80, start: float = A.START, method: str = "GET", path: str = "/",
            host: str | None = None, user_agent: str | None = "Mozilla/5.0",
            headers: dict[str, str] | list[tuple[str, str]] | None = None, body: bytes = b"",
            status: int = 200, response_body: bytes = b"<html><body>ok</body></html>",
            content_type: str = "text/html", response_headers: dict[str, str] | None = None,
            segments: int | None = None, response: bool = True) -> list[Packet]:
    """One HTTP request/response on its own TCP connection."""
    s = TcpSession(src, sport, dst, dport, start=start)
    host = host or (f"[{dst}]" if ":" in dst else dst)
    req = build_request(method, path, host, user_agent, headers, bytes(body))
    s.client_send(req, segments=segments)
    if response:
        s.server_send(build_response(status, bytes(response_body), content_type,
                                     response_headers))
    s.close()
    return s.packets


def keepalive(*, src: str = A.CORP_HOST, dst: str = A.IOT_DEVICE, sport: int = A.CLIENT_PORT,
              dport: int = 80, start: float = A.START, count: int = 5, interval: float = 25.0,
              method: str = "GET", path: str = "/", body: bytes = b"", status: int = 200,
              user_agent: str | None = "Mozilla/5.0") -> list[Packet]:
    """``count`` requests on ONE kept-alive TCP connection, ``interval`` seconds apart.

    One connection is one flow, and every Suricata runmode handles a flow's packets in order on
    one thread; the same requests on separate connections may be handled out of time order by
    different threads (autofp, workers), which changes what a threshold window counts.
    """
    s = TcpSession(src, sport, dst, dport, start=start)
    host = f"[{dst}]" if ":" in dst else dst
    for i in range(count):
        if i:
            s.clock.wait(interval)
        s.client_send(build_request(method, path, host, user_agent, None, bytes(body)))
        response = build_response(status, b"<html><body>ok</body></html>", "text/html")
        s.server_send(response.replace(b"Connection: close", b"Connection: keep-alive"))
    s.close()
    return s.packets


@forwards_to(request)
def basic_auth(*, user: str = "admin", password: str = "admin", path: str = "/login",
               status: int = 200, **kw) -> list[Packet]:
    """HTTP request carrying ``Authorization: Basic base64(user:password)``."""
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    headers = dict(kw.pop("headers", None) or {})
    headers["Authorization"] = f"Basic {token}"
    return request(path=path, headers=headers, status=status, **kw)


@forwards_to(request)
def firmware_download(*, src: str = A.IOT_DEVICE, dst: str = A.EXTERNAL_HOST,
                      path: str = "/firmware/fw-2.1.0.bin", host: str = "updates.vendor.example",
                      size: int = 2048, **kw) -> list[Packet]:
    """A device fetching a firmware image over plain HTTP."""
    body = bytes((i * 7) & 0xFF for i in range(size))
    return request(src=src, dst=dst, path=path, host=host, user_agent="curl/7.68.0",
                   response_body=body, content_type="application/octet-stream", **kw)
