"""The `iotdetect` command: one small function per verb, all work done in harness modules."""
from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path

from harness.rules.errors import EnvironmentFailure, RuleErrors, UsageError, describe_os_error, writing

EXIT_OK, EXIT_FAILED, EXIT_INVALID, EXIT_ENVIRONMENT = 0, 1, 2, 3
NETWORKS_HELP = "another site plan instead of rules/networks.yaml (its traffic is cached under .iotdetect-cache/plans/)"


def _console():
    from rich.console import Console
    return Console(stderr=True, highlight=False)


def _project(args):
    from harness.rules.project import Project
    project = Project(Path(args.root).resolve()) if args.root else Project.find()
    plan = getattr(args, "networks", None)
    if plan:
        if not Path(plan).is_file():
            raise UsageError(f"--networks {plan}: no such file")
        project = Project(project.root, Path(plan).resolve())
    return project


def _load(args, check_lock: bool = True):
    from harness.rules.loader import load_project
    return load_project(_project(args), check_lock=check_lock)


def cmd_validate(args) -> int:
    # The cyclic collector waits for the whole command, as for the load and the test run
    # (loader.gc_paused): what it allocates after the load (cases, memo packs, answers) holds no
    # cycles, and its collections re-scanned them (~0.1-0.2 s of a warm 10k-rule validate).
    from harness.rules.loader import gc_paused
    with gc_paused():
        return _validate(args)


def _validate(args) -> int:
    from harness.rules.loader import load_project
    project = _project(args)
    only = [Path(p).resolve() for p in args.files] if args.files else None
    ruleset = load_project(project, only=only)
    from harness.cases import pcapcheck, pcapinputs, pcaps
    from harness.suricata import digests
    from harness.cases.traffic import Resolved, plan_for
    # Every role of every case must resolve on the site plan; captures a case would replay must be
    # readable, non-empty and of a supported link type; committed generator pcaps must still be what
    # their generators make (pcaps/generators.lock) -- all here, not first at `test`.
    refs = pcaps.all_refs(ruleset)
    plan = plan_for(project, ruleset.networks)
    resolved = Resolved(plan, project.root)   # every case's roles, memoised as `test`'s
    problems = pcaps.role_findings(refs, project, plan, resolved)
    if not problems:
        digests.remember(project.root)
        problems = (pcapcheck.case_findings(refs, project.generated_dir, project.pcaps_dir, project.root, missing_ok=True)
                    + pcapinputs.findings(refs, project, plan, missing_ok=True, resolved=resolved))
        digests.save(project.root)
    resolved.save()
    problems = [f for f in problems if only is None or (project.root / f.path).resolve() in only]
    if problems:
        raise RuleErrors(problems)
    if not args.no_siem:
        from harness.backends.settings import SiemSettings
        from harness.siem.targets import check
        result = check(ruleset, SiemSettings())
        if result.skipped:   # "0 checked, ok" would be a silent pass: a check that cannot run fails
            raise EnvironmentFailure("; ".join(result.skipped) + " (install it with `make setup`, or pass --no-siem)")
        findings = [f for f in result.findings if only is None or (project.root / f.path).resolve() in only]
        if findings:
            raise RuleErrors(findings)
        print(f"{result.spl_searches} SPL searches linted, {result.kql_queries} KQL queries passed the Kusto parser, "
              f"{result.eql_queries} EQL queries the EQL parser")
    if not args.no_suricata:
        _validate_with_suricata(args, project, ruleset, only)
    from harness.baseline.stage import validate as validate_profiles
    profiles, notes = validate_profiles(ruleset, siem_checks=not args.no_siem)
    for note in notes:
        print(f"warning: {note}", file=sys.stderr)
    if profiles:
        print(f"{profiles} device profiles valid" + ("" if args.no_siem else "; their searches linted and parsed"))
    print(f"{len(ruleset.sources)} rules valid")
    from harness.inventory.cli import validate_summary
    summary = validate_summary(project, ruleset.networks, check_siem=not args.no_siem)
    if summary:
        print(summary)
    return EXIT_OK


