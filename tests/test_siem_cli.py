"""`iotdetect build` writes the SIEM searches, `show` prints every target, `validate` fails on KQL
the Kusto parser rejects, and a rule's hunt says why when it cannot exist."""
from __future__ import annotations

import dataclasses
import json

from harness.cli import EXIT_OK, main
from harness.rules.loader import load_project
from harness.rules.project import Project
from harness.backends.settings import Column, SiemSettings, TableSchema
from harness.siem.targets import check
from tests.siem_helpers import NETWORKS, kusto_session, make_rule  # noqa: F401  (fixture)


def test_build_writes_spl_and_kql_per_rule(tmp_project, tmp_path):
    out = tmp_path / "out"
    assert main(["--root", str(tmp_project), "build", "--out", str(out)]) == EXIT_OK
    index = json.loads((out / "siem" / "index.json").read_text())
    [(rule_id, entry)] = index.items()
    assert entry["hunt_unavailable"] is None
    for path in entry["files"]:
        assert (out / "siem" / path).read_text().strip()
    assert (out / "siem" / "spl" / f"{rule_id}.hunt.spl").read_text().startswith("`iotdetect_eve`")
    assert "[iotdetect_net_IOT_NET(1)]" in (out / "siem" / "spl" / "macros.conf").read_text()
    assert json.loads((out / "siem" / "kql" / "Suricata_CL.schema.json").read_text())["table"] == "Suricata_CL"


def test_show_prints_every_target(tmp_project, capsys):
    rule_id = load_project(Project(tmp_project), check_lock=False).sources[0].rule.id
    assert main(["--root", str(tmp_project), "show", rule_id]) == EXIT_OK
    out = capsys.readouterr().out
    for title in ("Suricata", "Splunk SPL", "Sentinel KQL", "DuckDB SQL", "alert search", "hunt search", "sid:9100900"):
        assert title in out


def test_validate_reports_kql_the_parser_rejects(tmp_project, kusto_session):
    """A schema without the column a query needs: the Kusto parser's error becomes a finding."""
    ruleset = load_project(Project(tmp_project), check_lock=False)
    schema = SiemSettings().schema
    without_mqtt = TableSchema(schema.table, tuple(c for c in schema.columns if c.name != "mqtt"))
    result = check(ruleset, dataclasses.replace(SiemSettings(), schema=without_mqtt))
    assert any("siem.kql.hunt" == f.field and "mqtt" in f.message for f in result.findings), result.findings
    assert not check(ruleset, SiemSettings()).findings


def test_sentinel_table_name_is_configurable():
    schema = SiemSettings().schema
    settings = SiemSettings(schema=TableSchema("Eve_CL", schema.columns), splunk_eve_macro="my_eve")
    from harness.backends.kql import KqlBackend
    from harness.backends.spl import SplBackend
    rule = make_rule({"protocol": "mqtt", "where": [{"field": "mqtt.connect.username", "exists": True}]})
    assert KqlBackend().compile(rule, NETWORKS, settings).alert.startswith("Eve_CL\n")
    assert SplBackend().compile(rule, NETWORKS, settings).hunt.startswith("`my_eve` event_type=mqtt")
    assert Column("event_type", "string") in schema.columns


def test_payload_rules_get_the_alert_search_and_a_reason():
    from harness.backends.registry import SIEM_BACKENDS
    rule = make_rule({"protocol": "tcp", "payload": [{"content": "busybox"}]})
    for backend in SIEM_BACKENDS.values():
        queries = backend().compile(rule, NETWORKS, SiemSettings())
        assert queries.alert and queries.hunt is None and "payload" in queries.hunt_unavailable
