"""Telnet (TCP 23): option negotiation, banner, login prompt, credentials."""

from __future__ import annotations

from scapy.packet import Packet

from . import addresses as A
from .session import TcpSession

IAC, DO, WILL = 255, 253, 251
# server: WILL ECHO, WILL SUPPRESS-GO-AHEAD, DO TERMINAL-TYPE ; client agrees
SERVER_NEGOTIATION = bytes([IAC, WILL, 1, IAC, WILL, 3, IAC, DO, 24])
CLIENT_NEGOTIATION = bytes([IAC, DO, 1, IAC, DO, 3, IAC, WILL, 24])


def session(*, src: str = A.CORP_HOST, dst: str = A.IOT_DEVICE, sport: int = A.CLIENT_PORT,
            dport: int = 23, start: float = A.START, user: str = "admin",
            password: str = "admin", banner: str = "BusyBox v1.31.1 (2020-01-01) built-in shell",
            login_prompt: str = "login: ", password_prompt: str = "Password: ",
            success: bool = True, per_char: bool = False, negotiate: bool = True,
            commands: list[str] | None = None) -> list[Packet]:
    """Server banner + login prompt, client username and password lines.

    ``per_char`` sends each typed character in its own segment (like real clients).
    """
    s = TcpSession(src, sport, dst, dport, start=start)
    if negotiate:
        s.server_send(SERVER_NEGOTIATION)
        s.client_send(CLIENT_NEGOTIATION)
    s.server_send(f"{banner}\r\n{login_prompt}".encode())

    def typed(line: str) -> None:
        data = (line + "\r\n").encode()
        s.client_send(data, segments=len(data) if per_char else None)

    typed(user)
    s.server_send(password_prompt.encode())
    typed(password)
    if success:
        s.server_send(b"\r\n# ")
        for cmd in commands or []:
            typed(cmd)
            s.server_send(b"\r\n# ")
    else:
        s.server_send(b"\r\nLogin incorrect\r\n" + login_prompt.encode())
    s.close()
    return s.packets


def connect(*, src: str = A.CORP_HOST, dst: str = A.IOT_DEVICE, sport: int = A.CLIENT_PORT,
            dport: int = 23, start: float = A.START, banner: bool = True) -> list[Packet]:
    """A telnet connection that only gets the negotiation and login prompt, then closes."""
    s = TcpSession(src, sport, dst, dport, start=start)
    if banner:
        s.server_send(SERVER_NEGOTIATION + b"login: ")
    s.close()
    return s.packets
