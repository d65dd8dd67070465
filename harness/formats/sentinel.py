"""Sentinel scheduled analytics rules: Azure-Sentinel `Detections/` YAML, its limits, and the ARM
template of Microsoft.SecurityInsights/alertRules serialised by Microsoft's own SDK models."""
from __future__ import annotations

import functools
import uuid
from datetime import timedelta
from importlib import resources

import yaml

from harness.rules.model import Rule
from harness.rules.types import duration_seconds

SEVERITY = {"low": "Low", "medium": "Medium", "high": "High", "critical": "High"}  # Sentinel has no Critical
# Fixed namespace: a rule's analytics-rule id never changes, so re-deploying updates in place.
RULE_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:iotdetect:sentinel-rule")
ENTITY_COLUMNS = ("src_ip", "dest_ip")
# DESIGN §5: limits of the Detections/ format and the alertRules API.
LIMITS = {"query_chars": 10_000, "min_seconds": 300, "max_seconds": 14 * 86_400, "threshold": (0, 10_000),
          "entity_mappings": (1, 5), "field_mappings": (1, 3), "custom_details": 20}


def rule_uuid(rule_id: str) -> str:
    return str(uuid.uuid5(RULE_NAMESPACE, rule_id))


def load_tactics() -> dict[str, tuple[str, ...]]:
    text = resources.files("harness").joinpath("data/attack_tactics.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    return {t: tuple(tactics) for domain in data.values() for t, tactics in domain.items()}


def tactics_for(rule: Rule, table: dict[str, tuple[str, ...]]) -> list[str]:
    found: list[str] = []
    for technique in rule.attack:
        for tactic in table.get(technique.split(".")[0], ()):
            if tactic not in found:
                found.append(tactic)
    return found


def entity_mappings() -> list[dict]:
    return [{"entityType": "IP", "fieldMappings": [{"identifier": "Address", "columnName": column}]}
            for column in ENTITY_COLUMNS]


def detection(rule: Rule, query: str, tactics: dict[str, tuple[str, ...]]) -> dict:
    """One rule in the Azure-Sentinel Detections/ YAML shape (key order as in that repository)."""
    return {
        "id": rule_uuid(rule.id),
        "name": f"IoTDetect - {rule.title}",
        "description": " ".join(rule.description.split()),
        "severity": SEVERITY[rule.severity],
        "requiredDataConnectors": [],
        "queryFrequency": rule.siem.schedule,
        "queryPeriod": rule.siem.lookback,
        "triggerOperator": "gt",
        "triggerThreshold": 0,
        "tactics": tactics_for(rule, tactics),
        "relevantTechniques": list(rule.attack),
        "query": query.strip() + "\n",
        "entityMappings": entity_mappings(),
        # Columns the KQL alert query projects (templates/kql_alert.j2).
        "customDetails": {"IoTDetectRule": "iotdetect_rule", "AlertCount": "alerts"},
        "version": f"1.0.{rule.rev}",
        "kind": "Scheduled",
    }


def check_limits(doc: dict) -> list[str]:
    """Problems with one Detections/ document; empty when it is within every limit."""
    problems = []
    if len(doc["query"]) > LIMITS["query_chars"]:
        problems.append(f"query is {len(doc['query'])} characters (limit {LIMITS['query_chars']})")
    frequency, period = duration_seconds(doc["queryFrequency"]), duration_seconds(doc["queryPeriod"])
    for name, seconds in (("queryFrequency", frequency), ("queryPeriod", period)):
        if not LIMITS["min_seconds"] <= seconds <= LIMITS["max_seconds"]:
            problems.append(f"{name} {doc[name]} is outside 5m-14d")
    if period < frequency:
        problems.append("queryPeriod is shorter than queryFrequency")
    low, high = LIMITS["threshold"]
    if not low <= doc["triggerThreshold"] <= high:
        problems.append(f"triggerThreshold {doc['triggerThreshold']} is outside {low}-{high}")
    if doc["triggerOperator"] not in ("gt", "lt", "eq", "ne"):
        problems.append(f"triggerOperator {doc['triggerOperator']!r} is not gt/lt/eq/ne")
    low, high = LIMITS["entity_mappings"]
    if not low <= len(doc["entityMappings"]) <= high:
        problems.append(f"{len(doc['entityMappings'])} entityMappings (allowed {low}-{high})")
    low, high = LIMITS["field_mappings"]
    for mapping in doc["entityMappings"]:
        if not low <= len(mapping["fieldMappings"]) <= high:
            problems.append(f"{mapping['entityType']} mapping has {len(mapping['fieldMappings'])} fields (allowed {low}-{high})")
    if len(doc.get("customDetails", {})) > LIMITS["custom_details"]:
        problems.append(f"{len(doc['customDetails'])} customDetails (limit {LIMITS['custom_details']})")
    return problems


class _BlockDumper(yaml.SafeDumper):
    pass


def _str(dumper, text: str):
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_BlockDumper.add_representer(str, _str)


def render_yaml(doc: dict) -> str:
    return yaml.dump(doc, Dumper=_BlockDumper, sort_keys=False, allow_unicode=True, width=4096)


# The stable alertRules API we target: its AttackTactic enum has the ICS tactics and Reconnaissance,
# and ScheduledAlertRuleProperties has `techniques` (azure-rest-api-specs, securityinsights
# stable/2024-09-01 AlertRules.json and common/AlertTypes.json). 2021-10-01, the version of
# azure-mgmt-securityinsight 1.0.0 (the newest stable SDK; 2.0.0b4 speaks 2025-10-01-preview), has
# neither: 14 rules lost tactics there and 6 had none left.
API_VERSION = "2024-09-01"
ATTACK_TACTICS = ("Reconnaissance", "ResourceDevelopment", "InitialAccess", "Execution", "Persistence",
                  "PrivilegeEscalation", "DefenseEvasion", "CredentialAccess", "Discovery", "LateralMovement",
                  "Collection", "Exfiltration", "CommandAndControl", "Impact", "PreAttack", "ImpairProcessControl",
                  "InhibitResponseFunction")


@functools.cache
def _scheduled_rule_model():
    """The SDK's ScheduledAlertRule plus the one property API_VERSION adds, so the SDK's own serializer
    (msrest, driven by _attribute_map) writes every field; tactics are strings in the SDK already."""
    from azure.mgmt.securityinsight import models

    class ScheduledAlertRule(models.ScheduledAlertRule):
        _attribute_map = {**models.ScheduledAlertRule._attribute_map,
                          "techniques": {"key": "properties.techniques", "type": "[str]"}}

        def __init__(self, *, techniques: list[str] | None = None, **kwargs):
            super().__init__(**kwargs)
            self.techniques = techniques

    return ScheduledAlertRule


def techniques(rule: Rule) -> list[str]:
    """Parent technique ids (the API's `techniques` takes T1234, not sub-techniques), first-seen order."""
    return list(dict.fromkeys(t.split(".")[0] for t in rule.attack))


def sdk_rule(doc: dict, rule: Rule):
    """The analytics rule as azure-mgmt-securityinsight's ScheduledAlertRule (deploy and ARM share it)."""
    from azure.mgmt.securityinsight import models
    unknown = [t for t in doc["tactics"] if t not in ATTACK_TACTICS]
    if unknown:
        raise ValueError(f"{rule.id}: tactics {unknown} are not in the {API_VERSION} AttackTactic enum")
    return _scheduled_rule_model()(
        techniques=techniques(rule),
        display_name=doc["name"], description=doc["description"], severity=doc["severity"], enabled=True,
        query=doc["query"], query_frequency=timedelta(seconds=duration_seconds(doc["queryFrequency"])),
        query_period=timedelta(seconds=duration_seconds(doc["queryPeriod"])),
        trigger_operator="GreaterThan", trigger_threshold=doc["triggerThreshold"],
        suppression_enabled=False, suppression_duration=timedelta(seconds=duration_seconds(rule.siem.suppress.for_)),
        tactics=list(doc["tactics"]),
        entity_mappings=[models.EntityMapping(entity_type=m["entityType"], field_mappings=[
            models.FieldMapping(identifier=f["identifier"], column_name=f["columnName"]) for f in m["fieldMappings"]])
            for m in doc["entityMappings"]],
        custom_details=doc["customDetails"],
        event_grouping_settings=models.EventGroupingSettings(aggregation_kind="AlertPerResult"),
        incident_configuration=models.IncidentConfiguration(create_incident=True, grouping_configuration=models.GroupingConfiguration(
            enabled=True, reopen_closed_incident=False, lookback_duration=timedelta(seconds=duration_seconds(rule.siem.suppress.for_)),
            matching_method="Selected", group_by_entities=["IP"], group_by_alert_details=[], group_by_custom_details=[])),
    )


TEMPLATE_SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"


def arm_template(docs: list[tuple[dict, Rule]], release: str) -> dict:
    resources_ = []
    for doc, rule in docs:
        body = sdk_rule(doc, rule).serialize()
        resources_.append({"type": "Microsoft.SecurityInsights/alertRules", "apiVersion": API_VERSION,
                           "name": doc["id"],
                           "scope": "[concat('Microsoft.OperationalInsights/workspaces/', parameters('workspace'))]",
                           "kind": body["kind"], "properties": body["properties"]})
    return {"$schema": TEMPLATE_SCHEMA, "contentVersion": content_version(release),
            "metadata": {"description": f"iotdetect {release} Sentinel analytics rules"},
            "parameters": {"workspace": {"type": "string", "metadata": {"description": "Log Analytics workspace name"}}},
            "resources": resources_}


def content_version(release: str) -> str:
    from harness.version import version_key
    return ".".join(str(n) for n in (version_key(release) + (0, 0, 0, 0))[:4])
