"""Hostile values (issue 11): whatever a rule file or its folder carries, it is refused at validate
with file:line:field, or it stays inside its string in every target. The field-by-field corpus
lives in tests/broken/; this file holds what the corpus cannot: names from the file system and
checks over the emitted files themselves."""
from __future__ import annotations

import shutil

from harness.cli import EXIT_INVALID, main
from harness.suricata.ruleset import compile_rules
from harness.rules.loader import load_project
from harness.rules.project import Project
from harness.rules.safenames import printable
from tests.tmp_project import GOOD_RULE, write_lock

INJECTED = 'x\npass ip 203.0.113.77 any <> any any (msg:"INJECTED"; sid:9100999; rev:1;)\n#'


def test_category_folder_cannot_inject_a_rule(tmp_project, tmp_path, capsys):
    folder = tmp_project / "rules" / INJECTED
    folder.mkdir()
    shutil.move(tmp_project / GOOD_RULE, folder / "mqtt-admin-login.yaml")
    write_lock(tmp_project)
    out = tmp_path / "out"
    for verb in (["validate", "--no-siem"], ["build", "--out", str(out)]):
        assert main(["--root", str(tmp_project), *verb]) == EXIT_INVALID
        err = capsys.readouterr().err
        assert "category folder" in err and "\\npass ip" in err   # named, shown escaped
        assert "\npass ip" not in err
    assert not out.exists()


def test_category_folder_with_upper_case_or_dots_is_refused(tmp_project, capsys):
    for name in ("IoT", "a.b", "-x"):
        folder = tmp_project / "rules" / name
        folder.mkdir()
        shutil.copyfile(tmp_project / GOOD_RULE, folder / "other-rule.yaml")
    write_lock(tmp_project)
    assert main(["--root", str(tmp_project), "validate", "--no-siem"]) == EXIT_INVALID
    err = capsys.readouterr().err
    assert all(f"category folder {name!r}" in err for name in ("IoT", "a.b", "-x"))


def test_comment_lines_of_the_rules_file_stay_comments(tmp_project):
    ruleset = load_project(Project(tmp_project))
    text = compile_rules(ruleset).text
    assert [line for line in text.split("\n") if line and not line.startswith("#")] == \
        [line for line in text.split("\n") if line.startswith("alert ")]
    assert printable("a\nb\u2028c\x00") == "a\\nb\\u2028c\\x00"


def test_validate_reports_what_only_suricata_refuses(tmp_project, capsys):
    # A packet keyword (dsize) in an app-layer rule passes every model check; Suricata refuses it.
    from tests.tmp_project import good_rule_text, write_rule
    write_rule(tmp_project, GOOD_RULE, good_rule_text(
        ("  classtype: policy-violation\n", "  classtype: policy-violation\n  options:\n    - {keyword: dsize, value: '>0'}\n")))
    write_lock(tmp_project)
    assert main(["--root", str(tmp_project), "validate", "--no-siem"]) == EXIT_INVALID
    err = capsys.readouterr().err
    assert "rules/iot/mqtt-admin-login.yaml:12: [detection] Suricata: detect-parse: Signature combines packet" in err
    assert main(["--root", str(tmp_project), "validate", "--no-siem", "--no-suricata"]) == 0