def _validate_with_suricata(args, project, ruleset, only) -> None:
    """suricata -T warnings and suricata-check, once each for the whole set (harness/suricata/checks.py)."""
    import os
    import shutil
    from harness.suricata import checks as suricata_checks
    binary = shutil.which(os.environ.get("SURICATA", "suricata"))
    if binary is None:   # a load test that cannot run fails, like the Kusto check
        raise EnvironmentFailure("suricata is not installed: the rules cannot be load-tested (make setup),"
                                 " or pass --no-suricata")
    findings, skipped, lint = suricata_checks.check(ruleset, binary, args.suricata_check_all)
    for note in skipped:
        print(f"warning: {note}", file=sys.stderr)
    if lint and args.suricata_check_all:
        for rule_id, issues in sorted(lint.per_rule.items()):
            for issue in issues:
                print(f"{rule_id}: {issue}")
    findings = [f for f in findings if only is None or (project.root / f.path).resolve() in only
                or f.path == suricata_checks.EXEMPTIONS_FILENAME]
    if findings:
        raise RuleErrors(findings)
    if lint:
        print(f"suricata -T: no warnings; suricata-check: 0 failing findings ({lint.exempted} reviewed exemptions)")


def cmd_lock(args) -> int:
    from harness.rules import lock
    ruleset = _load(args, check_lock=False)
    project = ruleset.project
    lock.update([(s.rule, s.path, s.lines) for s in ruleset.sources], project.lock_file)
    print(f"wrote {project.lock_file} ({len(ruleset.sources)} rules)")
    return EXIT_OK


def cmd_build(args) -> int:
    from harness.release.build import build
    from harness.rules.loader import gc_paused
    from harness.suricata.engine import SuricataMissing, suricata_binary
    ruleset = _load(args)
    try:
        suricata_binary()
    except SuricataMissing:   # build() then skips the load test; the rule text itself is valid
        print("warning: suricata is not installed; the rules were not load-tested (make setup)", file=sys.stderr)
    with gc_paused():   # as validate's: 50,000 output files' names and bytes hold no cycles
        written = build(ruleset, Path(args.out))
    print(f"wrote {written} files to {args.out}")
    return EXIT_OK


def cmd_pcaps(args) -> int:
    from harness.cases import pcaps
    ruleset = _load(args, check_lock=False)
    project = ruleset.project
    refs = pcaps.all_refs(ruleset, args.rules or None)
    if not args.rules:
        from harness.inventory.cli import extra_pcap_refs
        refs += extra_pcap_refs(ruleset.project, ruleset.networks)
    if args.check:
        problems = pcaps.check_all(refs, project, ruleset.networks)
        for problem in problems:
            print(problem, file=sys.stderr)
        print(f"{len(pcaps.generated(refs))} pcaps checked, {len(problems)} differ")
        return EXIT_FAILED if problems else EXIT_OK
    if project.foreign_plan:
        written = pcaps.ensure(refs, project, ruleset.networks)
        print(f"{len(pcaps.generated(refs))} pcaps for {project.networks_file} up to date in {project.generated_dir}"
              f" ({written} generated)")
        return EXIT_OK
    written = pcaps.write_all(refs, project, ruleset.networks)
    print(f"{len(written)} pcaps up to date in {project.pcaps_dir}")
    return EXIT_OK


def cmd_test(args) -> int:
    from rich.progress import Progress
    from harness.cases import junit, pcaps
    from harness.suricata.engine import make_engine
    from harness.cases.runner import run_suite
    from harness.cases import shard as shards
    selected = shards.parse(args.shard) if args.shard else None
    ruleset = _load(args, check_lock=False)
    console = _console()
    if args.config and args.engine not in ("batch", "merged"):   # batch points the config's unix socket at its own
        from harness.rules.errors import UsageError
        raise UsageError("--config needs the batch engine (a sensor config may enable its unix socket)")
    refs = pcaps.all_refs(ruleset, args.rules or None)
    with Progress(console=console, transient=True, disable=not console.is_terminal) as progress:
        task = progress.add_task(f"{args.engine} engine", total=len(shards.select(refs, selected) if selected else refs))
        verdicts = run_suite(ruleset, make_engine(args.engine), args.rules, lambda job: progress.advance(task),
                             Path(args.keep) if args.keep else None, Path(args.config) if args.config else None,
                             shard=selected)
    failed = [v for v in verdicts if not v.passed]
    for verdict in failed:
        console.print(f"[red]FAIL[/red] {verdict.ref.key}\n{verdict.explain()}")
    console.print(f"{len(verdicts) - len(failed)} passed, {len(failed)} failed ({args.engine} engine"
                  + (f", shard {args.shard}" if args.shard else "") + ")")
    # The inventory cases need the inventory's rules and datasets loaded too; they run with the baselines.
    if not args.rules and (selected is None or selected[0] == 1):
        from harness.inventory.cli import run_and_report
        inventory = run_and_report(ruleset, make_engine(args.engine), console)
        verdicts += inventory
        failed += [v for v in inventory if not v.passed]
    if args.junit:
        with writing(Path(args.junit)):
            junit.write(verdicts, Path(args.junit))
    return EXIT_FAILED if failed else EXIT_OK


