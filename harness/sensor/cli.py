"""The `iotdetect sensor` verbs (kept here so harness/cli.py stays one line per verb)."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

from harness.version import version
from harness.suricata.ruleset import compile_rules
from harness.rules.loader import RuleSet
from harness.sensor import check, configure
from harness.sensor.needs import pack_needs

EXIT_OK, EXIT_FAILED = 0, 1


def run(args, ruleset: RuleSet) -> int:
    needs = pack_needs(ruleset)
    config = Path(args.config)
    if args.sensor_verb == "check":
        suricata = None
        binary = shutil.which("suricata")
        if not args.no_suricata and binary:
            compiled = compile_rules(ruleset, version())
            suricata = (binary, compiled.text, {n: s.rule.id for n, s in compiled.line_sources.items()})
        elif not args.no_suricata:
            print("warning: suricata is not installed; the pack was not loaded with this config", file=sys.stderr)
        report = check.check(config, needs, suricata)
        print(check.render(report, needs))
        return EXIT_OK if report.ok else EXIT_FAILED
    result = configure.plan(config, needs, version(), site_groups=args.site_groups)
    if not result.changes:
        print(f"{config}: nothing to change")
        return EXIT_OK
    if args.write:
        backup = configure.write(result)
        print("\n".join(result.changes))
        print(f"wrote {config} (backup: {backup})")
    else:
        sys.stdout.write(result.diff())
        print("\n".join(f"# {c}" for c in result.changes), file=sys.stderr)
    return EXIT_OK
