"""Move every packet of a capture forward in time by a whole number of seconds.

The batch engine needs this: Suricata 7's unix-socket mode does not reliably clear its host table
between pcap files (measured: a `threshold` entry of one file suppressed the alert of the next in
6 of 30 runs when both files start at the same time). A threshold only counts within its window,
so files whose packets lie days apart can no longer influence each other.
"""
from __future__ import annotations

import struct
from pathlib import Path

# Classic pcap magic numbers (as read little-endian) -> struct byte order of the file.
_BYTE_ORDER = {0xA1B2C3D4: "<", 0xD4C3B2A1: ">", 0xA1B23C4D: "<", 0x4D3CB2A1: ">"}
_GLOBAL_HEADER = 24
_RECORD_HEADER = 16


def shift_pcap(source: Path, target: Path, seconds: int) -> None:
    """Write source to target with every timestamp `seconds` later; pcapng is converted by scapy."""
    data = source.read_bytes()
    (magic,) = struct.unpack_from("<I", data, 0) if len(data) >= 4 else (0,)
    order = _BYTE_ORDER.get(magic)
    if order is None:
        _shift_with_scapy(source, target, seconds)
        return
    shifted = bytearray(data)
    offset = _GLOBAL_HEADER
    while offset + _RECORD_HEADER <= len(shifted):
        ts_sec, _, captured, _ = struct.unpack_from(order + "IIII", shifted, offset)
        struct.pack_into(order + "I", shifted, offset, ts_sec + seconds)
        offset += _RECORD_HEADER + captured
    target.write_bytes(bytes(shifted))


def _shift_with_scapy(source: Path, target: Path, seconds: int) -> None:
    from scapy.utils import rdpcap, wrpcap
    packets = rdpcap(str(source))
    for packet in packets:
        packet.time += seconds
    wrpcap(str(target), packets)
