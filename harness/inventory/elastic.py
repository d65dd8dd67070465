"""The inventory for Elastic Security: the four searches as EQL rules (Kibana NDJSON).

EQL has no lookup join, so the inventory is compiled into each query (like the Suricata profile
rules): known addresses, per-profile allowed ports, approved hashes, devices below their model's
minimum firmware. Re-build after every inventory change. Queries are checked with Elastic's EQL
parser; their logic is the same as the SQL that DuckDB runs over every case (harness/inventory/siem.py).
"""
from __future__ import annotations

import json
import uuid

from harness.backends import ecs
from harness.backends.settings import SiemSettings
from harness.inventory import suricata as ids
from harness.inventory.load import Inventory
from harness.inventory.model import version_key
from harness.inventory.siem import SEARCHES, TITLES, device_cidrs
from harness.templating import environment

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:iotdetect:elastic-inventory-rule")
SEVERITY = {"unknown-device": ("medium", 47), "off-profile": ("medium", 47), "unapproved-firmware": ("high", 73),
            "outdated-firmware": ("low", 21)}
_FIELDS = {"event_type": "event_type", "src_ip": "src_ip", "dest_ip": "dest_ip", "proto": "proto",
           "content_type": "http.http_content_type", "sha256": "fileinfo.sha256"}


def _strings(values) -> str:
    # every value is an address, a CIDR or a hex digest (validated), so JSON quoting is EQL quoting
    return ", ".join(json.dumps(v) for v in values)


def _allowed(profile: ids.Profile, proto: str) -> str:
    tests = [f'({proto} == "{t}" and {ecs.ecs_field("dest_port").name} in ({", ".join(map(str, ports))}))'
             for t in ("tcp", "udp") if (ports := profile.ports(t))]
    return "(" + " or ".join(tests) + ")" if tests else "false"


def outdated(inventory: Inventory) -> list[str]:
    found = []
    for device in inventory.devices:
        policy = inventory.policy(device)
        if policy and device.firmware and version_key(device.firmware) < version_key(policy.minimum):
            found += device.ips
    return sorted(found)


def searches(inventory: Inventory) -> dict[str, str]:
    """search -> EQL; a search with nothing to look for (no outdated device) is left out."""
    fields = {key: ecs.ecs_field(path).name for key, path in _FIELDS.items()}
    proto = fields["proto"]
    profiles = [{"addresses": _strings(p.addresses), "allowed": _allowed(p, proto)} for p in ids.profiles(inventory)]
    known = sorted({ip for d in inventory.devices for ip in d.ips})
    approved = sorted({i.sha256 for m in inventory.models for i in m.approved})
    context = {"f": fields, "cidrs": _strings(device_cidrs(inventory.networks)), "known": _strings(known),
               "profiles": profiles, "approved": _strings(approved), "outdated": _strings(outdated(inventory))}
    template = environment().get_template("inventory/eql.j2")
    out = {}
    for search in SEARCHES:
        if (search == "outdated-firmware" and not context["outdated"]) or (search == "off-profile" and not profiles) \
                or (search == "unknown-device" and not known):
            continue
        out[search] = " ".join(template.render(search=search, **context).split())
    return out


def kibana_rules(inventory: Inventory, release: str, settings: SiemSettings | None = None) -> list[dict]:
    settings = settings or SiemSettings()
    docs = []
    for search, query in searches(inventory).items():
        severity, risk = SEVERITY[search]
        docs.append({"rule_id": str(uuid.uuid5(NAMESPACE, search)), "name": f"IoTDetect inventory - {TITLES[search]}",
                     "description": f"iotdetect {release} inventory search {search}, compiled from inventory/*.yaml.",
                     "risk_score": risk, "severity": severity, "type": "eql", "language": "eql", "query": query,
                     "index": list(settings.elastic_index), "timestamp_field": ecs.ecs_field("timestamp").name,
                     "interval": "15m", "from": "now-1h", "max_signals": 100, "enabled": True, "version": 1,
                     "author": ["iotdetect"], "license": "Apache-2.0",
                     "tags": ["iotdetect", "iotdetect:inventory", f"iotdetect:inventory:{search}", "Domain: Network",
                              "Data Source: Suricata"]})
    return docs
