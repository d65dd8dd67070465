"""Kibana detection rules: the NDJSON pack in dist/.../elastic/, and `deploy elastic` plans."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import pytest

from harness.rules.errors import EnvironmentFailure
from harness.deploy import deploy_elastic
from harness.release import elastic_rules
from harness.deploy.deploy import DeployOptions, deploy
from harness.release.dist import DistOptions, dist
from harness.release.siem_outputs import compile_siem
from harness.siem import eql_check
from tests.packaging_project import load, make_release_project

KEY = "s3cr3t-kibana-api-key-do-not-print"


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return make_release_project(tmp_path_factory.mktemp("elastic") / "project")


@pytest.fixture(scope="module")
def release(project):
    ruleset = load(project)
    rules = [s.rule for s in ruleset.active()]
    return rules, compile_siem(ruleset, rules)


@pytest.fixture(scope="module")
def docs(project, tmp_path_factory):
    root = dist(load(project), DistOptions(out=tmp_path_factory.mktemp("dist")))
    lines = (root / "elastic" / "iotdetect-kibana-rules.ndjson").read_text(encoding="utf-8").splitlines()
    assert "elastic/iotdetect-kibana-rules.ndjson" in (root / "SHA256SUMS").read_text()
    return [json.loads(line) for line in lines]


def test_one_rule_per_search_with_stable_ids(docs, release):
    rules, siem = release
    expected = sum(1 + (siem.eql[r.id].hunt is not None) for r in rules)
    assert len(docs) == expected
    by_id = {d["rule_id"]: d for d in docs}
    assert len(by_id) == len(docs)
    guide = next(r for r in rules if r.id == "iot-vlan-unauthorized-access")
    alert_id = str(uuid.uuid5(uuid.uuid5(uuid.NAMESPACE_URL, "urn:iotdetect:elastic-rule"), guide.id))
    assert by_id[alert_id]["query"] == siem.eql[guide.id].alert and by_id[alert_id]["enabled"] is True
    hunt = by_id[elastic_rules.rule_uuid(guide.id, "hunt")]
    assert hunt["query"].startswith("sequence by source.ip with maxspan=60s") and hunt["enabled"] is False
    assert "alert_suppression" not in hunt                    # Kibana cannot suppress sequences
    assert by_id[alert_id]["alert_suppression"]["group_by"] == ["source.ip"]


def test_every_rule_is_what_the_detection_engine_takes(docs, release):
    rules = {r.id: r for r in release[0]}
    for doc in docs:
        assert elastic_rules.check(doc) == [], doc["name"]
        assert eql_check.problems(doc["query"]) == []
        rule = rules[next(t for t in doc["tags"] if t.startswith("iotdetect:id:")).split(":", 2)[2]]
        assert doc["version"] == rule.rev and doc["severity"] == rule.severity
        assert doc["risk_score"] == elastic_rules.RISK_SCORE[rule.severity]
        assert doc["type"] == doc["language"] == "eql" and doc["index"] == ["logs-suricata.eve-*"]
        assert doc["interval"] == rule.siem.schedule and doc["from"] == f"now-{rule.siem.lookback}"


def test_threat_maps_enterprise_and_ics(docs):
    tactics = {entry["tactic"]["id"]: [t["id"] for t in entry["technique"]] for doc in docs
               for entry in doc["threat"]}
    assert tactics["TA0007"] == ["T1046"]          # Enterprise Discovery
    assert "T0846" in tactics["TA0102"]            # ICS Discovery (its own tactic id)
    for doc in docs:
        for entry in doc["threat"]:
            assert entry["framework"] == "MITRE ATT&CK"
            assert entry["tactic"]["reference"].endswith(f"/tactics/{entry['tactic']['id']}/")


def test_check_refuses_what_kibana_would(docs):
    broken = dict(docs[0], risk_score=101, severity="urgent", version=0)
    del broken["index"]
    problems = elastic_rules.check(broken)
    assert len(problems) == 4, problems


def test_plan_from_nothing_to_in_sync(release):
    want = deploy_elastic.desired(*release)
    assert {s.action for s in deploy_elastic.make_plan(want, {})} == {"create"}
    existing = {rule_id: dict(doc, id="server-id", created_at="2026-01-01", revision=3)   # server-side fields
                for rule_id, doc in json.loads(json.dumps(want)).items()}
    assert {s.action for s in deploy_elastic.make_plan(want, existing)} == {"unchanged"}
    first = sorted(existing)[0]
    existing[first]["query"] = "any where true"
    steps = {s.action: s for s in deploy_elastic.make_plan(want, existing)}
    assert steps["update"].changed == ("query",)


def test_target_from_env_needs_https_and_hides_the_key():
    with pytest.raises(EnvironmentFailure, match="KIBANA_URL"):
        deploy_elastic.KibanaTarget.from_env({})
    with pytest.raises(EnvironmentFailure, match="https"):
        deploy_elastic.KibanaTarget.from_env({"KIBANA_URL": "http://kibana:5601", "KIBANA_API_KEY": KEY})
    target = deploy_elastic.KibanaTarget.from_env({"KIBANA_URL": "https://kibana:5601/", "KIBANA_API_KEY": KEY,
                                                   "KIBANA_SPACE": "ot"})
    assert KEY not in repr(target) and target.verify_tls
    assert target.endpoint("/_find") == "https://kibana:5601/s/ot/api/detection_engine/rules/_find"


def test_unreachable_kibana_fails_without_the_key():
    target = deploy_elastic.KibanaTarget("https://127.0.0.1:9", KEY)     # nothing listens on port 9
    with pytest.raises(RuntimeError) as caught:
        deploy_elastic.Kibana(target).existing({})
    assert "127.0.0.1" in str(caught.value) and KEY not in str(caught.value)


def test_cli_dry_run_plan_from_existing(project, tmp_path):
    existing = tmp_path / "existing.json"
    existing.write_text("{}", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "harness.cli", "--root", str(project.root), "deploy", "elastic",
                             "--existing", str(existing), "--dry-run"], capture_output=True, text=True,
                            env={**os.environ, "KIBANA_API_KEY": KEY})
    assert result.returncode == 0, result.stderr
    assert "create    detection rule: IoTDetect - IoT VLAN Unauthorized Access Attempt [" in result.stdout
    assert "(dry run, nothing changed)" in result.stdout and KEY not in result.stdout + result.stderr


@pytest.mark.skipif(not (os.environ.get("KIBANA_URL") and os.environ.get("KIBANA_API_KEY")),
                    reason="KIBANA_URL and KIBANA_API_KEY are not set")
def test_elastic_deploy_then_nothing_left_to_do(tmp_path):
    ruleset = load(make_release_project(tmp_path / "project"))
    insecure = os.environ.get("KIBANA_INSECURE") == "1"
    deploy("elastic", ruleset, os.environ, DeployOptions(dry_run=False, insecure=insecure), echo=lambda _: None)
    again = deploy("elastic", ruleset, os.environ, DeployOptions(dry_run=True, insecure=insecure), echo=lambda _: None)
    assert {s.action for s in again} == {"unchanged"}
