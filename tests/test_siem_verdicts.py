"""The SIEM check's per-rule verdicts (harness/siem/targets.py check): a rule file whose searches all
passed is neither compiled nor looked up again, and nothing about the memo can hide a failure: an
edited rule, another site plan or parser version, a rule that failed, a parser no longer installed
are all checked (or reported) afresh."""
from __future__ import annotations

import pytest

from harness.backends.settings import SiemSettings
from harness.rules.loader import load_project
from harness.rules.project import Project
from harness.siem import eql_check, kusto, targets
from tests.tmp_project import GOOD_RULE, good_rule_text, write_rule

ASKED = (("spl_lint", "lint_all"), ("eql_check", "check_all"), ("kusto", "check_kql"), ("", "compile_all"))


def _check(root):
    return targets.check(load_project(Project(root)), SiemSettings())


def _clean(root):
    result = _check(root)
    if result.skipped:
        pytest.skip("; ".join(result.skipped))
    assert not result.findings, result.findings
    return result


def _counted(monkeypatch) -> list[str]:
    """Every checker and the compile, still working, noting when they are asked."""
    asked: list[str] = []
    for module, name in ASKED:
        owner = getattr(targets, module) if module else targets
        real = getattr(owner, name)
        monkeypatch.setattr(owner, name, lambda *a, _real=real, _name=name, **k: asked.append(_name) or _real(*a, **k))
    return asked


def _counts(result) -> tuple[int, int, int]:
    return result.spl_searches, result.eql_queries, result.kql_queries


def test_a_rule_that_passed_is_not_compiled_or_looked_up_again_and_counts_the_same(tmp_project, monkeypatch):
    first = _clean(tmp_project)
    assert first.kql_queries and first.eql_queries and first.spl_searches
    for module, name in ASKED:
        monkeypatch.setattr(getattr(targets, module) if module else targets, name,
                            lambda *a, _name=name, **k: pytest.fail(f"{_name} was asked again"))
    again = _check(tmp_project)
    assert not again.findings and not again.skipped and _counts(again) == _counts(first)


def test_an_edited_rule_is_checked_again(tmp_project, monkeypatch):
    _clean(tmp_project)
    write_rule(tmp_project, GOOD_RULE, good_rule_text(("title: MQTT login as admin", "title: MQTT login as root")))
    asked = _counted(monkeypatch)
    _check(tmp_project)
    assert {"compile_all", "lint_all", "check_all", "check_kql"} <= set(asked)


def test_another_site_plan_or_parser_version_is_checked_again(tmp_project, monkeypatch):
    _clean(tmp_project)
    monkeypatch.setattr(eql_check, "fingerprint", lambda real=eql_check.fingerprint: real() + "-upgraded")
    asked = _counted(monkeypatch)
    _check(tmp_project)
    assert "check_all" in asked
    monkeypatch.undo()
    plan = tmp_project / "rules" / "networks.yaml"
    plan.write_text(plan.read_text().replace("192.168.200.0/24", "10.199.0.0/16"))
    asked = _counted(monkeypatch)
    _check(tmp_project)
    assert "check_kql" in asked


def test_a_rule_that_failed_is_checked_and_reported_every_run(tmp_project, monkeypatch):
    _clean(tmp_project)
    write_rule(tmp_project, GOOD_RULE, good_rule_text(("title: MQTT login as admin", "title: MQTT login as root")))
    monkeypatch.setattr(eql_check, "check_all", lambda queries, root, **k: [["planted parser error"]] * len(queries))
    for _ in range(2):
        result = _check(tmp_project)
        assert [f.field for f in result.findings] and all("planted" in f.message for f in result.findings)
    monkeypatch.undo()
    asked = _counted(monkeypatch)
    assert not _check(tmp_project).findings and "check_all" in asked   # the real parser, asked again


def test_a_parser_no_longer_installed_is_reported_though_every_verdict_is_known(tmp_project, monkeypatch):
    _clean(tmp_project)

    def missing(root):
        raise kusto.KustoUnavailable("@kusto/language-service-next is not installed")
    monkeypatch.setattr(kusto, "package_home", missing)
    result = _check(tmp_project)
    assert result.skipped and "Kusto" in result.skipped[0] and result.kql_queries == 0
