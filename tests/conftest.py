"""Shared fixtures. The rule suite runs ONCE per session (batch engine) and every consumer
(IDS verdict tests, SIEM semantics tests) reads its results."""
from __future__ import annotations

import functools
from pathlib import Path

import pytest

from harness.engine import make_engine
from harness.loader import load_project
from harness.project import Project
from harness.runner import run_suite
from tests.tmp_project import tmp_project  # noqa: F401  (fixture: a throw-away one-rule project)

REPO = Path(__file__).resolve().parent.parent


def repo_project() -> Project:
    return Project(REPO)


@functools.cache
def default_plan():
    """The repository's own site plan (rules/networks.yaml), prepared for role resolution."""
    from harness.pcaps import plan_for
    return plan_for(REPO)


@pytest.fixture(scope="session")
def repo_ruleset():
    return load_project(repo_project(), check_lock=False)


@pytest.fixture(scope="session")
def suite_run(repo_ruleset, tmp_path_factory):
    """(verdicts by case key, workdir): every rule case and baseline through the real Suricata."""
    workdir = tmp_path_factory.mktemp("suite")
    verdicts = run_suite(repo_ruleset, make_engine("batch"), keep=workdir)
    return {v.ref.key: v for v in verdicts}, workdir
