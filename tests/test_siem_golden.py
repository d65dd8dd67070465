"""The SPL and KQL of every rule match the reviewed golden files in tests/golden/siem/.
After reviewing a change, re-bless with `iotdetect golden --bless` (or `make golden`)."""
from __future__ import annotations

from harness.siem import golden
from harness.backends.settings import SiemSettings
from tests.conftest import REPO

GOLDEN = REPO / "tests" / "golden" / "siem"


def test_golden_files_match_the_backends(repo_ruleset):
    expected = golden.render(repo_ruleset, SiemSettings())
    problems = golden.differences(GOLDEN, expected)
    diffs = [golden.unified_diff(GOLDEN, expected, p.name) for p in problems[:3]]
    assert not problems, "\n".join([str(p) for p in problems] + diffs) + "\nreview the change, then run `iotdetect golden --bless`"


def test_bless_writes_and_prunes(repo_ruleset, tmp_path):
    expected = golden.render(repo_ruleset, SiemSettings())
    (tmp_path / "deleted-rule.spl").write_text("old", encoding="utf-8")
    changed = golden.bless(tmp_path, expected)
    assert "deleted-rule.spl" in changed and not (tmp_path / "deleted-rule.spl").exists()
    assert golden.differences(tmp_path, expected) == []
    rule_id = repo_ruleset.sources[0].rule.id
    (tmp_path / f"{rule_id}.kql").write_text("edited", encoding="utf-8")
    assert golden.differences(tmp_path, expected) == [golden.Difference(f"{rule_id}.kql", "differs from what the backends emit now")]
    (tmp_path / f"{rule_id}.kql").unlink()
    assert [str(d) for d in golden.differences(tmp_path, expected)] == [f"{rule_id}.kql: missing"]
