"""A large, deterministic IoT-VLAN traffic mix for the sensor bench (bench/sensor.py).

What is in it (the default plan's roles: IOT_NET cameras and sensors, OT_NET PLCs, CORP_NET
recorder and servers, MGMT_NET poller, internet clouds):
- cameras: RTSP with RTP interleaved over TCP 554, RTP over UDP (with RTCP reports back), and MJPEG
  over HTTP (multipart/x-mixed-replace), each a long flow to the recorder; the bulk of the bytes;
- MQTT telemetry: sensors keep one connection to the broker, CONNECT with credentials, PUBLISH
  JSON every few seconds, PINGREQ/PINGRESP;
- Modbus/TCP polling: the engineering host reads holding registers of every PLC once a second;
- DNS and NTP from every device to the site's resolver and time server;
- HTTPS: devices upload to and download from cloud hosts (TLS 1.2 handshake, then records);
- HTTP API polls of a corporate server (keep-alive), SNMPv2c polls from the management poller;
- attack and test traffic: every committed case pcap of the library (Ethernet ones whose span
  fits the mix), re-timed into the mix unchanged otherwise.

Protocol bytes come from the project's generators (scapy), built once per distinct message; the
volume is written by a small frame writer here (struct headers, checksums summed over
memoryviews): scapy at ~20 µs a packet would take minutes for 250 MB. Same arguments, same bytes.
"""
from __future__ import annotations

import hashlib
import heapq
import ipaddress
import json
import random
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

MSS = 1448
START_US = 1_767_225_600_000_000          # 2026-01-01 00:00:00 UTC
SYN, ACK, PSH, FIN = 0x02, 0x10, 0x08, 0x01
Frame = tuple[int, bytes]                   # (microseconds, Ethernet frame)


def _fold(total: int) -> int:
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def _sum16(data: bytes) -> int:
    """Ones'-complement sum in native byte order (RFC 1071: the order does not matter if the
    result is stored the same way)."""
    if len(data) & 1:
        data += b"\0"
    return sum(memoryview(data).cast("H"))


def _mac(ip: bytes) -> bytes:
    return b"\x02\x00" + ip[-4:]


class Hosts:
    """Addresses by role, from the site plan's first network of each variable."""

    def __init__(self, networks: dict[str, list[str]]) -> None:
        self.networks = networks

    def pick(self, var: str, index: int) -> str:
        """Host ``index`` of the variable: its index-th listed address when it lists single
        addresses, else the (10 + index)-th address of its first IPv4 network."""
        nets = [ipaddress.ip_network(item, strict=False) for item in self.networks[var]
                if not item.startswith(("$", "!"))]
        nets = [net for net in nets if net.version == 4]
        if not nets:
            raise ValueError(f"{var} has no IPv4 network for the sensor mix")
        if all(net.num_addresses == 1 for net in nets):
            return str(nets[index % len(nets)].network_address)
        net = next(net for net in nets if net.num_addresses > 1)
        return str(net.network_address + 10 + index % max(1, net.num_addresses - 20))


