"""Shared fixtures. The rule suite runs ONCE per session and site plan (the default engine, merged;
tests/test_merged_engine.py holds it to the batch engine's verdicts) and every consumer (IDS verdict
tests, SIEM semantics tests) reads its results. Plans: the repository's own
rules/networks.yaml ("default") and every tests/plans/*.yaml."""
from __future__ import annotations

import functools
from pathlib import Path

import pytest

from harness.suricata.engine import DEFAULT_ENGINE, make_engine
from harness.rules.loader import load_project
from harness.rules.project import Project
from harness.cases.runner import run_suite
from tests.tmp_project import tmp_project  # noqa: F401  (fixture: a throw-away one-rule project)

REPO = Path(__file__).resolve().parent.parent
PLANS_DIR = REPO / "tests" / "plans"
DEFAULT = "default"


def plan_names() -> list[str]:
    """The site plans the content sweep runs on: the default one first."""
    return [DEFAULT] + sorted(p.stem for p in PLANS_DIR.glob("*.yaml"))


def repo_project(plan: str = DEFAULT) -> Project:
    return Project(REPO) if plan == DEFAULT else Project(REPO, PLANS_DIR / f"{plan}.yaml")


def plan_case_id(plan: str, key: str) -> str:
    """Test ids: the case key on the default plan (as before plans existed), `plan::key` on the others."""
    return key if plan == DEFAULT else f"{plan}::{key}"


@functools.cache
def default_plan():
    """The repository's own site plan (rules/networks.yaml), prepared for role resolution."""
    from harness.cases.pcaps import plan_for
    return plan_for(REPO)


@pytest.fixture(scope="session")
def repo_ruleset():
    return load_project(repo_project(), check_lock=False)


@pytest.fixture(scope="session")
def suite_run(repo_ruleset, tmp_path_factory):
    """(verdicts by case key, workdir): every rule case and baseline through the real Suricata."""
    workdir = tmp_path_factory.mktemp("suite")
    verdicts = run_suite(repo_ruleset, make_engine(DEFAULT_ENGINE), keep=workdir)
    return {v.ref.key: v for v in verdicts}, workdir


class PlanRuns:
    """Per plan, loaded on first use: the rule set compiled for that plan and its suite run (pcaps
    generated into .cache/plans/<hash>/ first, unless cached from an earlier run)."""

    def __init__(self, request, tmp_path_factory):
        self._request, self._tmp = request, tmp_path_factory
        self._rulesets: dict = {}
        self._runs: dict = {}

    def ruleset(self, plan: str):
        if plan == DEFAULT:
            return self._request.getfixturevalue("repo_ruleset")
        if plan not in self._rulesets:
            self._rulesets[plan] = load_project(repo_project(plan), check_lock=False)
        return self._rulesets[plan]

    def run(self, plan: str):
        """(verdicts by case key, workdir) of the plan."""
        if plan == DEFAULT:
            return self._request.getfixturevalue("suite_run")
        if plan not in self._runs:
            workdir = self._tmp.mktemp(f"suite-{plan}")
            verdicts = run_suite(self.ruleset(plan), make_engine(DEFAULT_ENGINE), keep=workdir)
            self._runs[plan] = ({v.ref.key: v for v in verdicts}, workdir)
        return self._runs[plan]


@pytest.fixture(scope="session")
def plan_runs(request, tmp_path_factory) -> PlanRuns:
    return PlanRuns(request, tmp_path_factory)
