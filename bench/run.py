"""Benchmark: the regression suite on every local engine (process, batch, merged) side by side with
the engine floor, and compile throughput on N synthetic rules. Prints figures; asserts nothing.
Wall time and CPU time (this process and every Suricata it started): on a shared machine the CPU
seconds are the steadier figure.

    .venv/bin/python bench/run.py [--synthetic 10000] [--engines process,batch,merged] [--no-compile]
"""
from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

from harness.backends.registry import SIEM_BACKENDS
from harness.backends.suricata import SuricataBackend
from harness.suricata.engine import BatchEngine, make_engine
from harness.suricata.merged import MergedEngine
from harness.rules.loader import load_project
from harness.cases.pcaps import all_refs
from harness.rules.project import Project
from harness.cases.runner import run_suite
from harness.backends.settings import SiemSettings


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (the Suricatas)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def time_engine(ruleset, engine) -> tuple[float, float, float, int, dict]:
    """The whole suite (every rule case and baseline), as `iotdetect test` runs it: (wall s, CPU s,
    wall s inside the engine's run, failures, verdicts by case key)."""
    inner, run = [], engine.run

    def timed(*args, **kwargs):
        began = time.perf_counter()
        try:
            return run(*args, **kwargs)
        finally:
            inner.append(time.perf_counter() - began)
    engine.run = timed      # the instance only: what the suite spends in Suricata and the engine
    started, cpu = time.perf_counter(), _cpu()
    verdicts = run_suite(ruleset, engine)
    return (time.perf_counter() - started, _cpu() - cpu, sum(inner), sum(not v.passed for v in verdicts),
            {v.ref.key: v.actual for v in verdicts})


def engine_floor(ruleset, refs) -> tuple[float, float, int]:
    """The floor for any engine, (wall s, CPU s, EVE records): one Suricata start with every rule
    reading every case's packets (`suricata -r` over the cases concatenated into one pcap, placed as
    the engines place them) with EVE output on. No engine that starts Suricata and reads these
    packets can do less work. Captures another link type or pcapng ask for another `-r` each.
    (A `-r` over a folder of links is no floor: Suricata 7 skips symbolic links there.)"""
    import subprocess
    import tempfile
    from harness.cases.traffic import plan_for, stage_captures
    from harness.suricata.engine import Job, suricata_binary
    from harness.suricata.workspace import prepare_workspace
    project = ruleset.project
    with tempfile.TemporaryDirectory(prefix="iotdetect-floor-") as tmp:
        workspace = prepare_workspace(ruleset, Path(tmp) / "engine")
        staged = stage_captures([(ref, ref.pcap_path(project.generated_dir, project.pcaps_dir)) for ref in refs],
                                plan_for(project, ruleset.networks), Path(tmp) / "captures", project.root)
        jobs = [Job(ref.key, staged[ref.key], Path(tmp) / "out" / ref.key) for ref in refs]
        # The cases' own packets: no flush packets (harness/suricata/flush.py), which only engines add.
        files = MergedEngine(workers=1, flush=False, cache=False)._merge(workspace, jobs)
        pcaps = [f.path if not f.alone else f.cases[0].job.pcap for _, f in files]
        wall, cpu, records = 0.0, 0.0, 0
        for number, pcap in enumerate(pcaps):
            out = Path(tmp) / "floor" / str(number)
            out.mkdir(parents=True)
            started, before = time.perf_counter(), _cpu()
            subprocess.run([suricata_binary(), "-c", str(workspace.config), "-S", str(workspace.rules), "-r", str(pcap),
                            "-l", str(out), "-k", "none"], check=True, capture_output=True)
            wall, cpu = wall + time.perf_counter() - started, cpu + _cpu() - before
            records += sum(1 for _ in (out / "eve.json").open(encoding="utf-8", errors="replace"))
        return wall, cpu, records


