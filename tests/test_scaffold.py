"""`iotdetect new`: writes under the given project root only, and what it writes validates and runs."""
from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.rules.errors import UsageError
from harness.cli import EXIT_INVALID, EXIT_OK, main
from harness.scaffold import next_sid, scaffold
from harness.rules.types import SID_MAX, SID_MIN

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def project_with_generators(tmp_project):
    """The throw-away project plus a copy of the repository's generators/ package."""
    shutil.copytree(REPO / "generators", tmp_project / "generators",
                    ignore=shutil.ignore_patterns("__pycache__", "local_*"))
    return tmp_project


def test_next_sid():
    assert next_sid(set()) == SID_MIN
    assert next_sid({SID_MIN, SID_MIN + 5}) == SID_MIN + 6
    assert next_sid({SID_MIN, SID_MAX}) == SID_MIN + 1          # top taken: first gap
    with pytest.raises(UsageError, match="full"):
        next_sid(set(range(SID_MIN, SID_MAX + 1)))


def test_new_writes_under_the_root_and_validates_after_lock(project_with_generators):
    root = str(project_with_generators)
    assert main(["--root", root, "new", "scanning/foo-bar"]) == EXIT_OK
    rule = project_with_generators / "rules" / "scanning" / "foo-bar.yaml"
    stub = project_with_generators / "generators" / "local_foo_bar.py"
    assert rule.is_file() and stub.is_file()
    registry = (project_with_generators / "generators" / "registry.py").read_text()
    assert '"local.foo_bar": "local_foo_bar:scenario",' in registry
    assert "local.foo_bar" not in (REPO / "generators" / "registry.py").read_text()   # the real one untouched
    assert not (REPO / "generators" / "local_foo_bar.py").exists()
    assert "sid: 9100901" in rule.read_text()                     # after the template rule's 9100900
    assert main(["--root", root, "validate"]) == EXIT_INVALID     # not in rules.lock yet
    assert main(["--root", root, "lock"]) == EXIT_OK
    assert main(["--root", root, "validate"]) == EXIT_OK


def test_scaffolded_rule_passes_its_cases_with_its_generator_stub(project_with_generators):
    """End to end in a fresh interpreter whose `generators` package is the project's copy."""
    root = project_with_generators
    assert main(["--root", str(root), "new", "scanning/foo-bar"]) == EXIT_OK
    assert main(["--root", str(root), "lock"]) == EXIT_OK
    env = {**os.environ, "PYTHONPATH": str(root)}
    for verb in (["pcaps"], ["test", "foo-bar"]):
        result = subprocess.run([sys.executable, "-m", "harness.cli", "--root", str(root), *verb], cwd=root,
                                env=env, capture_output=True, text=True)
        assert result.returncode == EXIT_OK, result.stdout + result.stderr
    assert "2 passed, 0 failed" in result.stdout + result.stderr


def test_new_refuses_bad_names_existing_files_and_missing_registry(project_with_generators, capsys):
    root = str(project_with_generators)
    assert main(["--root", root, "new", "Scanning/Foo"]) == EXIT_INVALID
    assert main(["--root", root, "new", "scanning/foo-bar"]) == EXIT_OK
    assert main(["--root", root, "new", "scanning/foo-bar"]) == EXIT_INVALID
    assert "exists already" in capsys.readouterr().err
    shutil.rmtree(project_with_generators / "generators")
    assert main(["--root", root, "new", "scanning/other-rule"]) == EXIT_INVALID
    assert "registry.py is missing" in capsys.readouterr().err
    assert not (project_with_generators / "rules" / "scanning" / "other-rule.yaml").exists()


def test_scaffold_dates_the_rule(project_with_generators):
    paths = scaffold(project_with_generators, "iot/dated-rule", {9100900}, today=dt.date(2030, 1, 2))
    assert "created: 2030-01-02" in paths[0].read_text()
