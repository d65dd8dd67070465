"""The content-addressed answer caches (suricata -T, suricata-check, EQL, SPL lint) and the fork
helpers: a repeat is answered without the tool, an edit is not, and a split changes no answer."""
from __future__ import annotations

import os
import shutil

import pytest

from harness.rules import answers, parallel
from harness.rules.loader import load_project
from harness.rules.project import Project
from harness.siem import eql_check
from harness.suricata import checks as suricata_checks
from harness.suricata import loadcache
from harness.suricata.ruleset import compile_rules
from harness.suricata.workspace import prepare_workspace
from tests.tmp_project import GOOD_RULE, good_rule_text, write_lock, write_rule

needs_suricata = pytest.mark.skipif(not shutil.which("suricata"), reason="suricata is not installed")


def test_answered_computes_each_distinct_item_once(tmp_path):
    path = tmp_path / "cache.json"
    asked: list[str] = []

    def compute(items):
        asked.extend(items)
        return [len(item) for item in items]
    assert answers.answered(["ab", "c", "ab"], path, compute) == [2, 1, 2]
    assert asked == ["ab", "c"]
    assert answers.answered(["c", "ab", "xyz"], path, compute) == [1, 2, 3]
    assert asked == ["ab", "c", "xyz"]          # only the new item went to the tool
    path.write_text("{not json")               # a damaged cache only costs time
    assert answers.answered(["c"], path, compute) == [1]


def test_fork_map_keeps_order(monkeypatch):
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 2)
    assert parallel.fork_map(eql_check._problems_of, ["any where true"] * 4 + ["any where ("], 2)[-1]


def test_eql_answers_are_cached_per_query(tmp_path, monkeypatch):
    good, bad = 'network where destination.port == 1883', 'network where destination.port == '
    first = eql_check.check_all([good, bad], tmp_path)
    assert first[0] == [] and first[1]
    monkeypatch.setattr(eql_check, "problems", lambda q: pytest.fail("a cached query was parsed again"))
    assert eql_check.check_all([bad, good], tmp_path) == [first[1], first[0]]


def test_suricata_check_answers_are_cached_per_rule(tmp_project, monkeypatch):
    ruleset = load_project(Project(tmp_project))
    compiled = compile_rules(ruleset)
    first = suricata_checks.suricata_check(ruleset, compiled)
    monkeypatch.setattr(suricata_checks, "_lint_lines", lambda *a: pytest.fail("a cached rule was linted again"))
    again = suricata_checks.suricata_check(ruleset, compiled)
    assert (again.findings, again.per_rule, again.unparsed) == (first.findings, first.per_rule, first.unparsed)


@needs_suricata
def test_a_clean_load_is_answered_from_the_cache_and_an_edit_is_not(tmp_project, tmp_path, monkeypatch):
    runs = []
    real = loadcache.check_rules
    monkeypatch.setattr(loadcache, "check_rules", lambda *a, **k: runs.append(1) or real(*a, **k))

    def load(folder):
        ruleset = load_project(Project(tmp_project))
        return loadcache.check_rules_cached(prepare_workspace(ruleset, tmp_path / folder))
    first = load("a")
    assert load("b") == first and len(runs) == 1   # another temporary folder, the same inputs
    write_rule(tmp_project, GOOD_RULE, good_rule_text(("rev: 1", "rev: 2"), ("equals: admin}", "equals: root}")))
    write_lock(tmp_project)
    load("c")
    assert len(runs) == 2
