"""Repeat any registered generator: bursts of sessions from one source (brute force, floods)."""

from __future__ import annotations

from typing import Any

from scapy.packet import Packet

from . import addresses as A
from . import registry
from .session import merge


def sessions(*, generator: str = "tcp.connect", count: int = 5, interval: float = 2.0, start: float = A.START,
             sport: int = A.CLIENT_PORT, args: dict[str, Any] | None = None) -> list[Packet]:
    """``count`` runs of ``generator`` with ``args``, ``interval`` seconds apart; run i uses
    source port ``sport + i`` (a new connection each time, as brute-force tools do)."""
    if generator == "repeat.sessions":
        raise ValueError("repeat.sessions cannot repeat itself")
    make = registry.get(generator)
    runs = [make(**{**(args or {}), "sport": sport + i, "start": start + i * interval})
            for i in range(count)]
    return merge(*runs)
