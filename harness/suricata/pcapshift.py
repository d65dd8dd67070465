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


def time_span(source: Path) -> tuple[int, int]:
    """(first, last) packet timestamp of a capture, whole seconds; (0, 0) for one without packets."""
    data = source.read_bytes()
    (magic,) = struct.unpack_from("<I", data, 0) if len(data) >= 4 else (0,)
    order = _BYTE_ORDER.get(magic)
    if order is None:
        from scapy.utils import rdpcap
        times = [int(packet.time) for packet in rdpcap(str(source))]
        return (min(times), max(times)) if times else (0, 0)
    first = last = None
    offset = _GLOBAL_HEADER
    while offset + _RECORD_HEADER <= len(data):
        ts_sec, _, captured, _ = struct.unpack_from(order + "IIII", data, offset)
        first = ts_sec if first is None else min(first, ts_sec)
        last = ts_sec if last is None else max(last, ts_sec)
        offset += _RECORD_HEADER + captured
    return (first or 0, last or 0)


def _shift_with_scapy(source: Path, target: Path, seconds: int) -> None:
    from scapy.utils import rdpcap, wrpcap
    packets = rdpcap(str(source))
    for packet in packets:
        packet.time += seconds
    wrpcap(str(target), packets)


# -- host maps: a capture's addresses onto the site plan --------------------------------------------

_LINKTYPES = {"Ether": 1, "CookedLinux": 113, "IP": 101, "IPv6": 101}   # LINKTYPE_ETHERNET, LINUX_SLL, RAW
_ETHERTYPE = {4: 0x0800, 6: 0x86DD}


class RewriteError(ValueError):
    """A capture the host map cannot carry onto the plan (the message says which packet and why)."""


def rewrite_hosts(source: Path, target: Path, hosts: dict[str, str]) -> int:
    """Write source to target with every address of `hosts` replaced by its value; returns the number
    of packets written. Packets move between IPv4 and IPv6 when the new addresses are of the other
    family (IP/IPv6 header rebuilt, TTL/hop limit and traffic class kept); TCP, UDP and IP checksums
    are recomputed. ARP is rewritten within IPv4 and dropped when its hosts move to IPv6 (IPv6 has
    neighbour discovery instead). Timestamps and the link type are kept; pcapng is written as pcap."""
    import ipaddress

    import scapy.layers.inet6  # noqa: F401  (registers the link and network layers rdpcap dissects:
    import scapy.layers.l2  # noqa: F401     without them a capture reads as Raw in a fresh process)
    from scapy.utils import rdpcap

    from generators.pcapio import pcap_bytes

    mapping = {str(ipaddress.ip_address(k)): str(ipaddress.ip_address(v)) for k, v in hosts.items()}
    out, linktype = [], None
    for number, packet in enumerate(rdpcap(str(source)), start=1):
        moved = _rewrite(_raw_above_transport(packet), mapping, number)
        if moved is None:
            continue
        linktype = linktype or _LINKTYPES.get(type(moved).__name__)
        if linktype is None:
            raise RewriteError(f"packet {number}: link layer {type(moved).__name__} is not supported")
        out.append(moved)
    target.write_bytes(pcap_bytes(out, linktype=linktype or 1))
    return len(out)


def _raw_above_transport(packet):
    """The packet with what follows its TCP/UDP header as the captured bytes (Raw). scapy dissects
    a payload with whatever application layers this process has imported (generators import
    scapy.contrib.modbus, for one) and building such a layer again is lossy: a Modbus request
    with more data than its function code defines lost those bytes. Which layers were imported
    depended on what ran before, so the same capture was rewritten two ways."""
    from scapy.layers.inet import TCP, UDP
    from scapy.packet import NoPayload, Padding, Raw

    for cls in (TCP, UDP):
        if cls in packet:
            layer = packet[cls]
            above = layer.payload
            if not isinstance(above, (NoPayload, Raw, Padding)) and getattr(above, "original", None) is not None:
                original = bytes(above.original)
                layer.remove_payload()
                layer.add_payload(Raw(original))
    return packet


