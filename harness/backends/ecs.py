"""Where each EVE field lands in Elastic: the Elastic Agent Suricata integration's ECS mapping.

Read from elastic/integrations packages/suricata (data_stream/eve): the ingest pipeline
(elasticsearch/ingest_pipeline/default.yml, tls.yml, dns.yml) parses each EVE line into
`suricata.eve.*`, then renames or copies what ECS has a field for and removes some originals;
fields/fields.yml declares the rest. Documents go to the data stream `logs-suricata.eve-*`.

EVE objects the integration does not declare (mqtt, snmp, modbus, dnp3) keep their path under
`suricata.eve.` and are mapped dynamically (strings as keyword, numbers as long).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

EcsType = Literal["keyword", "ip", "long", "date", "dynamic"]


@dataclass(frozen=True)
class EcsField:
    name: str
    type: EcsType
    lowercase: bool = False     # the pipeline lower-cases the value (compare with lower-cased literals)
    notes: str = ""


_DECLARED = {
    # pipeline default.yml: renamed or copied to ECS
    "timestamp": EcsField("@timestamp", "date"),
    "event_type": EcsField("suricata.eve.event_type", "keyword", lowercase=True),
    "src_ip": EcsField("source.ip", "ip"),
    "dest_ip": EcsField("destination.ip", "ip"),
    "src_port": EcsField("source.port", "long"),
    "dest_port": EcsField("destination.port", "long"),
    "proto": EcsField("network.transport", "keyword", lowercase=True),
    "app_proto": EcsField("network.protocol", "keyword", lowercase=True,
                          notes="the pipeline also writes ftp for ftp-data, and nothing for failed"),
    "flow.start": EcsField("event.start", "date", notes="suricata.eve.flow.start is removed"),
    "flow.bytes_toserver": EcsField("source.bytes", "long"),
    "alert.signature_id": EcsField("suricata.eve.alert.signature_id", "long", notes="also rule.id (keyword)"),
    "http.url": EcsField("url.original", "keyword"),
    "http.hostname": EcsField("destination.domain", "keyword", notes="suricata.eve.http.hostname is removed"),
    "http.http_method": EcsField("http.request.method", "keyword"),
    "http.http_user_agent": EcsField("user_agent.original", "keyword", notes="user_agent processor"),
    "http.status": EcsField("http.response.status_code", "long"),
    # fields.yml: declared under suricata.eve
    "http.http_content_type": EcsField("suricata.eve.http.http_content_type", "keyword"),
    "dns.type": EcsField("suricata.eve.dns.type", "keyword"),
    "dns.rrname": EcsField("suricata.eve.dns.rrname", "keyword"),
    "tls.sni": EcsField("suricata.eve.tls.sni", "keyword", notes="tls.yml trims one trailing dot"),
    "tls.subject": EcsField("suricata.eve.tls.subject", "keyword"),
    "ssh.client.software_version": EcsField("suricata.eve.ssh.client.software_version", "keyword"),
    "tcp.tcp_flags_ts": EcsField("suricata.eve.tcp.tcp_flags_ts", "keyword"),
    "tcp.tcp_flags_tc": EcsField("suricata.eve.tcp.tcp_flags_tc", "keyword"),
}


def ecs_field(path: str) -> EcsField:
    """The ECS field of an EVE path; undeclared objects stay under suricata.eve (dynamic mapping)."""
    return _DECLARED.get(path) or EcsField(f"suricata.eve.{path}", "dynamic")


def declared() -> dict[str, EcsField]:
    return dict(_DECLARED)
