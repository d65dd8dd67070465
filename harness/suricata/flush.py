"""The end of a case, as a sensor sees it: a flush packet FLUSH_AFTER seconds after its last one.

A real sensor inspects a TCP flow's last data (raw stream chunks, transactions completed only at
end of stream: DNP3, FTP, Telnet) when the flow times out, not when a capture file ends. Every
local engine therefore ends each case with flush packets of its own, FLUSH_AFTER seconds after the
case's last packet: later than any flow time-out of the harness config, so with `flow.hash-size:
1` (every flow in one bucket, templates/suricata_harness.yaml.j2) the first one's flow look-up
evicts every flow of the case (flow-hash.c, FlowGetFlowFromHash, 7.0.10), and the worker, which
finishes two evicted flows after each packet (flow-worker.c, max_work), finishes them on the ones
after it (as many as the case can have flows: flows_upper_bound), inspecting what is left on
pseudo-packets stamped with the flush time (flow-timeout.c, TimeGet()). A file's teardown
then finds nothing left, so each case's late inspections happen at the same time, inside its own
window, whether the case is read alone (batch, process) or inside a merged pcap, never in a later
case's time. Its records (its own flow) carry FLUSH_SOURCE and are dropped from every case's EVE.

With a hash of one bucket the flow manager times nothing out at all (it scans hash-size / 10 rows a
second, rounded down to 0: flow-manager.c, GetWorkUnitSizing), so no eviction depends on how fast
the reader runs: which flows end, and at which packet, is a function of the packets alone.
"""
from __future__ import annotations

import struct

# The harness config's longest flow time-out is Suricata 7.0's default for established TCP and UDP
# flows (300 s, flow-private.h); a flow is timed out once that many seconds have passed in full.
FLUSH_AFTER = 302
# Loopback addresses (no site plan or rule variable holds 127.0.0.0/8), UDP port 9 (discard), no payload.
FLUSH_SOURCE, FLUSH_DEST = "127.0.0.254", "127.0.0.253"
FLUSH_PORT = 9
_ETHERNET = bytes.fromhex("020000000002" "020000000001" "0800")
_ETHERTYPE_IPV4 = 0x0800


def _ipv4_udp() -> bytes:
    source = bytes(int(part) for part in FLUSH_SOURCE.split("."))
    dest = bytes(int(part) for part in FLUSH_DEST.split("."))
    udp = struct.pack(">HHHH", FLUSH_PORT, FLUSH_PORT, 8, 0)
    header = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 64, 17, 0, source, dest)
    checksum = sum(struct.unpack(">10H", header))
    checksum = (checksum & 0xFFFF) + (checksum >> 16)
    checksum = ~((checksum & 0xFFFF) + (checksum >> 16)) & 0xFFFF
    return header[:10] + struct.pack(">H", checksum) + header[12:] + udp


_IP = _ipv4_udp()
# Link types (DLT numbers) a flush packet can be framed for; a capture of another one keeps the
# file teardown's timing (and the merged engine reads it alone).
_FRAMES = {
    1: _ETHERNET + _IP,                                                 # EN10MB
    0: struct.pack("<I", 2) + _IP,                                      # NULL (AF_INET, host order)
    12: _IP, 14: _IP, 101: _IP, 228: _IP,                               # raw IP / raw IPv4
    113: struct.pack(">HHH8sH", 0, 1, 6, bytes(8), _ETHERTYPE_IPV4) + _IP,   # LINUX_SLL
}


def frame(linktype: int) -> bytes | None:
    """The flush packet's bytes for a capture of this link type; None when it has none."""
    return _FRAMES.get(linktype & 0x0FFFFFFF)