def _rewrite(packet, mapping: dict[str, str], number: int):
    from scapy.layers.inet import IP, TCP, UDP, ICMP
    from scapy.layers.inet6 import IPv6
    from scapy.layers.l2 import ARP

    if ARP in packet:
        arp = packet[ARP]
        new = {f: mapping.get(getattr(arp, f), getattr(arp, f)) for f in ("psrc", "pdst")}
        if any(":" in v for v in new.values()):
            return None
        packet = packet.copy()
        packet[ARP].psrc, packet[ARP].pdst = new["psrc"], new["pdst"]
        return _frozen(packet)
    layer = packet.getlayer(IP) or packet.getlayer(IPv6)
    if layer is None:
        return packet
    src, dst = layer.src, layer.dst
    new_src, new_dst = mapping.get(src, src), mapping.get(dst, dst)
    if (new_src, new_dst) == (src, dst):
        return packet
    fam_old, fam_src, fam_dst = layer.version, _family(new_src), _family(new_dst)
    if fam_src != fam_dst:
        unmapped = src if src not in mapping else dst
        raise RewriteError(f"packet {number}: {src} -> {dst} would mix IPv4 and IPv6 ({new_src} -> {new_dst});"
                           f" map {unmapped} in hosts as well")
    packet = packet.copy()
    layer = packet.getlayer(IP) or packet.getlayer(IPv6)
    if fam_src == fam_old:
        layer.src, layer.dst = new_src, new_dst
        _requote(layer, mapping)
        for cls, fields in ((IP, ("chksum", "len")), (TCP, ("chksum",)), (UDP, ("chksum", "len"))):
            if cls in packet:
                for name in fields:
                    setattr(packet[cls], name, None)
        if IPv6 in packet:
            packet[IPv6].plen = None
        return _frozen(packet)
    upper = layer.payload
    if isinstance(layer, IP) and (layer.flags.MF or layer.frag):
        raise RewriteError(f"packet {number}: IPv4 fragments cannot be moved to IPv6")
    if isinstance(upper, ICMP) or type(upper).__name__.startswith("ICMPv6"):
        upper = _icmp_across(upper, fam_src, number, mapping)
        proto = 58 if fam_src == 6 else 1
    elif isinstance(upper, (TCP, UDP)):
        upper = upper.copy()
        upper.chksum = None
        if isinstance(upper, UDP):
            upper.len = None
        proto = 6 if isinstance(upper, TCP) else 17
    else:
        raise RewriteError(f"packet {number}: only TCP, UDP and ICMP echo move between IPv4 and IPv6,"
                           f" not {upper.summary()}")
    if fam_src == 6:
        rebuilt = IPv6(src=new_src, dst=new_dst, hlim=layer.ttl, tc=layer.tos, nh=proto) / upper
    else:
        rebuilt = IP(src=new_src, dst=new_dst, ttl=layer.hlim, tos=layer.tc, proto=proto, flags="DF") / upper
    below = layer.underlayer
    if below is None:
        rebuilt.time = packet.time
        return _frozen(rebuilt)
    for name in ("type", "proto"):           # Ether/Dot1Q type, CookedLinux proto
        if any(f.name == name for f in below.fields_desc):
            setattr(below, name, _ETHERTYPE[fam_src])
            break
    below.remove_payload()
    below.add_payload(rebuilt)
    return _frozen(packet)


# Destination-unreachable codes, IPv4 <-> IPv6 (RFC 7915 4.2/5.2): network and host unreachable are
# "no route", administratively prohibited stays prohibited, port unreachable stays port unreachable.
_UNREACH_4_TO_6 = {0: 0, 1: 0, 3: 4, 6: 0, 7: 0, 9: 1, 10: 1, 11: 0, 12: 0, 13: 1}
_UNREACH_6_TO_4 = {0: 1, 1: 10, 3: 1, 4: 3}


def _icmp_across(upper, family: int, number: int, mapping: dict[str, str]):
    """ICMP echo <-> ICMPv6 echo, and destination unreachable (a scan's replies) with the packet it
    quotes translated too; other ICMP messages do not translate one to one."""
    from scapy.layers.inet import ICMP, IP
    from scapy.layers.inet6 import ICMPv6DestUnreach, ICMPv6EchoReply, ICMPv6EchoRequest, IPv6

    if family == 6 and isinstance(upper, ICMP) and upper.type in (0, 8):
        cls = ICMPv6EchoRequest if upper.type == 8 else ICMPv6EchoReply
        return cls(id=upper.id, seq=upper.seq, data=bytes(upper.payload))
    if family == 4 and isinstance(upper, (ICMPv6EchoRequest, ICMPv6EchoReply)):
        return ICMP(type=8 if isinstance(upper, ICMPv6EchoRequest) else 0, id=upper.id, seq=upper.seq) / bytes(upper.data)
    if family == 6 and isinstance(upper, ICMP) and upper.type == 3 and upper.code in _UNREACH_4_TO_6:
        quoted = _rewrite(IP(bytes(upper.payload)), mapping, number)
        return ICMPv6DestUnreach(code=_UNREACH_4_TO_6[upper.code]) / bytes(quoted)
    if family == 4 and isinstance(upper, ICMPv6DestUnreach) and upper.code in _UNREACH_6_TO_4:
        quoted = _rewrite(IPv6(bytes(upper.payload)), mapping, number)
        return ICMP(type=3, code=_UNREACH_6_TO_4[upper.code]) / bytes(quoted)
    raise RewriteError(f"packet {number}: {upper.summary()} has no counterpart in IPv{family}; "
                       "keep this capture on its own address family")


def _requote(layer, mapping: dict[str, str]) -> None:
    """A destination unreachable's quoted header gets the new addresses too: Suricata files the error
    under the flow of the packet it quotes, so a stale quote would start a flow of its own. Lengths
    stay as quoted (a quote is often truncated); the quoted IPv4 header checksum is recomputed."""
    from scapy.layers.inet import ICMP, IP
    from scapy.layers.inet6 import ICMPv6DestUnreach, IPv6
    from scapy.packet import Raw

    upper = layer.payload
    if isinstance(upper, ICMP) and upper.type == 3 and len(bytes(upper.payload)) >= 20:
        quoted = IP(bytes(upper.payload))
        quoted.chksum = None
    elif isinstance(upper, ICMPv6DestUnreach) and len(bytes(upper.payload)) >= 40:
        quoted = IPv6(bytes(upper.payload))
    else:
        return
    quoted.src, quoted.dst = mapping.get(quoted.src, quoted.src), mapping.get(quoted.dst, quoted.dst)
    if _family(quoted.src) != _family(quoted.dst) or _family(quoted.src) != quoted.version:
        return                                   # a quote mapped across families: left as it was
    upper.remove_payload()
    upper.add_payload(Raw(load=bytes(quoted)))
    setattr(upper, "chksum" if isinstance(upper, ICMP) else "cksum", None)


def _frozen(packet):
    """The packet rebuilt from its bytes (lengths and checksums computed now), time kept; its
    payload above TCP/UDP kept as bytes (_raw_above_transport)."""
    frozen = _raw_above_transport(packet.__class__(bytes(packet)))
    frozen.time = packet.time
    return frozen


def _family(address: str) -> int:
    return 6 if ":" in address else 4
