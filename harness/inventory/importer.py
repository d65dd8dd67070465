"""`iotdetect inventory import`: merge nmap scans and CMDB exports into inventory/devices.yaml.

The file is edited as a ruamel.yaml round trip, so the user's comments, order and quoting survive.
Merge rules (the inventory is the record; imports only add what they know better):
- a scan or CMDB row is matched to a device by MAC, then IP (and name, for CMDB rows);
- a scan always refreshes what it observes (`open_ports`, `banner`) and moves `ips` of a device
  matched by MAC; it fills class, vendor, model, firmware and mac only where they are empty;
- a CMDB row fills empty fields; a CMDB value that differs from a set one is a conflict;
- conflicts (one record matching two devices, an IP seen with another MAC, two records for one
  device, a CMDB value against a hand-set one) are errors with file:line, and nothing is written.
The merged file is validated exactly like `inventory validate` before it replaces the old one.
"""
from __future__ import annotations

import io
import ipaddress
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from harness.rules import networks as networks_mod
from harness.rules.errors import Finding, RuleErrors, UsageError, rel
from harness.inventory.cmdb import read_cmdb
from harness.inventory.load import Inventory, folder, load_inventory
from harness.inventory.nmap import ScanError, parse_scan, recognise
from harness.rules.project import Project

ORDER = ("name", "ips", "mac", "class", "vendor", "model", "firmware", "location", "owner", "services", "peers",
         "open_ports", "banner")
FILLED = ("class", "vendor", "model", "firmware", "location", "owner", "mac")


@dataclass(frozen=True)
class Record:
    origin: str                 # file:line (CSV) or file: host address (nmap)
    kind: str                   # nmap | cmdb
    values: dict


@dataclass
class Report:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    written: bool = False

    def __str__(self) -> str:
        lines = [f"added {len(self.added)}: {', '.join(self.added) or '-'}",
                 f"updated {len(self.updated)}: {', '.join(self.updated) or '-'}"]
        lines += [f"skipped {s}" for s in self.skipped]
        lines.append("inventory/devices.yaml written" if self.written else "nothing written (dry run or no change)")
        return "\n".join(lines)


def _yaml() -> YAML:
    yaml = YAML()               # round-trip mode: comments, key order and quotes are kept
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _flow(items) -> CommentedSeq:
    seq = CommentedSeq(items)
    seq.fa.set_flow_style()
    return seq


def nmap_records(path: Path, shown: str, inventory: Inventory) -> tuple[list[Record], list[str]]:
    records, skipped = [], []
    for host in parse_scan(path):
        found = recognise(host, inventory.classes)
        address = host.ips[0]
        if found.device_class is None and address not in inventory.by_ip() and not (
                host.mac and any(d.mac == host.mac for d in inventory.devices)):
            skipped.append(f"{address}: no class in inventory/classes.yaml matches its services"
                           f" ({', '.join(host.services) or 'no open ports'}); add a `match` rule or the device by hand")
            continue
        name = host.hostname.split(".")[0].lower() if host.hostname else \
            f"{found.device_class or 'device'}-{ipaddress.ip_address(address).exploded.replace('.', '-').replace(':', '-')}"
        values = {"name": name, "ips": list(host.ips), "open_ports": list(host.services)}
        for key, value in (("mac", host.mac), ("class", found.device_class), ("vendor", found.vendor),
                           ("model", found.model), ("firmware", found.firmware), ("banner", found.banner)):
            if value:
                values[key] = value
        records.append(Record(f"{shown}: host {address}", "nmap", values))
    return records, skipped


def _read(paths: list[Path], root: Path, inventory: Inventory) -> tuple[list[Record], list[str]]:
    records, skipped, findings = [], [], []
    for path in paths:
        shown = rel(path.resolve(), root)
        if path.suffix.lower() == ".xml":
            try:
                found, notes = nmap_records(path, shown, inventory)
            except ScanError as exc:
                raise UsageError(str(exc)) from None
            records += found
            skipped += notes
        elif path.suffix.lower() == ".csv":
            rows, errors = read_cmdb(path, shown)
            findings += errors
            records += [Record(f"{shown}:{row.line}", "cmdb", row.values) for row in rows]
        else:
            raise UsageError(f"{path}: import reads nmap XML (.xml, nmap -oX) or CMDB CSV (.csv)")
    if findings:
        raise RuleErrors(findings)
    return records, skipped


def _finding(record: Record, field_name: str, message: str) -> Finding:
    where, _, line = record.origin.rpartition(":") if record.kind == "cmdb" else (record.origin, "", "0")
    return Finding(where, int(line) if line.isdigit() else 0, field_name, message)


def _match(record: Record, devices: CommentedSeq, known: list[list[str]]) -> tuple[set[int], list[str]]:
    hits: dict[int, list[str]] = {}
    mac, ips = record.values.get("mac"), set(record.values["ips"])
    for index, device in enumerate(devices):
        if mac and str(device.get("mac", "")).lower() == mac:
            hits.setdefault(index, []).append("MAC")
        if ips & set(known[index]):
            hits.setdefault(index, []).append("IP")
        if record.kind == "cmdb" and device.get("name") == record.values["name"]:
            hits.setdefault(index, []).append("name")
    return set(hits), [f"{devices[i]['name']} (by {'/'.join(how)})" for i, how in hits.items()]


