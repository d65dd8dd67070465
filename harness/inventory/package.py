"""The inventory's files in `iotdetect build` and `iotdetect dist`, next to the pack they extend.

    suricata/iotdetect-inventory.rules, iotdetect-known-devices.lst, iotdetect-approved-firmware.sha256
        (load the .rules next to iotdetect.rules; the lists are found relative to it)
    splunk/iotdetect_inventory-<version>.tgz  (dist) or splunk/iotdetect_inventory/ (build): lookups,
        transforms.conf, savedsearches.conf; needs the main app's exported macros
    sentinel/azuredeploy-inventory.json: watchlists + scheduled analytics rules (KQL, _GetWatchlist)
    elastic/iotdetect-inventory-kibana-rules.ndjson: the searches as EQL rules (inventory compiled in)
    inventory/kql/*.kql, inventory/spl/*.spl, inventory/sql/*.sql: the searches on their own
"""
from __future__ import annotations

import json
import tempfile
import uuid
from pathlib import Path

from harness.suricata.engine import SuricataMissing, check_rules
from harness.inventory import siem, suricata as ids
from harness.inventory.load import Inventory, exists, load_inventory
from harness.rules.loader import RuleSet
from harness.formats import conf, sentinel
from harness.formats.archive import tar_gz
from harness.backends.settings import SiemSettings

APP = "iotdetect_inventory"
# Watchlists and alert rules at the version the main Sentinel pack uses (harness/formats/sentinel.py).
API_VERSION = sentinel.API_VERSION
TEMPLATE_SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
WORKSPACE_SCOPE = "[concat('Microsoft.OperationalInsights/workspaces/', parameters('workspace'))]"
SEVERITY = {"unknown-device": "Medium", "off-profile": "Medium", "unapproved-firmware": "High",
            "outdated-firmware": "Low"}
TACTICS = {"unknown-device": ["InitialAccess"], "off-profile": ["LateralMovement", "CommandAndControl"],
           "unapproved-firmware": ["Persistence"], "outdated-firmware": ["InitialAccess"]}
NAMESPACE = uuid.UUID("6f1d3c52-6c1e-4f0b-9a43-7d2c1b9e8a10")


def splunk_files(inventory: Inventory, ruleset: RuleSet, release: str, settings: SiemSettings) -> dict[str, str]:
    tables = siem.tables(inventory)
    files = {f"lookups/{t.name}.csv": t.csv() for t in tables}
    files["default/transforms.conf"] = conf.render(
        [(t.name, [("filename", f"{t.name}.csv"), ("case_sensitive_match", "false")]) for t in tables])
    stanzas = []
    for search, text in siem.searches("spl", ruleset.networks, settings).items():
        stanzas.append((f"iotdetect inventory - {siem.TITLES[search]}", [
            ("description", f"iotdetect inventory search {search}: EVE joined to the inventory lookups"),
            ("search", conf.search(text)), ("cron_schedule", "*/15 * * * *"), ("enableSched", "1"),
            ("dispatch.earliest_time", "-1h"), ("dispatch.latest_time", "now"), ("alert.track", "1"),
            ("counttype", "number of events"), ("relation", "greater than"), ("quantity", "0"),
            ("alert.suppress", "1"), ("alert.suppress.period", "1h")]))
    files["default/savedsearches.conf"] = conf.render(stanzas)
    files["default/app.conf"] = conf.render([
        ("id", [("name", APP), ("version", release)]), ("install", [("is_configured", "false"), ("state", "enabled")]),
        ("package", [("id", APP), ("check_for_updates", "false")]),
        ("launcher", [("author", "iotdetect"), ("version", release),
                      ("description", "iotdetect asset inventory: lookups and searches (needs iotdetect_app)")]),
        ("ui", [("is_visible", "false"), ("label", "IoT Detect inventory")])])
    files["metadata/default.meta"] = "[]\naccess = read : [ * ], write : [ admin, sc_admin ]\nexport = system\n"
    return files


def _rule_id(search: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"inventory-{search}"))


