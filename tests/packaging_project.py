"""A small release project in tmp_path for the packaging tests (the content library keeps moving):
the fixture template plus the guide's threshold rule and one IDS-only payload rule."""
from __future__ import annotations

import shutil
from pathlib import Path

from tests.tmp_project import GUIDE_RULE, guide_rule_text
from harness.rules import lock
from harness.rules.loader import load_project
from harness.rules.project import Project

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent

PAYLOAD_RULE = """\
id: coap-payload-probe
sid: 9100950
rev: 2
title: CoAP probe with a discovery payload
description: IDS-only fixture rule (raw payload, no hunt search).
response: Nothing to do; this rule only exists in tests.
severity: low
status: experimental
created: 2026-01-01
updated: 2026-02-01
attack: [T0846]
compliance: {nistir-8259a: [Device identification]}
detection:
  protocol: udp
  destination_port: [5683]
  payload:
    - {content: "well-known"}
tests:
  - name: probe
    traffic: {generator: coap.request, args: {}}
    expect: {alerts: 1}
  - name: quiet
    traffic: {generator: coap.request, args: {uri_path: sensors/temp}}
    expect: {alerts: 0}
"""


def make_release_project(dest: Path) -> Project:
    shutil.copytree(TESTS / "fixtures" / "project", dest, dirs_exist_ok=True)
    (dest / "rules" / "scanning").mkdir(parents=True, exist_ok=True)
    (dest / "rules" / "scanning" / GUIDE_RULE.name).write_text(guide_rule_text(), encoding="utf-8")
    (dest / "rules" / "iot" / "coap-payload-probe.yaml").write_text(PAYLOAD_RULE, encoding="utf-8")
    project = Project(dest)
    ruleset = load_project(project, check_lock=False)
    project.lock_file.write_text(lock.render(list(ruleset.rules)), encoding="utf-8")
    return project


def load(project: Project):
    return load_project(project, check_lock=False)
