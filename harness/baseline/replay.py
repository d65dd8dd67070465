"""Replay day pcaps through the real Suricata with the baseline rules and/or the project's rules."""
from __future__ import annotations

from pathlib import Path

from harness.suricata.engine import Job, make_engine, read_eve
from harness.suricata.ruleset import CompiledRules, compile_rules
from harness.suricata.workspace import prepare_workspace
from harness.rules.loader import RuleSet


def replay(ruleset: RuleSet, pcaps: dict[str, Path], folder: Path, rules: str | None = None,
           files: dict[str, str] | None = None, engine: str = "process") -> dict[str, list[dict]]:
    """key -> EVE records. `rules` default: the project's compiled rules (the engines require at
    least one rule: they check Suricata's loaded-rule count). `files` (name -> text) are written next
    to the rules file: Suricata 7 resolves a dataset's relative `load` file against its directory."""
    rules_ = compile_rules(ruleset) if rules is None else compiled(rules)
    workspace = prepare_workspace(ruleset, folder / "engine", compiled=rules_, side_files=files)
    jobs = [Job(key, pcap, folder / "out" / key) for key, pcap in pcaps.items()]
    make_engine(engine).run(workspace, jobs)
    return {job.key: read_eve(job.outdir) for job in jobs}


def compiled(text: str) -> CompiledRules:
    """Rules text not made from rule files (baseline rules, or those plus the project's): every
    rule line is counted, so the engines' loaded-versus-written check holds; none maps to a YAML."""
    lines = {number: None for number, line in enumerate(text.splitlines(), start=1)
             if line.strip() and not line.lstrip().startswith("#")}
    return CompiledRules(text, lines)