class Tcp:
    """One TCP connection's frames: handshake, segments with an ACK every second segment, FIN."""

    def __init__(self, client: str, cport: int, server: str, sport: int, seed: int) -> None:
        self.c, self.s = ipaddress.ip_address(client).packed, ipaddress.ip_address(server).packed
        self.cport, self.sport = cport, sport
        rng = random.Random(seed)
        self.seq = {True: rng.getrandbits(32), False: rng.getrandbits(32)}
        self.ipid = {True: rng.getrandbits(16), False: rng.getrandbits(16)}
        self.pending = {True: 0, False: 0}     # unacknowledged segments per sender

    def frame(self, from_client: bool, flags: int, payload: bytes = b"") -> bytes:
        src, dst = (self.c, self.s) if from_client else (self.s, self.c)
        sp, dp = (self.cport, self.sport) if from_client else (self.sport, self.cport)
        ipid = self.ipid[from_client]
        self.ipid[from_client] = (ipid + 1) & 0xFFFF
        seq, ack = self.seq[from_client], self.seq[not from_client]
        tcp = struct.pack("!HHIIBBHHH", sp, dp, seq, ack if flags & ACK else 0, 0x50, flags, 64240, 0, 0)
        pseudo = src + dst + struct.pack("!BBH", 0, 6, 20 + len(payload))
        csum = ~_fold(_sum16(pseudo) + _sum16(tcp) + _sum16(payload)) & 0xFFFF
        tcp = tcp[:16] + struct.pack("=H", csum) + tcp[18:]
        self.seq[from_client] = (seq + len(payload) + (1 if flags & (SYN | FIN) else 0)) & 0xFFFFFFFF
        return _ip_frame(src, dst, 6, ipid, tcp + payload)

    def handshake(self, t: int) -> list[Frame]:
        syn = self.frame(True, SYN)
        return [(t, syn), (t + 300, self.frame(False, SYN | ACK)), (t + 600, self.frame(True, ACK))]

    def send(self, t: int, from_client: bool, data: bytes, gap: int = 20) -> list[Frame]:
        out = []
        for offset in range(0, len(data), MSS):
            out.append((t, self.frame(from_client, ACK | PSH, data[offset:offset + MSS])))
            t += gap
            self.pending[from_client] += 1
            if self.pending[from_client] >= 2:
                out.append((t + 150, self.frame(not from_client, ACK)))
                self.pending[from_client] = 0
        if self.pending[from_client]:
            out.append((t + 150, self.frame(not from_client, ACK)))
            self.pending[from_client] = 0
        return out

    def close(self, t: int) -> list[Frame]:
        return [(t, self.frame(True, FIN | ACK)), (t + 300, self.frame(False, FIN | ACK)),
                (t + 600, self.frame(True, ACK))]


def _ip_frame(src: bytes, dst: bytes, proto: int, ipid: int, l4: bytes) -> bytes:
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), ipid, 0x4000, 64, proto, 0, src, dst)
    ip = ip[:10] + struct.pack("=H", ~_fold(_sum16(ip)) & 0xFFFF) + ip[12:]
    return _mac(dst) + _mac(src) + b"\x08\x00" + ip + l4


def udp_frame(src: str, sport: int, dst: str, dport: int, payload: bytes, ipid: int) -> bytes:
    s, d = ipaddress.ip_address(src).packed, ipaddress.ip_address(dst).packed
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0)
    pseudo = s + d + struct.pack("!BBH", 0, 17, 8 + len(payload))
    csum = ~_fold(_sum16(pseudo) + _sum16(udp) + _sum16(payload)) & 0xFFFF
    udp = udp[:6] + struct.pack("=H", csum or 0xFFFF)
    return _ip_frame(s, d, 17, ipid & 0xFFFF, udp + payload)


