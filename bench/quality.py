"""Detection-quality report (`make quality`): per rule, positive and negative cases on generated
vs real (captured) traffic, alerts per case, and which other rules fire on its cases.

Runs every case once through the batch engine and prints a Markdown table; nothing is asserted
here (the suite does that), this is the measurement."""
from __future__ import annotations

import collections
import sys
from pathlib import Path

from harness.suricata.engine import make_engine
from harness.rules.loader import load_project
from harness.rules.project import Project
from harness.cases.runner import run_suite


def main(root: Path) -> int:
    ruleset = load_project(Project(root))
    verdicts = [v for v in run_suite(ruleset, make_engine("batch")) if v.ref.suite != "baseline"]
    names = {s.rule.sid: s.rule.id for s in ruleset.sources}
    rows: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    overlaps: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    alerts: dict[str, list[int]] = collections.defaultdict(list)
    for v in verdicts:
        rule = v.ref.source.rule
        kind = "real" if v.ref.case.traffic.pcap else "gen"
        sign = "pos" if v.ref.case.expect.alerts > 0 else "neg"
        rows[rule.id][f"{kind}_{sign}"] += 1
        rows[rule.id]["failed"] += 0 if v.passed else 1
        alerts[rule.id].append(v.actual.get(rule.sid, 0))
        for sid, n in v.actual.items():
            if sid != rule.sid:
                overlaps[rule.id][names.get(sid, str(sid))] += n
    print("| rule | gen +/- | real +/- | alerts per case (max) | failed | other rules firing on its cases |")
    print("|---|---|---|---|---|---|")
    for rid in sorted(rows):
        r = rows[rid]
        other = ", ".join(f"{k} ({n})" for k, n in overlaps[rid].most_common(4))
        print(f"| {rid} | {r['gen_pos']}/{r['gen_neg']} | {r['real_pos']}/{r['real_neg']} | {max(alerts[rid])} |"
              f" {r['failed']} | {other} |")
    real = [rid for rid, r in rows.items() if r["real_pos"] and r["real_neg"]]
    print(f"\n{len(rows)} rules, {len(verdicts)} cases; {len(real)} rules with a real positive and a real negative;"
          f" {sum(1 for rid in rows if rows[rid]['real_pos'])} with a real positive")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent))