def cmd_new(args) -> int:
    from harness.scaffold import scaffold
    ruleset = _load(args, check_lock=False)
    for path in scaffold(ruleset.project.root, args.name, {s.rule.sid for s in ruleset.sources}):
        print(f"wrote {path}")
    print("next: edit the rule and the generator, then `iotdetect pcaps && iotdetect lock && make test`")
    return EXIT_OK


def cmd_dist(args) -> int:
    import os
    from harness.suricata.engine import DEFAULT_ENGINE, make_engine
    from harness.release.dist import DistOptions, dist
    from harness.baseline.stage import report_data
    from harness.cases.runner import baseline_summary, run_suite
    ruleset = _load(args)
    verdicts = run_suite(ruleset, make_engine(DEFAULT_ENGINE))
    failed = [v for v in verdicts if not v.passed]
    from harness.inventory.cli import run_and_report
    failed += [v for v in run_and_report(ruleset, make_engine(DEFAULT_ENGINE), _console(), show_failures=False) if not v.passed]
    if failed:   # a release is never cut from failing content
        for verdict in failed:
            print(f"FAIL {verdict.ref.key}\n{verdict.explain()}", file=sys.stderr)
        print(f"{len(failed)} case(s) failed; no release written", file=sys.stderr)
        return EXIT_FAILED
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    key = args.sign_key or os.environ.get("IOTDETECT_SIGNING_KEY")
    options = DistOptions(out=Path(args.out), mtime=int(epoch) if epoch else None,
                          sign_key=Path(key) if key else None, record=args.record,
                          baseline=baseline_summary(verdicts), behaviour=report_data(ruleset))
    folder = dist(ruleset, options)
    print(f"wrote {folder}" + (" (signed)" if key else ""))
    return EXIT_OK


def cmd_verify(args) -> int:
    from harness.release.manifest import verify
    result = verify(Path(args.folder), Path(args.pubkey) if args.pubkey else None)
    for problem in result.problems:
        print(problem, file=sys.stderr)
    print(f"{result.files} files checked, {len(result.problems)} problem(s); signature {result.signature}")
    return EXIT_OK if result.ok else EXIT_FAILED


def cmd_deploy(args) -> int:
    import json
    import os
    from harness.deploy.deploy import DeployOptions, deploy
    try:
        existing = json.loads(Path(args.existing).read_text(encoding="utf-8")) if args.existing else None
    except ValueError as exc:
        raise UsageError(f"--existing {args.existing}: not JSON ({exc})") from None
    options = DeployOptions(dry_run=args.dry_run, existing=existing, insecure=args.insecure, insecure_http=args.insecure_http,
                            subscription=args.subscription, resource_group=args.resource_group, workspace=args.workspace)
    deploy(args.target, _load(args), os.environ, options)
    return EXIT_OK


def cmd_show(args) -> int:
    from rich.console import Console
    from harness.backends.settings import SiemSettings
    from harness.siem.show import panels
    ruleset = _load(args, check_lock=False)
    if args.rule not in {s.rule.id for s in ruleset.sources}:
        raise UsageError(f"no such rule: {args.rule}")
    Console(highlight=False).print(panels(ruleset, args.rule, SiemSettings()))
    return EXIT_OK


