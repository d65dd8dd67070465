"""The one table that knows EVE fields: EVE path -> Suricata keyword, and whether SIEMs see it.

`where` conditions in rules name EVE paths. The Suricata backend matches them through the keyword
below; the SIEM backends search the same path in the ingested EVE record (Splunk KV_MODE=json
keeps the dotted path; Sentinel's custom table keeps each top-level EVE object as a dynamic column).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["sticky", "int_keyword", "stream_size", "modbus_function"]


@dataclass(frozen=True)
class EveField:
    path: str                 # EVE path, e.g. mqtt.connect.username
    keyword: str              # Suricata keyword or sticky buffer
    kind: Kind                # how a value is matched in Suricata
    value_type: Literal["str", "int"]
    protocols: tuple[str, ...]  # detection.protocol values the field belongs to
    event_type: str           # EVE event_type carrying the field (what the SIEM hunt searches)
    lowercase: bool = False   # Suricata normalises the buffer to lower case
    notes: str = ""


_FIELDS = (
    EveField("http.url", "http.uri", "sticky", "str", ("http",), "http"),
    EveField("http.hostname", "http.host", "sticky", "str", ("http",), "http", lowercase=True,
             notes="Suricata lower-cases the host buffer"),
    EveField("http.http_method", "http.method", "sticky", "str", ("http",), "http"),
    EveField("http.http_user_agent", "http.user_agent", "sticky", "str", ("http",), "http"),
    EveField("http.http_content_type", "http.content_type", "sticky", "str", ("http",), "http"),
    EveField("http.status", "http.stat_code", "sticky", "str", ("http",), "http"),
    EveField("dns.rrname", "dns.query", "sticky", "str", ("dns",), "dns"),
    EveField("tls.sni", "tls.sni", "sticky", "str", ("tls",), "tls"),
    EveField("tls.subject", "tls.cert_subject", "sticky", "str", ("tls",), "tls"),
    EveField("mqtt.connect.username", "mqtt.connect.username", "sticky", "str", ("mqtt",), "mqtt"),
    EveField("mqtt.connect.password", "mqtt.connect.password", "sticky", "str", ("mqtt",), "mqtt"),
    EveField("mqtt.connect.client_id", "mqtt.connect.clientid", "sticky", "str", ("mqtt",), "mqtt"),
    EveField("mqtt.publish.topic", "mqtt.publish.topic", "sticky", "str", ("mqtt",), "mqtt"),
    EveField("snmp.community", "snmp.community", "sticky", "str", ("snmp",), "snmp"),
    EveField("snmp.version", "snmp.version", "int_keyword", "int", ("snmp",), "snmp"),
    EveField("ssh.client.software_version", "ssh.software", "sticky", "str", ("ssh",), "ssh",
             notes="the Suricata buffer holds both sides' software; SIEMs see the client's"),
    EveField("modbus.request.function_raw", "modbus", "modbus_function", "int", ("modbus",), "modbus",
             notes="Suricata's modbus keyword takes one function; sets need `modbus: access write`"),
    EveField("dnp3.application.function_code", "dnp3_func", "int_keyword", "int", ("dnp3",), "dnp3"),
    EveField("flow.bytes_toserver", "stream_size", "stream_size", "int", ("tcp",), "flow",
             notes="Suricata counts stream bytes sent by the client; EVE flow counts bytes of packets"),
)

EVE_FIELDS: dict[str, EveField] = {f.path: f for f in _FIELDS}


def lookup(path: str) -> EveField:
    try:
        return EVE_FIELDS[path]
    except KeyError:
        known = ", ".join(sorted(EVE_FIELDS))
        raise ValueError(f"unknown EVE field {path!r}; known fields: {known}") from None
