"""Hostile rule files (issue 11): every one is a located `file:line: message` finding with exit 2 from
`iotdetect validate` (nothing hangs, nothing grows, no traceback). The alias bomb and the FIFO run in
a subprocess with a time-out: before the limits they hung the loader for good."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from harness.rules import yamlsource
from harness.cli import EXIT_INVALID, main
from tests.tmp_project import GOOD_RULE, good_rule_text, tmp_project, write_rule  # noqa: F401  (fixture)

EXTRA = "rules/iot/extra-rule.yaml"


def _validate(root, capsys) -> list[str]:
    assert main(["--root", str(root), "validate", "--no-siem"]) == EXIT_INVALID
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err.splitlines()


def _validate_in_subprocess(root) -> list[str]:
    result = subprocess.run([sys.executable, "-m", "harness.cli", "--root", str(root), "validate", "--no-siem"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == EXIT_INVALID, result.stderr
    assert "Traceback" not in result.stderr
    return result.stderr.splitlines()


def test_alias_bomb_is_refused_quickly(tmp_project):
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 9) + "]" for n in range(1, 10)]
    write_rule(tmp_project, EXTRA, "\n".join(lines) + "\nid: *a9\n")
    err = _validate_in_subprocess(tmp_project)
    assert any(line.startswith(f"{EXTRA}:") and "alias bomb" in line for line in err), err


def test_fifo_is_refused_without_blocking(tmp_project):
    os.mkfifo(tmp_project / "rules" / "iot" / "pipe.yaml")
    err = _validate_in_subprocess(tmp_project)
    assert "rules/iot/pipe.yaml:1: not a regular file (FIFO, socket or device); refused" in err


def test_symlink_out_of_the_project_is_refused(tmp_project, capsys):
    (tmp_project / "rules" / "iot" / "zero.yaml").symlink_to("/dev/zero")
    assert any(line.startswith("rules/iot/zero.yaml:1: symlink points outside the project")
               for line in _validate(tmp_project, capsys))


def test_symlink_to_a_file_outside_is_refused(tmp_project, tmp_path, capsys):
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text(good_rule_text())
    (tmp_project / "rules" / "iot" / "linked.yaml").symlink_to(outside)
    assert any(line.startswith("rules/iot/linked.yaml:1: symlink points outside the project")
               for line in _validate(tmp_project, capsys))


def test_dangling_symlink(tmp_project, capsys):
    (tmp_project / "rules" / "iot" / "gone.yaml").symlink_to(tmp_project / "nothing-here.yaml")
    assert any(line.startswith("rules/iot/gone.yaml:1: dangling symlink")
               for line in _validate(tmp_project, capsys))


def test_folder_named_like_a_rule_file(tmp_project, capsys):
    (tmp_project / "rules" / "iot" / "x.yaml").mkdir()
    assert "rules/iot/x.yaml:1: is a folder; rule files must be regular files" in _validate(tmp_project, capsys)


def test_oversized_file(tmp_project, capsys):
    write_rule(tmp_project, EXTRA, good_rule_text() + "#" * (yamlsource.MAX_BYTES + 1) + "\n")
    assert any(line.startswith(f"{EXTRA}:1: file is ") and "the limit is" in line
               for line in _validate(tmp_project, capsys))


def test_unhashable_key(tmp_project, capsys):
    write_rule(tmp_project, EXTRA, "id: x\n? [a, b]\n: 1\n")
    assert f"{EXTRA}:2: a mapping key must be a plain value, not a list or mapping" in _validate(tmp_project, capsys)


def test_flow_mapping_as_key(tmp_project, capsys):
    write_rule(tmp_project, EXTRA, "id: x\ndetection: {{a: 1}: 2}\n")
    assert f"{EXTRA}:2: a mapping key must be a plain value, not a list or mapping" in _validate(tmp_project, capsys)


def test_non_utf8_file_names_the_line(tmp_project, capsys):
    path = tmp_project / EXTRA
    path.write_bytes(good_rule_text().encode().replace(b"A fixture rule", b"A fixture \xff rule"))
    line = good_rule_text().splitlines().index("description: A fixture rule for the harness tests.") + 1
    assert any(text.startswith(f"{EXTRA}:{line}: not UTF-8 (byte 0xff") for text in _validate(tmp_project, capsys))


def test_bad_date_names_the_line(tmp_project, capsys):
    write_rule(tmp_project, GOOD_RULE, good_rule_text(("created: 2026-01-01", "created: 2026-13-45")))
    assert any(line.startswith(f"{GOOD_RULE}:9: invalid timestamp '2026-13-45'") for line in _validate(tmp_project, capsys))


def test_fifty_thousand_brackets(tmp_project, capsys):
    write_rule(tmp_project, EXTRA, "id: " + "[" * 50_000 + "\n")
    assert any(line.startswith(f"{EXTRA}:1: ") for line in _validate(tmp_project, capsys))


def test_nesting_deeper_than_the_limit(tmp_project, capsys):
    depth = yamlsource.MAX_DEPTH + 5
    write_rule(tmp_project, EXTRA, "id: " + "[" * depth + "]" * depth + "\n")
    assert f"{EXTRA}:1: nested deeper than {yamlsource.MAX_DEPTH} levels" in _validate(tmp_project, capsys)


def test_unknown_tag(tmp_project, capsys):
    write_rule(tmp_project, EXTRA, "id: !!python/object:os.system x\n")
    assert f"{EXTRA}:1: unsupported YAML tag tag:yaml.org,2002:python/object:os.system" in _validate(tmp_project, capsys)


def test_symlink_inside_the_project_is_read(tmp_project, capsys):
    # Refusing every symlink would break a library that links shared files; inside the project is fine.
    target = tmp_project / "shared" / "mqtt-admin-login.yaml"
    target.parent.mkdir()
    (tmp_project / GOOD_RULE).rename(target)
    (tmp_project / GOOD_RULE).symlink_to(target)
    assert main(["--root", str(tmp_project), "validate", "--no-siem"]) == 0


@pytest.mark.parametrize("text, line", [("a: 1\na: 2\n", 2), ("a:\n  b: 1\n  c: [1, 2]\n  b: 3\n", 4)])
def test_duplicate_keys_still_rejected(text, line):
    with pytest.raises(yamlsource.YamlSourceError) as caught:
        yamlsource.parse(text)
    assert caught.value.line == line and "duplicate key" in caught.value.message


def test_lines_and_values_match_pyyaml():
    import yaml
    text = good_rule_text()
    data, lines = yamlsource.parse(text)
    assert data == yaml.safe_load(text)
    assert lines[("id",)] == 1 and lines[("detection", "protocol")] == 13
    assert lines[("detection", "where")] == 17 and lines[("detection", "where", 0, "field")] == 18
