"""The Suricata pack: rules, address-group vars, sid-msg.map and a tarball suricata-update accepts as a source."""
from __future__ import annotations

import io
from pathlib import Path

import idstools.rule

from harness.backends.suricata import render_vars
from harness.compile import RULES_FILENAME, compile_rules
from harness.loader import RuleSet
from harness.packaging.archive import tar_gz

VARS_FILENAME = "iotdetect-vars.yaml"


def sid_msg_map(rules_text: str) -> str:
    """v2 sid-msg.map (gid || sid || rev || classtype || priority || msg || refs), written by idstools
    itself from the compiled text, so it matches what suricata-update/barnyard tooling expects."""
    rules = sorted(idstools.rule.parse_fileobj(io.StringIO(rules_text)), key=lambda r: (r.gid, r.sid))
    return "".join(idstools.rule.format_sidmsgmap_v2(rule) + "\n" for rule in rules)


def tarball_name(release: str) -> str:
    return f"iotdetect-{release}.rules.tar.gz"


def stage(ruleset: RuleSet, folder: Path, release: str, mtime: int) -> None:
    target = folder / "suricata"
    target.mkdir(parents=True)
    text = compile_rules(ruleset, release).text
    (target / RULES_FILENAME).write_text(text, encoding="utf-8")
    (target / VARS_FILENAME).write_text(render_vars(ruleset.networks, release), encoding="utf-8")
    (target / "sid-msg.map").write_text(sid_msg_map(text), encoding="utf-8")
    # suricata-update reads every *.rules member of a source archive; rules/ is the ET/Snort layout.
    members = {f"rules/{RULES_FILENAME}": text.encode(), "rules/sid-msg.map": sid_msg_map(text).encode(),
               f"rules/{VARS_FILENAME}": render_vars(ruleset.networks, release).encode()}
    (target / tarball_name(release)).write_bytes(tar_gz(members, mtime))
