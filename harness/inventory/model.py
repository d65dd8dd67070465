"""The inventory model: device classes, devices and the firmware policy, frozen and validated at load.

Layout (inventory/ at the project top level, one concern per file so an importer rewrites only
devices.yaml and never touches the hand-kept class profiles or the firmware policy):

    inventory/classes.yaml    class name -> what its members may talk: services, app protocols, peers
    inventory/devices.yaml    devices: [...]  (one entry per device; importers merge into this file)
    inventory/firmware.yaml   models: [...]   per vendor/model minimum version and approved image hashes
"""
from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints, field_validator

from harness.rules.model import APP_PROTOCOLS_TCP, APP_PROTOCOLS_UDP, Frozen, check_address_item
from harness.rules.types import Line

# Names end up in Suricata msg strings, SPL/KQL string literals and CSV cells: a safe alphabet.
Name = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{0,62}$")]
_SERVICE = re.compile(r"^(tcp|udp)/(\d{1,5})$")
_MAC = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_VERSION = re.compile(r"^\d+(\.\d+){0,5}$")
# EVE app_proto values a class may name (plus the ones Suricata 7 detects without rule keywords).
APP_PROTOCOLS = tuple(sorted(set(APP_PROTOCOLS_TCP + APP_PROTOCOLS_UDP + ("rtsp", "dhcp", "http2", "krb5", "ike"))))


def _lower(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def check_service(value: str) -> str:
    match = _SERVICE.match(value)
    if not match or not 0 < int(match.group(2)) <= 65535:
        raise ValueError(f"{value!r} is not a service: write tcp/PORT or udp/PORT (port 1-65535)")
    return value


def _check_ip(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise ValueError(f"{value!r} is not an IPv4 or IPv6 address") from None


def _check_mac(value: str) -> str:
    value = value.replace("-", ":")
    if not _MAC.match(value):
        raise ValueError(f"{value!r} is not a MAC address (aa:bb:cc:dd:ee:ff)")
    return value


def _sha256_text(value: Any) -> Any:
    if isinstance(value, int):
        raise ValueError("YAML read this sha256 as a number: quote it")
    return _lower(value)


def _check_sha256(value: str) -> str:
    if not _SHA256.match(value):
        raise ValueError("sha256 must be 64 hex digits")
    return value


def check_version(value: str) -> str:
    if not _VERSION.match(value):
        raise ValueError(f"{value!r} is not a dotted numeric version (1.2.3)")
    return value


def version_key(value: str) -> str:
    """A string that sorts like the version: SIEM lookups compare these, as SPL and KQL have no
    version type (1.10.0 > 1.9.2 only component by component)."""
    parts = [int(p) for p in value.split(".")] + [0] * 6
    return ".".join(f"{p:06d}" for p in parts[:6])


Service = Annotated[str, BeforeValidator(_lower), AfterValidator(check_service)]
Ip = Annotated[str, AfterValidator(_check_ip)]
Mac = Annotated[str, BeforeValidator(_lower), AfterValidator(_check_mac)]
Sha256 = Annotated[str, BeforeValidator(_sha256_text), AfterValidator(_check_sha256)]
Version = Annotated[str, BeforeValidator(lambda v: str(v) if isinstance(v, (int, float)) else v),
                    AfterValidator(check_version)]
Peer = Annotated[str, AfterValidator(check_address_item)]
# Labels land in CSV lookups/watchlists (quoted by the csv module) and never inside query text;
# quotes, backslashes and backticks are still refused, `|` because lookup keys join fields with it.
Label = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[^\"'`\\|\r\n\x00]+$")]


class DeviceClass(Frozen):
    """What every member of a class may talk: a profile, not a rule. Anything else is off-profile."""
    description: Line
    services: tuple[Service, ...] = ()       # transport/port it serves or connects to
    protocols: tuple[str, ...] = ()          # EVE app_proto values it may speak
    peers: tuple[Peer, ...] = ()             # addresses it may talk to; empty = any
    match: tuple["MatchRule", ...] = ()      # how importers recognise a member from an nmap scan

    @field_validator("protocols")
    @classmethod
    def _known_protocols(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for proto in value:
            if proto not in APP_PROTOCOLS:
                raise ValueError(f"unknown app protocol {proto!r}; known: {', '.join(APP_PROTOCOLS)}")
        return value


class MatchRule(Frozen):
    """One way to recognise a class in a scan: every given key must match (regexes, case-insensitive)."""
    service: Annotated[str, StringConstraints(max_length=200)] | None = None   # nmap service name
    product: Annotated[str, StringConstraints(max_length=200)] | None = None   # nmap product / banner text
    port: Service | None = None
    # What a match also tells: vendor/model for new devices, and a regex whose first group is the
    # firmware version inside the product/banner text.
    vendor: Label | None = None
    model: Label | None = None
    firmware: Annotated[str, StringConstraints(max_length=200)] | None = None

    @field_validator("service", "product", "firmware")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"invalid regular expression: {exc}") from None
        return value


DeviceClass.model_rebuild()


class Device(Frozen):
    name: Name
    ips: tuple[Ip, ...] = Field(min_length=1)
    mac: Mac | None = None
    device_class: Name = Field(alias="class")
    vendor: Label | None = None
    model: Label | None = None
    firmware: Version | None = None
    location: Label | None = None
    owner: Label | None = None
    services: tuple[Service, ...] = ()       # beyond the class profile, for this device only
    peers: tuple[Peer, ...] = ()
    open_ports: tuple[Service, ...] = ()     # as last seen by a scan (drift compares against these)
    banner: Annotated[str, StringConstraints(max_length=300)] | None = None  # firmware banner last seen


class ApprovedImage(Frozen):
    version: Version
    sha256: Sha256
    file: Label | None = None


class ModelPolicy(Frozen):
    vendor: Label
    model: Label
    minimum: Version                          # devices of this model below it are outdated
    approved: tuple[ApprovedImage, ...] = ()  # firmware images devices may download


class ClassesFile(Frozen):
    classes: dict[Name, DeviceClass]


class DevicesFile(Frozen):
    devices: tuple[Device, ...] = ()


class FirmwareFile(Frozen):
    models: tuple[ModelPolicy, ...] = ()
