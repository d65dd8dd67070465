"""The inventory compiled for Suricata 7: datasets/hash lists plus the rules that use them.

    iotdetect-inventory.rules            the rules below (load it next to iotdetect.rules)
    iotdetect-known-devices.lst          dataset (type ip): every inventory address, v4 and v6
    iotdetect-approved-firmware.sha256   filesha256 list: every approved image

What Suricata 7.0.10 can and cannot do here (measured with the real binary; docs/inventory.md):
- `ip.src; dataset:isnotset,NAME,type ip,load FILE` matches a source address missing from a list
  of IPv4 and IPv6 addresses. A relative `load` path is resolved against the directory of the
  rules file that names it (not the working directory, not default-rule-path): the lists ship
  next to the .rules file. A missing list is a load error (fatal with --init-errors-fatal).
- `filesha256:!FILE` matches a file whose sha256 is not listed. The rule alone turns hashing on
  (no `force-hash` needed). It only fires on a file Suricata saw completely: a body cut by a
  limit (measured: a 300 KB image under the harness's response-body-limit of 100kb ends
  TRUNCATED with no sha256) matches neither `filesha256:LIST` nor `filesha256:!LIST`. Sensors
  must let firmware-sized bodies through (libhtp response-body-limit, stream.reassembly.depth).
- A `dataset` of type sha256 can NOT hold file hashes usefully: `file.data; to_sha256; dataset`
  hashes one inspection window of the file, not the file (matches a 2 KB image, misses a 90 KB one).
- Datasets have no per-entry metadata in 7.0 (`datarep` has one number): class profiles are
  compiled into address lists in the rules instead, one rule per profile and transport/direction.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from harness.rules.errors import UsageError
from harness.inventory.load import DEVICE_NETWORKS, Inventory
from harness.inventory.model import Device

RULES_FILE = "iotdetect-inventory.rules"
KNOWN_DEVICES = "iotdetect-known-devices.lst"
APPROVED_FIRMWARE = "iotdetect-approved-firmware.sha256"
DATASET = "iotdetect-known-devices"

# The inventory's sids: outside the per-rule ranges (README), 9190000-9190999.
SID_UNKNOWN_HOST = 9190001
SID_UNAPPROVED_FIRMWARE = 9190002
SID_PROFILE_BASE = 9190100          # 4 sids per profile: tcp from, tcp to, udp from, udp to the devices
SID_MAX = 9190999
SID_RANGE = range(9190000, SID_MAX + 1)


@dataclass(frozen=True)
class Profile:
    """Devices of one class sharing one set of allowed services (class profile + own services)."""
    device_class: str
    services: tuple[str, ...]
    devices: tuple[Device, ...]

    def ports(self, transport: str) -> list[int]:
        return [int(s.split("/")[1]) for s in self.services if s.startswith(transport + "/")]

    @property
    def addresses(self) -> list[str]:
        return sorted({ip for d in self.devices for ip in d.ips}, key=lambda ip: ipaddress.ip_address(ip).packed)


def profiles(inventory: Inventory) -> list[Profile]:
    groups: dict[tuple[str, tuple[str, ...]], list[Device]] = {}
    for device in sorted(inventory.devices, key=lambda d: d.name):
        groups.setdefault((device.device_class, inventory.services(device)), []).append(device)
    return [Profile(c, s, tuple(d)) for (c, s), d in sorted(groups.items())]


def _port_group(ports: list[int]) -> str:
    return "any" if not ports else f"![{','.join(str(p) for p in ports)}]" if len(ports) > 1 else f"!{ports[0]}"


def _device_net() -> str:
    return "[" + ",".join("$" + v for v in DEVICE_NETWORKS) + "]"


def _meta(release: str) -> str:
    return f'metadata:iotdetect_source inventory, iotdetect_version {release}'


def profile_rules(profile: Profile, index: int, release: str) -> list[tuple[int, str]]:
    hosts = "[" + ",".join(profile.addresses) + "]" if len(profile.addresses) > 1 else profile.addresses[0]
    rules = []
    sid = SID_PROFILE_BASE + 4 * index
    for offset, (transport, outbound) in enumerate((("tcp", True), ("tcp", False), ("udp", True), ("udp", False))):
        ports = _port_group(profile.ports(transport))
        header = f"{transport} {hosts} any -> any {ports}" if outbound else f"{transport} any any -> {hosts} {ports}"
        role = "using" if outbound else "serving"
        # One alert per flow: the flowbit is set by the first matching packet of either rule.
        rules.append((sid + offset, f'alert {header} (msg:"IOTDETECT inventory {profile.device_class} device {role}'
                      f' a {transport} service outside its class profile"; flow:to_server;'
                      f' flowbits:isnotset,iotdetect.offprofile; flowbits:set,iotdetect.offprofile;'
                      f' classtype:policy-violation; sid:{sid + offset}; rev:1; {_meta(release)};)'))
    return rules


def compile_inventory(inventory: Inventory, release: str = "dev") -> dict[str, str]:
    """File name -> text of the inventory's Suricata part (rules, dataset, hash list)."""
    groups = profiles(inventory)
    if SID_PROFILE_BASE + 4 * len(groups) - 1 > SID_MAX:
        raise UsageError(f"{len(groups)} device profiles need more sids than {SID_PROFILE_BASE}-{SID_MAX} holds")
    known = sorted({ip for d in inventory.devices for ip in d.ips}, key=lambda ip: ipaddress.ip_address(ip).packed)
    approved = sorted({image.sha256 for policy in inventory.models for image in policy.approved})
    lines = [f"# iotdetect {release}: inventory detections, generated from inventory/*.yaml; do not edit.",
             f"# Datasets: {KNOWN_DEVICES} ({len(known)} addresses), {APPROVED_FIRMWARE} ({len(approved)} images),"
             " loaded relative to this file's folder.",
             f'alert ip {_device_net()} any -> any any (msg:"IOTDETECT inventory unknown host sourcing traffic on the'
             f' IoT/OT networks"; ip.src; dataset:isnotset,{DATASET},type ip,load {KNOWN_DEVICES};'
             f' threshold:type limit,track by_src,count 1,seconds 3600; classtype:policy-violation;'
             f' sid:{SID_UNKNOWN_HOST}; rev:1; {_meta(release)};)']
    if approved:
        lines.append(f'alert http any any -> {_device_net()} any (msg:"IOTDETECT inventory firmware download whose sha256'
                     f' is not an approved image"; flow:established,to_client; http.content_type;'
                     f' content:"application/octet-stream"; filesha256:!{APPROVED_FIRMWARE};'
                     f' classtype:policy-violation; sid:{SID_UNAPPROVED_FIRMWARE}; rev:1; {_meta(release)};)')
    else:
        lines.append("# no approved firmware images in inventory/firmware.yaml: the unapproved-firmware rule is off")
    for index, profile in enumerate(groups):
        names = ", ".join(d.name for d in profile.devices)
        lines.append(f"# profile {index}: class {profile.device_class}, services {' '.join(profile.services) or 'none'}: {names}")
        lines += [text for _, text in profile_rules(profile, index, release)]
    return {RULES_FILE: "\n".join(lines) + "\n", KNOWN_DEVICES: "".join(ip + "\n" for ip in known),
            APPROVED_FIRMWARE: "".join(h + "\n" for h in approved)}


def sid_names(inventory: Inventory) -> dict[int, str]:
    """sid -> a readable name, for verdicts and the SIEM alert searches."""
    names = {SID_UNKNOWN_HOST: "inventory-unknown-host", SID_UNAPPROVED_FIRMWARE: "inventory-unapproved-firmware"}
    for index, profile in enumerate(profiles(inventory)):
        for offset, what in enumerate(("tcp-out", "tcp-in", "udp-out", "udp-in")):
            names[SID_PROFILE_BASE + 4 * index + offset] = f"inventory-off-profile-{profile.device_class}-{index}-{what}"
    return names

