"""The SPL lint (what our generator could get wrong; not a parser) passes on every emitted search
and catches the mistakes it exists for."""
from __future__ import annotations

import pytest

from harness.backends.spl import SplBackend
from harness.siem import spl_lint
from harness.backends.settings import SiemSettings
from harness.siem.targets import check, compile_all
from tests.siem_helpers import NETWORKS, make_rule

SETTINGS = SiemSettings()
MACROS = SplBackend().macros(NETWORKS, SETTINGS)


def lint(search: str) -> list[str]:
    return spl_lint.lint(search, MACROS, SETTINGS.splunk_eve_macro)


def test_every_rule_search_passes_the_lint(repo_ruleset):
    macros = SplBackend().macros(repo_ruleset.networks, SETTINGS)
    problems = [f"{rule_id}: {p}" for rule_id, queries in compile_all(repo_ruleset, SETTINGS, ("spl",))["spl"].items()
                for search in (queries.alert, queries.hunt) if search
                for p in spl_lint.lint(search, macros, SETTINGS.splunk_eve_macro)]
    assert not problems, "\n".join(problems)


def test_validate_check_reports_no_findings(repo_ruleset):
    result = check(repo_ruleset, SETTINGS)
    assert not result.findings, "\n".join(map(str, result.findings))
    assert result.spl_searches >= len(repo_ruleset.sources)


@pytest.mark.parametrize("search, problem", [
    ("`iotdetect_eve` | where http.hostname==\"x\"", "dotted field http.hostname must be single-quoted"),
    ("`iotdetect_eve` | eval host=lower(http.hostname)", "dotted field http.hostname must be single-quoted"),
    ("`iotdetect_eve` | where 'http.hostname'==\"x", "unterminated"),
    ("`iotdetect_eve` | where ('a'==\"x\"", "unbalanced parentheses"),
    ("`iotdetect_eve` | delete", "command 'delete' is not in the allow-list"),
    ("`iotdetect_eve` | where `iotdetect_net_NOPE(src_ip)`", "macro `iotdetect_net_NOPE` is not defined"),
    ("`iotdetect_eve` | where `iotdetect_net_IOT_NET`", "takes 1 argument(s), got 0"),
    ("index=main | stats count", "must start with the `iotdetect_eve` macro"),
])
def test_lint_catches(search, problem):
    assert any(problem in found for found in lint(search)), lint(search)


def test_quoted_dots_and_strings_are_fine():
    assert lint("`iotdetect_eve` event_type=http | where 'http.hostname'==\"a.b|c\" AND match('http.url', \"x.y\")"
                " | stats count BY src_ip dest_ip") == []


def test_dotted_fields_are_single_quoted_in_where_and_eval():
    rule = make_rule({"protocol": "http", "where": [{"field": "http.url", "equals": "Cam.Local", "nocase": True}]})
    hunt = SplBackend().compile(rule, NETWORKS, SETTINGS).hunt
    assert "| where lower('http.url')==\"cam.local\"" in hunt
    assert lint(hunt) == []
