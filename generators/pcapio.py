"""Byte-identical classic pcap writing (Ethernet linktype, microsecond timestamps)."""

from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import Iterable

from scapy.packet import Packet

LINKTYPE_ETHERNET = 1
SNAPLEN = 65535


def pcap_bytes(packets: Iterable[Packet], linktype: int = LINKTYPE_ETHERNET) -> bytes:
    """The pcap file content for ``packets`` (little-endian, v2.4, usec)."""
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, SNAPLEN, linktype)]
    for pkt in packets:
        data = bytes(pkt)
        t_us = int(round(float(pkt.time) * 1_000_000))
        sec, usec = divmod(t_us, 1_000_000)
        out.append(struct.pack("<IIII", sec, usec, len(data), len(data)))
        out.append(data)
    return b"".join(out)


def write_pcap(packets: Iterable[Packet], path: str | os.PathLike) -> Path:
    """Write ``packets`` to ``path`` (parent dirs created); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pcap_bytes(packets))
    return path
