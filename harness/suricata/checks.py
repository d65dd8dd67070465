"""`validate`'s checks of the compiled rule set with Suricata's own tools, each run once for the set:

- `suricata -T` with the harness config: every warning about one of our rules is a finding
  (--init-errors-fatal leaves warnings such as "duplicate instance for <buffer>" or "SYN-only to
  port(s) w/o direction" as warnings: the rule loads, but not as written);
- suricata-check (PyPI), in process: its performance and mandatory findings fail, unless
  suricata-check.yaml holds a reviewed exemption with the reason for that rule and code.
"""
from __future__ import annotations

import logging
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from harness.suricata.ruleset import CompiledRules
from harness.rules.errors import Finding, RuleErrors, rel
from harness.rules.loader import RuleSet, RuleSource

EXEMPTIONS_FILENAME = "suricata-check.yaml"
# suricata-check codes that fail validate: pcre without a content anchor (S600), pcre with an
# unbounded `.*` (S601), its performance checks (S900-S903) and mandatory options (M000/M001).
GATED = ("S600", "S601", "S900", "S901", "S902", "S903", "M000", "M001")
GATING_CHECKERS = ("PcreChecker", "PerformanceChecker", "MandatoryChecker")
MIN_REASON = 20
_SID_IN_MESSAGE = re.compile(r"\bsid[: ](\d+)\b|\brule (\d+):")


class ToolMissing(RuntimeError):
    pass


def _by_sid(ruleset: RuleSet) -> dict[int, RuleSource]:
    return {s.rule.sid: s for s in ruleset.sources}


def _finding(source: RuleSource, root: Path, part: str, message: str) -> Finding:
    return Finding(rel(source.path, root), source.line("detection"), part, message)


def engine_warnings(ruleset: RuleSet, binary: str) -> list[Finding]:
    """One `suricata -T` of the whole set with the harness config."""
    from harness.suricata.workspace import prepare_workspace   # runner imports the engine; keep import time low
    from harness.suricata.engine import check_rules
    with tempfile.TemporaryDirectory(prefix="iotdetect-validate-") as tmp:
        workspace = prepare_workspace(ruleset, Path(tmp))
        # Under a time-out, killed by its PID; errors mapped to the rules; loaded count checked.
        output = check_rules(workspace, binary=binary)
    return warnings_in(output, ruleset, workspace.compiled)


def warnings_in(output: str, ruleset: RuleSet, compiled: CompiledRules) -> list[Finding]:
    sids = _by_sid(ruleset)
    findings = []
    for line in output.splitlines():
        text = re.sub(r"^\[\d+\] ", "", line.strip())
        if not text.startswith(("W: ", "Warning: ")):
            continue
        message = text.split(": ", 1)[1]
        match = _SID_IN_MESSAGE.search(message)
        sid = int(next(g for g in match.groups() if g)) if match else None
        if sid in sids:
            short = re.sub(r" in '(?:alert|drop|pass|reject) .*'$", "", message)   # the rule text is the file's
            findings.append(_finding(sids[sid], ruleset.project.root, "suricata", f"Suricata warning: {short}"))
    return findings


@dataclass(frozen=True)
class LintResult:
    findings: list[Finding]
    per_rule: dict[str, list[str]] = field(default_factory=dict)   # rule id -> "CODE message" (every finding)
    exempted: int = 0
    unparsed: tuple[str, ...] = ()    # rules suricata-check's own parser refuses (Suricata loads them): not checked