class Bytes:
    """Deterministic incompressible bytes (video, TLS records) sliced from one seeded buffer."""

    def __init__(self, seed: int, size: int = 1 << 20) -> None:
        self.pool = random.Random(seed).randbytes(size) * 2
        self.size = size

    def take(self, rng: random.Random, n: int) -> bytes:
        start = rng.randrange(self.size)
        if n <= self.size:
            return self.pool[start:start + n]
        return (self.pool * (n // self.size + 1))[start:start + n]


@dataclass(frozen=True)
class Mix:
    duration: float = 120.0       # seconds of traffic
    cameras: int = 22             # RTSP/TCP, RTP/UDP and MJPEG/HTTP, in that order, 14:4:4
    camera_kbit: int = 800        # average bit rate of one camera stream
    sensors: int = 200            # MQTT telemetry devices (and DNS/NTP/HTTP clients)
    plcs: int = 20
    case_share: float = 1.0       # every (1 / case_share)-th case pcap, shortest first
    seed: int = 1

    def key(self) -> str:
        return hashlib.sha256(json.dumps(self.__dict__, sort_keys=True).encode()).hexdigest()[:12]


# ----------------------------------------------------------------------------------------------
# Flows. Each is a generator of (time, frame) in time order; the mix merges them.

def rtsp_camera(mix: Mix, h: Hosts, bulk: Bytes, n: int, end: int) -> Iterator[Frame]:
    rng = random.Random(f"rtsp{n}")
    cam, nvr = h.pick("IOT_NET", 20 + n), h.pick("CORP_NET", 200)
    t = START_US + rng.randrange(2_000_000)
    c = Tcp(nvr, 40000 + n, cam, 554, seed=n)
    yield from c.handshake(t)
    t += 1000
    url = f"rtsp://{cam}:554/stream1"
    setup = [f"OPTIONS {url} RTSP/1.0\r\nCSeq: 1\r\nUser-Agent: NVR/5.2\r\n\r\n",
             f"DESCRIBE {url} RTSP/1.0\r\nCSeq: 2\r\nAccept: application/sdp\r\n\r\n",
             f"SETUP {url}/track1 RTSP/1.0\r\nCSeq: 3\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n\r\n",
             f"PLAY {url} RTSP/1.0\r\nCSeq: 4\r\nSession: {n:08x}\r\nRange: npt=0.000-\r\n\r\n"]
    sdp = "v=0\r\no=- 0 0 IN IP4 0.0.0.0\r\ns=Stream\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
    for cseq, request in enumerate(setup, 1):
        yield from c.send(t, True, request.encode())
        body = sdp if request.startswith("DESCRIBE") else ""
        reply = (f"RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\nSession: {n:08x};timeout=60\r\n"
                 f"Content-Length: {len(body)}\r\n\r\n{body}")
        yield from c.send(t + 2000, False, reply.encode())
        t += 5000
    yield from _video(c, rng, bulk, mix, t, end)
    yield from c.close(end + rng.randrange(100_000))


def _video(c: Tcp, rng, bulk: Bytes, mix: Mix, t: int, end: int) -> Iterator[Frame]:
    """25 frames/s, a key frame every 2 s (4x a delta frame), RTP packets of <= 1400 bytes, each
    framed as RTSP interleaved data ($, channel 0, length)."""
    per_frame = mix.camera_kbit * 1000 // 8 // 25
    seq, frame = rng.getrandbits(16), 0
    while t < end:
        size = per_frame * (4 if frame % 50 == 0 else 1) * rng.randrange(70, 130) // 100
        stream = bytearray()
        for offset in range(0, size, 1400):
            chunk = bulk.take(rng, min(1400, size - offset))
            rtp = struct.pack("!BBHII", 0x80, 96 | (0x80 if offset + 1400 >= size else 0), seq & 0xFFFF,
                              frame * 3600, 0x1234) + chunk
            seq += 1
            stream += b"$\x00" + struct.pack("!H", len(rtp)) + rtp
        yield from c.send(t, False, bytes(stream), gap=60)
        t += 40_000
        frame += 1


def rtp_udp_camera(mix: Mix, h: Hosts, bulk: Bytes, n: int, end: int) -> Iterator[Frame]:
    rng = random.Random(f"rtp{n}")
    cam, nvr = h.pick("IOT_NET", 40 + n), h.pick("CORP_NET", 200)
    t = START_US + rng.randrange(2_000_000)
    per_frame = mix.camera_kbit * 1000 // 8 // 25
    seq, frame, ipid = rng.getrandbits(16), 0, 0
    while t < end:
        size = per_frame * (4 if frame % 50 == 0 else 1) * rng.randrange(70, 130) // 100
        for offset in range(0, size, 1400):
            rtp = struct.pack("!BBHII", 0x80, 96, seq & 0xFFFF, frame * 3600, 0x5678 + n) + bulk.take(rng, min(1400, size - offset))
            yield t + offset // 20, udp_frame(cam, 50000 + 2 * n, nvr, 5000 + 2 * n, rtp, ipid)
            seq, ipid = seq + 1, ipid + 1
        if frame % 125 == 0:     # RTCP receiver report back, every 5 s
            yield t + 500, udp_frame(nvr, 5001 + 2 * n, cam, 50001 + 2 * n, struct.pack("!BBHI", 0x81, 201, 7, 1) + bytes(24), ipid)
        t += 40_000
        frame += 1


def mjpeg_camera(mix: Mix, h: Hosts, bulk: Bytes, n: int, end: int) -> Iterator[Frame]:
    from generators.http import build_request
    rng = random.Random(f"mjpeg{n}")
    cam, viewer = h.pick("IOT_NET", 60 + n), h.pick("CORP_NET", 210 + n)
    t = START_US + rng.randrange(2_000_000)
    c = Tcp(viewer, 41000 + n, cam, 80, seed=1000 + n)
    yield from c.handshake(t)
    yield from c.send(t + 1000, True, build_request("GET", "/mjpg/video.mjpg", cam, "Mozilla/5.0",
                                                    {"Accept": "*/*"}, b""))
    head = (b"HTTP/1.1 200 OK\r\nServer: camera-httpd\r\nCache-Control: no-cache\r\n"
            b"Content-Type: multipart/x-mixed-replace; boundary=myboundary\r\n\r\n")
    yield from c.send(t + 3000, False, head)
    t += 10_000
    per_frame = mix.camera_kbit * 1000 // 8 // 10
    while t < end:
        jpeg = b"\xff\xd8\xff\xe0" + bulk.take(rng, per_frame * rng.randrange(80, 120) // 100) + b"\xff\xd9"
        part = (b"--myboundary\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n" % len(jpeg)) + jpeg + b"\r\n"
        yield from c.send(t, False, part, gap=60)
        t += 100_000
    yield from c.close(end)


def mqtt_sensor(mix: Mix, h: Hosts, n: int, end: int) -> Iterator[Frame]:
    from generators.mqtt import connect_bytes, connack_bytes, publish_bytes
    rng = random.Random(f"mqtt{n}")
    dev, broker = h.pick("IOT_NET", 100 + n % 150), h.pick("MQTT_BROKERS", 0)
    t = START_US + rng.randrange(5_000_000)
    c = Tcp(dev, 42000 + n, broker, 1883, seed=2000 + n)
    yield from c.handshake(t)
    yield from c.send(t + 1000, True, connect_bytes(f"sensor-{n:04d}", f"dev{n:04d}", f"k{n * 7919:08x}", 60))
    yield from c.send(t + 2000, False, connack_bytes(0))
    period = rng.choice((2_000_000, 5_000_000, 10_000_000))
    t += period
    last_ping = t
    while t < end:
        body = json.dumps({"id": n, "t": round(20 + rng.random() * 5, 2), "rh": rng.randrange(30, 60),
                           "v": round(3.0 + rng.random() * 0.3, 3), "seq": t // period}).encode()
        yield from c.send(t, True, publish_bytes(f"site/floor{n % 5}/sensor{n}/telemetry", body))
        if t - last_ping >= 60_000_000:
            yield from c.send(t + 500, True, b"\xc0\x00")
            yield from c.send(t + 1500, False, b"\xd0\x00")
            last_ping = t
        t += period
    yield from c.close(end + rng.randrange(1_000_000))


def modbus_poller(mix: Mix, h: Hosts, n: int, end: int) -> Iterator[Frame]:
    from generators.modbus import request_pdu, response_pdu
    rng = random.Random(f"modbus{n}")
    eng, plc = h.pick("ENGINEERING_HOSTS", 0), h.pick("OT_NET", 10 + n)
    t = START_US + rng.randrange(1_000_000)
    c = Tcp(eng, 43000 + n, plc, 502, seed=3000 + n)
    yield from c.handshake(t)
    t += 5000
    tid = 0
    while t < end:
        for address, quantity in ((0, 10), (100, 20)):
            pdu = request_pdu(3, address, quantity, None, None)
            rsp = response_pdu(3, pdu, quantity, None)
            tid += 1
            yield from c.send(t, True, struct.pack("!HHHB", tid, 0, len(pdu) + 1, 1) + pdu)
            yield from c.send(t + 4000, False, struct.pack("!HHHB", tid, 0, len(rsp) + 1, 1) + rsp)
            t += 10_000
        t += 980_000
    yield from c.close(end)


class Templates:
    """Application payloads built once with the project's generators (scapy), by key."""

    def __init__(self) -> None:
        self.cache: dict[tuple, tuple[bytes, bytes]] = {}

    def udp_pair(self, key: tuple) -> tuple[bytes, bytes]:
        if key not in self.cache:
            from scapy.layers.inet import UDP
            from generators import dns, ntp, snmp
            kind, arg = key
            if kind == "dns":
                packets = dns.query(src="192.0.2.1", dst="192.0.2.2", qname=arg, dns_id=0)
            elif kind == "ntp":
                packets = ntp.query(src="192.0.2.1", dst="192.0.2.2", start=1_767_225_600.0 + arg)
            else:
                packets = snmp.get(src="192.0.2.1", dst="192.0.2.2", community="n0c-r3ad", oid=arg,
                                   response_value="ipcam fw 4.2.1 uptime 1234567")
            self.cache[key] = tuple(bytes(p[UDP].payload) for p in packets)
        return self.cache[key]


NAMES = ("time.vendor.example", "api.vendor.example", "mqtt.vendor.example", "cdn.vendor.example",
         "telemetry.cloud.example", "ota.vendor.example", "ntp.site.example", "stun.cloud.example")


def udp_chatter(mix: Mix, h: Hosts, templates: Templates, n: int, end: int) -> Iterator[Frame]:
    """One device's DNS (every ~10 s) and NTP (every 64 s) exchanges, and the SNMP poller's
    get of its system description every 30 s."""
    rng = random.Random(f"udp{n}")
    dev = h.pick("IOT_NET", 100 + n % 150)
    resolver, ntpd, poller = h.pick("DNS_RESOLVERS", 0), h.pick("IOT_SERVICES", 0), h.pick("MGMT_NET", 5)
    events = []
    t = START_US + rng.randrange(10_000_000)
    while t < end:
        events.append((t, "dns"))
        t += rng.randrange(8_000_000, 12_000_000)
    events += [(START_US + rng.randrange(64_000_000) + k * 64_000_000, "ntp") for k in range(int(mix.duration // 64) + 1)]
    events += [(START_US + (n * 137_000) % 30_000_000 + k * 30_000_000, "snmp") for k in range(int(mix.duration // 30) + 1)]
    ipid = 0
    for t, kind in sorted(events):
        if t >= end:
            continue
        ipid += 2
        port = 30000 + rng.randrange(30000)
        if kind == "dns":
            query, answer = templates.udp_pair(("dns", NAMES[rng.randrange(len(NAMES))]))
            qid = struct.pack("!H", rng.getrandbits(16))
            yield t, udp_frame(dev, port, resolver, 53, qid + query[2:], ipid)
            yield t + 900, udp_frame(resolver, 53, dev, port, qid + answer[2:], ipid)
        elif kind == "ntp":
            query, answer = templates.udp_pair(("ntp", t // 1_000_000 - START_US // 1_000_000))
            yield t, udp_frame(dev, 123, ntpd, 123, query, ipid)
            yield t + 700, udp_frame(ntpd, 123, dev, 123, answer, ipid)
        else:
            query, answer = templates.udp_pair(("snmp", "1.3.6.1.2.1.1.1.0"))
            yield t, udp_frame(poller, port, dev, 161, query, ipid)
            yield t + 1500, udp_frame(dev, 161, poller, port, answer, ipid)


def https_client(mix: Mix, h: Hosts, bulk: Bytes, n: int, end: int) -> Iterator[Frame]:
    """Connections to a cloud host every ~20 s: TLS 1.2 handshake, then 4-200 KB of records."""
    from generators.tls import client_hello_bytes, server_hello_bytes
    rng = random.Random(f"https{n}")
    dev = h.pick("IOT_NET", 60 + n % 150)
    cloud = f"52.{20 + n % 40}.{n % 200}.{10 + n % 90}"
    # The first connection inside the first 20 s, or the first half of a shorter mix (a 2 s test mix
    # still carries TLS); a connection lasts at most 0.3 s, so any that starts before then fits.
    t = START_US + rng.randrange(min(20_000_000, (end - START_US) // 2))
    k = 0
    while t < end - 300_000:
        c = Tcp(dev, 44000 + (n * 50 + k) % 20000, cloud, 443, seed=4000 + n * 1000 + k)
        yield from c.handshake(t)
        yield from c.send(t + 1000, True, client_hello_bytes(f"{NAMES[n % len(NAMES)]}",
                                                             random_bytes=bulk.take(rng, 28)))
        yield from c.send(t + 30_000, False, server_hello_bytes() + _records(bulk, rng, 3200))
        yield from c.send(t + 60_000, True, _records(bulk, rng, rng.randrange(300, 4000)))
        upload = rng.random() < 0.5
        size = rng.randrange(4_000, 200_000)
        yield from c.send(t + 90_000, upload, _records(bulk, rng, size), gap=100)
        yield from c.send(t + 90_000 + size // 10, not upload, _records(bulk, rng, 600))
        yield from c.close(t + 200_000 + size // 10)
        t += rng.randrange(15_000_000, 25_000_000)
        k += 1


def _records(bulk: Bytes, rng, size: int) -> bytes:
    out = bytearray()
    while size > 0:
        n = min(size, 16_384)
        out += b"\x17\x03\x03" + struct.pack("!H", n) + bulk.take(rng, n)
        size -= n
    return bytes(out)


def http_api(mix: Mix, h: Hosts, n: int, end: int) -> Iterator[Frame]:
    """A keep-alive connection to the corporate API server, one GET every 15 s."""
    from generators.http import build_request, build_response
    rng = random.Random(f"http{n}")
    dev, server = h.pick("IOT_NET", 100 + n % 150), h.pick("IOT_SERVICES", 1)
    t = START_US + rng.randrange(15_000_000)
    c = Tcp(dev, 45000 + n, server, 80, seed=5000 + n)
    yield from c.handshake(t)
    t += 1000
    while t < end:
        path = f"/api/v1/devices/{n:04d}/config?since={t // 1_000_000}"
        yield from c.send(t, True, build_request("GET", path, "api.site.example", "iot-agent/2.1",
                                                 {"Accept": "application/json", "Connection": "keep-alive"}, b""))
        body = json.dumps({"device": n, "interval": 15, "ok": True, "pad": "x" * rng.randrange(200, 800)}).encode()
        yield from c.send(t + 3000, False, build_response(200, body, "application/json").replace(b"Connection: close", b"Connection: keep-alive"))
        t += 15_000_000
    yield from c.close(end)


def case_pcaps(pcaps_dir: Path, duration_us: int, share: float = 1.0) -> tuple[list[list[Frame]], int]:
    """The committed case pcaps (Ethernet link type), re-timed into the mix unchanged otherwise;
    and how many were left out. Cases reuse the same role hosts and client ports, so two cases
    that share a host pair never overlap in time (they would garble one another's flows): each
    starts 0.2 s after the last case of its host pairs ended. Shortest first, path order among
    equals; a case that no longer fits the mix is left out."""
    cases, skipped = [], 0
    for path in sorted(pcaps_dir.rglob("*.pcap")):
        frames = read_pcap(path)
        if not frames:
            skipped += 1
            continue
        cases.append((frames[-1][0] - frames[0][0], path, frames))
    cases.sort(key=lambda case: (case[0], case[1]))
    stride = max(1, round(1 / share))
    skipped += len(cases) - len(cases[::stride])
    cases = cases[::stride]
    free: dict[frozenset, int] = {}
    kept = []
    for span, _, frames in cases:
        pairs = {_host_pair(data) for _, data in frames}
        start = max(free.get(pair, 0) for pair in pairs)
        if start + span > duration_us:
            skipped += 1
            continue
        for pair in pairs:
            free[pair] = start + span + 200_000
        t0 = frames[0][0]
        kept.append([(start + t - t0, data) for t, data in frames])
    return kept, skipped


def _host_pair(frame: bytes) -> frozenset:
    offset = 12
    ethertype = frame[offset:offset + 2]
    while ethertype in (b"\x81\x00", b"\x88\xa8"):
        offset += 4
        ethertype = frame[offset:offset + 2]
    l3 = offset + 2
    if ethertype == b"\x08\x00":
        return frozenset((frame[l3 + 12:l3 + 16], frame[l3 + 16:l3 + 20]))
    if ethertype == b"\x86\xdd":
        return frozenset((frame[l3 + 8:l3 + 24], frame[l3 + 24:l3 + 40]))
    return frozenset()


def read_pcap(path: Path) -> list[Frame] | None:
    data = path.read_bytes()
    if len(data) < 24:
        return None
    magic = data[:4]
    endian = {b"\xd4\xc3\xb2\xa1": "<", b"\xa1\xb2\xc3\xd4": ">"}.get(magic)
    nano = {b"\x4d\x3c\xb2\xa1": "<", b"\xa1\xb2\x3c\x4d": ">"}.get(magic)
    order = endian or nano
    if order is None or struct.unpack(order + "I", data[20:24])[0] != 1:
        return None
    frames, offset = [], 24
    while offset + 16 <= len(data):
        sec, frac, caplen, _ = struct.unpack(order + "IIII", data[offset:offset + 16])
        t = sec * 1_000_000 + (frac // 1000 if nano else frac)
        frames.append((t, data[offset + 16:offset + 16 + caplen]))
        offset += 16 + caplen
    frames.sort(key=lambda f: f[0])
    return frames


def flows(mix: Mix, networks: dict[str, list[str]], pcaps_dir: Path) -> tuple[list[Iterable[Frame]], dict]:
    h = Hosts(networks)
    bulk = Bytes(mix.seed)
    templates = Templates()
    end = START_US + int(mix.duration * 1_000_000)
    rtsp, udp_cams = mix.cameras * 14 // 22, mix.cameras * 4 // 22
    out: list[Iterable[Frame]] = []
    out += [rtsp_camera(mix, h, bulk, n, end) for n in range(rtsp)]
    out += [rtp_udp_camera(mix, h, bulk, n, end) for n in range(udp_cams)]
    out += [mjpeg_camera(mix, h, bulk, n, end) for n in range(mix.cameras - rtsp - udp_cams)]
    out += [mqtt_sensor(mix, h, n, end) for n in range(mix.sensors)]
    out += [modbus_poller(mix, h, n, end) for n in range(mix.plcs)]
    out += [udp_chatter(mix, h, templates, n, end) for n in range(mix.sensors)]
    out += [https_client(mix, h, bulk, n, end) for n in range(mix.sensors // 4)]
    out += [http_api(mix, h, n, end) for n in range(mix.sensors // 2)]
    cases, skipped = case_pcaps(pcaps_dir, end - START_US, mix.case_share)
    out += [[(START_US + t, data) for t, data in frames] for frames in cases]
    return out, {"case pcaps": len(cases), "case pcaps left out": skipped}


def monotone(frames: Iterable[Frame]) -> Iterator[Frame]:
    """A flow's frames with times never going back (an ACK scheduled after the next segment's
    time moves up to it): heapq.merge needs each input sorted."""
    last = 0
    for t, data in frames:
        last = max(last, t)
        yield last, data


def write_mix(mix: Mix, networks: dict[str, list[str]], pcaps_dir: Path, path: Path) -> dict:
    """Write the mix to ``path`` (classic pcap, microseconds); returns packet and byte counts."""
    streams, info = flows(mix, networks, pcaps_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    packets = size = 0
    with open(tmp, "wb", buffering=1 << 22) as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for t, data in heapq.merge(*map(monotone, streams), key=lambda frame: frame[0]):
            sec, usec = divmod(t, 1_000_000)
            out.write(struct.pack("<IIII", sec, usec, len(data), len(data)))
            out.write(data)
            packets += 1
            size += len(data)
    tmp.replace(path)
    return {**info, "packets": packets, "bytes": size}
