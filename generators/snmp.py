"""SNMP v1/v2c (UDP 161) with scapy: GET / GETNEXT / SET and the agent's response."""

from __future__ import annotations

from scapy.asn1.asn1 import ASN1_NULL, ASN1_OID, ASN1_STRING
from scapy.layers.snmp import (SNMP, SNMPget, SNMPnext, SNMPresponse, SNMPset, SNMPvarbind)
from scapy.packet import Packet

from . import addresses as A
from .forward import forwards_to
from .session import UdpExchange

VERSIONS = {"v1": 0, "1": 0, "v2c": 1, "2c": 1, "2": 1}
PDUS = {"get": SNMPget, "getnext": SNMPnext, "set": SNMPset}


def _pdu(kind: str, oid: str, value, request_id: int):
    if kind == "set":
        vb = SNMPvarbind(oid=ASN1_OID(oid), value=ASN1_STRING(str(value).encode()))
    else:
        vb = SNMPvarbind(oid=ASN1_OID(oid), value=ASN1_NULL(0))
    return PDUS[kind](id=request_id, varbindlist=[vb])


def get(*, src: str = A.CORP_HOST, dst: str = A.IOT_DEVICE, sport: int = A.CLIENT_PORT,
        dport: int = 161, start: float = A.START, community: str = "public",
        version: str = "v2c", oid: str = "1.3.6.1.2.1.1.1.0", request_id: int = 1000,
        pdu: str = "get", value: str = "pwned", response: bool = True,
        response_value: str = "Linux ipcam 4.9.37") -> list[Packet]:
    """SNMP ``pdu`` ("get", "getnext", "set") for ``oid`` with the agent's response."""
    ver = VERSIONS[str(version).lower()]
    u = UdpExchange(src, sport, dst, dport, start=start)
    u.client_send(SNMP(version=ver, community=community.encode(),
                       PDU=_pdu(pdu, oid, value, request_id)))
    if response:
        rv = value if pdu == "set" else response_value
        u.server_send(SNMP(version=ver, community=community.encode(), PDU=SNMPresponse(
            id=request_id, varbindlist=[SNMPvarbind(oid=ASN1_OID(oid),
                                                    value=ASN1_STRING(rv.encode()))])))
    return u.packets


@forwards_to(get)
def set(*, oid: str = "1.3.6.1.2.1.1.5.0", value: str = "pwned",  # noqa: A001
        community: str = "private", **kw) -> list[Packet]:
    """SNMP SET (default community ``private``)."""
    return get(pdu="set", oid=oid, value=value, community=community, **kw)