def load_exemptions(ruleset: RuleSet) -> tuple[dict[str, dict[str, str]], list[Finding]]:
    path = ruleset.project.root / EXEMPTIONS_FILENAME
    if not path.is_file():
        return {}, []
    name = rel(path, ruleset.project.root)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return {}, [Finding(name, mark.line + 1 if mark else 0, "", f"not valid YAML: {exc}")]
    known = {s.rule.id for s in ruleset.sources}
    exemptions: dict[str, dict[str, str]] = {}
    problems = []
    if not isinstance(data, dict):
        return {}, [Finding(name, 1, "", "must map rule ids to {code: reason}")]
    for rule_id, codes in data.items():
        if rule_id not in known:
            problems.append(Finding(name, 0, str(rule_id), "no such rule"))
            continue
        if not isinstance(codes, dict):
            problems.append(Finding(name, 0, str(rule_id), "must map suricata-check codes to reasons"))
            continue
        for code, reason in codes.items():
            if code not in GATED:
                problems.append(Finding(name, 0, f"{rule_id}.{code}", f"not a gated code ({', '.join(GATED)})"))
            elif not isinstance(reason, str) or len(reason.strip()) < MIN_REASON:
                problems.append(Finding(name, 0, f"{rule_id}.{code}", f"needs a reason (at least {MIN_REASON} characters)"))
            else:
                exemptions.setdefault(rule_id, {})[code] = reason
    return exemptions, problems


def suricata_check(ruleset: RuleSet, compiled: CompiledRules, every_checker: bool = False) -> LintResult:
    """suricata-check over the compiled text (its Python API: the CLI also asks PyPI for updates)."""
    previous = logging.root.manager.disable
    # It logs every finding again, a note at import, and an error for each rule its parser refuses
    # (IPv6 CIDRs among them); the last are returned as `unparsed` instead.
    logging.disable(logging.ERROR)
    try:
        try:
            import suricata_check as sc
        except ImportError as exc:
            raise ToolMissing("suricata-check is not installed (make python)") from exc
        checkers = [c for c in sc.get_checkers() if every_checker or type(c).__name__ in GATING_CHECKERS]
        exemptions, findings = load_exemptions(ruleset)
        by_line = dict(compiled.line_sources)
        with tempfile.TemporaryDirectory(prefix="iotdetect-suricata-check-") as tmp:
            rules = Path(tmp) / "iotdetect.rules"
            rules.write_text(compiled.text, encoding="utf-8")
            report = sc.process_rules_file(str(rules), False, checkers=checkers)
    finally:
        logging.disable(previous)
    per_rule: dict[str, list[str]] = {}
    used: set[tuple[str, str]] = set()
    for rule_report in report.rules:
        source = by_line.get(rule_report.line_begin)
        if source is None:
            continue
        rule_id = source.rule.id
        per_rule[rule_id] = [f"{i.code} {i.message.splitlines()[0]}" for i in rule_report.issues]
        for issue in rule_report.issues:
            if issue.code not in GATED:
                continue
            if issue.code in exemptions.get(rule_id, {}):
                used.add((rule_id, issue.code))
                continue
            findings.append(_finding(source, ruleset.project.root, "suricata-check",
                                     f"suricata-check {issue.code}: {issue.message.splitlines()[0]} (fix the rule, or"
                                     f" add `{rule_id}: {{{issue.code}: reason}}` to {EXEMPTIONS_FILENAME} for review)"))
    for rule_id, codes in exemptions.items():
        for code in codes:
            if (rule_id, code) not in used:
                findings.append(Finding(EXEMPTIONS_FILENAME, 0, f"{rule_id}.{code}",
                                        "stale exemption: suricata-check no longer reports it; remove it"))
    checked = {r.line_begin for r in report.rules}
    unparsed = tuple(source.rule.id for line, source in sorted(by_line.items()) if line not in checked)
    return LintResult(findings, per_rule, len(used), unparsed)


def check(ruleset: RuleSet, binary: str | None, every_checker: bool = False) -> tuple[list[Finding], list[str], LintResult | None]:
    """(findings, skipped-check notes, suricata-check result)."""
    from harness.suricata.ruleset import compile_rules
    findings: list[Finding] = []
    skipped: list[str] = []
    if binary:
        try:
            findings += engine_warnings(ruleset, binary)
        except RuleErrors as exc:
            findings += exc.findings
    else:
        skipped.append("rules not load-tested: suricata is not installed (make setup)")
    lint = None
    try:
        lint = suricata_check(ruleset, compile_rules(ruleset), every_checker)
        findings += lint.findings
        if lint.unparsed:
            skipped.append(f"suricata-check cannot parse {len(lint.unparsed)} rule(s) Suricata loads, not linted:"
                           f" {', '.join(lint.unparsed)}")
    except ToolMissing as exc:
        skipped.append(str(exc))
    return findings, skipped, lint
