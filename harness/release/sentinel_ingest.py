"""ARM template for Suricata EVE ingestion into Sentinel: custom table, data collection endpoint,
and a data collection rule reading /var/log/suricata/eve.json through Azure Monitor Agent."""
from __future__ import annotations

from harness.formats.sentinel import TEMPLATE_SCHEMA, content_version
from harness.backends.settings import TableSchema

TABLE_API = "2022-10-01"
# logFiles[].format "json" exists from 2023-03-11 on (azure-rest-api-specs, monitor stable/2023-03-11
# dataCollectionRules_API.json: KnownLogFilesDataSourceFormat json|text); 2022-06-01 knows text only.
DCR_API = "2023-03-11"
EVE_PATH = "/var/log/suricata/eve.json"
# The declared schema uses Kusto type names; the tables API and DCR stream declarations spell some
# differently (tables: dateTime/boolean; DCR streams: datetime/boolean).
TABLE_TYPE = {"datetime": "dateTime", "bool": "boolean", "string": "string", "int": "int", "long": "long",
              "real": "real", "dynamic": "dynamic"}
STREAM_TYPE = {"datetime": "datetime", "bool": "boolean", "string": "string", "int": "int", "long": "long",
               "real": "real", "dynamic": "dynamic"}


def template(schema: TableSchema, release: str) -> dict:
    """schema: the one declared Sentinel table (harness/data/sentinel_schema.yaml), TimeGenerated included."""
    table = schema.table
    unknown = sorted({c.type for c in schema.columns} - set(TABLE_TYPE))
    if unknown:
        raise ValueError(f"column types {unknown} have no Log Analytics table type")
    names = {c.name for c in schema.columns}
    if "TimeGenerated" not in names:
        raise ValueError(f"{table} must declare TimeGenerated (every Log Analytics table has it)")
    # TimeGenerated is filled by the transform, so the incoming stream does not carry it.
    stream_columns = [{"name": c.name, "type": STREAM_TYPE[c.type]} for c in schema.columns if c.name != "TimeGenerated"]
    transform = "source | extend TimeGenerated = todatetime(timestamp)" if "timestamp" in names else \
        "source | extend TimeGenerated = now()"
    stream = f"Custom-Json-{table}"
    workspace_id = "[resourceId('Microsoft.OperationalInsights/workspaces', parameters('workspace'))]"
    dce_id = "[resourceId('Microsoft.Insights/dataCollectionEndpoints', parameters('dataCollectionEndpointName'))]"
    return {
        "$schema": TEMPLATE_SCHEMA, "contentVersion": content_version(release),
        "metadata": {"description": f"iotdetect {release}: {table} table and the Azure Monitor Agent data collection"
                                    f" rule that ingests Suricata EVE from {EVE_PATH}"},
        "parameters": {
            "workspace": {"type": "string", "metadata": {"description": "Log Analytics workspace name"}},
            "location": {"type": "string", "defaultValue": "[resourceGroup().location]"},
            "dataCollectionEndpointName": {"type": "string", "defaultValue": "iotdetect-dce"},
            "dataCollectionRuleName": {"type": "string", "defaultValue": "iotdetect-suricata-eve"},
        },
        "resources": [
            {"type": "Microsoft.OperationalInsights/workspaces/tables", "apiVersion": TABLE_API,
             "name": f"[concat(parameters('workspace'), '/{table}')]",
             "properties": {"schema": {"name": table, "columns": [{"name": c.name, "type": TABLE_TYPE[c.type]}
                                                                  for c in schema.columns]},
                            "retentionInDays": 90, "plan": "Analytics"}},
            {"type": "Microsoft.Insights/dataCollectionEndpoints", "apiVersion": DCR_API,
             "name": "[parameters('dataCollectionEndpointName')]", "location": "[parameters('location')]",
             "properties": {"networkAcls": {"publicNetworkAccess": "Enabled"}}},
            {"type": "Microsoft.Insights/dataCollectionRules", "apiVersion": DCR_API,
             "name": "[parameters('dataCollectionRuleName')]", "location": "[parameters('location')]",
             "kind": "Linux",
             "dependsOn": [f"[resourceId('Microsoft.OperationalInsights/workspaces/tables', parameters('workspace'), '{table}')]",
                           "[resourceId('Microsoft.Insights/dataCollectionEndpoints', parameters('dataCollectionEndpointName'))]"],
             "properties": {
                 "dataCollectionEndpointId": dce_id,
                 "streamDeclarations": {stream: {"columns": stream_columns}},
                 "dataSources": {"logFiles": [{"name": "suricataEve", "streams": [stream], "filePatterns": [EVE_PATH],
                                               "format": "json"}]},     # settings.text is for text files only
                 "destinations": {"logAnalytics": [{"name": "workspace", "workspaceResourceId": workspace_id}]},
                 "dataFlows": [{"streams": [stream], "destinations": ["workspace"],
                                "transformKql": transform,
                                "outputStream": f"Custom-{table}"}],
             }},
        ],
    }
