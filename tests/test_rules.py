"""Every test case of every rule in rules/ is a pytest item: `<rule-id>/<case>` fires as declared,
and every benign baseline (`baseline/<name>`) raises no alert at all -- on the repository's own site
plan and on every plan in tests/plans/ (`<plan>::<rule-id>/<case>`), with the hosts each plan's
roles resolve to.

The whole compiled rule set is loaded for each case, so a sid nobody declared is a failure too
(a cross-rule false positive).
"""
from __future__ import annotations

import pytest

from harness.rules.loader import load_project
from harness.cases.pcaps import all_refs
from tests.conftest import plan_case_id, plan_names, repo_project


def _case_params() -> list:
    keys = [ref.key for ref in all_refs(load_project(repo_project(), check_lock=False))]
    return [pytest.param(plan, key, id=plan_case_id(plan, key)) for plan in plan_names() for key in keys]


@pytest.mark.parametrize("plan, case_key", _case_params())
def test_rule_case(plan, case_key, plan_runs):
    verdicts, _ = plan_runs.run(plan)
    verdict = verdicts[case_key]
    assert verdict.passed, verdict.explain()


@pytest.mark.parametrize("plan", plan_names()[1:])
def test_the_plan_validates(plan, plan_runs):
    """What `iotdetect validate --networks tests/plans/<plan>.yaml` checks: every role resolves, and the
    SPL lint and the Kusto parser accept every search compiled with the plan's networks."""
    from harness.cases.pcaps import role_findings
    from harness.backends.settings import SiemSettings
    from harness.siem.targets import check
    ruleset = plan_runs.ruleset(plan)
    assert not role_findings(all_refs(ruleset), ruleset.project, ruleset.networks)
    result = check(ruleset, SiemSettings())
    assert not result.findings, "\n".join(str(f) for f in result.findings)
    assert result.kql_queries > 0 or result.skipped


def test_committed_pcaps_are_reproducible(repo_ruleset):
    from harness.cases.pcaps import check_all
    problems = check_all(all_refs(repo_ruleset), repo_ruleset.project.pcaps_dir)
    assert not problems, "\n".join(problems)


def test_rule_set_is_valid_with_lock():
    load_project(repo_project(), check_lock=True)
