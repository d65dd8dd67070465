"""The inventory for the SIEMs: lookup tables (Splunk lookups, Sentinel watchlists, DuckDB tables from
the same CSV text) and four searches joining EVE to them, rendered from harness/templates/inventory/.

    unknown-device       flows sourced in $IOT_NET/$OT_NET by an address the inventory does not hold
    off-profile          flows of a device on a transport/port outside its class profile + own services
    unapproved-firmware  octet-stream files downloaded by a device whose sha256 is not an approved image
    outdated-firmware    active devices whose firmware is below their model's minimum version
"""
from __future__ import annotations

import csv
import io
import ipaddress
import json
from dataclasses import dataclass

from harness.cases import roles
from harness.backends.settings import SiemSettings
from harness.inventory.load import DEVICE_NETWORKS, Inventory
from harness.inventory.model import version_key
from harness.rules.networks import Networks
from harness.templating import environment

SEARCHES = ("unknown-device", "off-profile", "unapproved-firmware", "outdated-firmware")
TITLES = {"unknown-device": "Unknown device on the IoT/OT networks",
          "off-profile": "Device using a service outside its class profile",
          "unapproved-firmware": "Firmware download whose sha256 is not approved",
          "outdated-firmware": "Device firmware below its model's minimum version"}


@dataclass(frozen=True)
class Table:
    """One lookup: Splunk lookup/transforms stanza, Sentinel watchlist, DuckDB table."""
    name: str                    # iotdetect_devices
    search_key: str              # the watchlist's itemsSearchKey (SearchKey in KQL)
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    description: str

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(self.columns)
        writer.writerows(self.rows)
        return out.getvalue()


def _ip_sort(ip: str):
    address = ipaddress.ip_address(ip)
    return address.version, address.packed


def eve_forms(ip: str) -> list[str]:
    """How an address may appear in EVE: Suricata 7 writes IPv6 with every group in full
    (2001:0db8:0000:...), log pipelines often re-compress it; the lookups hold both."""
    address = ipaddress.ip_address(ip)
    if address.version == 4:
        return [str(address)]
    full = ":".join(address.exploded.split(":"))
    return list(dict.fromkeys([str(address), full]))


def tables(inventory: Inventory) -> list[Table]:
    devices, allowed = [], []
    for device in sorted(inventory.devices, key=lambda d: d.name):
        for ip in [form for address in sorted(device.ips, key=_ip_sort) for form in eve_forms(address)]:
            devices.append((ip, device.name, device.mac or "", device.device_class, device.vendor or "",
                            device.model or "", device.firmware or "",
                            version_key(device.firmware) if device.firmware else "", device.location or "",
                            device.owner or ""))
            allowed += [(f"{ip}|{service}", ip, service) for service in inventory.services(device)]
    approved = sorted((image.sha256, policy.vendor, policy.model, image.version)
                      for policy in inventory.models for image in policy.approved)
    policy = sorted((f"{p.vendor}|{p.model}", p.vendor, p.model, p.minimum, version_key(p.minimum)) for p in inventory.models)
    return [
        Table("iotdetect_devices", "ip", ("ip", "name", "mac", "class", "vendor", "model", "firmware", "firmware_key",
                                          "location", "owner"), tuple(devices), "iotdetect inventory: one row per device address"),
        Table("iotdetect_allowed_services", "key", ("key", "ip", "service"), tuple(sorted(allowed)),
              "iotdetect inventory: the services (transport/port) each device address may use"),
        Table("iotdetect_approved_firmware", "sha256", ("sha256", "vendor", "model", "version"), tuple(approved),
              "iotdetect inventory: approved firmware images"),
        Table("iotdetect_firmware_policy", "key", ("key", "vendor", "model", "minimum", "minimum_key"), tuple(policy),
              "iotdetect inventory: the minimum firmware version per vendor/model"),
    ]


def _cidrs(networks: Networks, var: str) -> list[str]:
    """The addresses of a variable as plain CIDRs: nested variables expanded and `!` items
    subtracted (10.64.8.0/22 without 10.64.8.0/26 is 10.64.8.64/26, 10.64.8.128/25, 10.64.9.0/23),
    the same set the roles and the SIEM macros give the variable."""
    out: list[str] = []
    for fam, lo, hi in roles.Plan(networks).addresses(var):
        cls = ipaddress.IPv4Address if fam == 4 else ipaddress.IPv6Address
        out += [str(net) for net in ipaddress.summarize_address_range(cls(lo), cls(hi))]
    return out


def device_cidrs(networks: Networks) -> list[str]:
    return list(dict.fromkeys(c for var in DEVICE_NETWORKS for c in _cidrs(networks, var)))


def _kql_ranges(cidrs: list[str], ip: str) -> str:
    v4 = [c for c in cidrs if ":" not in c]
    v6 = [c for c in cidrs if ":" in c]
    tests = []
    # CIDRs are normalised by ipaddress, so json.dumps yields plain double-quoted KQL string literals.
    if v4:
        tests.append(f"ipv4_is_in_any_range({ip}, dynamic({json.dumps(v4)}))")
    if v6:
        tests.append(f"ipv6_is_in_any_range({ip}, dynamic({json.dumps(v6)}))")
    return " or ".join(tests)


def render(language: str, search: str, networks: Networks, settings: SiemSettings | None = None) -> str:
    settings = settings or SiemSettings()
    cidrs = device_cidrs(networks)
    context = {"search": search, "device_vars": DEVICE_NETWORKS, "eve_macro": settings.splunk_eve_macro,
               "net_prefix": "iotdetect_net_" if language == "sql" else settings.splunk_net_macro_prefix,
               "table": settings.schema.table, "ranges": lambda ip: _kql_ranges(cidrs, ip)}
    return environment().get_template(f"inventory/{language}.j2").render(**context).strip() + "\n"


def searches(language: str, networks: Networks, settings: SiemSettings | None = None) -> dict[str, str]:
    return {search: render(language, search, networks, settings) for search in SEARCHES}


def watchlist_function(inventory_tables: list[Table]) -> dict:
    """Sentinel's _GetWatchlist declared for the Kusto parser: one alias argument, and every column
    of our watchlists (plus SearchKey) so a misspelt column still fails the check."""
    columns = ["SearchKey"] + sorted({c for t in inventory_tables for c in t.columns})
    schema = ", ".join(f"['{c}']:string" for c in columns)
    return {"name": "_GetWatchlist", "parameters": "(watchlistAlias:string)", "body": f"{{ datatable({schema})[] }}"}
