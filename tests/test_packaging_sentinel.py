import json

import jsonschema
import pytest

from harness.formats import sentinel
from harness.release import sentinel_ingest
from harness.backends.settings import load_schema
from tests import arm_schema
from tests.packaging_project import load, make_release_project


@pytest.fixture(scope="module")
def ruleset(tmp_path_factory):
    return load(make_release_project(tmp_path_factory.mktemp("sentinel") / "project"))


def _doc(ruleset, rule_id="iot-vlan-unauthorized-access", query="Suricata_CL | take 1"):
    return sentinel.detection(ruleset.by_id(rule_id).rule, query, sentinel.load_tactics())


def test_rule_ids_are_stable_uuids():
    assert sentinel.rule_uuid("a-rule") == sentinel.rule_uuid("a-rule") != sentinel.rule_uuid("b-rule")
    assert sentinel.rule_uuid("iot-vlan-unauthorized-access") == "36f9eb81-33c5-5234-b96f-90708880e0ef"


def test_a_valid_document_has_no_problems(ruleset):
    doc = _doc(ruleset)
    assert sentinel.check_limits(doc) == []
    rev = ruleset.by_id("iot-vlan-unauthorized-access").rule.rev
    assert doc["tactics"] == ["Discovery"] and doc["severity"] == "Medium" and doc["version"] == f"1.0.{rev}"


@pytest.mark.parametrize("change, message", [
    ({"query": "x" * 10_001}, "query is 10001 characters"),
    ({"queryFrequency": "1m"}, "queryFrequency 1m is outside 5m-14d"),
    ({"queryPeriod": "15d"}, "queryPeriod 15d is outside 5m-14d"),
    ({"queryFrequency": "2h", "queryPeriod": "1h"}, "queryPeriod is shorter than queryFrequency"),
    ({"triggerThreshold": 10_001}, "triggerThreshold 10001"),
    ({"entityMappings": []}, "0 entityMappings"),
    ({"entityMappings": [{"entityType": "IP", "fieldMappings": [{"identifier": "Address", "columnName": "a"}]}] * 6},
     "6 entityMappings"),
    ({"entityMappings": [{"entityType": "IP", "fieldMappings": [{"identifier": "Address", "columnName": "a"}] * 4}]},
     "IP mapping has 4 fields"),
    ({"customDetails": {f"k{i}": "c" for i in range(21)}}, "21 customDetails"),
])
def test_limits_are_enforced(ruleset, change, message):
    doc = {**_doc(ruleset), **change}
    assert any(message in problem for problem in sentinel.check_limits(doc))


def test_every_technique_in_the_library_has_tactics():
    """A new technique id in a rule needs its tactics in harness/data/attack_tactics.yaml."""
    from tests.conftest import repo_project
    from harness.rules.project import Project
    import yaml
    table = sentinel.load_tactics()
    project = repo_project()
    used = set()
    for path in Project(project.root).rule_files():
        used.update(yaml.safe_load(path.read_text()).get("attack", []))
    missing = sorted(t for t in used if t.split(".")[0] not in table)
    assert missing == []


def test_arm_alert_rules_come_from_the_sdk_and_fit_the_schema(ruleset):
    docs = [(_doc(ruleset, r.id), r) for r in ruleset.rules]
    template = sentinel.arm_template(docs, "1.2.3")
    jsonschema.validate(template, arm_schema.TEMPLATE)
    for resource in template["resources"]:
        jsonschema.validate(resource, arm_schema.ALERT_RULE)
    properties = template["resources"][0]["properties"]
    # Property names and ISO durations are the SDK serializer's, not ours.
    assert properties["queryFrequency"] == "PT5M" and properties["triggerOperator"] == "GreaterThan"
    assert properties["entityMappings"][0] == {"entityType": "IP",
                                               "fieldMappings": [{"identifier": "Address", "columnName": "src_ip"}]}
    assert template["contentVersion"] == "1.2.3.0"


def test_an_invalid_alert_rule_fails_the_schema(ruleset):
    resource = sentinel.arm_template([(_doc(ruleset), ruleset.by_id("iot-vlan-unauthorized-access").rule)], "1.0.0")["resources"][0]
    broken = json.loads(json.dumps(resource))
    del broken["properties"]["queryPeriod"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, arm_schema.ALERT_RULE)


def test_ingestion_template_declares_the_table_and_the_dcr():
    schema = load_schema()
    template = sentinel_ingest.template(schema, "0.1.0")
    jsonschema.validate(template, arm_schema.TEMPLATE)
    table, dce, dcr = template["resources"]
    assert table["properties"]["schema"]["name"] == "Suricata_CL"
    columns = {c["name"]: c["type"] for c in table["properties"]["schema"]["columns"]}
    assert columns["TimeGenerated"] == "dateTime" and columns["alert"] == "dynamic"
    assert len(columns) == len(schema.columns)
    jsonschema.validate(dcr, arm_schema.DCR)
    stream = dcr["properties"]["dataSources"]["logFiles"][0]
    assert stream["format"] in arm_schema.DCR_LOG_FORMATS[dcr["apiVersion"]]   # 2022-06-01 had no json
    assert stream["filePatterns"] == ["/var/log/suricata/eve.json"] and stream["format"] == "json"
    flow = dcr["properties"]["dataFlows"][0]
    assert flow["outputStream"] == "Custom-Suricata_CL" and "todatetime(timestamp)" in flow["transformKql"]
    declared = dcr["properties"]["streamDeclarations"][flow["streams"][0]]["columns"]
    assert "TimeGenerated" not in {c["name"] for c in declared}


def test_alert_rules_keep_every_tactic_and_carry_techniques(ruleset):
    """On 2021-10-01 (the SDK's default) ICS tactics were dropped: 14 rules lost tactics, 6 had none."""
    docs = [(_doc(ruleset, r.id), r) for r in ruleset.rules]
    template = sentinel.arm_template(docs, "1.2.3")
    for (doc, rule), resource in zip(docs, template["resources"]):
        assert resource["apiVersion"] == "2024-09-01"
        assert resource["properties"]["tactics"] == doc["tactics"] != []
        assert resource["properties"]["techniques"] == sentinel.techniques(rule)
        assert set(resource["properties"]["techniques"]) == {t.split(".")[0] for t in rule.attack}


def test_a_tactic_outside_the_api_enum_is_refused(ruleset):
    doc = {**_doc(ruleset), "tactics": ["Discovery", "Evasion"]}
    with pytest.raises(ValueError, match="Evasion"):
        sentinel.sdk_rule(doc, ruleset.by_id("iot-vlan-unauthorized-access").rule)
