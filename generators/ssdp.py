"""SSDP / UPnP (UDP 1900): M-SEARCH (multicast or unicast) and a device reply."""

from __future__ import annotations

import ipaddress

from scapy.packet import Packet

from . import addresses as A
from .session import UdpExchange

SSDP_GROUP = "239.255.255.250"
SSDP_GROUP_V6 = "ff02::c"          # link-local scope, what UPnP devices use on an IPv6 VLAN


def group_for(host: str) -> str:
    """The SSDP multicast group of host's address family."""
    return SSDP_GROUP_V6 if ipaddress.ip_address(host).version == 6 else SSDP_GROUP


def _hostport(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _location(device: str) -> str:
    return f"http://{_hostport(device, 49152)}/description.xml"


def msearch(*, src: str = A.CORP_HOST, dst: str | None = None, sport: int = A.CLIENT_PORT,
            dport: int = 1900, start: float = A.START, st: str = "ssdp:all", mx: int = 2,
            response: bool = False, responder: str = A.IOT_DEVICE,
            location: str | None = None) -> list[Packet]:
    """M-SEARCH to ``dst`` (default: the multicast group of src's family, or a unicast device).
    ``response`` adds a unicast 200 OK from ``responder`` (from the device when ``dst`` is
    unicast) whose LOCATION (default) points at that device."""
    dst = dst or group_for(src)
    multicast = ipaddress.ip_address(dst).is_multicast
    host = _hostport(dst, 1900 if multicast else dport)
    req = (f"M-SEARCH * HTTP/1.1\r\nHOST: {host}\r\nMAN: \"ssdp:discover\"\r\n"
           f"MX: {mx}\r\nST: {st}\r\n\r\n").encode()
    u = UdpExchange(src, sport, dst, dport, start=start)
    u.client_send(req)
    out = list(u.packets)
    if response:
        device = responder if multicast else dst
        location = location or _location(device)
        rsp = (f"HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nEXT:\r\n"
               f"LOCATION: {location}\r\nSERVER: Linux/4.9 UPnP/1.0 IoTCam/1.0\r\n"
               f"ST: upnp:rootdevice\r\nUSN: uuid:00000000-0000-0000-0000-000000000001::"
               f"upnp:rootdevice\r\n\r\n").encode()
        r = UdpExchange(src, sport, device, dport, start=u.now)
        r.server_send(rsp)
        out += r.packets
    return out


def notify(*, src: str = A.IOT_DEVICE, dst: str | None = None, sport: int = 1900,
           dport: int = 1900, start: float = A.START,
           location: str | None = None) -> list[Packet]:
    """A device's NOTIFY ssdp:alive announcement (LOCATION default: the device itself)."""
    dst = dst or group_for(src)
    location = location or _location(src)
    msg = (f"NOTIFY * HTTP/1.1\r\nHOST: {_hostport(group_for(src), 1900)}\r\nCACHE-CONTROL: max-age=1800\r\n"
           f"LOCATION: {location}\r\nNT: upnp:rootdevice\r\nNTS: ssdp:alive\r\n"
           f"SERVER: Linux/4.9 UPnP/1.0 IoTCam/1.0\r\n"
           f"USN: uuid:00000000-0000-0000-0000-000000000001::upnp:rootdevice\r\n\r\n").encode()
    u = UdpExchange(src, sport, dst, dport, start=start)
    u.client_send(msg)
    return u.packets
