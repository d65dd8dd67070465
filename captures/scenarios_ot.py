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

DNP3_TOOLS = ["pip:dnp3-python"]
DNP3_ACTIONS = {   # action -> the rules its function code(s) raise from a non-engineering host
    "select-operate": ["dnp3-select-non-engineering", "dnp3-operate-non-engineering"],
    "direct-operate": ["dnp3-direct-operate-non-engineering"],
    "direct-operate-nr": ["dnp3-direct-operate-no-ack-non-engineering"],
    "cold-restart": ["dnp3-cold-restart-non-engineering"],
    "warm-restart": ["dnp3-warm-restart-non-engineering"],
    "freeze": ["dnp3-immediate-freeze-non-engineering"],
    "freeze-nr": ["dnp3-immediate-freeze-no-ack-non-engineering"],
    "stop-app": ["dnp3-stop-application-non-engineering"],
    "start-app": ["dnp3-start-application-non-engineering"],
    "write-time": ["dnp3-write-non-engineering"],
    "open-file": ["dnp3-file-open-non-engineering"],
    "delete-file": ["dnp3-file-delete-non-engineering"],
}


def _dnp3(name: str, what: str, client: list[str], actions: list[str], expect: dict) -> Scenario:
    # a fresh outstation per scenario (its command runs under the lab's 60 s bound); one master process
    # per action (the binding can abort after a command's answer, see clients/dnp3_master.py)
    return Scenario(name, what, PLC_NET, client, servers=["{py} {clients}/dnp3_outstation.py 58"],
                    clients=["sleep 3"] + [f"{{py}} {{clients}}/dnp3_master.py {PLC} {a}" for a in actions],
                    expect=expect, tools=DNP3_TOOLS)


OT += [_dnp3(f"dnp3-{a}-corp", f"opendnp3 master on a corporate host: {a}", CORP, [a], {r: 1 for r in rules})
       for a, rules in DNP3_ACTIONS.items()]
OT += [
    _dnp3("dnp3-poll-corp", "opendnp3 master on a corporate host: start-up and a class 0123 poll only", CORP, ["poll"], {}),
    _dnp3("dnp3-engineering", "every operation above from the engineering workstation", ENGINEERING,
          ["poll", *DNP3_ACTIONS], {}),
]

ENIP_TOOLS = ["pip:cpppo", "pip:pycomm3"]
ENIP_SERVER = [f"{{py}} -m cpppo.server.enip --address {PLC}:44818 Motor=INT[10] Speed=REAL"]
# cpppo's default: the request inside an Unconnected Send (0x52) routed to backplane slot 0, as to a
# ControlLogix chassis; -S (simple): the bare request, as to a stand-alone adapter
ENIP_SET_SINGLE = f"{{py}} -m cpppo.server.enip.get_attribute --address {PLC} '@1/1/7=(SSTRING)hacked'"
ENIP_SET_SINGLE_SIMPLE = f"{{py}} -m cpppo.server.enip.get_attribute -S --address {PLC} '@1/1/7=(SSTRING)hacked'"
ENIP_LIST_IDENTITY = f"{{py}} -m cpppo.server.enip.list_identity_simple {PLC}"
ENIP_TAGS = f"{{py}} -m cpppo.server.enip.client --address {PLC} 'Motor[0-9]' 'Speed' 'Motor[0]=(INT)5'"
ENIP_ACTIONS = {   # pycomm3 action (clients/enip_client.py) -> the rule it raises from a non-engineering host
    "set-attribute-list": "enip-cip-set-attribute-list-non-engineering",
    "reset": "enip-cip-reset-non-engineering",
    "start": "enip-cip-start-non-engineering",
    "stop": "enip-cip-stop-non-engineering",
    "upload": "enip-cip-program-upload-non-engineering",
    "download": "enip-cip-program-download-non-engineering",
}


def _enip(name: str, what: str, client: list[str], commands: list[str], expect: dict) -> Scenario:
    return Scenario(name, what, PLC_NET, client, servers=ENIP_SERVER, clients=["sleep 3", *commands],
                    expect=expect, tools=ENIP_TOOLS)


OT += [_enip(f"enip-{a}-corp", f"pycomm3 CIP {a} (generic_message) from a corporate host to a cpppo adapter", CORP,
             [f"{{py}} {{clients}}/enip_client.py {PLC} {a}"], {rule: 1}) for a, rule in ENIP_ACTIONS.items()]
OT += [
    _enip("enip-set-attribute-single-corp", "cpppo get_attribute setting the identity's product name from a corporate "
          "host, inside an Unconnected Send routed to slot 0 (cpppo's default)", CORP, [ENIP_SET_SINGLE],
          {"enip-cip-unconnected-send-admin-service-non-engineering": 1}),
    _enip("enip-set-attribute-single-simple-corp", "the same Set_Attribute_Single sent bare (cpppo -S) from a corporate host",
          CORP, [ENIP_SET_SINGLE_SIMPLE], {"enip-cip-set-attribute-single-non-engineering": 1}),
    _enip("enip-list-identity-corp", "cpppo List Identity from a corporate host", CORP, [ENIP_LIST_IDENTITY],
          {"enip-list-identity-non-engineering": 1}),
    _enip("enip-tags-corp", "cpppo client reading and writing tags, pycomm3 Get_Attribute_Single, from a corporate host",
          CORP, [ENIP_TAGS, f"{{py}} {{clients}}/enip_client.py {PLC} get-attribute"], {}),
    _enip("enip-engineering", "every request above from the engineering workstation", ENGINEERING,
          [ENIP_SET_SINGLE, ENIP_SET_SINGLE_SIMPLE, ENIP_LIST_IDENTITY, ENIP_TAGS, f"{{py}} {{clients}}/enip_client.py {PLC} {' '.join(ENIP_ACTIONS)}"],
          {}),
]
