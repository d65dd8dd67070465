"""CMDB CSV exports (ServiceNow cmdb_ci list export: "Export > CSV"), one device per row.

Columns (header names as ServiceNow exports them; others are ignored, order is free):

| column | inventory field | notes |
|---|---|---|
| `name` | name | required; lower-cased, spaces become `-` |
| `ip_address` | ips | required; several addresses separated by `;` or spaces |
| `mac_address` | mac | |
| `u_device_class` | class | the inventory class; when absent, `sys_class_name` is mapped (below) |
| `sys_class_name` | class | cmdb_ci_ip_camera -> camera, cmdb_ci_iot_sensor -> sensor, ... |
| `manufacturer` | vendor | |
| `model_id` | model | |
| `firmware_version` | firmware | |
| `location` | location | |
| `owned_by` (or `assigned_to`) | owner | |
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from harness.rules.errors import Finding

SYS_CLASSES = {"cmdb_ci_ip_camera": "camera", "cmdb_ci_iot_sensor": "sensor", "cmdb_ci_iot": "sensor",
               "cmdb_ci_hvac": "hvac", "cmdb_ci_ot_plc": "plc", "cmdb_ci_plc": "plc",
               "cmdb_ci_iot_gateway": "gateway", "cmdb_ci_ip_router": "gateway"}
FIELDS = {"mac_address": "mac", "manufacturer": "vendor", "model_id": "model", "firmware_version": "firmware",
          "location": "location", "owned_by": "owner", "assigned_to": "owner"}
MAX_ROWS = 200_000


@dataclass(frozen=True)
class CmdbRow:
    line: int
    values: dict[str, object]      # inventory field -> value (ips is a list)


def _name(value: str) -> str:
    return re.sub(r"[^a-z0-9._-]+", "-", value.strip().lower()).strip("-")


def read_cmdb(path: Path, shown: str) -> tuple[list[CmdbRow], list[Finding]]:
    findings: list[Finding] = []
    rows: list[CmdbRow] = []
    try:
        handle = path.open(encoding="utf-8-sig", newline="")   # ServiceNow writes a BOM
    except OSError as exc:
        return [], [Finding(shown, 0, "", exc.strerror or str(exc))]
    with handle:
        reader = csv.DictReader(handle)
        header = [h.strip() for h in reader.fieldnames or []]
        missing = [c for c in ("name", "ip_address") if c not in header]
        if missing:
            return [], [Finding(shown, 1, ",".join(missing), "missing required column(s); see `iotdetect inventory import --help`"
                                " and harness/inventory/cmdb.py for the columns")]
        try:
            for raw in reader:
                line = reader.line_num
                if len(rows) >= MAX_ROWS:
                    findings.append(Finding(shown, line, "", f"more than {MAX_ROWS} rows"))
                    break
                row = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
                if not any(row.values()):
                    continue
                values: dict[str, object] = {"name": _name(row["name"]),
                                             "ips": [ip for ip in re.split(r"[;\s]+", row["ip_address"]) if ip]}
                device_class = row.get("u_device_class") or SYS_CLASSES.get(row.get("sys_class_name", ""), "")
                if device_class:
                    values["class"] = device_class
                elif row.get("sys_class_name"):
                    findings.append(Finding(shown, line, "sys_class_name", f"no inventory class for {row['sys_class_name']!r}:"
                                            " add a u_device_class column"))
                for column, key in FIELDS.items():
                    if row.get(column) and key not in values:
                        values[key] = row[column]
                if not values["name"] or not values["ips"]:
                    findings.append(Finding(shown, line, "name" if not values["name"] else "ip_address", "empty"))
                    continue
                rows.append(CmdbRow(line, values))
        except csv.Error as exc:
            findings.append(Finding(shown, reader.line_num, "", f"malformed CSV: {exc}"))
    return rows, findings
