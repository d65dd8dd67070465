"""Read nmap XML (-oX) safely and recognise device classes with the classes' `match` rules.

An nmap file is untrusted input (anyone who can write into the scan folder controls it): it is
parsed with defusedxml, which refuses entity declarations (billion laughs, quadratic blow-up) and
external references (XXE). nmap's own `<!DOCTYPE nmaprun>` carries neither and is accepted.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from harness.rules.errors import UsageError
from harness.inventory.model import DeviceClass

MAX_BYTES = 64 * 1024 * 1024   # a /16 full-port scan is a few MB; anything far larger is not a scan


class ScanError(UsageError):
    """A scan file that cannot be used; the message names the file (and line where known)."""


@dataclass(frozen=True)
class ScanPort:
    service: str              # tcp/80
    name: str = ""            # nmap service name (http, rtsp, mbap)
    product: str = ""         # nmap product + version + extrainfo, or the banner script's output

    @property
    def transport(self) -> str:
        return self.service.split("/")[0]


@dataclass(frozen=True)
class ScanHost:
    ips: tuple[str, ...]
    mac: str | None
    hostname: str | None
    ports: tuple[ScanPort, ...] = field(default_factory=tuple)

    @property
    def services(self) -> tuple[str, ...]:
        return tuple(p.service for p in self.ports)


@dataclass(frozen=True)
class Recognised:
    device_class: str | None
    vendor: str | None = None
    model: str | None = None
    firmware: str | None = None
    banner: str | None = None     # the text the firmware was read from (drift compares it)


def _text(port) -> str:
    service = port.find("service")
    parts = []
    if service is not None:
        parts += [service.get(k, "") for k in ("product", "version", "extrainfo")]
    for script in port.findall("script"):
        if script.get("id") in ("banner", "http-server-header"):
            parts.append(script.get("output", ""))
    # de-duplicate (http-server-header usually repeats the product) keeping order
    return " ".join(dict.fromkeys(p.strip() for p in parts if p and p.strip()))


def parse_scan(path: Path) -> list[ScanHost]:
    """Hosts that are up, with their open ports. ScanError for anything unsafe or not an nmap run."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ScanError(f"{path}: {path.stat().st_size} bytes is larger than a scan can be ({MAX_BYTES})")
        tree = SafeET.parse(str(path), forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise ScanError(f"{path}: refused unsafe XML ({type(exc).__name__}: entity declarations and external"
                        " references are not allowed in a scan file); nothing written") from None
    except SafeET.ParseError as exc:
        line = exc.position[0] if exc.position else 0
        raise ScanError(f"{path}:{line}: malformed XML ({exc}); nothing written") from None
    except OSError as exc:
        raise ScanError(f"{path}: {exc.strerror or exc}") from None
    root = tree.getroot()
    if root.tag != "nmaprun":
        raise ScanError(f"{path}: not an nmap XML file (root element <{root.tag}>, expected <nmaprun>; use nmap -oX)")
    hosts = []
    for host in root.findall("host"):      # <hosthint> elements (nmap >= 7.80) are progress notes, not results
        status = host.find("status")
        if status is not None and status.get("state") != "up":
            continue
        ips, mac = [], None
        for address in host.findall("address"):
            kind, value = address.get("addrtype"), address.get("addr", "")
            if kind in ("ipv4", "ipv6"):
                ips.append(value)
            elif kind == "mac":
                mac = value.lower()
        names = [h.get("name") for h in host.findall("hostnames/hostname") if h.get("name")]
        ports = []
        for port in host.findall("ports/port"):
            state = port.find("state")
            if state is None or state.get("state") != "open":
                continue
            service = port.find("service")
            ports.append(ScanPort(f"{port.get('protocol')}/{port.get('portid')}",
                                  service.get("name", "") if service is not None else "", _text(port)))
        if ips:
            hosts.append(ScanHost(tuple(ips), mac, names[0] if names else None, tuple(ports)))
    return hosts


def recognise(host: ScanHost, classes: dict[str, DeviceClass]) -> Recognised:
    """The first class (in file order) with a match rule that fits one of the host's ports."""
    for class_name, device_class in classes.items():
        hits = []
        for rule in device_class.match:
            for port in host.ports:
                if rule.port and rule.port != port.service:
                    continue
                if rule.service and not re.search(rule.service, port.name, re.IGNORECASE):
                    continue
                if rule.product and not re.search(rule.product, port.product):
                    continue
                hits.append((rule, port))
        if not hits:
            continue
        vendor = next((r.vendor for r, _ in hits if r.vendor), None)
        model = next((r.model for r, _ in hits if r.model), None)
        firmware = banner = None
        for rule, port in hits:
            if rule.firmware and (found := re.search(rule.firmware, port.product)):
                firmware, banner = found.group(1), port.product
                break
        return Recognised(class_name, vendor, model, firmware, banner)
    return Recognised(None)
