"""SSDP / UPnP (UDP 1900): M-SEARCH (multicast or unicast) and a device reply."""

from __future__ import annotations

from scapy.packet import Packet

from . import addresses as A
from .session import UdpExchange

SSDP_GROUP = "239.255.255.250"


def _location(device: str) -> str:
    return f"http://{f'[{device}]' if ':' in device else device}:49152/description.xml"


def msearch(*, src: str = A.CORP_HOST, dst: str = SSDP_GROUP, sport: int = A.CLIENT_PORT,
            dport: int = 1900, start: float = A.START, st: str = "ssdp:all", mx: int = 2,
            response: bool = False, responder: str = A.IOT_DEVICE,
            location: str | None = None) -> list[Packet]:
    """M-SEARCH to ``dst`` (multicast group or a unicast device). ``response`` adds a
    unicast 200 OK from ``responder`` (from the device when ``dst`` is unicast) whose
    LOCATION (default) points at that device."""
    host = f"{SSDP_GROUP}:1900" if dst == SSDP_GROUP else f"{dst}:{dport}"
    req = (f"M-SEARCH * HTTP/1.1\r\nHOST: {host}\r\nMAN: \"ssdp:discover\"\r\n"
           f"MX: {mx}\r\nST: {st}\r\n\r\n").encode()
    u = UdpExchange(src, sport, dst, dport, start=start)
    u.client_send(req)
    out = list(u.packets)
    if response:
        rsp = (f"HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nEXT:\r\n"
               f"LOCATION: {location}\r\nSERVER: Linux/4.9 UPnP/1.0 IoTCam/1.0\r\n"
               f"ST: upnp:rootdevice\r\nUSN: uuid:00000000-0000-0000-0000-000000000001::"
               f"upnp:rootdevice\r\n\r\n").encode()
        device = responder if dst == SSDP_GROUP else dst
        location = location or _location(device)
        r = UdpExchange(src, sport, device, dport, start=u.now)
        r.server_send(rsp)
        out += r.packets
    return out


def notify(*, src: str = A.IOT_DEVICE, dst: str = SSDP_GROUP, sport: int = 1900,
           dport: int = 1900, start: float = A.START,
           location: str | None = None) -> list[Packet]:
    """A device's NOTIFY ssdp:alive announcement (LOCATION default: the device itself)."""
    location = location or _location(src)
    msg = (f"NOTIFY * HTTP/1.1\r\nHOST: {SSDP_GROUP}:1900\r\nCACHE-CONTROL: max-age=1800\r\n"
           f"LOCATION: {location}\r\nNT: upnp:rootdevice\r\nNTS: ssdp:alive\r\n"
           f"SERVER: Linux/4.9 UPnP/1.0 IoTCam/1.0\r\n"
           f"USN: uuid:00000000-0000-0000-0000-000000000001::upnp:rootdevice\r\n\r\n").encode()
    u = UdpExchange(src, sport, dst, dport, start=start)
    u.client_send(msg)
    return u.packets
