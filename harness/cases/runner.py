"""The regression run: every case's pcap through Suricata with the whole rule set, then verdicts."""
from __future__ import annotations

import collections
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from harness.cases import pcapcheck, pcapinputs
from harness.rules.errors import RuleErrors, writing
from harness.suricata.workspace import prepare_workspace
from harness.suricata.engine import BatchEngine, Engine, Job, alerts, read_eve
from harness.suricata import digests
from harness.suricata.merged import MergedEngine
from harness.rules.loader import RuleSet, gc_paused
from harness.cases.pcaps import BaselineRef, CaseRef, all_refs, ensure
from harness.cases.traffic import Resolved, plan_for, stage_captures


@dataclass(frozen=True)
class Verdict:
    ref: CaseRef | BaselineRef
    expected: dict[int, int]              # sid -> alert count
    actual: dict[int, int]
    alert_records: tuple[dict, ...]
    eve_path: Path
    sid_names: dict[int, str] = field(default_factory=dict)
    event_count: int = 0                  # every EVE record of the case, alerts or not

    @property
    def passed(self) -> bool:
        return self.expected == self.actual

    @property
    def cross_rule_hits(self) -> dict[int, int]:
        return {sid: n for sid, n in self.actual.items() if sid not in self.expected}

    def explain(self) -> str:
        if self.passed:
            return "ok"
        lines = []
        for sid in sorted(set(self.expected) | set(self.actual)):
            want, got = self.expected.get(sid, 0), self.actual.get(sid, 0)
            if want != got:
                name = self.sid_names.get(sid, "unknown sid")
                kind = " (cross-rule false positive)" if sid not in self.expected else ""
                lines.append(f"sid {sid} [{name}]: expected {want} alerts, got {got}{kind}")
        lines.append(f"eve: {self.eve_path}")
        for record in self.alert_records[:10]:
            alert = record.get("alert", {})
            lines.append(f"  alert {alert.get('signature_id')} {alert.get('signature')!r} "
                         f"{record.get('src_ip')}:{record.get('src_port')} -> {record.get('dest_ip')}:{record.get('dest_port')}"
                         f" app_proto={record.get('app_proto')}")
        return "\n".join(lines)




def run_cases(ruleset: RuleSet, refs: list[CaseRef | BaselineRef], engine: Engine, workdir: Path, progress=None,
              config: Path | None = None, keep_eve: bool = True) -> list[Verdict]:
    """Every case on the ruleset's site plan: generator pcaps of that plan (generated into the cache
    first when it is not the project's own), captures rewritten onto its hosts where they map them.
    keep_eve=False: the merged engine need not write each case's eve.json (nobody reads it after)."""
    project = ruleset.project
    plan = plan_for(project, ruleset.networks)
    resolved = Resolved(plan, project.root)     # every case's roles, memoised: resolved once, not per check
    digests.remember(project.root)              # pcaps hashed by an earlier run, found by their stat stamp
    ensure(refs, project, plan, resolved)
    generated_dir, captures_dir = project.generated_dir, project.pcaps_dir
    # Missing, unreadable, unsupported or empty captures are located errors before anything runs:
    # Suricata would read an empty one silently and a negative case would pass.
    problems = pcapcheck.case_findings(refs, generated_dir, captures_dir, project.root)
    # A generator changed since its committed pcap was written: replaying the old one proves nothing.
    problems += pcapinputs.findings(refs, project, plan, missing_ok=True, resolved=resolved)
    if problems:
        raise RuleErrors(problems)
    workspace = prepare_workspace(ruleset, workdir / "engine", engine.config_data_dir, config=config)
    pcaps = stage_captures([(ref, ref.pcap_path(generated_dir, captures_dir)) for ref in refs], plan,
                           workdir / "captures", project.root, resolved=resolved)
    resolved.save()
    digests.save(project.root)
    jobs = {ref.key: Job(ref.key, pcaps[ref.key], workdir / "cases" / ref.key) for ref in refs}
    for job in jobs.values():      # Suricata appends to eve.json: a kept folder must not leak old alerts
        if job.outdir.exists():
            shutil.rmtree(job.outdir)
    if isinstance(engine, MergedEngine):    # for this run only: a caller's engine keeps its own setting
        previous, engine.write_eve = engine.write_eve, keep_eve
        try:
            engine.run(workspace, list(jobs.values()), progress)
        finally:
            engine.write_eve = previous
    else:
        engine.run(workspace, list(jobs.values()), progress)
    names = {s.rule.sid: s.rule.id for s in ruleset.sources}
    known = engine.results if isinstance(engine, MergedEngine) else (lambda key: None)
    verdicts = [_verdict(ruleset, ref, jobs[ref.key].outdir, names, known(ref.key)) for ref in refs]
    failing = [v.ref.key for v in verdicts if not v.passed]
    if failing and isinstance(engine, MergedEngine) and workspace.config_file is None:
        # A failure is always the verdict of a case replayed alone (the batch engine's way): a
        # neighbour in a merged pcap can never be the reason a case is reported broken.
        for key in failing:
            shutil.rmtree(jobs[key].outdir, ignore_errors=True)
        BatchEngine(workers=engine.workers).run(workspace, [jobs[key] for key in failing])
        again = set(failing)
        verdicts = [_verdict(ruleset, v.ref, jobs[v.ref.key].outdir, names) if v.ref.key in again else v
                    for v in verdicts]
    return verdicts


def _verdict(ruleset: RuleSet, ref, outdir: Path, names: dict[int, str], known=None) -> Verdict:
    """known: (alert records, EVE record count) the engine already parsed; else eve.json is read."""
    if known is None:
        events = read_eve(outdir)
        records, count = alerts(events), len(events)
    else:
        records, count = known
    actual = collections.Counter(r["alert"]["signature_id"] for r in records)
    return Verdict(ref, ref.expected(ruleset), dict(actual), tuple(records), outdir / "eve.json", names, count)


def run_suite(ruleset: RuleSet, engine: Engine, rule_ids: list[str] | None = None, progress=None,
              keep: Path | None = None, config: Path | None = None,
              shard: tuple[int, int] | None = None) -> list[Verdict]:
    """The selected rules' cases (all cases and baselines when none is selected), only those of
    `shard` (K, N) when given. EVE output goes to `keep` when given, else to a temporary folder
    removed afterwards. config: see prepare_workspace."""
    refs = all_refs(ruleset, rule_ids or None)
    if shard is not None:
        from harness.cases import shard as shards
        refs = shards.select(refs, shard)
    # The split makes a tuple per EVE record (~27,000): CPython's collector, run every 700
    # allocations, then rescans whatever the caller holds, 0.02-0.15 s a run; nothing here makes
    # reference cycles (loader.gc_paused, as for loading the rules).
    with gc_paused():
        if keep is not None:
            with writing(keep):
                return run_cases(ruleset, refs, engine, keep, progress, config)
        with writing(Path(tempfile.gettempdir())), tempfile.TemporaryDirectory(prefix="iotdetect-run-") as tmp:
            return run_cases(ruleset, refs, engine, Path(tmp), progress, config, keep_eve=False)


def baseline_summary(verdicts: list[Verdict]) -> dict | None:
    """What the coverage report says about the benign baselines."""
    baselines = [v for v in verdicts if v.ref.suite == "baseline"]
    if not baselines:
        return None
    return {"name": ", ".join(v.ref.name for v in baselines), "events": sum(v.event_count for v in baselines),
            "alerts": sum(len(v.alert_records) for v in baselines), "passed": all(v.passed for v in baselines)}
