"""The SIEM logic proven on the same pcaps as the IDS: the SQL rendering of each rule's searches
runs with DuckDB over the eve.json Suricata wrote for every test case (one suite run per session).

- the alert search returns exactly the rule's own alerts in that eve.json;
- the hunt search flags the case when the case expects it (expect.hunt, default: alerts > 0);
- on benign baselines, no rule's hunt search flags anything.

On every site plan of the content sweep (tests/conftest.py): the searches are compiled with that
plan's networks and run over the eve.json of that plan's run, so they see the same resolved hosts.
"""
from __future__ import annotations

import json

import pytest

from harness.backends.logic import hunt_plan
from harness.rules.loader import load_project
from harness.cases.pcaps import CaseRef, all_refs
from harness.siem.evaluate import EveEvaluator
from tests.conftest import plan_case_id, plan_names, repo_project


def _refs():
    return all_refs(load_project(repo_project(), check_lock=False))


def _params(keys: list[str]) -> list:
    return [pytest.param(plan, key, id=plan_case_id(plan, key)) for plan in plan_names() for key in keys]


def _rule_case_keys(with_hunt: bool | None = None) -> list:
    """(plan, rule case) pairs; with_hunt selects the cases of rules that have (True) or lack (False) a hunt."""
    return _params([ref.key for ref in _refs() if isinstance(ref, CaseRef)
                    and (with_hunt is None or (hunt_plan(ref.source.rule)[0] is not None) == with_hunt)])


def _baseline_keys() -> list:
    return _params([ref.key for ref in _refs() if not isinstance(ref, CaseRef)])


class _PlanSearches:
    """Per plan: one DuckDB evaluator with that plan's network macros and every rule's SQL."""

    def __init__(self, plan_runs):
        self.plan_runs, self.cache = plan_runs, {}

    def __call__(self, plan: str):
        if plan not in self.cache:
            ruleset = self.plan_runs.ruleset(plan)
            evaluator = EveEvaluator(ruleset.networks)
            queries = {s.rule.id: evaluator.compile(s.rule, ruleset.networks) for s in ruleset.sources}
            self.cache[plan] = (evaluator, queries)
        return self.cache[plan]

    def close(self):
        for evaluator, _ in self.cache.values():
            evaluator.close()


@pytest.fixture(scope="session")
def searches(plan_runs):
    searches = _PlanSearches(plan_runs)
    yield searches
    searches.close()


@pytest.fixture(scope="session")
def sql_queries(searches):
    return searches("default")[1]


def _eve_records(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("plan, case_key", _rule_case_keys())
def test_alert_search_returns_exactly_the_sids_alerts(plan, case_key, plan_runs, searches):
    evaluator, sql_queries = searches(plan)
    verdict = plan_runs.run(plan)[0][case_key]
    rule = verdict.ref.source.rule
    result = evaluator.run(sql_queries[rule.id].alert, verdict.eve_path).records()
    own = [r for r in _eve_records(verdict.eve_path)
           if r.get("event_type") == "alert" and r["alert"]["signature_id"] == rule.sid]
    assert sum(row["alerts"] for row in result) == len(own)
    assert {(row["src_ip"], row["dest_ip"]) for row in result} == {(r["src_ip"], r["dest_ip"]) for r in own}


@pytest.mark.parametrize("plan, case_key", _rule_case_keys(with_hunt=True))
def test_hunt_search_agrees_with_the_case(plan, case_key, plan_runs, searches):
    evaluator, sql_queries = searches(plan)
    verdict = plan_runs.run(plan)[0][case_key]
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


@pytest.mark.parametrize("plan, case_key", _baseline_keys())
def test_no_hunt_search_flags_a_benign_baseline(plan, case_key, plan_runs, searches):
    evaluator, sql_queries = searches(plan)
    verdict = plan_runs.run(plan)[0][case_key]
    evaluator.use(verdict.eve_path)
    flagged = {rule_id: rows for rule_id, queries in sql_queries.items() if queries.hunt
               for rows in [evaluator.query(queries.hunt).records()] if rows}
    assert not flagged, f"hunt searches flag benign traffic in {verdict.eve_path}: {flagged}"
