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
from importlib import metadata
from pathlib import Path

import yaml

from harness.suricata.ruleset import CompiledRules
from harness.rules.answers import answered, cache_file, digest
from harness.rules.parallel import fork_map
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


def engine_warnings(ruleset: RuleSet, binary: str, compiled: CompiledRules | None = None) -> list[Finding]:
    """One `suricata -T` of the whole set with the harness config (a repeat of the same inputs is
    answered from the cache: harness/suricata/loadcache.py)."""
    from harness.suricata.workspace import prepare_workspace   # runner imports the engine; keep import time low
    from harness.suricata.loadcache import check_rules_cached
    with tempfile.TemporaryDirectory(prefix="iotdetect-validate-") as tmp:
        workspace = prepare_workspace(ruleset, Path(tmp), compiled=compiled)
        # Under a time-out, killed by its PID; errors mapped to the rules; loaded count checked.
        output = check_rules_cached(workspace, binary=binary)
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


PARALLEL_RULES = 500   # below this, forking a second linter costs more than it saves


def _lint_lines(lines: list[str], every_checker: bool) -> list[list[list[str]] | None]:
    """suricata-check's issues ([code, first line of its message]) per rule line, in order; None
    for a rule its own parser refuses (Suricata loads it: IPv6 CIDRs among them)."""
    import suricata_check as sc
    checkers = [c for c in sc.get_checkers() if every_checker or type(c).__name__ in GATING_CHECKERS]
    with tempfile.TemporaryDirectory(prefix="iotdetect-suricata-check-") as tmp:
        rules = Path(tmp) / "iotdetect.rules"
        rules.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        report = sc.process_rules_file(str(rules), False, checkers=checkers)
    answers: list[list[list[str]] | None] = [None] * len(lines)
    for rule_report in report.rules:
        answers[rule_report.line_begin - 1] = [[i.code, i.message.splitlines()[0]] for i in rule_report.issues]
    return answers


def lint_rules(lines: list[str], root: Path, every_checker: bool = False, *, cache: bool = True) -> list[list[list[str]] | None]:
    """_lint_lines for every rule line, each distinct rule text linted once per suricata-check
    version and checker set: answers are cached per rule in root/.iotdetect-cache/ (the linter
    takes ~1 ms a rule, 10k rules ~10 s), the rest are linted one process per core (suricata-check
    is per rule: no check looks at another rule, so splitting the file changes no answer)."""
    try:
        tool = metadata.version("suricata-check")
    except metadata.PackageNotFoundError as exc:
        raise ToolMissing("suricata-check is not installed (make python)") from exc
    setting = "every" if every_checker else ",".join(GATING_CHECKERS)
    path = cache_file(root, f"suricata-check-{digest(tool, setting)[:16]}.json")

    def lint(todo: list[str]) -> list:
        previous = logging.root.manager.disable
        # It logs every finding again, a note at import, and an error for each rule its parser
        # refuses; the last come back as None instead.
        logging.disable(logging.ERROR)
        try:
            return fork_map(_lint_lines, todo, PARALLEL_RULES, every_checker)
        except ImportError as exc:
            raise ToolMissing("suricata-check is not installed (make python)") from exc
        finally:
            logging.disable(previous)
    return answered(lines, path, lint, cache=cache)


def suricata_check(ruleset: RuleSet, compiled: CompiledRules, every_checker: bool = False) -> LintResult:
    """suricata-check over the compiled rules (its Python API: the CLI also asks PyPI for updates)."""
    exemptions, findings = load_exemptions(ruleset)
    by_line = sorted(compiled.line_sources.items())
    text_lines = compiled.text.split("\n")
    answers = lint_rules([text_lines[line - 1] for line, _ in by_line], ruleset.project.root, every_checker)
    per_rule: dict[str, list[str]] = {}
    used: set[tuple[str, str]] = set()
    for (_, source), issues in zip(by_line, answers):
        if issues is None:
            continue
        rule_id = source.rule.id
        per_rule[rule_id] = [f"{code} {message}" for code, message in issues]
        for code, message in issues:
            if code not in GATED:
                continue
            if code in exemptions.get(rule_id, {}):
                used.add((rule_id, code))
                continue
            findings.append(_finding(source, ruleset.project.root, "suricata-check",
                                     f"suricata-check {code}: {message} (fix the rule, or"
                                     f" add `{rule_id}: {{{code}: reason}}` to {EXEMPTIONS_FILENAME} for review)"))
    for rule_id, codes in exemptions.items():
        for code in codes:
            if (rule_id, code) not in used:
                findings.append(Finding(EXEMPTIONS_FILENAME, 0, f"{rule_id}.{code}",
                                        "stale exemption: suricata-check no longer reports it; remove it"))
    unparsed = tuple(source.rule.id for (_, source), issues in zip(by_line, answers) if issues is None)
    return LintResult(findings, per_rule, len(used), unparsed)


def check(ruleset: RuleSet, binary: str | None, every_checker: bool = False) -> tuple[list[Finding], list[str], LintResult | None]:
    """(findings, skipped-check notes, suricata-check result)."""
    from harness.suricata.ruleset import compile_rules
    from harness.version import version
    # Compiled once for both tools, with the release's header line: the same bytes `build` stages,
    # so build's load test is answered by this one's cached result.
    compiled = compile_rules(ruleset, version())
    findings: list[Finding] = []
    skipped: list[str] = []
    if binary:
        try:
            findings += engine_warnings(ruleset, binary, compiled)
        except RuleErrors as exc:
            findings += exc.findings
    else:
        skipped.append("rules not load-tested: suricata is not installed (make setup)")
    lint = None
    try:
        lint = suricata_check(ruleset, compiled, every_checker)
        findings += lint.findings
        if lint.unparsed:
            skipped.append(f"suricata-check cannot parse {len(lint.unparsed)} rule(s) Suricata loads, not linted:"
                           f" {', '.join(lint.unparsed)}")
    except ToolMissing as exc:
        skipped.append(str(exc))
    return findings, skipped, lint
