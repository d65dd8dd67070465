"""A capture is checked before it is replayed: readable, a link type Suricata decodes, at least one
whole packet. Suricata reads a zero-packet or cut-short file without complaint and reports no alert,
which a negative case would count as a pass; a bad magic number made scapy raise a traceback."""
from __future__ import annotations

import os
import stat
import struct
from dataclasses import dataclass
from pathlib import Path

# Link types Suricata 7 decodes (DLT numbers): null/loopback, Ethernet, PPP, raw IP (12, 14, 101),
# Linux cooked v1/v2, raw IPv4, raw IPv6.
SUPPORTED_LINKTYPES = {0: "NULL", 1: "EN10MB", 9: "PPP", 12: "RAW", 14: "RAW", 101: "RAW", 113: "LINUX_SLL",
                       228: "IPV4", 229: "IPV6", 276: "LINUX_SLL2"}
_PCAP_ORDER = {b"\xd4\xc3\xb2\xa1": "<", b"\xa1\xb2\xc3\xd4": ">", b"\x4d\x3c\xb2\xa1": "<", b"\xa1\xb2\x3c\x4d": ">"}
_PCAPNG_SHB = 0x0A0D0D0A
_PCAPNG_IDB, _PCAPNG_EPB, _PCAPNG_SPB, _PCAPNG_OPB = 1, 6, 3, 2
# Far more than any test case needs; a larger file is not read whole into memory to be checked.
MAX_BYTES = 256 * 1024 * 1024


class PcapProblem(ValueError):
    """Why a capture cannot be replayed (the message names no path; the caller adds it)."""


@dataclass(frozen=True)
class PcapSummary:
    packets: int
    linktypes: tuple[int, ...]


def inspect(path: Path) -> PcapSummary:
    """Read path's headers and records; raise PcapProblem when Suricata could not replay it whole."""
    try:
        if not path.is_file():
            raise PcapProblem("is missing or not a regular file (run `iotdetect pcaps`)")
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise PcapProblem(f"is {size} bytes (limit {MAX_BYTES})")
        data = path.read_bytes()
    except OSError as exc:
        raise PcapProblem(f"cannot be read: {exc.strerror}") from None
    if len(data) < 4:
        raise PcapProblem(f"is {len(data)} bytes long: not a pcap or pcapng file")
    if data[:4] in _PCAP_ORDER:
        return _classic(data, _PCAP_ORDER[data[:4]])
    if struct.unpack_from("<I", data)[0] == _PCAPNG_SHB:
        return _pcapng(data)
    raise PcapProblem(f"has no pcap/pcapng magic number (starts {data[:4].hex()})")


def _classic(data: bytes, order: str) -> PcapSummary:
    if len(data) < 24:
        raise PcapProblem("is cut short inside the pcap file header")
    linktype = struct.unpack_from(order + "I", data, 20)[0] & 0x0FFFFFFF
    _check_linktype(linktype)
    offset, packets = 24, 0
    while offset < len(data):
        if offset + 16 > len(data):
            raise PcapProblem(f"is cut short inside the header of packet {packets + 1}")
        captured = struct.unpack_from(order + "I", data, offset + 8)[0]
        if offset + 16 + captured > len(data):
            raise PcapProblem(f"is cut short inside packet {packets + 1} ({captured} bytes declared)")
        offset += 16 + captured
        packets += 1
    return _summary(packets, (linktype,))


def _pcapng(data: bytes) -> PcapSummary:
    if len(data) < 12:
        raise PcapProblem("is cut short inside the pcapng section header")
    magic = data[8:12]
    order = {b"\x4d\x3c\x2b\x1a": "<", b"\x1a\x2b\x3c\x4d": ">"}.get(magic)
    if order is None:
        raise PcapProblem("has a pcapng section header with an unknown byte-order magic")
    offset, packets, linktypes = 0, 0, []
    while offset < len(data):
        if offset + 12 > len(data):
            raise PcapProblem(f"is cut short inside a pcapng block at byte {offset}")
        kind, length = struct.unpack_from(order + "II", data, offset)
        if length < 12 or length % 4 or offset + length > len(data):
            raise PcapProblem(f"has a pcapng block of impossible length {length} at byte {offset}")
        if kind == _PCAPNG_IDB:
            linktype = struct.unpack_from(order + "H", data, offset + 8)[0]
            _check_linktype(linktype)
            linktypes.append(linktype)
        elif kind in (_PCAPNG_EPB, _PCAPNG_SPB, _PCAPNG_OPB):
            if not linktypes:
                raise PcapProblem("has a packet before any interface description")
            packets += 1
        offset += length
    return _summary(packets, tuple(linktypes))


def _check_linktype(linktype: int) -> None:
    if linktype not in SUPPORTED_LINKTYPES:
        raise PcapProblem(f"has link type {linktype}, which Suricata does not decode (supported: "
                          f"{', '.join(f'{n} {name}' for n, name in sorted(SUPPORTED_LINKTYPES.items()))})")


def _summary(packets: int, linktypes: tuple[int, ...]) -> PcapSummary:
    if packets == 0:
        # A negative case on an empty capture would pass whatever the rule does.
        raise PcapProblem("holds no packet: a case on it would prove nothing")
    return PcapSummary(packets, linktypes)


def case_findings(refs, generated_dir: Path, captures_dir: Path, root: Path, *, missing_ok: bool = False) -> list:
    """A located finding for every case (CaseRef/BaselineRef) whose capture cannot be replayed.
    missing_ok: a generator pcap not written yet is not reported (validate runs before `pcaps`).
    Each capture is stat-ed once, by its path as a string (ref.pcap_name): pathlib's joins and its
    exists/is_file/stat, four system calls, were most of this check's time on 20,000 cases."""
    from harness.rules.answers import bounded, cache_file, read_json, write_json
    from harness.rules.errors import Finding, rel
    from harness.suricata.digests import file_sha256
    findings = []
    # Captures that passed before, by the sha256 of their bytes (a changed byte is checked again).
    path_of_cache = cache_file(root, CACHE_NAME)
    passed = read_json(path_of_cache)
    new, used = {}, []
    generated, captures = str(generated_dir), str(captures_dir)
    for ref in refs:
        name = ref.pcap_name(generated, captures)
        try:
            info = os.stat(name)
        except OSError:
            info = None
        if info is None and missing_ok and ref.traffic.generator:
            continue
        digest = None
        if info is not None and stat.S_ISREG(info.st_mode) and info.st_size <= MAX_BYTES:
            try:
                digest = file_sha256(name, info=info)
            except OSError:
                pass
        if digest is not None:
            used.append(digest)
            known = passed.get(digest)
            if isinstance(known, int) and known > 0:
                continue
        path = Path(name)
        try:
            summary = inspect(path)
            if digest is not None:
                new[digest] = summary.packets
        except PcapProblem as problem:
            findings.append(Finding(*ref.error_location(root), "traffic", f"{rel(path, root)} {problem}"))
    if new:
        write_json(path_of_cache, bounded({**passed, **new}, used, CACHE_KEEP))   # this run's first
    return findings


CACHE_NAME = "pcap-checks.json"
CACHE_KEEP = 20_000
