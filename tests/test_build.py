"""`iotdetect build`: all or nothing, deterministic, and its output loads in Suricata."""
from __future__ import annotations

import subprocess

import yaml

from harness.cli import EXIT_INVALID, EXIT_OK, main
from harness.suricata.ruleset import RULES_FILENAME
from harness.suricata.workspace import write_harness_config
from harness.suricata.engine import suricata_binary
from harness.rules.loader import load_project
from harness.rules.project import Project
from tests.tmp_project import GOOD_RULE, good_rule_text, write_lock, write_rule


def _build(root, out) -> int:
    return main(["--root", str(root), "build", "--out", str(out)])


def _files(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_build_output_loads_in_suricata(tmp_project, tmp_path):
    out = tmp_path / "out"
    assert _build(tmp_project, out) == EXIT_OK
    rules = out / "suricata" / RULES_FILENAME
    assert "sid:9100900;" in rules.read_text()
    variables = yaml.safe_load((out / "suricata" / "iotdetect-vars.yaml").read_text())["vars"]["address-groups"]
    assert variables["IOT_NET"] == "[192.168.200.0/24]" and variables["EXTERNAL_NET"] == "[!$HOME_NET]"
    config = write_harness_config(load_project(Project(tmp_project)), tmp_path / "cfg")
    result = subprocess.run([suricata_binary(), "-T", "-v", "--init-errors-fatal", "-c", str(config), "-S", str(rules),
                             "-l", str(tmp_path / "cfg")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "1 rules successfully loaded, 0 rules failed" in result.stdout + result.stderr


def test_build_is_deterministic_and_replaces_out_as_a_whole(tmp_project, tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    assert _build(tmp_project, first) == EXIT_OK
    (second / "stale").mkdir(parents=True)
    (second / "stale" / "old.rules").write_text("old")
    assert _build(tmp_project, second) == EXIT_OK
    assert _files(first) == _files(second)            # byte-identical, stale file gone
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b", "project"]   # no staging folder left


def test_rule_suricata_rejects_fails_the_build_and_writes_nothing(tmp_project, tmp_path, capsys):
    write_rule(tmp_project, GOOD_RULE, good_rule_text(
        ("  classtype: policy-violation\n", "  classtype: policy-violation\n  options:\n    - {keyword: dsize, value: abc}\n")))
    write_lock(tmp_project)
    out = tmp_path / "out"
    (out / "suricata").mkdir(parents=True)
    (out / "suricata" / RULES_FILENAME).write_text("# previous good build\n")
    assert _build(tmp_project, out) == EXIT_INVALID
    assert _files(out) == {f"suricata/{RULES_FILENAME}": b"# previous good build\n"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "project"]
    err = capsys.readouterr().err
    assert f"{GOOD_RULE}:12: [detection] Suricata: detect-dsize: Parsing 'abc' failed" in err
    assert "1 problem(s); nothing written" in err


def test_rebuild_links_unchanged_files_and_writes_changed_ones(tmp_project, tmp_path):
    out = tmp_path / "out"
    assert _build(tmp_project, out) == EXIT_OK
    searches = sorted((out / "siem").rglob("mqtt-admin-login.*"))
    assert searches, "the rule's SIEM searches"
    inodes = {p: p.stat().st_ino for p in searches}
    before = _files(out)
    assert _build(tmp_project, out) == EXIT_OK
    assert _files(out) == before
    assert {p: p.stat().st_ino for p in searches} == inodes        # the same files, hard-linked, not rewritten
    assert all(p.stat().st_nlink == 1 for p in searches)            # the old output is gone
    write_rule(tmp_project, GOOD_RULE, good_rule_text(("equals: admin", "equals: root"),
                                                    ("username: admin}", "username: root}")))
    write_lock(tmp_project)
    assert _build(tmp_project, out) == EXIT_OK
    changed = [p for p in searches if p.read_bytes() != before[str(p.relative_to(out))]]
    assert changed and all(p.stat().st_ino != inodes[p] for p in changed)   # new bytes in a new file
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "project"]   # no staging or old folder left


def test_many_files_are_written_over_every_core_and_linked_where_unchanged(tmp_path):
    from harness.rules.outfiles import PARALLEL_MIN_FILES, write_files
    files = [(f"f{i}.txt", f"{i}\n".encode()) for i in range(PARALLEL_MIN_FILES + 7)]
    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()
    assert write_files(tmp_path / "old", files) == 0
    assert sorted(p.name for p in (tmp_path / "old").iterdir()) == sorted(name for name, _ in files)
    (tmp_path / "old" / "f3.txt").write_bytes(b"edited by hand\n")
    assert write_files(tmp_path / "new", files, previous=tmp_path / "old") == len(files) - 1
    assert {p.name: p.read_bytes() for p in (tmp_path / "new").iterdir()} == dict(files)
    assert (tmp_path / "new" / "f3.txt").stat().st_nlink == 1 and (tmp_path / "new" / "f4.txt").stat().st_nlink == 2


def test_the_index_is_written_as_the_standard_library_writes_it():
    """siem/index.json through orjson (harness/siem/stage.py): byte for byte json.dumps(indent=2,
    sort_keys=True), for ASCII text and for text json.dumps escapes."""
    import json
    from harness.siem.stage import _json_bytes
    for data in ({"b-rule": {"files": ["spl/b-rule.alert.spl"], "sid": 9100001, "hunt_unavailable": None}, "a": {"x": []}},
                 {"r": {"hunt_unavailable": "café ≥ \u2028 \x01 \"quoted\" \\"}}):
        assert _json_bytes(data) == (json.dumps(data, indent=2, sort_keys=True) + "\n").encode("utf-8")
