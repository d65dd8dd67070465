"""No quadratic step between a rule file and the build folder: 5,000 generated rules (bench/synth.py)
must cost less than 3x 2,500 (linear is 2x, quadratic 4x). Measured as CPU seconds of this process
(the machine may be shared; CPU time moves less than wall time), the best of two runs per size.
Absolute figures live in bench/e2e.py. ~20 s of CPU, so it runs when IOTDETECT_SCALE=1 (make bench
sets it), not in every `make test`."""
from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

import pytest

from harness.cases import pcaps
from harness.release.build import build
from harness.rules import lock
from harness.rules.loader import load_project
from harness.rules.project import Project

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
import synth  # noqa: E402

pytestmark = pytest.mark.skipif(not os.environ.get("IOTDETECT_SCALE"),
                                reason="scale shape test: set IOTDETECT_SCALE=1 (make bench runs it)")


def _library(folder: Path, count: int) -> Project:
    (folder / "rules").mkdir(parents=True)
    shutil.copy(REPO / "rules" / "networks.yaml", folder / "rules" / "networks.yaml")
    for index in range(count):
        category, text = synth.rule_text(index)
        (folder / "rules" / category).mkdir(exist_ok=True)
        (folder / "rules" / category / f"synthetic-{category.split('-')[1]}-{index:06d}.yaml").write_text(text, encoding="utf-8")
    project = Project(folder)
    ruleset = load_project(project, check_lock=False)
    lock.update([(s.rule, s.path, s.lines) for s in ruleset.sources], project.lock_file)
    return project


def _cpu_seconds(project: Project, out: Path) -> tuple[float, int]:
    """validate's in-process steps (load, lock, roles of every case) and build (every target, files written)."""
    started = time.process_time()
    ruleset = load_project(project)
    assert pcaps.role_findings(pcaps.all_refs(ruleset), project, ruleset.networks) == []
    written = build(ruleset, out, verify_with_suricata=False)
    return time.process_time() - started, written


def test_validate_and_build_cost_grows_linearly(tmp_path):
    costs, files = {}, {}
    for count in (2_500, 5_000):
        project = _library(tmp_path / f"lib-{count}", count)
        runs = [_cpu_seconds(project, tmp_path / f"build-{count}") for _ in range(2)]
        costs[count] = min(seconds for seconds, _ in runs)
        files[count] = runs[0][1]
    assert abs(files[5_000] - 2 * files[2_500]) < 10   # twice the rules, twice the files (+ the fixed few)
    ratio = costs[5_000] / costs[2_500]
    assert ratio < 3, f"5,000 rules cost {costs[5_000]:.1f} s, 2,500 rules {costs[2_500]:.1f} s: x{ratio:.2f} (linear is x2)"
