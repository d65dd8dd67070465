"""Benchmark: the regression suite on the per-process engine vs the batch engine, side by side,
and compile throughput on N synthetic rules. Prints figures; asserts nothing.

    .venv/bin/python bench/run.py [--synthetic 10000] [--repeat 1]
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from harness.backends.registry import SIEM_BACKENDS
from harness.backends.suricata import SuricataBackend
from harness.suricata.engine import BatchEngine, make_engine
from harness.rules.loader import load_project
from harness.cases.pcaps import all_refs
from harness.rules.project import Project
from harness.cases.runner import run_suite
from harness.backends.settings import SiemSettings


def time_engine(ruleset, engine) -> tuple[float, int]:
    """The whole suite (every rule case and baseline), as `iotdetect test` runs it."""
    started = time.perf_counter()
    verdicts = run_suite(ruleset, engine)
    return time.perf_counter() - started, sum(not v.passed for v in verdicts)


def engine_floor(ruleset, refs) -> float:
    """The floor for any engine: one Suricata start with every rule, reading every case's pcap
    (pcap-file mode over one folder of links, one after the other) with EVE output on. No engine
    that starts Suricata and reads these packets can be faster."""
    import subprocess
    import tempfile
    from harness.suricata.engine import suricata_binary
    from harness.suricata.workspace import prepare_workspace
    with tempfile.TemporaryDirectory(prefix="iotdetect-floor-") as tmp:
        workspace = prepare_workspace(ruleset, Path(tmp) / "engine")
        pcaps = Path(tmp) / "pcaps"
        pcaps.mkdir()
        for index, ref in enumerate(refs):
            (pcaps / f"{index:06d}.pcap").symlink_to(ref.pcap_path(ruleset.project.pcaps_dir).resolve())
        out = Path(tmp) / "out"
        out.mkdir()
        started = time.perf_counter()
        subprocess.run([suricata_binary(), "-c", str(workspace.config), "-S", str(workspace.rules), "-r", str(pcaps),
                        "-l", str(out), "-k", "none", "--set", "pcap-file.delete-when-done=false"],
                       check=True, capture_output=True)
        return time.perf_counter() - started


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
    args = parser.parse_args()
    ruleset = load_project(Project(Path(args.root)), check_lock=False)
    refs = all_refs(ruleset)
    print(f"suite: {len(ruleset.rules)} rules, {len(refs)} cases")
    default_batch = make_engine("batch")
    engines = {"process": make_engine("process"), "batch, 1 worker": BatchEngine(workers=1),
               f"batch, {default_batch.workers} workers (default)": default_batch}
    timings = {label: time_engine(ruleset, engine) for label, engine in engines.items()}
    print(f"{'engine':<30}{'seconds':>10}{'per case (ms)':>16}{'failures':>10}{'speed-up':>10}")
    process_s = timings["process"][0]
    for label, (seconds, failures) in timings.items():
        print(f"{label:<30}{seconds:>10.2f}{1000 * seconds / len(refs):>16.1f}{failures:>10}"
              f"{process_s / seconds:>9.1f}x")
    floor = engine_floor(ruleset, refs)
    batch_s = timings[f"batch, {default_batch.workers} workers (default)"][0]
    print(f"engine floor (one Suricata start, every rule, every case pcap): {floor:.2f} s; "
          f"suite/floor {batch_s / floor:.1f}x (batch), {process_s / floor:.1f}x (process)")
    print(f"compile throughput on {args.synthetic} synthetic rules:")
    for name, rate in compile_throughput(ruleset, args.synthetic).items():
        print(f"  {name:<10}{rate:>12,.0f} rules/s")


if __name__ == "__main__":
    main()