def _merge(record: Record, device: CommentedMap, matched_by_mac: bool, known: list[str]) -> list[Finding]:
    """Merge one record into device; known is the device's addresses as loaded (roles resolved),
    updated in place when a scan moves them (the file then holds the observed literals)."""
    findings = []
    values = record.values
    if record.kind == "nmap":
        if values.get("mac") and device.get("mac") and str(device["mac"]).lower() != values["mac"]:
            return [_finding(record, "mac", f"{values['ips'][0]} now answers with MAC {values['mac']}, the inventory says"
                             f" {device['mac']} for {device['name']}: check the device (`inventory diff`), then edit by hand")]
        if matched_by_mac and known != values["ips"]:
            device["ips"] = _flow(values["ips"])
            known[:] = values["ips"]
        device["open_ports"] = _flow(values["open_ports"])
        if values.get("banner"):
            device["banner"] = values["banner"]
    for key in FILLED:
        if key not in values:
            continue
        current = device.get(key)
        if current in (None, ""):
            # quoted: an unquoted 2.10 would read back as the number 2.1
            device[key] = DoubleQuotedScalarString(values[key]) if key == "firmware" else values[key]
        elif record.kind == "cmdb" and str(current).lower() != str(values[key]).lower():
            findings.append(_finding(record, key, f"CMDB says {values[key]!r}, the inventory says {current!r} for"
                                     f" {device['name']}: change one of them"))
    if record.kind == "cmdb" and known != values["ips"]:
        findings.append(_finding(record, "ip_address", f"CMDB says {', '.join(values['ips'])}, the inventory says"
                                 f" {', '.join(known)} for {device['name']}"))
    return findings


def _new_device(record: Record) -> CommentedMap:
    device = CommentedMap()
    for key in ORDER:
        if key in record.values:
            value = record.values[key]
            device[key] = _flow(value) if isinstance(value, list) else \
                DoubleQuotedScalarString(value) if key == "firmware" else value
    return device


def merge_records(records: list[Record], doc, inventory: Inventory | None = None) -> tuple[Report, list[Finding]]:
    """Merge records into doc (devices.yaml as loaded by ruamel). inventory is that file loaded:
    records match the addresses it resolved (a device may name its address by role, `$IOT_NET[19]`);
    without it the file's addresses must be literals."""
    devices = doc.setdefault("devices", CommentedSeq())
    report, findings, claimed = Report(), [], {}
    original = len(devices)
    known = [list(d.ips) for d in inventory.devices] if inventory is not None else \
        [[str(ipaddress.ip_address(str(i))) for i in d.get("ips", [])] for d in devices]
    for record in records:
        hits, described = _match(record, devices, known)
        if len(hits) > 1:
            findings.append(_finding(record, "", f"matches several devices: {', '.join(described)}"))
            continue
        if hits:
            index = hits.pop()
            if index in claimed:
                findings.append(_finding(record, "", f"duplicate device: {devices[index]['name']} is also {claimed[index]}"))
                continue
            claimed[index] = record.origin
            mac = record.values.get("mac")
            before = repr(devices[index])
            findings += _merge(record, devices[index], bool(mac and str(devices[index].get("mac", "")).lower() == mac),
                               known[index])
            if repr(devices[index]) != before and index < original:
                report.updated.append(str(devices[index]["name"]))
            continue
        if any(str(d.get("name")) == record.values["name"] for d in devices):
            findings.append(_finding(record, "name", f"a device named {record.values['name']} already exists"
                                     " with other addresses"))
            continue
        if "class" not in record.values:
            findings.append(_finding(record, "class", "a new device needs a class (u_device_class / sys_class_name)"))
            continue
        devices.append(_new_device(record))
        known.append(list(record.values["ips"]))
        claimed[len(devices) - 1] = record.origin
        report.added.append(record.values["name"])
    return report, findings


EMPTY = "# The device inventory; `iotdetect inventory import` keeps your edits and comments.\ndevices: []\n"


def import_files(project: Project, paths: list[Path], dry_run: bool = False) -> Report:
    target = folder(project) / "devices.yaml"
    current = target.read_text(encoding="utf-8") if target.is_file() else EMPTY   # first import: start empty
    inventory = _validate(project, None, current)
    records, skipped = _read(paths, project.root, inventory)
    yaml = _yaml()
    doc = yaml.load(current)
    report, findings = merge_records(records, doc, inventory)
    report.skipped = skipped
    if findings:
        raise RuleErrors(findings)
    out = io.StringIO()
    yaml.dump(doc, out)
    text = out.getvalue()
    _validate(project, inventory.networks, text)
    if not dry_run and (text != current or not target.is_file()):
        staged = target.with_name(f".{target.name}.import")
        staged.write_text(text, encoding="utf-8")
        os.replace(staged, target)   # atomic: readers see the old or the new file, never half of one
        report.written = True
    return report


def _validate(project: Project, networks, text: str) -> Inventory:
    """Load devices.yaml text as `inventory validate` would, from a scratch copy of inventory/
    (findings name inventory/devices.yaml, as they would after writing)."""
    if not folder(project).is_dir():
        raise UsageError(f"{folder(project)} does not exist: start from the example inventory/classes.yaml")
    with tempfile.TemporaryDirectory(prefix="iotdetect-import-") as tmp:
        scratch = Path(tmp) / "inventory"
        shutil.copytree(folder(project), scratch)
        (scratch / "devices.yaml").write_text(text, encoding="utf-8")
        if networks is None:
            networks, findings = networks_mod.load(project.networks_file, project.root)
            if findings:
                raise RuleErrors(findings)
        return load_inventory(Project(Path(tmp)), networks)
