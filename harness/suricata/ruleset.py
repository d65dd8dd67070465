"""Compile a whole rule set for Suricata (remembering which output line came from which rule), and map
Suricata's load errors and loaded-rule count back onto the rule files."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from harness.backends.suricata import SuricataBackend
from harness.rules.errors import EngineError, Finding, RuleErrors, rel, tail
from harness.rules.loader import RuleSet, RuleSource
from harness.rules.memo import Memo
from harness.rules.safenames import printable

RULES_FILENAME = "iotdetect.rules"


@dataclass(frozen=True)
class CompiledRules:
    text: str
    line_sources: dict[int, RuleSource]   # 1-based line in the .rules file -> rule it came from

    def source_for_line(self, line: int) -> RuleSource | None:
        return self.line_sources.get(line)


def compile_rules(ruleset: RuleSet, version: str = "dev") -> CompiledRules:
    backend = SuricataBackend()
    active = sorted(ruleset.active(), key=lambda s: s.rule.sid)
    lines = [f"# iotdetect {version}: {len(active)} rules. Generated from rules/*.yaml; do not edit."]
    sources: dict[int, RuleSource] = {}
    # A rule's line depends on its file and the code only (addresses stay variables): memoised.
    memo = Memo(ruleset.project.root if any(s.digest for s in active) else None, "suricata")
    for source in active:
        # The loader refuses unsafe folder names; printable() keeps even an unchecked path on one line.
        lines.append(f"# {source.rule.id} ({printable(rel(source.path, ruleset.project.root))})")
        text = memo.get(source.digest) if source.digest else None
        if text is None:
            text = backend.compile(source.rule)
            if source.digest:
                memo.put(source.digest, text)
        lines.append(text)
        sources[len(lines)] = source
    memo.save()
    return CompiledRules("\n".join(lines) + "\n", sources)


_SIGNATURE_ERROR = re.compile(r'error parsing signature ".*" from file (?P<file>\S+) at line (?P<line>\d+)')
_VARIABLE_ERROR = re.compile(r'failed to parse (?:address|port) var "(?P<var>[^"]+)"')
NETWORKS_FILE = "rules/networks.yaml"
_ERROR_LINE = re.compile(r"^(?:\[\d+\] )?(?:E|Error): (?P<msg>.*)$")


def map_suricata_errors(output: str, compiled: CompiledRules, root: Path) -> RuleErrors | EngineError:
    """Turn Suricata's load errors into findings on the YAML files the failing rules came from.
    Output naming no rule (a bad config, a crash, a missing file) is the environment's failure,
    reported with Suricata's own messages, never as an invalid rule."""
    findings: list[Finding] = []
    pending: list[str] = []
    for raw in output.splitlines():
        match = _ERROR_LINE.match(raw.strip())
        if not match:
            continue
        message = match.group("msg")
        located = _SIGNATURE_ERROR.search(message)
        if located:
            source = compiled.source_for_line(int(located.group("line")))
            reason = "; ".join(pending) or "Suricata rejected the compiled rule"
            if source:
                findings.append(Finding(rel(source.path, root), source.line("detection"), "detection",
                                        f"Suricata: {reason}"))
            else:
                findings.append(Finding(RULES_FILENAME, int(located.group("line")), "", f"Suricata: {reason}"))
            pending = []
        else:
            pending.append(message)
            variable = _VARIABLE_ERROR.search(message)
            if variable:   # the site plan's address/port groups: invalid input, not the environment
                findings.append(Finding(NETWORKS_FILE, 0, variable.group("var"), "Suricata: " + "; ".join(pending)))
                pending = []
    # After a rule error Suricata adds "Loading signatures failed.": the rule finding says it all.
    if not findings:
        return EngineError("Suricata failed" + (": " + "; ".join(pending)[:1000] if pending else ""), tail(output))
    return RuleErrors(findings)


_LOADED = re.compile(r"(?P<loaded>\d+) rules successfully loaded, (?P<failed>\d+) rules failed")


def rules_loaded(output: str) -> int | None:
    """The number of rules Suricata says it loaded (its -v output), or None when it does not say."""
    found = _LOADED.findall(output)
    return int(found[-1][0]) if found else None


def written_rules(rules_file: Path) -> int:
    """Rule lines in the file handed to Suricata: the pack's own and whatever a stage appended
    (inventory, baseline rules). Counted in the file, so a NUL or continuation that merges two
    lines inside Suricata still shows up as a difference."""
    text = rules_file.read_text(encoding="utf-8", errors="replace")
    return sum(1 for line in text.split("\n") if line.strip() and not line.lstrip().startswith("#"))


def check_loaded_count(output: str, rules_file: Path) -> None:
    """Every rule written must be loaded: a rule cut by a NUL once vanished with "0 failed"."""
    loaded, written = rules_loaded(output), written_rules(rules_file)
    if loaded is None and written == 0:   # with no rules Suricata prints no count, only a warning
        return
    if loaded is None:
        raise EngineError("Suricata did not report how many rules it loaded (is it Suricata 7?)", tail(output))
    if loaded != written:
        raise RuleErrors([Finding(RULES_FILENAME, 0, "", f"Suricata loaded {loaded} rules but {written} were"
                                  " written: a rule was cut or merged with another")])
