"""Multi-day IoT-VLAN traffic for learned device baselines (issue 16).

One site, one pcap per day: three cameras uploading clips to an NVR, three sensors sending
readings to a gateway, an MQTT broker bridged to the cloud, and a PLC cell polled by an
engineering host and an HMI. Devices are periodic (fixed hours for DNS, NTP and cloud
check-ins) with a diurnal volume curve and jitter from ``random.Random`` seeded by
``(seed, index)``: the same arguments give the same bytes.

Pcaps stay small: flows carry no ACK-only packets, a flow's volume rides on a few large TCP
segments (Suricata 7 reads frames up to 64 KiB from a pcap and counts them in full in
``flow.bytes_toserver``; measured with 60,000-byte segments), and volumes are scaled down (a
camera moves kilobytes an hour). The anomaly searches compare each device with itself, so
only ratios matter.

An anomalous day is a normal day plus one planted deviation from ``ANOMALIES``.
"""
from __future__ import annotations

import math
import random

from scapy.packet import Packet

from . import dns, ntp
from .session import TcpSession, UdpExchange, merge, syn_attempt
from .tls import client_hello_bytes

DAY = 86_400
HOUR = 3_600
START = 1_700_006_400.0          # 2023-11-15 00:00:00 UTC: day 0 starts at midnight

BROKER = "192.168.200.2"
GATEWAY = "192.168.200.3"        # collects the sensors' readings (CoAP over DTLS, UDP 5684)
NVR = "192.168.200.5"
CAMERAS = ("192.168.200.20", "192.168.200.21", "192.168.200.22")
SENSORS = ("192.168.200.30", "192.168.200.31", "192.168.200.32")
ENG = "192.168.210.10"
HMI = "192.168.210.15"
PLCS = ("192.168.210.20", "192.168.210.21")
DNS_SERVER = "10.0.0.53"
NTP_SERVER = "10.0.0.123"
CAMERA_CLOUD = "203.0.113.60"
BROKER_CLOUD = "203.0.113.70"
C2_PEER = "198.51.100.77"
NEW_POLLER = "192.168.210.66"
# The demo site is its own fixed plan (not rules/networks.yaml): its devices live here.
DEVICE_NETWORKS = ("192.168.200.0/24", "192.168.210.0/24")

# Anomaly name -> (device it is planted on, what it is). The proof expects each one found.
ANOMALIES: dict[str, tuple[str, str]] = {
    "exfiltration": (CAMERAS[1], "a camera uploads 100 kB (~40x its mean hourly volume) to its usual cloud peer at 03:00"),
    "scan": (CAMERAS[2], "a camera SYN-scans 40 internal hosts on 4 ports at 10:00"),
    "c2": (SENSORS[1], "a sensor opens TLS to a new external peer every 5 min, 13:00-16:59"),
    "new-poller": (PLCS[0], "a new OT host polls a PLC over Modbus at 02:00"),
}


def diurnal(hour: int) -> float:
    """Activity factor: 0.4 at 02:00, 1.6 at 14:00."""
    return 1.0 + 0.6 * math.cos(2 * math.pi * (hour - 14) / 24)


class _Day:
    """Clock, jitter and source ports of one day."""

    def __init__(self, index: int, seed: int, start: float) -> None:
        self.start = start
        self.rng = random.Random(f"{seed}:{index}")
        self.next_port = 20000

    def port(self) -> int:
        self.next_port = 20000 + (self.next_port - 19999) % 40000
        return self.next_port

    def at(self, hour: int, lo: float = 60.0, hi: float = 3_300.0) -> float:
        """A moment inside ``hour`` (millisecond jitter), leaving room for the flow to end."""
        return self.start + hour * HOUR + round(self.rng.uniform(lo, hi), 3)