def cmd_golden(args) -> int:
    from harness.siem import golden
    from harness.backends.settings import SiemSettings
    ruleset = _load(args, check_lock=False)
    folder = ruleset.project.root / "tests" / "golden" / "siem"
    expected = golden.render(ruleset, SiemSettings())
    if args.bless:
        changed = golden.bless(folder, expected)
        shown = ", ".join(changed[:10]) + (" ..." if len(changed) > 10 else "")
        print(f"blessed {len(expected)} golden files in {folder}; {len(changed)} changed{': ' + shown if changed else ''}")
        return EXIT_OK
    problems = golden.differences(folder, expected)
    for problem in problems:
        print(golden.unified_diff(folder, expected, problem.name) or problem, file=sys.stderr)
    print(f"{len(expected)} golden files, {len(problems)} differ" + (" (review, then --bless)" if problems else ""))
    return EXIT_FAILED if problems else EXIT_OK


def cmd_sensor(args) -> int:
    from harness.sensor import cli as sensor_cli
    return sensor_cli.run(args, _load(args, check_lock=False))


def parser() -> argparse.ArgumentParser:
    from harness.suricata.engine import DEFAULT_ENGINE, engines
    from harness.version import version
    top = argparse.ArgumentParser(prog="iotdetect", description=__doc__)
    top.add_argument("--version", action="version", version=f"iotdetect {version()}")
    top.add_argument("--root", help="project folder (default: nearest folder with rules/networks.yaml)")
    top.add_argument("--debug", action="store_true", help="show the traceback of any error")
    verbs = top.add_subparsers(dest="verb", required=True)
    validate = verbs.add_parser("validate", help="load and check every rule")
    validate.add_argument("files", nargs="*", help="report only findings in these files")
    validate.add_argument("--no-siem", action="store_true", help="skip the SPL lint and the Kusto parser check")
    validate.add_argument("--networks", metavar="FILE", help=NETWORKS_HELP)
    validate.add_argument("--no-suricata", action="store_true", help="skip `suricata -T` warnings and suricata-check")
    validate.add_argument("--suricata-check-all", action="store_true",
                          help="run every suricata-check checker and print its findings per rule (slow)")
    validate.set_defaults(func=cmd_validate)
    show = verbs.add_parser("show", help="print every target of one rule side by side")
    show.add_argument("rule", help="rule id")
    show.set_defaults(func=cmd_show)
    golden_verb = verbs.add_parser("golden", help="compare the SPL/KQL golden files, or --bless them after review")
    golden_verb.add_argument("--bless", action="store_true", help="rewrite tests/golden/siem from the backends")
    golden_verb.set_defaults(func=cmd_golden)
    verbs.add_parser("lock", help="record rule hashes in rules.lock").set_defaults(func=cmd_lock)
    build = verbs.add_parser("build", help="compile rules into an output folder")
    build.add_argument("--out", default="build", help="output folder (replaced as a whole)")
    build.add_argument("--networks", metavar="FILE", help=NETWORKS_HELP)
    build.set_defaults(func=cmd_build)
    pcaps = verbs.add_parser("pcaps", help="write generator pcaps, or --check them")
    pcaps.add_argument("rules", nargs="*")
    pcaps.add_argument("--check", action="store_true", help="fail when a committed pcap differs")
    pcaps.add_argument("--networks", metavar="FILE", help=NETWORKS_HELP)
    pcaps.set_defaults(func=cmd_pcaps)
    test = verbs.add_parser("test", help="replay every case through Suricata")
    test.add_argument("rules", nargs="*")
    test.add_argument("--engine", default=DEFAULT_ENGINE, choices=list(engines()))
    test.add_argument("--junit", help="write JUnit XML here")
    test.add_argument("--keep", help="keep eve.json files in this folder")
    test.add_argument("--shard", metavar="K/N", help="run only shard K of N (split by rule id; baselines in 1/N)")
    test.add_argument("--config", metavar="SURICATA_YAML",
                      help="replay with this suricata.yaml (your sensor's, after `sensor configure`) instead of the harness's")
    test.add_argument("--networks", metavar="FILE", help=NETWORKS_HELP)
    test.set_defaults(func=cmd_test)
    new = verbs.add_parser("new", help="scaffold CATEGORY/ID")
    new.add_argument("name")
    new.set_defaults(func=cmd_new)
    dist = verbs.add_parser("dist", help="build the release packs into OUT/iotdetect-<version>/")
    dist.add_argument("--out", default="dist")
    dist.add_argument("--sign-key", help="PEM private key for SHA256SUMS.sig (default: $IOTDETECT_SIGNING_KEY)")
    dist.add_argument("--record", action="store_true", help="also write releases/<version>.json (commit it when releasing)")
    dist.set_defaults(func=cmd_dist)
    verify = verbs.add_parser("verify", help="check a release folder's SHA256SUMS (and signature with --pubkey)")
    verify.add_argument("folder")
    verify.add_argument("--pubkey", help="PEM public key the signature must verify with")
    verify.set_defaults(func=cmd_verify)
    deploy = verbs.add_parser("deploy", help="create/update the rules in Splunk, Sentinel or Elastic (Kibana)")
    deploy.add_argument("target", choices=["splunk", "sentinel", "elastic"])
    deploy.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    deploy.add_argument("--existing", help="JSON of what exists on the target instead of asking it (implies no changes)")
    deploy.add_argument("--insecure", action="store_true", help="Splunk, Kibana: skip TLS certificate verification")
    deploy.add_argument("--insecure-http", action="store_true",
                        help="Splunk: allow an http:// SPLUNK_URL (the token is then sent in cleartext)")
    deploy.add_argument("--subscription", help="Sentinel: subscription id (default $AZURE_SUBSCRIPTION_ID)")
    deploy.add_argument("--resource-group", help="Sentinel: resource group (default $AZURE_RESOURCE_GROUP)")
    deploy.add_argument("--workspace", help="Sentinel: workspace name (default $SENTINEL_WORKSPACE)")
    deploy.set_defaults(func=cmd_deploy)
    sensor = verbs.add_parser("sensor", help="check / configure your own suricata.yaml for the pack")
    sensor_verbs = sensor.add_subparsers(dest="sensor_verb", required=True)
    sensor_check = sensor_verbs.add_parser("check", help="what stops each rule from loading or working with CONFIG")
    sensor_check.add_argument("config", help="the sensor's suricata.yaml (its includes are followed)")
    sensor_check.add_argument("--no-suricata", action="store_true", help="skip loading the pack with `suricata -T`")
    sensor_configure = sensor_verbs.add_parser("configure", help="the minimal edit of CONFIG (a diff; --write applies it)")
    sensor_configure.add_argument("config")
    sensor_configure.add_argument("--write", action="store_true", help="edit CONFIG, keeping CONFIG.iotdetect-backup")
    sensor_configure.add_argument("--site-groups", action="store_true",
                                  help="also set HOME_NET/EXTERNAL_NET to rules/networks.yaml (default: only when absent)")
    sensor.set_defaults(func=cmd_sensor)
    from harness.inventory.cli import add_parser as add_inventory
    add_inventory(verbs)
    from harness.baseline.cli import register as register_baseline
    register_baseline(verbs)
    return top


