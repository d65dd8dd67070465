"""`iotdetect baseline learn|diff|pcaps|proof`: thin verbs over harness/baseline."""
from __future__ import annotations

import sys
from pathlib import Path

from harness.rules.errors import UsageError

DEFAULT_FOLDER = "profiles"


def _project(args):
    from harness.rules.project import Project
    return Project(Path(args.root).resolve()) if args.root else Project.find()


def _ruleset(args):
    from harness.rules.loader import load_project
    return load_project(_project(args), check_lock=False)


def cmd_learn(args) -> int:
    from harness.baseline import learn as L
    ruleset = _ruleset(args)
    root = ruleset.project.root
    out = Path(args.out)
    missing = [p for p in args.eve if not Path(p).is_file()]
    if missing:
        raise UsageError(f"no such eve.json: {', '.join(missing)}")
    # The inventory (inventory/devices.yaml of `iotdetect inventory`) names devices and gives their
    # class; it is optional: without it every device is its own class.
    found = root / "inventory" / "devices.yaml"
    source = Path(args.inventory) if args.inventory else (found if found.is_file() and not args.no_inventory else None)
    inventory = L.read_inventory(source, root) if source else None
    options = L.LearnOptions(device_networks=tuple(args.devices.split(",")), margin_volume=args.margin_volume,
                             margin_flows=args.margin_flows, peer_slack=args.peer_slack)
    for item in options.device_networks:
        if item.lstrip("!$") not in ruleset.networks.groups and item.startswith(("$", "!$")):
            raise UsageError(f"--devices: undefined network variable {item}")
    try:
        profiles = L.learn([Path(p) for p in args.eve], ruleset.networks, options, inventory,
                           L.existing_profiles(out, root))
    except ValueError as exc:   # not EVE flow events, no flows, an inventory name that is no profile name
        raise UsageError(str(exc)) from None
    written = L.write_profiles(profiles, out)
    print(f"wrote {len(written)} profiles to {out}")
    return 0


def cmd_diff(args) -> int:
    from harness.baseline.learn import diff
    from harness.baseline.profile import load_profiles
    root = _project(args).root
    lines = diff(load_profiles(Path(args.before), root), load_profiles(Path(args.after), root))
    print("\n".join(lines) if lines else "no differences")
    return 1 if lines and args.exit_code else 0


def cmd_pcaps(args) -> int:
    from harness.baseline import traffic
    pcaps_dir = _project(args).pcaps_dir
    if args.check:
        problems = traffic.check(pcaps_dir)
        for problem in problems:
            print(problem, file=sys.stderr)
        print(f"{len(traffic.expected_files())} multi-day pcaps checked, {len(problems)} differ")
        return 1 if problems else 0
    written = traffic.write(pcaps_dir)
    print(f"{len(written)} multi-day pcaps up to date in {pcaps_dir / traffic.FOLDER}")
    return 0


def cmd_proof(args) -> int:
    from harness.baseline import learn as L
    from harness.baseline import proof
    ruleset = _ruleset(args)
    result = proof.run(ruleset)
    if args.bless:
        written = L.write_profiles(result.profiles, ruleset.project.root / DEFAULT_FOLDER)
        print(f"wrote {len(written)} profiles learned on the proof's normal days to {DEFAULT_FOLDER}/")
    summary = result.summary()
    print(f"{summary['devices']} devices, learned on {summary['learn_days']} days")
    print(f"held-out: {summary['holdout_device_days']} device-days, alerts "
          + ", ".join(f"{d} {n}" for d, n in summary["holdout_alerts"].items()))
    print(f"anomalies detected (of {summary['anomalies']}): "
          + ", ".join(f"{d} {n}" for d, n in summary["detected"].items()))
    for day in summary["days"]:
        if day["kind"] != "learn":
            print(f"  {day['label']:<14} {day['kind']:<8} " + "  ".join(f"{d}={day[d]}" for d in proof.DETECTORS)
                  + f"  (signature rules: {day['signatures']})")
    return 0 if proof.passed(result) else 1


def register(verbs) -> None:
    top = verbs.add_parser("baseline", help="learned device profiles: learn, diff, the multi-day proof")
    sub = top.add_subparsers(dest="baseline_verb", required=True)
    learn = sub.add_parser("learn", help="learn one profile per device from EVE flow events")
    learn.add_argument("eve", nargs="+", help="eve.json files")
    learn.add_argument("--out", default=DEFAULT_FOLDER, help="profiles folder (default: profiles/)")
    learn.add_argument("--inventory", help="inventory devices.yaml: names and classes (class allowlists);"
                       " default inventory/devices.yaml when it exists")
    learn.add_argument("--no-inventory", action="store_true", help="ignore inventory/devices.yaml")
    learn.add_argument("--devices", default="$IOT_NET,$OT_NET", help="networks whose hosts are profiled")
    learn.add_argument("--margin-volume", type=float, default=2.0, help="bytes threshold = worst hour x this")
    learn.add_argument("--margin-flows", type=float, default=1.5, help="flows threshold = worst hour x this")
    learn.add_argument("--peer-slack", type=int, default=0, help="peers threshold = most peers in an hour + this")
    learn.set_defaults(func=cmd_learn)
    diff = sub.add_parser("diff", help="what changed between two profile folders")
    diff.add_argument("before")
    diff.add_argument("after")
    diff.add_argument("--exit-code", action="store_true", help="exit 1 when they differ")
    diff.set_defaults(func=cmd_diff)
    pcaps = sub.add_parser("pcaps", help="write (or --check) the multi-day proof pcaps")
    pcaps.add_argument("--check", action="store_true")
    pcaps.set_defaults(func=cmd_pcaps)
    proof = sub.add_parser("proof", help="learn on normal days, count alerts on held-out and anomalous days")
    proof.add_argument("--bless", action="store_true", help="also write the learned profiles to profiles/")
    proof.set_defaults(func=cmd_proof)