def sentinel_template(inventory: Inventory, ruleset: RuleSet, release: str, settings: SiemSettings) -> dict:
    resources = []
    watchlist_ids = []
    for table in siem.tables(inventory):
        resources.append({"type": "Microsoft.SecurityInsights/watchlists", "apiVersion": API_VERSION,
                          "name": table.name, "scope": WORKSPACE_SCOPE, "properties": {
                              "displayName": table.name, "watchlistAlias": table.name, "provider": "iotdetect",
                              "source": "Local file", "description": table.description,
                              "itemsSearchKey": table.search_key, "contentType": "text/csv",
                              "numberOfLinesToSkip": 0, "rawContent": table.csv()}})
        watchlist_ids.append("[extensionResourceId(resourceId('Microsoft.OperationalInsights/workspaces',"
                             f" parameters('workspace')), 'Microsoft.SecurityInsights/watchlists', '{table.name}')]")
    for search, query in siem.searches("kql", ruleset.networks, settings).items():
        resources.append({"type": "Microsoft.SecurityInsights/alertRules", "apiVersion": API_VERSION,
                          "name": _rule_id(search), "scope": WORKSPACE_SCOPE, "kind": "Scheduled",
                          "dependsOn": watchlist_ids, "properties": {
                              "displayName": f"IoTDetect inventory - {siem.TITLES[search]}",
                              "description": f"iotdetect {release} inventory search {search}", "severity": SEVERITY[search],
                              "enabled": True, "query": query, "queryFrequency": "PT1H", "queryPeriod": "PT1H",
                              "triggerOperator": "GreaterThan", "triggerThreshold": 0, "suppressionEnabled": False,
                              "suppressionDuration": "PT1H", "tactics": TACTICS[search]}})
    return {"$schema": TEMPLATE_SCHEMA, "contentVersion": "1.0.0.0",
            "metadata": {"description": f"iotdetect {release} inventory: watchlists and analytics rules"},
            "parameters": {"workspace": {"type": "string", "metadata": {"description": "Log Analytics workspace name"}}},
            "resources": resources}


def load_test(ruleset: RuleSet, inventory: Inventory) -> None:
    """`suricata -T` of the pack with the inventory rules and lists loaded (RuleErrors on failure)."""
    from harness.inventory.suite import prepare
    with tempfile.TemporaryDirectory(prefix="iotdetect-inventory-check-") as tmp:
        try:
            check_rules(prepare(ruleset, inventory, Path(tmp)))
        except SuricataMissing:
            pass   # the build CLI already warns that nothing was load-tested


def files(ruleset: RuleSet, release: str, settings: SiemSettings | None = None,
          splunk_archive_mtime: int | None = None) -> dict[str, bytes]:
    """Path in the output folder -> content; empty when the project has no inventory."""
    if not exists(ruleset.project):
        return {}
    settings = settings or SiemSettings()
    inventory = load_inventory(ruleset.project, ruleset.networks)
    load_test(ruleset, inventory)
    out = {f"suricata/{name}": text.encode() for name, text in ids.compile_inventory(inventory, release).items()}
    splunk = {f"{APP}/{path}": text.encode() for path, text in splunk_files(inventory, ruleset, release, settings).items()}
    if splunk_archive_mtime is None:
        out.update({f"splunk/{path}": data for path, data in splunk.items()})
    else:
        out[f"splunk/{APP}-{release}.tgz"] = tar_gz(splunk, splunk_archive_mtime)
    from harness.inventory import elastic
    out["elastic/iotdetect-inventory-kibana-rules.ndjson"] = "".join(
        json.dumps(doc, sort_keys=True) + "\n" for doc in elastic.kibana_rules(inventory, release, settings)).encode()
    out["sentinel/azuredeploy-inventory.json"] = (json.dumps(sentinel_template(inventory, ruleset, release, settings),
                                                             indent=2) + "\n").encode()
    for language in ("spl", "kql", "sql"):
        for search, text in siem.searches(language, ruleset.networks, settings).items():
            out[f"inventory/{language}/{search}.{language}"] = text.encode()
    return out


def write(folder: Path, contents: dict[str, bytes]) -> None:
    for path, data in sorted(contents.items()):
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            raise FileExistsError(f"{target}: the inventory would overwrite another stage's file")
        target.write_bytes(data)


def stage_build(ruleset: RuleSet, folder: Path, release: str) -> None:
    write(folder, files(ruleset, release))


def stage_dist(rel, folder: Path) -> None:
    write(folder, files(rel.ruleset, rel.version, splunk_archive_mtime=rel.mtime))
