"""`iotdetect inventory validate|import|diff`: thin verbs over harness/inventory."""
from __future__ import annotations

import sys
from pathlib import Path

from harness.rules.errors import UsageError

EXIT_OK, EXIT_DRIFT = 0, 1


def _project(args):
    from harness.rules.project import Project
    return Project(Path(args.root).resolve()) if args.root else Project.find()


def validate_summary(project, networks=None, check_siem: bool = True) -> str | None:
    """For `iotdetect validate`: load the inventory when there is one (RuleErrors otherwise), and
    put its KQL through the Kusto parser with Sentinel's _GetWatchlist declared."""
    from harness.inventory.load import exists, load_inventory
    if not exists(project):
        return None
    inventory = load_inventory(project, networks)
    summary = f"inventory valid: {len(inventory.devices)} devices, {len(inventory.classes)} classes, {len(inventory.models)} firmware models"
    if check_siem:
        from harness.inventory.checks import check_kql_searches, lint_spl_searches
        linted = lint_spl_searches(inventory)
        checked = check_kql_searches(project, inventory)
        summary += f"; {linted} inventory SPL searches linted, {checked} KQL searches passed the Kusto parser"
    return summary


def cmd_validate(args) -> int:
    from harness.inventory.load import exists, folder
    project = _project(args)
    if not exists(project):
        raise UsageError(f"no inventory: {folder(project) / 'devices.yaml'} does not exist")
    print(validate_summary(project, check_siem=not args.no_siem))
    return EXIT_OK


def cmd_import(args) -> int:
    from harness.inventory.importer import import_files
    project = _project(args)
    report = import_files(project, [Path(f) for f in args.files], dry_run=args.dry_run)
    print(report)
    return EXIT_OK


def cmd_diff(args) -> int:
    import json

    from harness.inventory.drift import drift
    from harness.inventory.load import load_inventory
    from harness.inventory.nmap import parse_scan
    project = _project(args)
    inventory = load_inventory(project)
    result = drift(inventory, parse_scan(Path(args.scan)))
    if args.json:
        print(json.dumps(result.as_dict(), indent=2, sort_keys=True))
    else:
        print(result.text())
    return EXIT_DRIFT if result.any else EXIT_OK


def extra_pcap_refs(project, networks) -> list:
    """The inventory cases, for `iotdetect pcaps [--check]` (they render like rule cases)."""
    from harness.inventory.load import exists, load_inventory
    from harness.inventory.suite import case_refs
    if not exists(project):
        return []
    return case_refs(project, load_inventory(project, networks))


def run_and_report(ruleset, engine, console, show_failures: bool = True) -> list:
    """Run the inventory cases (none without inventory/); print failures; return every verdict."""
    from harness.inventory.load import exists, load_inventory
    from harness.inventory.suite import run_inventory_cases
    if not exists(ruleset.project):
        return []
    verdicts = run_inventory_cases(ruleset, load_inventory(ruleset.project, ruleset.networks), engine)
    failed = [v for v in verdicts if not v.passed]
    for verdict in failed if show_failures else ():
        console.print(f"[red]FAIL[/red] {verdict.ref.key}\n{verdict.explain()}")
    console.print(f"inventory: {len(verdicts) - len(failed)} passed, {len(failed)} failed ({engine.name} engine)")
    return verdicts


def cmd_test(args) -> int:
    from rich.console import Console

    from harness.suricata.engine import make_engine
    from harness.rules.loader import load_project
    ruleset = load_project(_project(args), check_lock=False)
    verdicts = run_and_report(ruleset, make_engine(args.engine), Console(stderr=True, highlight=False))
    return EXIT_DRIFT if any(not v.passed for v in verdicts) else EXIT_OK


def golden_files(project) -> dict[str, str]:
    """tests/golden/inventory/<search>.<language>: the inventory searches as the example inventory renders them."""
    from harness.inventory import siem
    from harness.inventory.load import load_inventory
    inventory = load_inventory(project)
    return {f"{search}.{language}": text for language in ("spl", "kql", "sql")
            for search, text in siem.searches(language, inventory.networks).items()}


def cmd_golden(args) -> int:
    project = _project(args)
    folder = project.root / "tests" / "golden" / "inventory"
    expected = golden_files(project)
    differ = [name for name, text in expected.items()
              if not (folder / name).is_file() or (folder / name).read_text(encoding="utf-8") != text]
    if args.bless:
        folder.mkdir(parents=True, exist_ok=True)
        for name in differ:
            (folder / name).write_text(expected[name], encoding="utf-8")
        print(f"blessed {len(expected)} inventory golden files; {len(differ)} changed: {', '.join(differ) or '-'}")
        return EXIT_OK
    for name in differ:
        print(f"{name} differs from {folder / name}", file=sys.stderr)
    print(f"{len(expected)} inventory golden files, {len(differ)} differ" + (" (review, then --bless)" if differ else ""))
    return EXIT_DRIFT if differ else EXIT_OK


def add_parser(verbs) -> None:
    inventory = verbs.add_parser("inventory", help="the asset inventory: validate, import scans/CMDB exports, drift")
    sub = inventory.add_subparsers(dest="inventory_verb", required=True)
    validate = sub.add_parser("validate", help="check inventory/ (also part of `iotdetect validate`)")
    validate.add_argument("--no-siem", action="store_true", help="skip the Kusto parser check of the inventory KQL")
    validate.set_defaults(func=cmd_validate)
    imp = sub.add_parser("import", help="merge an nmap XML (-oX) or a CMDB CSV export into inventory/devices.yaml")
    imp.add_argument("files", nargs="+", help="scan.xml (nmap -oX) or cmdb.csv (ServiceNow cmdb_ci export)")
    imp.add_argument("--dry-run", action="store_true", help="report what would change, write nothing")
    imp.set_defaults(func=cmd_import)
    test = sub.add_parser("test", help="replay inventory/tests.yaml with the inventory rules and datasets loaded")
    test.add_argument("--engine", default="batch", choices=["batch", "process", "container"])
    test.set_defaults(func=cmd_test)
    golden = sub.add_parser("golden", help="compare (or --bless) the inventory searches' golden files")
    golden.add_argument("--bless", action="store_true")
    golden.set_defaults(func=cmd_golden)
    diff = sub.add_parser("diff", help="compare a new scan with the inventory; exit 1 when anything drifted")
    diff.add_argument("scan", help="nmap XML (-oX)")
    diff.add_argument("--json", action="store_true", help="machine-readable output")
    diff.set_defaults(func=cmd_diff)