def record(order: str, linktype: int, second: int, flows: int = 1) -> bytes:
    """The flush packets (pcap records) at `second` for a case of at most `flows` flows: Suricata's
    worker finishes two evicted flows after each packet (flow-worker.c, max_work), so one packet
    evicts them all and ceil(flows / 2) more finish them, all at the flush time."""
    data = frame(linktype)
    if data is None:
        return b""
    one = struct.pack(order + "IIII", second, 0, len(data), len(data)) + data
    return one * (1 + -(-flows // 2))


_TUNNELS = {4, 41, 47}                       # IP in IP, IPv6 in IPv4, GRE: inner flows too
_TUNNEL_PORTS = {3544, 4789, 6081}           # Teredo, VXLAN, Geneve


def flows_upper_bound(data: bytes, order: str, linktype: int, offset: int = 24) -> int:
    """At most how many flows Suricata makes of the records in data[offset:]: distinct address
    and port pairs (either direction), plus one for every TCP SYN without ACK (a reused port
    opens a new flow), every packet that is not plain TCP/UDP over IP (ICMP, fragments, anything
    not decoded here) and every tunnelled packet (its inner flow)."""
    linktype &= 0x0FFFFFFF
    seen, extra = set(), 0
    header = struct.Struct(order + "IIII")
    while offset + 16 <= len(data):
        captured = header.unpack_from(data, offset)[2]
        packet = data[offset + 16:offset + 16 + captured]
        offset += 16 + captured
        ip = _ip_start(packet, linktype)
        key = _flow_key(packet, ip) if ip is not None else None
        if key is None:
            extra += 1
            continue
        proto, a, b, tcp_flags = key
        seen.add((proto, min(a, b), max(a, b)))
        if tcp_flags is not None and tcp_flags & 0x12 == 0x02:
            extra += 1
        if proto in _TUNNELS or (proto == 17 and (a[1] in _TUNNEL_PORTS or b[1] in _TUNNEL_PORTS)):
            extra += 1
    return len(seen) + extra


def _ip_start(packet: bytes, linktype: int) -> int | None:
    if linktype == 1:
        at, ethertype = 14, packet[12:14]
        while ethertype in (b"\x81\x00", b"\x88\xa8") and len(packet) >= at + 4:
            ethertype, at = packet[at + 2:at + 4], at + 4
        return at if ethertype in (b"\x08\x00", b"\x86\xdd") else None
    if linktype == 113:
        return 16 if packet[14:16] in (b"\x08\x00", b"\x86\xdd") else None
    if linktype == 0:
        return 4
    return 0 if linktype in (12, 14, 101, 228) else None


def _flow_key(packet: bytes, at: int):
    """(protocol, (source, port), (destination, port), TCP flags or None); None when not plain
    TCP/UDP over IPv4/IPv6 (ICMP, a fragment, a truncated header)."""
    version = packet[at] >> 4 if len(packet) > at else 0
    if version == 4 and len(packet) >= at + 20:
        ihl = (packet[at] & 0x0F) * 4
        proto, fragment = packet[at + 9], struct.unpack_from(">H", packet, at + 6)[0] & 0x3FFF
        source, dest, l4 = packet[at + 12:at + 16], packet[at + 16:at + 20], at + ihl
    elif version == 6 and len(packet) >= at + 40:
        proto, fragment = packet[at + 6], 0
        source, dest, l4 = packet[at + 8:at + 24], packet[at + 24:at + 40], at + 40
    else:
        return None
    if proto in _TUNNELS:
        return proto, (source, 0), (dest, 0), None
    if fragment or proto not in (6, 17) or len(packet) < l4 + 4:
        return None
    sport, dport = struct.unpack_from(">HH", packet, l4)
    flags = packet[l4 + 13] if proto == 6 and len(packet) > l4 + 13 else None
    return proto, (source, sport), (dest, dport), flags


_ORDER = {b"\xd4\xc3\xb2\xa1": "<", b"\xa1\xb2\xc3\xd4": ">", b"\x4d\x3c\xb2\xa1": "<", b"\xa1\xb2\x3c\x4d": ">"}


def append_flush(path, second: int) -> bool:
    """Append the flush packets at `second` to a classic pcap the harness wrote (an engine's staged
    copy of a case); False, nothing written, for a link type without a flush frame or a capture
    whose last record is cut short (a record after it would be read as its missing bytes)."""
    with open(path, "r+b") as handle:
        data = handle.read()
        order = _ORDER.get(data[:4])
        if order is None or len(data) < 24:
            return False
        offset = 24
        while offset + 16 <= len(data):
            offset += 16 + struct.unpack_from(order + "I", data, offset + 8)[0]
        linktype = struct.unpack_from(order + "I", data, 20)[0]
        if offset != len(data) or frame(linktype) is None:
            return False
        handle.write(record(order, linktype, second, flows_upper_bound(data, order, linktype)))
    return True


_QUOTED = f'"{FLUSH_SOURCE}"'
_MARKS = (f'"src_ip":"{FLUSH_SOURCE}"'.encode(), f'"dest_ip":"{FLUSH_SOURCE}"'.encode())
_QUOTED_BYTES = _QUOTED.encode()
_TEXT_MARKS = tuple(mark.decode() for mark in _MARKS)


def is_flush_line(line: bytes | str) -> bool:
    """An EVE line of the flush packet's own flow (Suricata writes src_ip/dest_ip without spaces).
    Called on every line of a suite's EVE: the common answer, no, is one substring search."""
    if isinstance(line, str):
        return _QUOTED in line and (_TEXT_MARKS[0] in line or _TEXT_MARKS[1] in line)
    return _QUOTED_BYTES in line and (_MARKS[0] in line or _MARKS[1] in line)


def drop_flush_records(eve) -> None:
    """Rewrite an eve.json without the flush flow's records (an alert on it is an error: a rule
    that matches the harness's own packet would count it in its thresholds)."""
    try:
        data = eve.read_bytes()
    except FileNotFoundError:
        return
    lines = data.split(b"\n")
    kept = [line for line in lines if not is_flush_line(line)]
    if len(kept) == len(lines):
        return
    for line in lines:
        if is_flush_line(line) and b'"event_type":"alert"' in line:
            from harness.rules.errors import EngineError
            raise EngineError(f"a rule alerts on the harness's flush packet ({FLUSH_SOURCE} -> {FLUSH_DEST} udp/"
                              f"{FLUSH_PORT}, harness/suricata/flush.py): {line[:300].decode(errors='replace')}")
    eve.write_bytes(b"\n".join(kept))