def _fail(args, exc: BaseException, code: int, message: str) -> int:
    if getattr(args, "debug", False):
        traceback.print_exception(exc)
    print(message, file=sys.stderr)
    return code


def main(argv: list[str] | None = None) -> int:
    """Exit 0 ok, 1 failures, 2 invalid input, 3 environment; never a traceback unless --debug.
    Only typed errors choose the code: a stray KeyError/ValueError is a bug (3, "internal error"),
    never reported as an invalid rule."""
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except RuleErrors as exc:
        text = "\n".join(str(finding) for finding in exc.findings)
        return _fail(args, exc, EXIT_INVALID, f"{text}\n{len(exc.findings)} problem(s); nothing written")
    except UsageError as exc:
        return _fail(args, exc, EXIT_INVALID, f"iotdetect: {exc}")
    except EnvironmentFailure as exc:   # Suricata/node/docker missing or failing, servers, disks
        return _fail(args, exc, EXIT_ENVIRONMENT, f"iotdetect: {exc}")
    except OSError as exc:              # a file or folder the machine refuses: named
        return _fail(args, exc, EXIT_ENVIRONMENT, f"iotdetect: {describe_os_error(exc)}")
    except KeyboardInterrupt as exc:
        return _fail(args, exc, 130, "iotdetect: interrupted")
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one line, not a traceback
        return _fail(args, exc, EXIT_ENVIRONMENT, f"iotdetect: internal error: {type(exc).__name__}: {exc}"
                     " (run with --debug for the traceback, and please report it)")


if __name__ == "__main__":
    sys.exit(main())
