import json

from harness.release import changelog


def _entry(sid, rev, status="stable"):
    return {"sid": sid, "rev": rev, "status": status, "title": f"rule {sid}", "sha256": ""}


def test_diff_by_id():
    before = {"version": "0.1.0", "rules": {"a": _entry(1, 1), "b": _entry(2, 1), "c": _entry(3, 1), "d": _entry(4, 2)}}
    now = {"version": "0.2.0", "rules": {"a": _entry(1, 1), "b": _entry(2, 2), "c": _entry(3, 1, "deprecated"),
                                         "e": _entry(5, 1)}}
    diff = changelog.diff(now, before)
    assert diff["Added"] == ["`e` (sid 5, rev 1): rule 5"]
    assert diff["Changed"] == ["`b` (sid 2): rev 1 → 2"]
    assert diff["Deprecated"] == ["`c` (sid 3)"]
    assert diff["Removed"] == ["`d` (sid 4)"]


def test_previous_is_the_newest_older_release(tmp_path):
    for version in ("0.1.0", "0.9.0", "0.10.0", "1.0.0"):
        (tmp_path / f"{version}.json").write_text(json.dumps({"version": version, "rules": {}}))
    assert changelog.previous(tmp_path, "1.0.0")["version"] == "0.10.0"
    assert changelog.previous(tmp_path, "0.1.0") is None


def test_first_release_lists_everything_as_added():
    text = changelog.section({"version": "0.1.0", "rules": {"a": _entry(1, 1)}}, None, "2026-01-01")
    assert text.startswith("## 0.1.0 — 2026-01-01") and "first release" in text and "- `a` (sid 1" in text
