"""generators/inventory.py: deterministic images and the traffic shapes the inventory cases rely on."""
from __future__ import annotations

import hashlib

from scapy.layers.inet import TCP, UDP

from generators import registry
from generators.inventory import firmware_download, firmware_image, firmware_sha256, service, unknown_host
from generators.pcapio import pcap_bytes


def test_images_are_deterministic_and_distinct():
    assert firmware_image("a") == firmware_image("a") and len(firmware_image("a", 5000)) == 5000
    assert firmware_sha256("a") == hashlib.sha256(firmware_image("a")).hexdigest() != firmware_sha256("b")


def test_firmware_download_carries_the_named_image():
    packets = firmware_download(src="192.168.200.20", dst="10.0.0.80", image="x", size=3000)
    payload = b"".join(bytes(p[TCP].payload) for p in packets if p.haslayer(TCP) and p[TCP].sport == 80)
    assert payload.endswith(firmware_image("x", 3000)) and b"application/octet-stream" in payload
    assert pcap_bytes(packets) == pcap_bytes(firmware_download(src="192.168.200.20", dst="10.0.0.80", image="x", size=3000))


def test_service_tcp_and_udp():
    tcp = service(src="192.168.200.20", dst="203.0.113.5", dport=23)
    assert {p[TCP].dport for p in tcp if p[TCP].sport != 23} == {23} and any("S" == p[TCP].flags for p in tcp)
    udp = service(src="192.168.200.20", dst="203.0.113.5", transport="udp", dport=161)
    assert [p[UDP].dport for p in udp] == [161, 49152]


def test_unknown_host_talks_ntp_and_https():
    packets = unknown_host(src="192.168.200.66", dst="10.0.0.123")
    assert {p[UDP].dport for p in packets if p.haslayer(UDP)} >= {123}
    assert {p[TCP].dport for p in packets if p.haslayer(TCP)} >= {443}


def test_registered():
    for name in ("inventory.firmware_download", "inventory.service", "inventory.unknown_host"):
        assert registry.get(name).__module__ == "generators.inventory"
