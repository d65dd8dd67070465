"""Elastic: every EQL query parses with Elastic's own parser, values cannot break out of their
strings, and the EQL carries the logic the DuckDB proof runs (tests/test_siem_semantics.py).

The tie to the proof: the EQL and the SQL of a rule are rendered from the same HuntPlan, condition
for condition, with the same threshold; what EQL writes differently is tested here on its own: the
PCRE -> Lucene regex rewrite, checked on every value those fields take in the cases' eve.json.
(The eql package's Python engine cannot stand in for Elasticsearch: it folds case on `==`,
anchors regexes only at the start and has no `runs`.)
"""
from __future__ import annotations

import json
import re

import eql
import pytest
from hypothesis import given, settings as hsettings, strategies as st

from harness.backends import logic as L
from harness.backends.elastic import ElasticBackend, EqlRenderer
from harness.backends.base import Untranslatable
from harness.backends.eql_text import lucene_regex, string
from harness.backends.settings import SiemSettings
from harness.backends.sql import SqlBackend
from harness.siem import eql_check
from harness.siem.targets import compile_all

SETTINGS = SiemSettings()


def _regex_matches(expr: L.Expr) -> list[L.Match]:
    if isinstance(expr, L.Match):
        return [expr] if expr.op == "regex" else []
    if isinstance(expr, (L.All, L.AnyOf)):
        return [m for item in expr.items for m in _regex_matches(item)]
    return _regex_matches(expr.item) if isinstance(expr, L.Not) else []


def test_every_eql_query_parses(repo_ruleset):
    compiled = compile_all(repo_ruleset, SETTINGS, ("eql",))["eql"]
    queries = [(rule_id, q) for rule_id, qs in sorted(compiled.items()) for q in (qs.alert, qs.hunt) if q]
    errors = [f"{rule_id}: {p}\n{q}" for rule_id, q in queries for p in eql_check.problems(q)]
    assert not errors, "\n".join(errors)
    assert len(queries) > len(compiled)          # alerts and hunts


@pytest.mark.parametrize("query", [
    'any where suricata.eve.event_type == ',                              # syntax
    'any where stringcontains~(url.original, "x")',                       # unknown function (case matters)
    'sequence by source.ip [any where true] with runs=1',                 # runs must be > 1
    'any where url.original regex~ "a" and',                              # dangling operator
])
def test_broken_eql_is_caught(query):
    assert eql_check.problems(query)


def test_elastic_hunts_are_the_plans_the_duckdb_proof_runs(repo_ruleset):
    eql_backend, sql_backend = ElasticBackend(), SqlBackend()
    renderer = EqlRenderer("", repo_ruleset.networks)
    with_hunt = 0
    for source in repo_ruleset.active():
        rule = source.rule
        plan, _ = L.hunt_plan(rule)
        eql_q = eql_backend.compile(rule, repo_ruleset.networks, SETTINGS)
        sql_q = sql_backend.compile(rule, repo_ruleset.networks, SETTINGS)
        assert (eql_q.hunt is None) == (sql_q.hunt is None) == (plan is None), rule.id
        assert f"signature_id == {rule.sid}" in eql_q.alert
        if plan is None:
            assert eql_q.hunt_unavailable == sql_q.hunt_unavailable
            continue
        with_hunt += 1
        conditions = [line.strip().removeprefix("and ") for line in eql_q.hunt.splitlines()[1:]
                      if line.strip().startswith("and ")]
        assert conditions == [renderer.expr(c) for c in L.conjuncts(plan.where)], rule.id
        sql_conditions = [line for line in sql_q.hunt.splitlines() if line.startswith("    AND ")]
        assert len(sql_conditions) == len(conditions), rule.id
        assert f'suricata.eve.event_type == "{plan.event_type}"' in eql_q.hunt
        if plan.threshold:
            key = {"src_ip": "source.ip", "dest_ip": "destination.ip"}[plan.threshold.key]
            assert eql_q.hunt.startswith(f"sequence by {key} with maxspan={plan.threshold.seconds}s\n")
            assert eql_q.hunt.endswith(f"] with runs={plan.threshold.count}")
            assert f"lead(event_time, {plan.threshold.count - 1})" in sql_q.hunt
        else:
            assert eql_q.hunt.startswith("any where ") and "lead(" not in sql_q.hunt
    assert with_hunt >= 30


def _field_values(records: list[dict], path: str) -> list[str]:
    values = []
    for record in records:
        value = record
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if isinstance(value, str):
            values.append(value)
    return values


def test_lucene_regexes_match_what_suricatas_pcre_finds_on_the_cases(repo_ruleset, suite_run):
    verdicts, _ = suite_run
    records = [json.loads(line) for v in verdicts.values() if v.eve_path and v.eve_path.exists()
               for line in v.eve_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    checked = hits = 0
    for source in repo_ruleset.active():
        plan, _ = L.hunt_plan(source.rule)
        for match in _regex_matches(plan.where) if plan else []:
            lucene, insensitive = lucene_regex(match.value)
            flags = re.IGNORECASE if insensitive else 0
            for value in set(_field_values(records, match.field.path)):
                value = value.lower() if match.fold else value
                searched = re.search(match.value, value) is not None
                assert searched == (re.fullmatch(lucene, value, flags) is not None), (source.rule.id, value, lucene)
                checked += 1
                hits += searched
    assert checked > 100 and 0 < hits < checked, (checked, hits)


@pytest.mark.parametrize("pattern", [r"\bword", r"a(?=b)", r"a*?b", r"(a)\1", r"a^b", r"x$y"])
def test_regexes_lucene_cannot_express_are_refused(pattern):
    with pytest.raises(Untranslatable):
        lucene_regex(pattern)


@hsettings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_strings_cannot_break_out(value):
    with eql.parser.elasticsearch_syntax:
        assert eql.parse_expression(string(value)).value == value


@hsettings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.characters(codec="ascii", exclude_characters="\r\n"), min_size=1, max_size=12),
       st.sampled_from(["contains", "startswith", "endswith", "equals"]))
def test_contains_values_are_literal_in_eql(value, op):
    renderer = EqlRenderer("", None)
    text = renderer.expr(L.Match(L.Ref("http.url"), op, value, True))
    with eql.parser.elasticsearch_syntax:
        parsed = eql.parse_expression(text)
    assert _strings(parsed) == [value]


def _strings(node) -> list[str]:
    if isinstance(node, eql.ast.String):
        return [node.value]
    if isinstance(node, (list, tuple)):
        return [s for child in node for s in _strings(child)]
    if isinstance(node, eql.ast.BaseNode):   # not node.children(): it recurses forever into str slots
        return [s for _, child in node.iter_slots() for s in _strings(child)]
    return []
