"""Release manifests and the CHANGELOG section diffed against the previous release.

The previous release is `releases/<version>.json`, the release manifest `iotdetect dist --record`
writes and the release manager commits with the tag. A file in the tree (not `git show <tag>:...`)
keeps the diff working in tarball checkouts and shallow CI clones that carry no tags.
"""
from __future__ import annotations

import json
from pathlib import Path

from harness.rules.lock import detection_hash
from harness.version import version_key
from harness.rules.model import Rule


def manifest(rules: list[Rule], release: str) -> dict:
    return {"version": release, "rules": {
        r.id: {"sid": r.sid, "rev": r.rev, "status": r.status, "title": r.title, "sha256": detection_hash(r)}
        for r in sorted(rules, key=lambda r: r.id)}}


def render_manifest(data: dict) -> str:
    return json.dumps(data, indent=2, sort_keys=True) + "\n"



def previous(releases_dir: Path, release: str) -> dict | None:
    """The newest recorded release older than this one, or None for the first release."""
    older = [p for p in releases_dir.glob("*.json") if version_key(p.stem) < version_key(release)]
    if not older:
        return None
    newest = max(older, key=lambda p: version_key(p.stem))
    return json.loads(newest.read_text(encoding="utf-8"))


def diff(current: dict, before: dict | None) -> dict[str, list[str]]:
    old = (before or {"rules": {}})["rules"]
    new = current["rules"]
    added, changed, deprecated, removed = [], [], [], []
    for rule_id, entry in sorted(new.items()):
        was = old.get(rule_id)
        if was is None:
            added.append(f"`{rule_id}` (sid {entry['sid']}, rev {entry['rev']}): {entry['title']}")
        elif entry["status"] == "deprecated" and was["status"] != "deprecated":
            deprecated.append(f"`{rule_id}` (sid {entry['sid']})")
        elif entry["rev"] != was["rev"]:
            changed.append(f"`{rule_id}` (sid {entry['sid']}): rev {was['rev']} → {entry['rev']}")
    for rule_id, entry in sorted(old.items()):
        if rule_id not in new:
            removed.append(f"`{rule_id}` (sid {entry['sid']})")
    return {"Added": added, "Changed": changed, "Deprecated": deprecated, "Removed": removed}


def section(current: dict, before: dict | None, day: str) -> str:
    since = f"since {before['version']}" if before else "first release"
    lines = [f"## {current['version']} — {day}", "", f"Rule changes ({since}).", ""]
    for heading, items in diff(current, before).items():
        if items:
            lines += [f"### {heading}", ""] + [f"- {item}" for item in items] + [""]
    if not any(diff(current, before).values()):
        lines += ["No rule changes.", ""]
    return "\n".join(lines)
