"""The lab's OT-protocol scenarios: Modbus/TCP (pymodbus), DNP3 (opendnp3 via dnp3-python),
EtherNet/IP (cpppo server, pycomm3 and cpppo clients).

Hosts: the PLC/outstation/adapter is 192.168.210.20 (an OT host that is not an engineering host),
the engineering workstation 192.168.210.10, a second OT host (an HMI) 192.168.210.30, a corporate
workstation 10.1.1.50 and an IoT device 192.168.200.10 (the default plan's roles)."""
from __future__ import annotations

from scenario import Scenario

PLC = "192.168.210.20"
PLC_NET = [f"{PLC}/24"]
ENGINEERING = ["192.168.210.10/24"]
HMI = ["192.168.210.30/24"]
CORP = ["10.1.1.50/8"]
IOT = ["192.168.200.10/24"]
MODBUS_TOOLS = ["pip:pymodbus"]


def _modbus(name: str, what: str, client: list[str], action: str, n: int = 1, expect: dict | None = None,
            tools: list[str] | None = None) -> Scenario:
    return Scenario(name, what, PLC_NET, client, servers=[f"{{py}} {{clients}}/modbus_server.py {PLC}"],
                    clients=["sleep 3", f"{{py}} {{clients}}/modbus_client.py {PLC} {action} {n}"],
                    expect=expect or {}, tools=tools or MODBUS_TOOLS)


OT = [
    _modbus("modbus-write-corp", "pymodbus client on a corporate host: write register, force coil, write 4 registers",
            CORP, "write", expect={"modbus-write-non-engineering": 1}),
    _modbus("modbus-write-engineering", "the same writes from the engineering workstation", ENGINEERING, "write"),
    _modbus("modbus-poll-corp", "10 reads of 10 holding registers from a corporate host (an HMI-style poll)", CORP, "read", 10),
    _modbus("modbus-register-scan-corp", "120 reads walking the register map from a corporate host", CORP, "read", 120,
            expect={"modbus-register-map-scan": 1}),
    _modbus("modbus-register-scan-hmi", "120 reads walking the register map from an HMI inside the OT cell", HMI, "read", 120),
    _modbus("modbus-report-id-corp", "pymodbus Report Server ID (function 17) from a corporate host", CORP, "report-id",
            expect={"modbus-report-server-id-non-engineering": 1}),
    _modbus("modbus-device-id-corp", "pymodbus Read Device Identification (function 43/14) from a corporate host", CORP,
            "device-id", expect={"modbus-device-identification-non-engineering": 1}),
    _modbus("modbus-diagnostics-corp", "pymodbus Diagnostics (function 8: return query data, read diagnostic register)",
            CORP, "diagnostics", expect={"modbus-diagnostics-non-engineering": 1}),
    Scenario("modbus-identify-engineering", "Report Server ID, Read Device Identification and Diagnostics from the "
             "engineering workstation", PLC_NET, ENGINEERING, servers=[f"{{py}} {{clients}}/modbus_server.py {PLC}"],
             clients=["sleep 3"] + [f"{{py}} {{clients}}/modbus_client.py {PLC} {a}" for a in
                                    ("report-id", "device-id", "diagnostics")], tools=MODBUS_TOOLS),
    _modbus("modbus-fc-sweep-corp", "raw-socket sweep of function codes 1-40 against the pymodbus server (a corporate host)",
            CORP, "sweep", 40, expect={"modbus-function-code-sweep": 1}),
    _modbus("modbus-bad-address-corp", "20 reads past the end of the register map (exception 02, not a sweep)", CORP,
            "bad-address", 20),
    Scenario("nmap-modbus-discover", "nmap --script modbus-discover (Report Server ID per unit id) from a corporate host",
             PLC_NET, CORP, servers=[f"{{py}} {{clients}}/modbus_server.py {PLC}"],
             clients=["sleep 3", f"nmap -n -Pn -sT -p502 --script modbus-discover {PLC}"],
             expect={"modbus-report-server-id-non-engineering": 1}, tools=["nmap"] + MODBUS_TOOLS),
]
