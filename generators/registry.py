"""Name -> generator function.  An explicit table; modules are imported on first use."""

from __future__ import annotations

import importlib
import inspect
from typing import Any, Callable

from scapy.packet import Packet

# dotted name -> "module:function" (module relative to this package)
GENERATORS: dict[str, str] = {
    "baseline.day": "baseline:day",
    "coap.request": "coap:request",
    "dnp3.request": "dnp3:request",
    "dns.query": "dns:query",
    "dns.queries": "dns:queries",
    "enip.cip_request": "enip:cip_request",
    "enip.list_identity": "enip:list_identity",
    "extra_dns.tcp_query": "extra_dns:tcp_query",
    "extra_payload.bulk_upload": "extra_payload:bulk_upload",
    "extra_payload.http_text": "extra_payload:http_text",
    "extra_payload.text_exchange": "extra_payload:text_exchange",
    "floods.brute_force": "floods:brute_force",
    "floods.dns_flood": "floods:dns_flood",
    "floods.flag_scan": "floods:flag_scan",
    "floods.icmp_sweep": "floods:icmp_sweep",
    "floods.snmp_walk": "floods:snmp_walk",
    "floods.udp_scan": "floods:udp_scan",
    "ftp.login": "ftp:login",
    "ftp.retr": "ftp:retr",
    "http.request": "http:request",
    "http.keepalive": "http:keepalive",
    "icmp.ping_sweep": "tcp:ping_sweep",
    "http.basic_auth": "http:basic_auth",
    "http.firmware_download": "http:firmware_download",
    "inventory.firmware_download": "inventory:firmware_download",
    "inventory.service": "inventory:service",
    "inventory.unknown_host": "inventory:unknown_host",
    "irc.session": "irc:session",
    "modbus.request": "modbus:request",
    "modbus.write_register": "modbus:write_register",
    "modbus.write_coil": "modbus:write_coil",
    "mqtt.connect": "mqtt:connect",
    "multiday.anomaly": "multiday:anomaly",
    "multiday.hour": "multiday:hour",
    "mqtt.publish": "mqtt:publish",
    "mqtt.subscribe": "mqtt:subscribe",
    "ntp.query": "ntp:query",
    "ot.cip_program_transfer": "ot:cip_program_transfer",
    "ot.cip_session": "ot:cip_session",
    "ot.dnp3_command": "ot:dnp3_command",
    "ot.dnp3_select_operate": "ot:dnp3_select_operate",
    "ot.modbus_function_sweep": "ot:modbus_function_sweep",
    "ot.modbus_register_scan": "ot:modbus_register_scan",
    "rdp.connect": "winproto:rdp_connect",
    "repeat.sessions": "extra_repeat:sessions",
    "sip.request": "sip:request",
    "smb.negotiate": "winproto:smb_negotiate",
    "snmp.get": "snmp:get",
    "snmp.set": "snmp:set",
    "ssdp.msearch": "ssdp:msearch",
    "ssdp.notify": "ssdp:notify",
    "ssh.banner": "ssh:banner",
    "tcp.connect": "tcp:connect",
    "tcp.connect_repeat": "tcp:connect_repeat",
    "tcp.syn_scan": "tcp:syn_scan",
    "telnet.connect": "telnet:connect",
    "telnet.session": "telnet:session",
    "tftp.read": "tftp:read",
    "tftp.write": "tftp:write",
    "tls.client_hello": "tls:client_hello",
    "udp.send": "tcp:udp_send",
}

# Generators one of whose arguments holds the arguments of another generator:
# name -> (argument naming the inner generator, argument holding its arguments).
NESTED: dict[str, tuple[str, str]] = {
    "repeat.sessions": ("generator", "args"),
}


def names() -> list[str]:
    """All generator names, sorted."""
    return sorted(GENERATORS)


def get(name: str) -> Callable[..., list[Packet]]:
    """The generator called ``name``; ``KeyError`` listing the known names otherwise."""
    try:
        target = GENERATORS[name]
    except KeyError:
        raise KeyError(f"unknown generator {name!r}; known: {', '.join(names())}") from None
    module, func = target.split(":")
    return getattr(importlib.import_module(f"{__package__}.{module}"), func)


def defaults(func: Callable) -> dict[str, Any]:
    """Keyword defaults of a generator, including those of the generator its ``**kw`` goes to
    (``generators.forward.forwards_to``); its own defaults win."""
    own = {name: p.default for name, p in inspect.signature(func).parameters.items()
           if p.default is not inspect.Parameter.empty}
    target = getattr(func, "forwards_to", None)
    return {**(defaults(target) if target else {}), **own}
