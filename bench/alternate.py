"""Warm `validate`, then `build` into a new folder and again over it, on one synthetic library: this
checkout's code and an earlier one alternated round by round, so both see the same machine (the
2-core build machine is shared: compare the two columns of one run, CPU seconds before wall).

    git archive <commit> harness generators | tar -x -C /tmp/before && ln -s $PWD/node_modules /tmp/before/
    .venv/bin/python bench/synth.py /tmp/lib --rules 10000 && cp -a /tmp/lib /tmp/lib-before
    .venv/bin/iotdetect --root /tmp/lib validate; PYTHONPATH=/tmp/before .venv/bin/iotdetect --root /tmp/lib-before validate
    .venv/bin/python bench/alternate.py /tmp/lib --before /tmp/before --before-lib /tmp/lib-before [--rounds 3]

The earlier code runs through the same installed `iotdetect` with PYTHONPATH set to its copy (it
comes before the editable install on the import path); each side has its own copy of the library,
so their caches stay apart. CPU is user + system of the command's process tree (os.wait4), peak
RSS its largest process, as in bench/e2e.py.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from e2e import IOTDETECT, measure  # noqa: E402


def run(library: Path, pythonpath: str | None) -> dict[str, dict]:
    root = [str(IOTDETECT), "--root", str(library)]
    saved = os.environ.get("PYTHONPATH")
    if pythonpath:
        os.environ["PYTHONPATH"] = pythonpath
    try:
        results = {"validate (warm)": measure([*root, "validate"])}
        shutil.rmtree(library / "build", ignore_errors=True)
        results["build (new folder)"] = measure([*root, "build", "--out", str(library / "build")])
        results["build (replacing it)"] = measure([*root, "build", "--out", str(library / "build")])
    finally:
        if pythonpath:
            os.environ.pop("PYTHONPATH") if saved is None else os.environ.__setitem__("PYTHONPATH", saved)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("library", type=Path)
    parser.add_argument("--before", required=True, help="folder holding the earlier harness/ and generators/")
    parser.add_argument("--before-lib", type=Path, required=True, help="the earlier code's copy of the library")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"{'round':>5}  {'code':<7}{'command':<22}{'wall s':>8}{'CPU s':>8}{'of it sys':>10}{'peak MB':>9}  exit  load")
    for number in range(1, args.rounds + 1):
        for code, library, path in (("after", args.library, None), ("before", args.before_lib, args.before)):
            results = run(library, path)
            pair = (results["validate (warm)"], results["build (new folder)"])
            results["= validate + build"] = {"wall": sum(r["wall"] for r in pair), "cpu": sum(r["cpu"] for r in pair),
                                             "sys": sum(r["sys"] for r in pair), "rss_mb": max(r["rss_mb"] for r in pair),
                                             "code": max(r["code"] for r in pair)}
            for label, r in results.items():
                print(f"{number:>5}  {code:<7}{label:<22}{r['wall']:>8.2f}{r['cpu']:>8.2f}{r['sys']:>10.2f}{r['rss_mb']:>9.0f}"
                      f"  {r['code']:>4}  {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
