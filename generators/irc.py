"""IRC (TCP 6667): NICK/USER/JOIN, the C2 pattern of IoT botnets."""

from __future__ import annotations

from scapy.packet import Packet

from . import addresses as A
from .session import TcpSession


def session(*, src: str = A.IOT_DEVICE, dst: str = A.EXTERNAL_HOST, sport: int = A.CLIENT_PORT,
            dport: int = 6667, start: float = A.START, nick: str = "bot12345",
            user: str = "bot", channel: str = "#iot", server_name: str = "irc.example.net",
            messages: list[str] | None = None) -> list[Packet]:
    """Client NICK/USER, server 001 welcome, JOIN, optional PRIVMSG commands from server."""
    s = TcpSession(src, sport, dst, dport, start=start)
    s.client_send(f"NICK {nick}\r\nUSER {user} 0 * :{user}\r\n".encode())
    s.server_send(f":{server_name} 001 {nick} :Welcome to the IRC Network {nick}\r\n".encode())
    s.client_send(f"JOIN {channel}\r\n".encode())
    s.server_send(f":{nick}!{user}@host JOIN :{channel}\r\n".encode())
    for m in messages or []:
        s.server_send(f":admin!a@h PRIVMSG {channel} :{m}\r\n".encode())
    s.client_send(b"QUIT :bye\r\n")
    s.close()
    return s.packets
