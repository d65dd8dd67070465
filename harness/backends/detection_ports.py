"""App-layer protocols that Suricata 7.0.10 recognises only on configured ports, and the port group
the pack's rules name for them.

Suricata detects these protocols with a probing parser registered on the ports of
`app-layer.protocols.<name>.detection-ports` (Suricata's default ports when the config gives
none) and has no port-independent pattern for them (7.0.10 app-layer-register.c,
`AppLayerRegisterProtocolDetection`): `dp` ports are matched against a flow's server port, `sp`
ports against its client port. A rule `alert modbus any any -> any any` therefore only ever matches
on those ports, but Suricata files it in every TCP port group and walks it for every TCP packet.
Naming the group in the header (`-> any $MODBUS_PORTS`) files it under those ports alone: on the
sensor mix the pack costs 54 M instructions less (4,804 M against 4,857 M, bench/sensor.py).
RDP, SNMP, DNS and Telnet are port-bound in the same way; naming their ports measured nothing (one
TCP rule, the others UDP), so their headers stay as written.

The group must then hold every `dp` port the sensor detects the protocol on: `sensor check` says
when it does not, `sensor configure` adds what is missing. Flows Suricata detects by their client
port only (ENIP's `sp: 44818` with a server on another port) are not looked at; README.md, "Your
own sensor".
"""
from __future__ import annotations

from dataclasses import dataclass


def port_list(ports) -> str:
    """Ports as a port-group value: `502`, or `[502,5020]` sorted."""
    ordered = sorted(ports)
    return str(ordered[0]) if len(ordered) == 1 else "[" + ",".join(map(str, ordered)) + "]"


@dataclass(frozen=True)
class PortBound:
    protocol: str
    group: str                    # the vars.port-groups name in the rule header
    dp: tuple[int, ...]           # Suricata's default server ports (the harness's detection-ports)
    sp: tuple[int, ...] = ()      # ... client ports, when Debian's stock config names them

    @property
    def value(self) -> str:
        """The group's value as suricata.yaml writes it."""
        return port_list(self.dp)

    @property
    def detection_ports(self) -> dict[str, str]:
        """app-layer.protocols.<protocol>.detection-ports that detect it where the group says."""
        ports = {"dp": ", ".join(map(str, self.dp))}
        return ports | ({"sp": ", ".join(map(str, self.sp))} if self.sp else {})


# DNP3_PORTS and MODBUS_PORTS are stock Suricata port groups (Debian's suricata.yaml has them).
PORT_BOUND = {bound.protocol: bound for bound in (
    PortBound("modbus", "MODBUS_PORTS", (502,)),
    PortBound("dnp3", "DNP3_PORTS", (20000,)),
    PortBound("enip", "ENIP_PORTS", (44818,), (44818,)),
    PortBound("mqtt", "MQTT_PORTS", (1883,)),
)}


def port_groups() -> list[tuple[str, str]]:
    """(name, value) for vars.port-groups: Suricata's default detection ports of each protocol."""
    return [(bound.group, bound.value) for bound in PORT_BOUND.values()]
