"""rules.lock: a changed detection needs a rev bump; cosmetic edits do not."""
from __future__ import annotations

import json

from harness.rules import lock
from harness.cli import EXIT_INVALID, EXIT_OK, main
from harness.rules.loader import load_rule_file
from tests.tmp_project import GOOD_RULE, good_rule_text, write_rule


def _rule(root, *replacements):
    path = write_rule(root, GOOD_RULE, good_rule_text(*replacements))
    source, findings = load_rule_file(path, root)
    assert not findings, findings
    return source


def _check(root, source):
    return lock.check([(source.rule, source.path, source.lines)], root / "rules.lock")


def test_hash_covers_detection_and_suricata_parts_only(tmp_project):
    base = lock.detection_hash(_rule(tmp_project).rule)
    cosmetic = _rule(tmp_project, ("title: MQTT login as admin from the IoT VLAN", "title: Another title"),
                     ("name: anonymous login", "name: no username"), ("attack: [T1078]", "attack: [T1110]"))
    assert lock.detection_hash(cosmetic.rule) == base
    assert lock.detection_hash(_rule(tmp_project, ("equals: admin", "equals: root")).rule) != base
    assert lock.detection_hash(_rule(tmp_project, ("classtype: policy-violation", "classtype: bad-unknown")).rule) != base


def test_unchanged_rule_passes(tmp_project):
    assert _check(tmp_project, _rule(tmp_project)) == []


def test_changed_detection_needs_a_bump_then_a_relock(tmp_project):
    changed = _rule(tmp_project, ("equals: admin", "equals: root"))
    [finding] = _check(tmp_project, changed)
    assert (finding.path, finding.line, finding.field) == (GOOD_RULE, 3, "rev")
    assert "bump rev to 2" in finding.message
    bumped = _rule(tmp_project, ("equals: admin", "equals: root"), ("rev: 1", "rev: 2"))
    [finding] = _check(tmp_project, bumped)
    assert "stale" in finding.message


def test_rev_going_backwards_and_unlocked_rules(tmp_project):
    source = _rule(tmp_project, ("rev: 1", "rev: 3"))
    (tmp_project / "rules.lock").write_text(lock.render([source.rule]))
    [finding] = _check(tmp_project, _rule(tmp_project, ("rev: 1", "rev: 2")))
    assert "rev went backwards (rules.lock has 3)" in finding.message
    (tmp_project / "rules.lock").write_text("{}")
    [finding] = _check(tmp_project, _rule(tmp_project))
    assert "not in rules.lock" in finding.message


def test_cli_lock_refuses_unbumped_change_and_records_bumped_one(tmp_project):
    root = str(tmp_project)
    before = (tmp_project / "rules.lock").read_text()
    _rule(tmp_project, ("equals: admin", "equals: root"))
    assert main(["--root", root, "lock"]) == EXIT_INVALID
    assert (tmp_project / "rules.lock").read_text() == before
    _rule(tmp_project, ("equals: admin", "equals: root"), ("rev: 1", "rev: 2"))
    assert main(["--root", root, "lock"]) == EXIT_OK
    assert json.loads((tmp_project / "rules.lock").read_text())["mqtt-admin-login"]["rev"] == 2
    assert main(["--root", root, "validate"]) == EXIT_OK


def test_render_is_sorted_and_stable(tmp_project):
    source = _rule(tmp_project)
    assert lock.render([source.rule]) == lock.render([source.rule])
    assert list(json.loads(lock.render([source.rule]))) == ["mqtt-admin-login"]


def test_a_lock_file_of_the_wrong_shape_is_a_finding_not_a_traceback(tmp_project, capsys):
    _rule(tmp_project)
    (tmp_project / "rules.lock").write_text(json.dumps({"mqtt-admin-login": {"rev": 1}}))   # no sha256
    assert main(["--root", str(tmp_project), "validate", "--no-siem", "--no-suricata"]) == EXIT_INVALID
    err = capsys.readouterr().err
    assert "rules.lock:1" in err and "iotdetect lock" in err and "Traceback" not in err
