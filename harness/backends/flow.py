"""The flow keywords a rule gets when it names none: shared by the Suricata rule and the hunt plan,
so the IDS and the SIEM searches agree on direction and establishment."""
from __future__ import annotations

from harness.rules.model import APP_PROTOCOLS_TCP, Rule

_TCP_CARRIED = set(APP_PROTOCOLS_TCP) | {"tcp"}


def default_flow(rule: Rule) -> tuple[str, ...]:
    det = rule.detection
    if det.flow is not None:
        return det.flow
    if det.tcp_flags:
        return ()
    if det.protocol in _TCP_CARRIED and (det.where or det.payload or det.protocol != "tcp"):
        return ("established", "to_server")
    if det.protocol not in ("ip", "icmp", "tcp", "udp"):
        return ("to_server",)
    return ()
