"""The baseline searches as deployable SIEM content: a Sentinel scheduled analytics rule (Detections/
YAML) and a Splunk savedsearches.conf, reusing the release's own Sentinel limits and .conf writer.

Hourly schedule: KQL looks back 7 days (the decomposition's context) and reports the last 2 hours;
SPL runs over the last complete 2 hours. One alert row per device-hour above its threshold.
"""
from __future__ import annotations

from harness.formats import conf, sentinel

TITLES = {"volume": ("Device sent more bytes in an hour than its learned baseline allows",
                     "Hourly bytes sent by a profiled IoT/OT device exceed the threshold learned by `iotdetect baseline"
                     " learn` (worst learned hour x margin). Possible exfiltration or misuse; compare with the"
                     " device's profile and its seasonal score.", ["Exfiltration"], ["T1030", "T1041"]),
          "fanout": ("Device talked to more peers or flows in an hour than its learned baseline allows",
                     "Hourly flows or distinct peers of a profiled IoT/OT device exceed the thresholds learned by"
                     " `iotdetect baseline learn`. Possible scanning, lateral movement, C2 or a new client of the"
                     " device.", ["Discovery", "LateralMovement"], ["T1046", "T0846"])}


def sentinel_rule(search: str, query: str, release_rev: int = 1) -> dict:
    title, description, tactics, techniques = TITLES[search]
    doc = {
        "id": sentinel.rule_uuid(f"baseline-{search}"),
        "name": f"IoTDetect baseline - {title}",
        "description": description,
        "severity": "Medium",
        "requiredDataConnectors": [],
        "queryFrequency": "1h",
        "queryPeriod": "7d",
        "triggerOperator": "gt",
        "triggerThreshold": 0,
        "tactics": tactics,
        "relevantTechniques": techniques,
        "query": query.strip() + "\n",
        "entityMappings": [{"entityType": "IP", "fieldMappings": [{"identifier": "Address", "columnName": "device"}]}],
        "customDetails": {"IoTDetectRule": "iotdetect_rule"},
        "version": f"1.0.{release_rev}",
        "kind": "Scheduled",
    }
    problems = sentinel.check_limits(doc)
    if problems:   # e.g. too many devices for one 10,000-character query: split the profiles folder
        raise ValueError(f"baseline-{search}: " + "; ".join(problems))
    return doc


def savedsearches(searches: dict[str, dict[str, str]]) -> str:
    stanzas = []
    for search, texts in searches.items():
        title, description, _, _ = TITLES[search]
        stanzas.append((f"iotdetect - baseline-{search}", [
            ("description", conf.one_line(description)), ("search", conf.search(texts["spl"])),
            ("cron_schedule", "5 * * * *"), ("enableSched", "1"),
            ("dispatch.earliest_time", "-2h@h"), ("dispatch.latest_time", "@h"),
            ("alert_type", "number of events"), ("alert_comparator", "greater than"), ("alert_threshold", "0"),
            ("alert.suppress", "1"), ("alert.suppress.fields", "device"), ("alert.suppress.period", "1h")]))
    return conf.render(stanzas)
