"""A hand-written JSON schema for the ARM templates `dist` writes.

Microsoft's published schemas (azure-resource-manager-schemas) are not on any registry reachable
here, and their SecurityInsights files (2021-10-01 up to 2024-09-01) declare alertRules without the
polymorphic `kind`/`properties`. So this schema spells out the deploymentTemplate skeleton and, for
Scheduled alert rules, ScheduledAlertRuleProperties as the REST spec of the API version we target
has it (azure-rest-api-specs securityinsights stable/2024-09-01: AlertRules.json, AttackTactic in
common/AlertTypes.json), and the DCR log-file formats per API version (monitor stable/2023-03-11).
"""
ISO_DURATION = r"^P(\d+D)?(T(\d+H)?(\d+M)?(\d+S)?)?$"
ATTACK_TACTICS_2024_09_01 = ("Reconnaissance", "ResourceDevelopment", "InitialAccess", "Execution", "Persistence",
                             "PrivilegeEscalation", "DefenseEvasion", "CredentialAccess", "Discovery",
                             "LateralMovement", "Collection", "Exfiltration", "CommandAndControl", "Impact",
                             "PreAttack", "ImpairProcessControl", "InhibitResponseFunction")
# Microsoft.Insights/dataCollectionRules apiVersion -> logFiles[].format values it accepts.
DCR_LOG_FORMATS = {"2022-06-01": ("text",), "2023-03-11": ("json", "text")}
EXPRESSION = r"^\[.*\]$"

SCHEDULED_PROPERTIES = {
    "type": "object",
    "required": ["displayName", "enabled", "severity", "query", "queryFrequency", "queryPeriod",
                 "triggerOperator", "triggerThreshold", "suppressionDuration", "suppressionEnabled"],
    "properties": {
        "displayName": {"type": "string", "minLength": 1},
        "description": {"type": "string"},
        "enabled": {"type": "boolean"},
        "severity": {"enum": ["High", "Medium", "Low", "Informational"]},
        "query": {"type": "string", "minLength": 1, "maxLength": 10000},
        "queryFrequency": {"type": "string", "pattern": ISO_DURATION},
        "queryPeriod": {"type": "string", "pattern": ISO_DURATION},
        "triggerOperator": {"enum": ["GreaterThan", "LessThan", "Equal", "NotEqual"]},
        "triggerThreshold": {"type": "integer", "minimum": 0, "maximum": 10000},
        "suppressionDuration": {"type": "string", "pattern": ISO_DURATION},
        "suppressionEnabled": {"type": "boolean"},
        "tactics": {"type": "array", "items": {"enum": list(ATTACK_TACTICS_2024_09_01)}},
        "techniques": {"type": "array", "items": {"type": "string", "pattern": r"^T\d{4}$"}},
        "entityMappings": {"type": "array", "minItems": 1, "maxItems": 5, "items": {
            "type": "object", "required": ["entityType", "fieldMappings"],
            "properties": {"entityType": {"type": "string"},
                           "fieldMappings": {"type": "array", "minItems": 1, "maxItems": 3, "items": {
                               "type": "object", "required": ["identifier", "columnName"]}}}}},
        "customDetails": {"type": "object", "maxProperties": 20, "additionalProperties": {"type": "string"}},
    },
}

ALERT_RULE = {
    "type": "object",
    "required": ["type", "apiVersion", "name", "scope", "kind", "properties"],
    "properties": {
        "type": {"const": "Microsoft.SecurityInsights/alertRules"},
        # Versions whose ScheduledAlertRuleProperties have the ICS tactics and `techniques` (checked in the
        # REST spec for 2024-09-01; DESIGN §5 for 2023-02-01, which the inventory rules use). Not 2021-10-01.
        "apiVersion": {"enum": ["2023-02-01", "2024-09-01"]},
        "name": {"type": "string", "pattern": r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"},
        "scope": {"type": "string", "pattern": EXPRESSION},
        "kind": {"const": "Scheduled"},
        "properties": SCHEDULED_PROPERTIES,
    },
}

RESOURCE = {"type": "object", "required": ["type", "apiVersion", "name"],
            "properties": {"type": {"type": "string", "pattern": r"^Microsoft\.[A-Za-z]+/[A-Za-z/]+$"},
                           "apiVersion": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}(-preview)?$"},
                           "name": {"type": "string", "minLength": 1}}}

TEMPLATE = {
    "type": "object",
    "required": ["$schema", "contentVersion", "resources"],
    "properties": {
        "$schema": {"const": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"},
        "contentVersion": {"type": "string", "pattern": r"^\d+\.\d+\.\d+\.\d+$"},
        "parameters": {"type": "object", "additionalProperties": {
            "type": "object", "required": ["type"], "properties": {"type": {"enum": ["string", "int", "bool", "object", "array"]}}}},
        "resources": {"type": "array", "minItems": 1, "items": RESOURCE},
    },
}

DCR = {
    "type": "object",
    "required": ["properties"],
    "properties": {"properties": {"type": "object",
                                  "required": ["streamDeclarations", "dataSources", "destinations", "dataFlows"]}},
}
