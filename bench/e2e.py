"""End-to-end figures: `validate`, `build`, `dist` and `test` as a user runs them (the installed
`iotdetect` command, a fresh process each) on synthetic libraries of 1k and 10k rules (50k with
--big), each rule with a positive and a near-miss case; wall time, rules/s, CPU and peak RSS side
by side; plus pySigma converting equivalent Sigma rules with its Splunk and Kusto backends (the
`sigma` extra; skipped when they are not installed).

    .venv/bin/python bench/e2e.py [--sizes 1000,10000] [--big] [--work /tmp/iotdetect-bench] [--no-test]

validate runs cold (an empty .iotdetect-cache: the Kusto parser, the EQL parser, suricata-check and
`suricata -T` answer every query and rule) and warm (the same library again: every answer comes
from the cache), then build into a fresh folder and again over its previous output. The 50k library
gets no pcaps (generating 100,000 with scapy takes hours here), so it runs validate and build only
(validate allows pcaps not generated yet), and validate --no-siem: its ~85k KQL queries would keep
the Kusto parser busy for most of an hour cold.

Peak RSS is the largest process of the command's tree (os.wait4; this process stays small, as a
forked child inherits its high-water mark); CPU counts the whole tree, "of it sys" the kernel's part
(for build: creating, linking and deleting its 50,000 files on this file system).
The machine may be shared by other work while this runs: compare columns of one run, not runs.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import synth  # noqa: E402

IOTDETECT = Path(sys.executable).parent / "iotdetect"
BIG = 50_000


def measure(argv: list[str], cwd: Path | None = None) -> dict:
    started = time.perf_counter()
    process = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = process.stdout.read().decode(errors="replace")
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "sys": usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024,
            "code": code, "tail": output.strip().splitlines()[-1:] or [""]}


def iotdetect_runs(project: Path, with_test: bool, siem: bool = True):
    root = [str(IOTDETECT), "--root", str(project)]
    validate = [*root, "validate"] + ([] if siem else ["--no-siem"])
    shutil.rmtree(project / ".iotdetect-cache", ignore_errors=True)
    shutil.rmtree(project / "build", ignore_errors=True)
    shown = " ".join(validate[3:])
    yield f"{shown} (cold cache)", measure(validate)
    warm = measure(validate)
    yield f"{shown} (warm)", warm
    build = measure([*root, "build", "--out", str(project / "build")])
    yield "build (new folder)", build
    again = measure([*root, "build", "--out", str(project / "build")])
    yield "build (replacing it)", again
    for label, run in (("new folder", build), ("replacing", again)):
        yield f"= validate + build ({label})", {key: warm[key] + run[key] for key in ("wall", "cpu", "sys")} | {
            "rss_mb": max(warm["rss_mb"], run["rss_mb"]), "code": warm["code"] or run["code"], "tail": [""]}
    if with_test:
        yield "test", measure([*root, "test"])
        yield "dist (runs the suite)", measure([*root, "dist", "--out", str(project / "dist")])


def sigma_python() -> str | None:
    """A Python with pySigma's Splunk and Kusto backends: this one (the `sigma` extra), else bench/.venv-sigma."""
    if all(importlib.util.find_spec(name) for name in ("sigma.backends.splunk", "sigma.backends.kusto")):
        return sys.executable
    other = BENCH / ".venv-sigma" / "bin" / "python"
    return str(other) if other.exists() else None


def sigma_runs(folder: Path, rules: int):
    python = sigma_python()
    if python is None:
        return
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(rules):
        (folder / f"r{index:06d}.yml").write_text(synth.sigma_text(index), encoding="utf-8")
    for backend in ("splunk", "kusto"):
        yield f"pySigma {backend} (convert only)", measure([python, str(BENCH / "sigma_convert.py"), backend, str(folder)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--big", action="store_true", help="also 50,000 rules (validate and build only)")
    parser.add_argument("--work", default="/tmp/iotdetect-bench")
    parser.add_argument("--no-test", action="store_true", help="skip test and dist")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")] + ([BIG] if args.big else [])
    work = Path(args.work)
    print(f"{'rules':>7}  {'command':<33}{'wall s':>9}{'rules/s':>10}{'CPU s':>8}{'of it sys':>10}{'peak MB':>9}  exit  last line")
    for rules in sizes:
        project = work / f"lib-{rules}"
        pcaps = rules < BIG
        started = time.perf_counter()
        # In a child: a process forked from this one starts with this one's peak RSS (Linux keeps
        # the pre-exec high-water mark), so this process never holds a loaded library itself.
        subprocess.run([sys.executable, str(BENCH / "synth.py"), str(project), "--rules", str(rules)]
                       + ([] if pcaps else ["--no-pcaps"]), check=True, stdout=subprocess.DEVNULL)
        print(f"{rules:>7}  (synthetic library{' and pcaps' if pcaps else ', no pcaps,'} written in"
              f" {time.perf_counter() - started:.0f} s; load average {os.getloadavg()[0]:.1f})", flush=True)
        # 50k: no SIEM parser checks cold (the Kusto parser alone: ~85k queries, most of an hour here)
        runs = iotdetect_runs(project, pcaps and not args.no_test, siem=rules < BIG)
        for label, run in [*runs, *sigma_runs(work / f"sigma-{rules}", rules)]:
            print(f"{rules:>7}  {label:<33}{run['wall']:>9.1f}{rules / run['wall']:>10,.0f}{run['cpu']:>8.1f}{run['sys']:>10.1f}"
                  f"{run['rss_mb']:>9.0f}  {run['code']:>4}  {run['tail'][0][:60]}", flush=True)


if __name__ == "__main__":
    main()
