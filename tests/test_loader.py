"""The loader on the broken-rule corpus (tests/broken/<case>/): each case yields precisely its
declared findings (file, line, field, message) and `iotdetect build` writes nothing for it."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from harness.cli import EXIT_INVALID, main
from harness.rules.errors import RuleErrors
from harness.rules.loader import load_project
from harness.rules.project import Project
from tests.tmp_project import TESTS, copy_template, good_rule_text, make_project, overlay, write_lock, write_rule

BROKEN = TESTS / "broken"
CASES = sorted(p.name for p in BROKEN.iterdir() if (p / "expected.yaml").is_file())


def _expected(case: str) -> dict:
    return yaml.safe_load((BROKEN / case / "expected.yaml").read_text(encoding="utf-8"))


def _broken_project(case: str, root: Path) -> Path:
    copy_template(root)
    if _expected(case).get("lock") == "before-change":
        write_lock(root)          # the lock records the rule as it was before the case changed it
        overlay(root, BROKEN / case)
    else:
        overlay(root, BROKEN / case)
        write_lock(root)
    return root


def _findings(root: Path):
    with pytest.raises(RuleErrors) as caught:
        load_project(Project(root))
    return caught.value.findings


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_corpus_covers_every_failure_class():
    # The classes issue 2 names; a renamed or deleted case must not silently drop one.
    required = {"yaml-syntax-error", "duplicate-yaml-key", "wrong-type", "missing-required-field", "unknown-key",
                "id-not-file-name", "duplicate-id", "duplicate-sid", "sid-outside-range",
                "undefined-variable-in-rule", "undefined-variable-in-networks", "cyclic-variable",
                "variable-reached-twice", "invalid-cidr", "invalid-port", "unknown-attack-id",
                "detection-changed-without-rev-bump", "no-negative-test-case", "regex-does-not-compile",
                "field-not-of-protocol", "raw-option-semicolon", "raw-option-quote"}
    assert required <= set(CASES)


def test_template_project_is_valid(tmp_path):
    # Otherwise every corpus case would fail for the template's reason, not its own.
    ruleset = load_project(Project(make_project(tmp_path / "p")))
    assert [s.rule.id for s in ruleset.sources] == ["mqtt-admin-login"]


@pytest.mark.parametrize("case", CASES)
def test_broken_case_yields_its_finding_and_build_writes_nothing(case, tmp_path):
    root = _broken_project(case, tmp_path / "project")
    expected = _expected(case)["findings"]
    found = _findings(root)
    assert [(f.path, f.line, f.field) for f in found] == \
        [(e["file"], e["line"], e["field"]) for e in expected], "\n".join(map(str, found))
    for finding, want in zip(found, expected):
        assert want["message"] in finding.message, str(finding)

    fresh = tmp_path / "fresh-out"
    assert main(["--root", str(root), "build", "--out", str(fresh)]) == EXIT_INVALID
    assert not fresh.exists()

    existing = tmp_path / "existing-out"
    (existing / "suricata").mkdir(parents=True)
    (existing / "suricata" / "iotdetect.rules").write_text("# the previous good build\n")
    before = _snapshot(existing)
    assert main(["--root", str(root), "build", "--out", str(existing)]) == EXIT_INVALID
    assert _snapshot(existing) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["existing-out", "project"]   # no staging left over


def test_findings_of_every_file_are_collected_not_just_the_first(tmp_path):
    root = make_project(tmp_path / "p")
    write_rule(root, "rules/iot/second.yaml", good_rule_text(("id: mqtt-admin-login", "id: second"),
                                                              ("sid: 9100900", "sid: 9100901"),
                                                              ("severity: high", "severity: urgent")))
    write_rule(root, "rules/iot/mqtt-admin-login.yaml", good_rule_text(("rev: 1", "rev: 0"),
                                                                       ("status: test", "status: done")))
    found = _findings(root)
    assert {(f.path, f.field) for f in found} == {("rules/iot/second.yaml", "severity"),
                                                  ("rules/iot/mqtt-admin-login.yaml", "rev"),
                                                  ("rules/iot/mqtt-admin-login.yaml", "status")}


def test_rule_outside_a_category_folder_is_rejected(tmp_path):
    root = make_project(tmp_path / "p")
    (root / "rules/iot/mqtt-admin-login.yaml").rename(root / "rules/mqtt-admin-login.yaml")
    found = _findings(root)
    assert [(f.path, f.message) for f in found] == [("rules/mqtt-admin-login.yaml",
                                                     "rule files live in rules/<category>/<id>.yaml")]


def test_missing_networks_file_is_a_finding(tmp_path):
    root = make_project(tmp_path / "p")
    (root / "rules/networks.yaml").unlink()
    assert [(f.path, f.message) for f in _findings(root)] == [("rules/networks.yaml",
                                                               "network variables file is missing")]


def test_a_valid_rule_loads_with_its_lines_and_category(tmp_project):
    ruleset = load_project(Project(tmp_project))
    source = ruleset.by_id("mqtt-admin-login")
    assert source.category == "iot"
    assert source.line("detection", "where", 0) == 18
    assert source.line("detection", "no-such-key") == source.line("detection") == 12
    assert ruleset.by_sid()[9100900] is source