def _tcp(day: _Day, src: str, dst: str, dport: int, start: float, request: bytes,
         reply: bytes = b"\x01" * 64) -> list[Packet]:
    """Handshake, the client's bytes in segments of at most 60,000, one reply, FIN teardown."""
    s = TcpSession(src, day.port(), dst, dport, start=start, client_isn=day.rng.randrange(1, 2**31))
    sizes = [60_000] * (len(request) // 60_000) + ([len(request) % 60_000] if len(request) % 60_000 else [])
    s.client_send(request, segments=sizes, ack=False)
    s.server_send(reply, ack=False)
    return s.close()


def _modbus_read(day: _Day, src: str, plc: str, start: float) -> list[Packet]:
    """One Modbus/TCP read-holding-registers (function 3, 8 registers) and its answer."""
    tid = day.rng.randrange(1, 60000)
    request = tid.to_bytes(2, "big") + b"\x00\x00\x00\x06\x01\x03\x00\x00\x00\x08"
    reply = tid.to_bytes(2, "big") + b"\x00\x00\x00\x13\x01\x03\x10" + bytes(range(16))
    return _tcp(day, src, plc, 502, start, request, reply)


def _tls(day: _Day, src: str, dst: str, sni: str, start: float, extra: int = 0, dport: int = 443) -> list[Packet]:
    """A TLS ClientHello (plus ``extra`` bytes of application data) and a short server answer."""
    return _tcp(day, src, dst, dport, start, client_hello_bytes(sni) + b"\x17\x03\x03" * (extra // 3),
                b"\x16\x03\x03" + b"\x00" * 125)


def _camera(day: _Day, cam: str, index: int, hours: range) -> list[list[Packet]]:
    groups = []
    for hour in hours:
        size = int(2_500 * diurnal(hour) * day.rng.uniform(0.85, 1.15))
        groups.append(_tcp(day, cam, NVR, 554, day.at(hour), b"\x00" * size))
        if hour % 6 == index:
            groups.append(dns.query(src=cam, dst=DNS_SERVER, sport=day.port(), start=day.at(hour),
                                    qname="cloud.camvendor.example", dns_id=day.rng.randrange(65536)))
        if hour in (0, 12):
            groups.append(ntp.query(src=cam, dst=NTP_SERVER, sport=day.port(), start=day.at(hour)))
        if hour == 12:
            groups.append(_tls(day, cam, CAMERA_CLOUD, "cloud.camvendor.example", day.at(hour), 600))
    return groups


def _sensor(day: _Day, sensor: str, index: int, hours: range) -> list[list[Packet]]:
    groups = []
    for hour in hours:
        for _ in range(1 + (day.rng.random() < 0.5 * diurnal(hour))):
            reading = UdpExchange(sensor, day.port(), GATEWAY, 5684, start=day.at(hour))
            reading.client_send(b"\x17\xfe\xfd" + bytes(10) + b"\x00\x40" + bytes(day.rng.randrange(60, 68)))
            reading.server_send(b"\x17\xfe\xfd" + bytes(10) + b"\x00\x10" + bytes(16))
            groups.append(reading.packets)
        if hour % 6 == index + 3:
            groups.append(dns.query(src=sensor, dst=DNS_SERVER, sport=day.port(), start=day.at(hour),
                                    qname="gateway.iot.example", dns_id=day.rng.randrange(65536)))
        if hour == 6:
            groups.append(ntp.query(src=sensor, dst=NTP_SERVER, sport=day.port(), start=day.at(hour)))
    return groups


def _broker(day: _Day, hours: range) -> list[list[Packet]]:
    return [_tls(day, BROKER, BROKER_CLOUD, "bridge.iotcloud.example", day.at(hour),
                 int(900 * diurnal(hour)), dport=8883) for hour in hours]


def _plc_cell(day: _Day, hours: range) -> list[list[Packet]]:
    groups = []
    for hour in hours:
        for plc in PLCS:
            groups.append(_modbus_read(day, ENG, plc, day.at(hour)))
            if hour % 2 == 0:
                groups.append(_modbus_read(day, HMI, plc, day.at(hour)))
    return groups


def anomaly(*, name: str = "new-poller", index: int = 0, seed: int = 16) -> list[Packet]:
    """The packets of anomaly ``name`` on day ``index`` (without the normal traffic)."""
    d = _Day(index, seed + 1000, START + index * DAY)
    if name == "exfiltration":
        groups = [_tcp(d, CAMERAS[1], CAMERA_CLOUD, 443, d.at(3, 60, 600), b"\x17" * 100_000)]
    elif name == "scan":
        targets = [f"192.168.200.{n}" for n in range(100, 120)] + [f"192.168.210.{n}" for n in range(100, 120)]
        t = d.at(10, 60, 120)
        groups = [syn_attempt(CAMERAS[2], d.port(), host, port, start=t + i * 0.4 + j * 0.1)
                  for i, host in enumerate(targets) for j, port in enumerate((22, 23, 80, 502))]
    elif name == "c2":
        groups = [_tls(d, SENSORS[1], C2_PEER, "cdn.example.net", d.start + 13 * HOUR + k * 300 + 7, 90)
                  for k in range(48)]
    elif name == "new-poller":
        groups = [_modbus_read(d, NEW_POLLER, PLCS[0], d.at(2))]
    else:
        raise KeyError(f"unknown anomaly {name!r}; known: {', '.join(sorted(ANOMALIES))}")
    return merge(*groups)


def normal(*, index: int = 0, seed: int = 16, date: int | None = None, first_hour: int = 0,
           hours: int = 24) -> list[Packet]:
    """The normal traffic of day ``index`` (jitter seeded by ``(seed, index)``), placed on day
    ``date`` (default: ``index``) counted from ``START``; ``hours`` hours from ``first_hour``
    (a part of a day draws its own jitter: it is not a slice of the whole day)."""
    d = _Day(index, seed, START + (index if date is None else date) * DAY)
    span = range(first_hour, min(24, first_hour + hours))
    groups: list[list[Packet]] = []
    for i, cam in enumerate(CAMERAS):
        groups += _camera(d, cam, i, span)
    for i, sensor in enumerate(SENSORS):
        groups += _sensor(d, sensor, i, span)
    groups += _broker(d, span)
    groups += _plc_cell(d, span)
    return merge(*groups)


def hour(*, index: int = 0, at: int = 14, seed: int = 16, anomaly_name: str | None = None) -> list[Packet]:
    """One hour (``at``, UTC) of the site's normal traffic, plus anomaly ``anomaly_name`` when
    given: a cheap benign background (or positive case) for rule test cases."""
    packets = normal(index=index, seed=seed, first_hour=at, hours=1)
    return merge(packets, anomaly(name=anomaly_name, index=index, seed=seed)) if anomaly_name else packets


def day(*, index: int = 0, seed: int = 16, anomaly_name: str | None = None, base: int | None = None) -> list[Packet]:
    """Day ``index``: the normal traffic of day ``base`` (default ``index``) moved to this date, plus
    anomaly ``anomaly_name`` when given."""
    packets = normal(index=index if base is None else base, seed=seed, date=index)
    return merge(packets, anomaly(name=anomaly_name, index=index, seed=seed)) if anomaly_name else packets
