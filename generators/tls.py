"""TLS ClientHello/ServerHello built by hand (struct), fully deterministic.

scapy's TLS layer needs the ``cryptography`` package even to build a ClientHello, and
the project does not depend on it, so the records are assembled here.
"""

from __future__ import annotations

import struct

from scapy.packet import Packet

from . import addresses as A
from .session import TcpSession

CIPHERS = [0x1301, 0x1302, 0x1303, 0xC02B, 0xC02F, 0xC02C, 0xC030, 0x009C, 0x009D, 0x002F]
GROUPS = [0x001D, 0x0017, 0x0018]


def _u16(n: int) -> bytes:
    return struct.pack(">H", n)


def _vec16(b: bytes) -> bytes:
    return _u16(len(b)) + b


def _ext(etype: int, body: bytes) -> bytes:
    return _u16(etype) + _vec16(body)


def _record(hs_type: int, body: bytes, version: int = 0x0301) -> bytes:
    hs = bytes([hs_type]) + struct.pack(">I", len(body))[1:] + body
    return bytes([0x16]) + _u16(version) + _vec16(hs)


def client_hello_bytes(sni: str | None = "updates.vendor.example", *,
                       version: int = 0x0303, ciphers: list[int] | None = None,
                       alpn: list[str] | None = None, gmt_unix_time: int = 1700000000,
                       random_bytes: bytes = bytes(range(28))) -> bytes:
    exts = b""
    if sni:
        name = sni.encode()
        exts += _ext(0x0000, _vec16(b"\x00" + _vec16(name)))
    exts += _ext(0x000A, _vec16(b"".join(_u16(g) for g in GROUPS)))   # supported_groups
    exts += _ext(0x000B, b"\x01\x00")                                  # ec_point_formats
    exts += _ext(0x000D, _vec16(b"".join(_u16(s) for s in (0x0403, 0x0804, 0x0401))))
    if alpn:
        exts += _ext(0x0010, _vec16(b"".join(bytes([len(p)]) + p.encode() for p in alpn)))
    exts += _ext(0x0017, b"")                                          # extended_master_secret
    exts += _ext(0x002B, b"\x04\x03\x04\x03\x03")                      # supported_versions
    body = (_u16(version) + struct.pack(">I", gmt_unix_time) + random_bytes[:28].ljust(28, b"\0")
            + b"\x00"                                                  # empty session id
            + _vec16(b"".join(_u16(c) for c in (ciphers or CIPHERS)))
            + b"\x01\x00" + _vec16(exts))
    return _record(1, body)


def server_hello_bytes(*, version: int = 0x0303, cipher: int = 0xC02F,
                       gmt_unix_time: int = 1700000001,
                       random_bytes: bytes = bytes(range(100, 128))) -> bytes:
    exts = _ext(0xFF01, b"\x00") + _ext(0x0017, b"")
    body = (_u16(version) + struct.pack(">I", gmt_unix_time) + random_bytes[:28].ljust(28, b"\0")
            + b"\x00" + _u16(cipher) + b"\x00" + _vec16(exts))
    return _record(2, body, version=0x0303)


# A fixed self-signed P-256 certificate, CN=updates.vendor.example, O=Vendor IoT (made once with
# openssl; Suricata 7 only writes a "tls" EVE record for a handshake with a certificate or a
# resumed session).
CERT_DER = bytes.fromhex(
    "308201ae30820155a00302010202021234300a06082a8648ce3d0403023036311f301d06035504030c167570"
    "64617465732e76656e646f722e6578616d706c6531133011060355040a0c0a56656e646f7220496f54301e17"
    "0d3236313132353039333133345a170d3336313132323039333133345a3036311f301d06035504030c167570"
    "64617465732e76656e646f722e6578616d706c6531133011060355040a0c0a56656e646f7220496f54305930"
    "1306072a8648ce3d020106082a8648ce3d030107034200041c03c70db2903b4d922c2f77dcf677cf643cd94f"
    "6251dc655bdc1dcc2c544d0a00f201694bf2207994827e6f08ba3a37c710ecad88670d008a6e2acedf8666d2"
    "a3533051301d0603551d0e0416041430bdd401f741ccafdcfd88b97751b6b7c63d4c44301f0603551d230418"
    "3016801430bdd401f741ccafdcfd88b97751b6b7c63d4c44300f0603551d130101ff040530030101ff300a06"
    "082a8648ce3d040302034700304402203099307417c709c06393d1b5241646251b8e34b3d86542b0476b7ff8"
    "940ffd1e02202fa45bd6794362d69c9cef53ab5224a3090f12290faf13e75ba961eccecf78e7")

CCS = b"\x14\x03\x03\x00\x01\x01"
FINISHED = b"\x16\x03\x03" + _vec16(bytes(range(40)))          # opaque (encrypted) Finished


def _u24(n: int) -> bytes:
    return struct.pack(">I", n)[1:]


# Certificate (one cert) + ServerHelloDone
SERVER_FLIGHT = (_record(11, _u24(len(CERT_DER) + 3) + _u24(len(CERT_DER)) + CERT_DER, 0x0303)
                 + _record(14, b"", 0x0303))
EMPTY_FLIGHT = _record(11, b"\x00\x00\x00", 0x0303) + _record(14, b"", 0x0303)
# ClientKeyExchange (opaque 32-byte ECDH point), ChangeCipherSpec, Finished
CLIENT_FINISH = _record(16, bytes([32]) + bytes(range(32, 64)), 0x0303) + CCS + FINISHED
SERVER_FINISH = CCS + FINISHED


def client_hello(*, src: str = A.IOT_DEVICE, dst: str = A.EXTERNAL_HOST,
                 sport: int = A.CLIENT_PORT, dport: int = 443, start: float = A.START,
                 sni: str | None = "updates.vendor.example", alpn: list[str] | None = None,
                 server_hello: bool = True, version: int = 0x0303,
                 ciphers: list[int] | None = None, app_data: int = 0,
                 segments: int | None = None, certificate: bool = True) -> list[Packet]:
    """ClientHello with ``sni`` (None = no SNI); with ``server_hello`` the full TLS 1.2
    handshake (ServerHello, Certificate [CERT_DER, or an empty list if not
    ``certificate``], key exchange, CCS, Finished) and ``app_data`` opaque records each way.
    Suricata 7 logs a ``tls`` EVE record only when a certificate was seen."""
    s = TcpSession(src, sport, dst, dport, start=start)
    s.client_send(client_hello_bytes(sni, version=version, ciphers=ciphers, alpn=alpn),
                  segments=segments)
    if server_hello:
        s.server_send(server_hello_bytes() + (SERVER_FLIGHT if certificate else EMPTY_FLIGHT))
        s.client_send(CLIENT_FINISH)
        s.server_send(SERVER_FINISH)
        for i in range(app_data):
            s.client_send(b"\x17\x03\x03" + _vec16(bytes([i & 0xFF]) * 64))
            s.server_send(b"\x17\x03\x03" + _vec16(bytes([(i + 1) & 0xFF]) * 256))
    s.close()
    return s.packets
