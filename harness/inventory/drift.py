"""`iotdetect inventory diff SCAN.xml`: what a new scan says has changed since the inventory was written.

new      a host the inventory does not know (by MAC or IP)
missing  an inventory device the scan did not see (so scan every network the inventory covers)
changed  a known device with another IP (matched by MAC), another MAC (matched by IP), open ports
         added or closed, or another firmware banner / version
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from harness.inventory.load import Inventory
from harness.inventory.model import Device
from harness.inventory.nmap import ScanHost, recognise


@dataclass(frozen=True)
class Change:
    device: str
    field: str
    before: str
    after: str


@dataclass(frozen=True)
class Drift:
    new: tuple[dict, ...] = ()
    missing: tuple[str, ...] = ()
    changed: tuple[Change, ...] = field(default_factory=tuple)

    @property
    def any(self) -> bool:
        return bool(self.new or self.missing or self.changed)

    def as_dict(self) -> dict:
        return {"new": list(self.new), "missing": list(self.missing),
                "changed": [c.__dict__ for c in self.changed], "drift": self.any}

    def text(self) -> str:
        if not self.any:
            return "no drift: the scan matches the inventory"
        lines = [f"NEW      {h['ip']} mac={h['mac'] or '-'} ports={','.join(h['open_ports']) or '-'}"
                 f" class={h['class'] or '?'}" for h in self.new]
        lines += [f"MISSING  {name}" for name in self.missing]
        lines += [f"CHANGED  {c.device}: {c.field} {c.before or '-'} -> {c.after or '-'}" for c in self.changed]
        lines.append(f"{len(self.new)} new, {len(self.missing)} missing, {len(self.changed)} changed")
        return "\n".join(lines)


def _find(host: ScanHost, inventory: Inventory) -> tuple[Device | None, str]:
    if host.mac:
        for device in inventory.devices:
            if device.mac == host.mac:
                return device, "mac"
    by_ip = inventory.by_ip()
    for ip in host.ips:
        if str(ipaddress.ip_address(ip)) in by_ip:
            return by_ip[str(ipaddress.ip_address(ip))], "ip"
    return None, ""


def _device_changes(device: Device, host: ScanHost, how: str, inventory: Inventory) -> list[Change]:
    changes = []
    ips = tuple(str(ipaddress.ip_address(ip)) for ip in host.ips)
    if how == "mac" and not set(ips) & set(device.ips):
        changes.append(Change(device.name, "ip", ",".join(device.ips), ",".join(ips)))
    if how == "ip" and host.mac and device.mac and host.mac != device.mac:
        changes.append(Change(device.name, "mac", device.mac, host.mac))
    before, after = set(device.open_ports), set(host.services)
    for port in sorted(after - before):
        changes.append(Change(device.name, "open_port", "", port))
    for port in sorted(before - after):
        changes.append(Change(device.name, "closed_port", port, ""))
    seen = recognise(host, inventory.classes)
    if seen.banner and device.banner and seen.banner != device.banner:
        changes.append(Change(device.name, "banner", device.banner, seen.banner))
    if seen.firmware and device.firmware and seen.firmware != device.firmware:
        changes.append(Change(device.name, "firmware", device.firmware, seen.firmware))
    return changes


def drift(inventory: Inventory, hosts: list[ScanHost]) -> Drift:
    new, changed, seen = [], [], set()
    for host in hosts:
        device, how = _find(host, inventory)
        if device is None:
            found = recognise(host, inventory.classes)
            new.append({"ip": host.ips[0], "ips": list(host.ips), "mac": host.mac, "open_ports": list(host.services),
                        "class": found.device_class, "banner": found.banner})
            continue
        seen.add(device.name)
        changed += _device_changes(device, host, how, inventory)
    missing = tuple(d.name for d in inventory.devices if d.name not in seen)
    return Drift(tuple(new), missing, tuple(changed))
