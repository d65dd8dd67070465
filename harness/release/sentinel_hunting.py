"""The KQL hunts as Sentinel hunting queries: Azure-Sentinel `Hunting Queries/` YAML, and an ARM
template of Microsoft.OperationalInsights/workspaces/savedSearches in category "Hunting Queries"
(how Sentinel stores hunting queries; tactics and techniques ride in tags, as its own content does)."""
from __future__ import annotations

import re
import uuid

from harness.rules.model import Rule
from harness.formats.sentinel import ENTITY_COLUMNS, TEMPLATE_SCHEMA, content_version, tactics_for

HUNT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:iotdetect:sentinel-hunt")
SAVED_SEARCH_API = "2020-08-01"
CATEGORY = "Hunting Queries"
_BY = re.compile(r"\|\s*summarize\b.*\bby\s+(?P<columns>[\w, ]+)\s*$", re.M)


def hunt_uuid(rule_id: str) -> str:
    return str(uuid.uuid5(HUNT_NAMESPACE, rule_id))


def entity_columns(query: str) -> list[str]:
    """The IP columns the hunt returns: its last `summarize ... by` keeps only the grouping columns."""
    matches = list(_BY.finditer(query))
    returned = {c.strip() for c in matches[-1].group("columns").split(",")} if matches else set()
    return [c for c in ENTITY_COLUMNS if c in returned]


def hunting_query(rule: Rule, query: str, tactic_table: dict) -> dict:
    """One hunt in the Azure-Sentinel `Hunting Queries/` YAML shape."""
    doc = {
        "id": hunt_uuid(rule.id),
        "name": f"IoTDetect hunt - {rule.title}",
        "description": " ".join(rule.description.split()),
        "requiredDataConnectors": [],
        "tactics": tactics_for(rule, tactic_table),
        "relevantTechniques": list(rule.attack),
        "query": query.strip() + "\n",
    }
    columns = entity_columns(query)
    if columns:
        doc["entityMappings"] = [{"entityType": "IP", "fieldMappings": [{"identifier": "Address", "columnName": c}]}
                                 for c in columns]
    doc["version"] = f"1.0.{rule.rev}"
    return doc


def saved_search(doc: dict) -> dict:
    tags = [{"name": "description", "value": doc["description"]},
            {"name": "tactics", "value": ",".join(doc["tactics"])},
            {"name": "techniques", "value": ",".join(techniques_of(doc))}]
    return {"type": "Microsoft.OperationalInsights/workspaces/savedSearches", "apiVersion": SAVED_SEARCH_API,
            "name": f"[concat(parameters('workspace'), '/{doc['id']}')]",
            "properties": {"category": CATEGORY, "displayName": doc["name"], "query": doc["query"],
                           "version": 2, "tags": tags}}


def techniques_of(doc: dict) -> list[str]:
    return list(dict.fromkeys(t.split(".")[0] for t in doc["relevantTechniques"]))


def arm_template(docs: list[dict], release: str) -> dict:
    return {"$schema": TEMPLATE_SCHEMA, "contentVersion": content_version(release),
            "metadata": {"description": f"iotdetect {release} Sentinel hunting queries"},
            "parameters": {"workspace": {"type": "string", "metadata": {"description": "Log Analytics workspace name"}}},
            "resources": [saved_search(doc) for doc in docs]}


