"""The SIEM logic proven on the same pcaps as the IDS: the SQL rendering of each rule's searches
runs with DuckDB over the eve.json Suricata wrote for every test case (one suite run per session).

- the alert search returns exactly the rule's own alerts in that eve.json;
- the hunt search flags the case when the case expects it (expect.hunt, default: alerts > 0);
- on benign baselines, no rule's hunt search flags anything.
"""
from __future__ import annotations

import json

import pytest

from harness.backends.logic import hunt_plan
from harness.loader import load_project
from harness.pcaps import CaseRef, all_refs
from harness.siem.evaluate import EveEvaluator
from tests.conftest import repo_project


def _refs():
    return all_refs(load_project(repo_project(), check_lock=False))


def _rule_case_keys(with_hunt: bool | None = None) -> list[str]:
    """Rule cases; with_hunt selects the cases of rules that have (True) or lack (False) a hunt."""
    return [ref.key for ref in _refs() if isinstance(ref, CaseRef)
            and (with_hunt is None or (hunt_plan(ref.source.rule)[0] is not None) == with_hunt)]


def _baseline_keys() -> list[str]:
    return [ref.key for ref in _refs() if not isinstance(ref, CaseRef)]


@pytest.fixture(scope="session")
def evaluator(repo_ruleset):
    evaluator = EveEvaluator(repo_ruleset.networks)
    yield evaluator
    evaluator.close()


@pytest.fixture(scope="session")
def sql_queries(repo_ruleset, evaluator):
    return {s.rule.id: evaluator.compile(s.rule, repo_ruleset.networks) for s in repo_ruleset.sources}


def _eve_records(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("case_key", _rule_case_keys())
def test_alert_search_returns_exactly_the_sids_alerts(case_key, suite_run, evaluator, sql_queries):
    verdict = suite_run[0][case_key]
    rule = verdict.ref.source.rule
    result = evaluator.run(sql_queries[rule.id].alert, verdict.eve_path).records()
    own = [r for r in _eve_records(verdict.eve_path)
           if r.get("event_type") == "alert" and r["alert"]["signature_id"] == rule.sid]
    assert sum(row["alerts"] for row in result) == len(own)
    assert {(row["src_ip"], row["dest_ip"]) for row in result} == {(r["src_ip"], r["dest_ip"]) for r in own}


@pytest.mark.parametrize("case_key", _rule_case_keys(with_hunt=True))
def test_hunt_search_agrees_with_the_case(case_key, suite_run, evaluator, sql_queries):
    verdict = suite_run[0][case_key]
    rule, case = verdict.ref.source.rule, verdict.ref.case
    queries = sql_queries[rule.id]
    expected = case.expect.hunt if case.expect.hunt is not None else case.expect.alerts > 0
    rows = evaluator.run(queries.hunt, verdict.eve_path).records()
    assert bool(rows) == expected, (
        f"hunt search {'found nothing' if expected else 'flagged ' + repr(rows)} in {verdict.eve_path}"
        f" (expected {'a hit' if expected else 'silence'}; IDS alerts: {verdict.actual})\n{queries.hunt}")


def test_rules_without_a_hunt_search_say_why(sql_queries):
    missing = {rule_id: q.hunt_unavailable for rule_id, q in sql_queries.items() if q.hunt is None}
    assert all(missing.values()), missing


@pytest.mark.parametrize("case_key", _baseline_keys())
def test_no_hunt_search_flags_a_benign_baseline(case_key, suite_run, evaluator, sql_queries):
    verdict = suite_run[0][case_key]
    evaluator.use(verdict.eve_path)
    flagged = {rule_id: rows for rule_id, queries in sql_queries.items() if queries.hunt
               for rows in [evaluator.query(queries.hunt).records()] if rows}
    assert not flagged, f"hunt searches flag benign traffic in {verdict.eve_path}: {flagged}"
