"""Throw-away projects in tmp_path, so harness tests do not move with the growing content library.

The template (tests/fixtures/project) holds its own networks.yaml and one good rule; a test copies
it, overlays files (a broken-rule case, extra rules) and writes rules.lock the way `iotdetect lock`
would, from every rule file that parses.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from harness.rules import lock
from harness.rules.loader import load_rule_file
from harness.rules.project import Project

TESTS = Path(__file__).resolve().parent
TEMPLATE = TESTS / "fixtures" / "project"
GOOD_RULE = "rules/iot/mqtt-admin-login.yaml"


def copy_template(dest: Path) -> Path:
    shutil.copytree(TEMPLATE, dest, dirs_exist_ok=True)
    return dest


def overlay(root: Path, folder: Path) -> None:
    """Copy folder's rules/ (and anything else but expected.yaml) over the project."""
    for path in folder.rglob("*"):
        if path.is_file() and path.name != "expected.yaml":
            target = root / path.relative_to(folder)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)


def write_lock(root: Path) -> None:
    """rules.lock for every rule file that parses (broken files have no entry, like after `lock`)."""
    project = Project(root)
    rules = [source.rule for path in project.rule_files()
             for source, _ in [load_rule_file(path, root)] if source is not None]
    project.lock_file.write_text(lock.render(rules), encoding="utf-8")


def write_rule(root: Path, relpath: str, text: str) -> Path:
    path = root / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def good_rule_text(*replacements: tuple[str, str]) -> str:
    """The template's good rule with literal (old, new) replacements; each old text occurs once."""
    text = (TEMPLATE / GOOD_RULE).read_text(encoding="utf-8")
    for old, new in replacements:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def make_project(dest: Path) -> Path:
    copy_template(dest)
    write_lock(dest)
    return dest


@pytest.fixture
def tmp_project(tmp_path) -> Path:
    """A valid one-rule project (networks.yaml, one MQTT rule, rules.lock) in tmp_path/project."""
    return make_project(tmp_path / "project")


GUIDE_RULE = Path(__file__).resolve().parent.parent / "rules" / "scanning" / "iot-vlan-unauthorized-access.yaml"


def guide_rule_text() -> str:
    """The guide's rule (its detection as shipped) with two generator cases of its own: the repo's
    cases also replay lab captures and name other rules, which a small tmp project does not hold."""
    detection = GUIDE_RULE.read_text(encoding="utf-8").split("\ntests:\n")[0]
    scan = "{generator: tcp.syn_scan, args: {src: $CORP_NET, dst: $IOT_NET, dports: [%s], interval: 2}}"
    return (detection + "\ntests:\n"
            "  - name: five attempts in ten seconds\n"
            f"    traffic: {scan % '22, 23, 80, 443, 8080'}\n"
            "    expect: {alerts: 1}\n"
            "  - name: four attempts stay below the threshold\n"
            f"    traffic: {scan % '22, 23, 80, 443'}\n"
            "    expect: {alerts: 0}\n")
