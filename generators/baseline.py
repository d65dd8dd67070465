"""A normal IoT-VLAN day: the benign background every rule must stay silent on."""

from __future__ import annotations

from scapy.packet import Packet

from . import addresses as A
from . import dnp3, dns, enip, modbus, ntp, ssh, tls
from .session import merge

BENIGN_NAMES = ["time.vendor.example", "updates.vendor.example", "broker.iot.example"]


def day(*, start: float = A.START, rounds: int = 3, interval: float = 600.0,
        devices: tuple[str, ...] = (A.IOT_DEVICE, A.IOT_DEVICE_2), broker: str = A.MQTT_BROKER,
        update_host: str = A.EXTERNAL_HOST, mgmt: str = A.MGMT_HOST,
        eng: str = A.ENG_WORKSTATION, plc: str = A.PLC, resolver: str = A.DNS_RESOLVER,
        ntp_server: str = A.NTP_SERVER, update_server: str = A.UPDATE_SERVER) -> list[Packet]:
    """``rounds`` rounds, ``interval`` s apart, each: per device NTP to the time server, DNS for
    benign names to the resolver (AAAA from IPv6 devices), MQTT over TLS (8883) to the broker, an HTTPS update check
    (SNI updates.vendor.example); per round one SSH session from management to the first
    device and Modbus function-3 reads from the engineering host to the PLC; per round the
    engineering host's routine control work (one Modbus register write, a DNP3 class poll, a
    CIP tag read) and an HTTPS firmware check of the last device against the internal update
    server. Every host is a role of the site plan (generators/addresses.py)."""
    devices = list(devices)
    groups: list[list[Packet]] = []
    for r in range(rounds):
        t0 = start + r * interval
        port = 40000 + r * 100
        for d_i, dev in enumerate(devices):
            t = t0 + d_i * 10.0
            groups.append(ntp.query(src=dev, dst=ntp_server, start=t))
            for n_i, name in enumerate(BENIGN_NAMES):
                groups.append(dns.query(src=dev, dst=resolver, qname=name, start=t + 1 + n_i * 0.1,
                                        qtype="AAAA" if ":" in dev else "A",
                                        sport=port + d_i * 10 + n_i,
                                        dns_id=(r * 64 + d_i * 8 + n_i) & 0xFFFF))
            groups.append(tls.client_hello(src=dev, dst=broker, dport=8883,
                                           sport=port + d_i * 10 + 5, sni="broker.iot.example",
                                           start=t + 2, app_data=2))
            groups.append(tls.client_hello(src=dev, dst=update_host, dport=443,
                                           sport=port + d_i * 10 + 6,
                                           sni="updates.vendor.example", start=t + 3))
        groups.append(ssh.banner(src=mgmt, dst=devices[0], sport=port + 50, start=t0 + 30))
        groups.append(modbus.request(src=eng, dst=plc, sport=port + 60, function=3,
                                     address=0, quantity=10, count=3, start=t0 + 40,
                                     trans_id=r * 10 + 1))
        groups.append(modbus.write_register(src=eng, dst=plc, sport=port + 61, address=40,
                                            value=1200 + r, start=t0 + 42, trans_id=r * 10 + 5))
        groups.append(dnp3.request(src=eng, dst=plc, sport=port + 62, function=1,
                                   app_seq=r, start=t0 + 44))
        groups.append(enip.cip_request(src=eng, dst=plc, sport=port + 63, service=0x4C,
                                       start=t0 + 46))
        groups.append(tls.client_hello(src=devices[-1], dst=update_server, dport=443,
                                       sport=port + 64, sni="updates.corp.example",
                                       start=t0 + 48))
    return merge(*groups)
