"""End-to-end figures: `validate`, `build`, `dist` and `test` as a user runs them (the installed
`iotdetect` command, a fresh process each) on synthetic libraries of 1k and 10k rules (50k with
--big), each rule with a positive and a near-miss case; wall time, rules/s, CPU and peak RSS side
by side; plus pySigma converting equivalent Sigma rules with its Splunk and Kusto backends (from
bench/.venv-sigma, which `make bench` creates; skipped when it is missing).

    .venv/bin/python bench/e2e.py [--sizes 1000,10000] [--big] [--work /tmp/iotdetect-bench] [--no-test]

Peak RSS is the largest process of the command's tree (os.wait4); CPU counts the whole tree.
The machine is shared by other work while this runs, so compare columns of one run, not runs.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import synth  # noqa: E402

IOTDETECT = Path(sys.executable).parent / "iotdetect"
SIGMA_PYTHON = BENCH / ".venv-sigma" / "bin" / "python"


def measure(argv: list[str], cwd: Path | None = None) -> dict:
    started = time.perf_counter()
    process = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = process.stdout.read().decode(errors="replace")
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024,
            "code": code, "tail": output.strip().splitlines()[-1:] or [""]}


def iotdetect_runs(project: Path, rules: int, with_test: bool) -> list[tuple[str, dict]]:
    root = ["--root", str(project)]
    cache = project / ".iotdetect-cache"
    runs = []
    if cache.exists():
        subprocess.run(["rm", "-rf", str(cache)], check=True)
    runs.append(("validate (cold Kusto cache)", measure([str(IOTDETECT), *root, "validate"])))
    runs.append(("validate (warm)", measure([str(IOTDETECT), *root, "validate"])))
    runs.append(("validate --no-siem", measure([str(IOTDETECT), *root, "validate", "--no-siem"])))
    runs.append(("build", measure([str(IOTDETECT), *root, "build", "--out", str(project / "build")])))
    if with_test:
        runs.append(("test", measure([str(IOTDETECT), *root, "test"])))
        runs.append(("dist (runs the suite)", measure([str(IOTDETECT), *root, "dist", "--out", str(project / "dist")])))
    return runs


def sigma_runs(folder: Path, rules: int) -> list[tuple[str, dict]]:
    if not SIGMA_PYTHON.exists():
        return []
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(rules):
        (folder / f"r{index:06d}.yml").write_text(synth.sigma_text(index), encoding="utf-8")
    return [(f"pySigma {backend}", measure([str(SIGMA_PYTHON), str(BENCH / "sigma_convert.py"), backend, str(folder)]))
            for backend in ("splunk", "kusto")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--big", action="store_true", help="also 50,000 rules (generating its pcaps takes long)")
    parser.add_argument("--work", default="/tmp/iotdetect-bench")
    parser.add_argument("--no-test", action="store_true", help="skip test and dist")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")] + ([50_000] if args.big else [])
    work = Path(args.work)
    print(f"{'rules':>7}  {'command':<30}{'wall s':>9}{'rules/s':>10}{'CPU s':>8}{'peak MB':>9}  exit  last line")
    for rules in sizes:
        project = work / f"lib-{rules}"
        started = time.perf_counter()
        synth.write_project(project, rules)   # validate checks the pcaps' lock, so always
        print(f"{rules:>7}  (synthetic library and pcaps written in {time.perf_counter() - started:.0f} s)", flush=True)
        for label, run in iotdetect_runs(project, rules, not args.no_test) + sigma_runs(work / f"sigma-{rules}", rules):
            print(f"{rules:>7}  {label:<30}{run['wall']:>9.1f}{rules / run['wall']:>10,.0f}{run['cpu']:>8.1f}"
                  f"{run['rss_mb']:>9.0f}  {run['code']:>4}  {run['tail'][0][:60]}", flush=True)


if __name__ == "__main__":
    main()