def synthetic_rules(ruleset, count: int):
    """count distinct rules made from the library's own rules (new ids and sids)."""
    templates = list(ruleset.rules)
    for index in range(count):
        template = templates[index % len(templates)]
        yield template.model_copy(update={"id": f"synthetic-{index:05d}", "sid": 9_150_000 + index})


def compile_throughput(ruleset, count: int) -> dict[str, float]:
    rules = list(synthetic_rules(ruleset, count))
    backends = {"suricata": SuricataBackend()}
    settings = SiemSettings()
    siem = {name: cls() for name, cls in SIEM_BACKENDS.items()}
    rates = {}
    for name, backend in backends.items():
        started = time.perf_counter()
        for rule in rules:
            backend.compile(rule)
        rates[name] = count / (time.perf_counter() - started)
    for name, backend in siem.items():
        started = time.perf_counter()
        for rule in rules:
            backend.compile(rule, ruleset.networks, settings)
        rates[name] = count / (time.perf_counter() - started)
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--synthetic", type=int, default=10_000)
    parser.add_argument("--root", default=str(Path(__file__).resolve().parent.parent))
    parser.add_argument("--engines", default="process,batch,merged",
                        help="comma-separated engines to time (the floor is always measured)")
    parser.add_argument("--no-compile", action="store_true", help="skip the compile throughput")
    args = parser.parse_args()
    wanted = set(args.engines.split(","))
    ruleset = load_project(Project(Path(args.root)), check_lock=False)
    refs = all_refs(ruleset)
    print(f"suite: {len(ruleset.rules)} rules, {len(refs)} cases")
    default_batch, merged = make_engine("batch"), make_engine("merged")
    engines = {"process": make_engine("process"), "batch, 1 worker": BatchEngine(workers=1),
               f"batch, {default_batch.workers} workers": default_batch,
               "merged, 1 Suricata": MergedEngine(suricatas=1), "merged, 2 Suricatas": MergedEngine(suricatas=2),
               # The default picks how many Suricatas read the merged files (MergedEngine.servers).
               f"merged, default ({merged.servers()}), cold cache": MergedEngine(cache=False),
               f"merged, default ({merged.servers()})": merged}
    engines = {label: engine for label, engine in engines.items() if label.split(",")[0] in wanted}
    timings = {label: time_engine(ruleset, engine) for label, engine in engines.items()}
    floor, floor_cpu, floor_records = engine_floor(ruleset, refs)
    print(f"{'engine':<30}{'wall s':>8}{'CPU s':>8}{'engine s':>10}{'ms/case':>9}{'failures':>10}{'vs process':>12}"
          f"{'wall/floor':>12}{'CPU/floor':>11}")
    process_s = timings["process"][0] if "process" in timings else None
    for label, (seconds, cpu, inside, failures, _) in timings.items():
        vs_process = f"{process_s / seconds:>11.1f}x" if process_s else f"{'-':>12}"   # process not timed
        print(f"{label:<30}{seconds:>8.2f}{cpu:>8.2f}{inside:>10.2f}{1000 * seconds / len(refs):>9.1f}{failures:>10}"
              f"{vs_process}{seconds / floor:>11.1f}x{cpu / floor_cpu:>10.1f}x")
    print(f"{'floor':<30}{floor:>8.2f}{floor_cpu:>8.2f}   (one Suricata start, every rule, every case's packets:"
          f" {floor_records} EVE records)")
    reference = timings.get(f"batch, {default_batch.workers} workers", (None,) * 5)[4]
    for label, (*_, actual) in timings.items() if reference is not None else ():
        differ = sorted(key for key in reference if actual.get(key) != reference[key])
        print(f"verdicts of {label} vs batch: {'identical' if not differ else f'{len(differ)} differ: {differ[:5]}'}")
    if args.no_compile:
        return
    print(f"compile throughput on {args.synthetic} synthetic rules:")
    for name, rate in compile_throughput(ruleset, args.synthetic).items():
        print(f"  {name:<10}{rate:>12,.0f} rules/s")


if __name__ == "__main__":
    main()
