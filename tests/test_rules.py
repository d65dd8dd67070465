"""Every test case of every rule in rules/ is a pytest item: `<rule-id>/<case>` fires as declared,
and every benign baseline (`baseline/<name>`) raises no alert at all.

The whole compiled rule set is loaded for each case, so a sid nobody declared is a failure too
(a cross-rule false positive).
"""
from __future__ import annotations

import pytest

from harness.loader import load_project
from harness.pcaps import all_refs
from tests.conftest import repo_project


def _case_keys() -> list[str]:
    return [ref.key for ref in all_refs(load_project(repo_project(), check_lock=False))]


@pytest.mark.parametrize("case_key", _case_keys())
def test_rule_case(case_key, suite_run):
    verdicts, _ = suite_run
    verdict = verdicts[case_key]
    assert verdict.passed, verdict.explain()


def test_committed_pcaps_are_reproducible(repo_ruleset):
    from harness.pcaps import check_all
    problems = check_all(all_refs(repo_ruleset), repo_ruleset.project.pcaps_dir)
    assert not problems, "\n".join(problems)


def test_rule_set_is_valid_with_lock():
    load_project(repo_project(), check_lock=True)
