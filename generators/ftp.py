"""FTP (TCP 21): login with server replies; RETR over a passive data connection."""

from __future__ import annotations

from scapy.packet import Packet

from . import addresses as A
from .session import TcpSession, merge


def _login(s: TcpSession, user: str, password: str, banner: str, success: bool) -> None:
    s.server_send(f"220 {banner}\r\n".encode())
    s.client_send(f"USER {user}\r\n".encode())
    s.server_send(f"331 Password required for {user}\r\n".encode())
    s.client_send(f"PASS {password}\r\n".encode())
    s.server_send(b"230 User logged in\r\n" if success else b"530 Login incorrect\r\n")


def login(*, src: str = A.CORP_HOST, dst: str = A.IOT_DEVICE, sport: int = A.CLIENT_PORT,
          dport: int = 21, start: float = A.START, user: str = "anonymous",
          password: str = "guest@example.com", banner: str = "ProFTPD 1.3.5 Server",
          success: bool = True) -> list[Packet]:
    """Banner, USER, PASS, result, QUIT."""
    s = TcpSession(src, sport, dst, dport, start=start)
    _login(s, user, password, banner, success)
    s.client_send(b"QUIT\r\n")
    s.server_send(b"221 Goodbye\r\n")
    s.close()
    return s.packets


def retr(*, src: str = A.IOT_DEVICE, dst: str = A.EXTERNAL_HOST, sport: int = A.CLIENT_PORT,
         dport: int = 21, start: float = A.START, user: str = "anonymous",
         password: str = "guest@example.com", filename: str = "firmware.bin",
         data: bytes | None = None, data_port: int = 50000,
         banner: str = "vsFTPd 3.0.3") -> list[Packet]:
    """Login, TYPE I, PASV (227 to ``data_port``), RETR ``filename``, transfer, 226."""
    data = data if data is not None else bytes((i * 13) & 0xFF for i in range(1024))
    s = TcpSession(src, sport, dst, dport, start=start)
    _login(s, user, password, banner, True)
    s.client_send(b"TYPE I\r\n")
    s.server_send(b"200 Switching to Binary mode.\r\n")
    s.client_send(b"PASV\r\n")
    h = dst.replace(".", ",")
    s.server_send(f"227 Entering Passive Mode ({h},{data_port >> 8},{data_port & 0xFF}).\r\n"
                  .encode())
    s.client_send(f"RETR {filename}\r\n".encode())
    d = TcpSession(src, sport + 1, dst, data_port, ip_id=100, clock=s.clock)
    s.server_send(f"150 Opening BINARY mode data connection for {filename} "
                  f"({len(data)} bytes).\r\n".encode())
    d.server_send(data)
    d.close(by_client=False)
    s.server_send(b"226 Transfer complete.\r\n")
    s.client_send(b"QUIT\r\n")
    s.server_send(b"221 Goodbye.\r\n")
    s.close()
    return merge(s.packets, d.packets)
