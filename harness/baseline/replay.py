"""Replay day pcaps through the real Suricata with only the baseline rules loaded."""
from __future__ import annotations

from pathlib import Path

from harness.compile import RULES_FILENAME, CompiledRules, write_harness_config
from harness.engine import Job, Workspace, make_engine, read_eve
from harness.loader import RuleSet


def replay(ruleset: RuleSet, pcaps: dict[str, Path], folder: Path, rules: str = "",
           files: dict[str, str] | None = None, engine: str = "process") -> dict[str, list[dict]]:
    """key -> EVE records. `files` (name -> text) are written next to the rules file: Suricata 7
    resolves a dataset's relative `load` file against the directory of the rules file."""
    work = folder / "engine"
    write_harness_config(ruleset, work)
    (work / RULES_FILENAME).write_text(rules or "# no baseline rules\n", encoding="utf-8")
    for name, text in (files or {}).items():
        (work / name).write_text(text, encoding="utf-8")
    workspace = Workspace(work, CompiledRules(rules, {}), ruleset.project.root)
    jobs = [Job(key, pcap, folder / "out" / key) for key, pcap in pcaps.items()]
    make_engine(engine).run(workspace, jobs)
    return {job.key: read_eve(job.outdir) for job in jobs}
