"""Every rule through every SIEM backend, and the checks the emitted searches must pass."""
from __future__ import annotations

from dataclasses import dataclass

from harness.backends.base import TemplateBackend
from harness.backends.logic import hunt_plan
from harness.backends.registry import SIEM_BACKENDS, published_siem
from harness.backends.settings import SiemQueries, SiemSettings
from harness.backends.spl import SplBackend
from harness.rules.errors import Finding, rel
from harness.rules.loader import RuleSet
from harness.rules.memo import Memo
from harness.siem import eql_check, kusto, spl_lint
from harness.siem.spl_fields import output_fields



def compile_all(ruleset: RuleSet, settings: SiemSettings,
                backends: tuple[str, ...] | None = None) -> dict[str, dict[str, SiemQueries]]:
    """backend name -> rule id -> queries, for the active rules (deprecated ones get no search).
    Default: the published SIEM languages."""
    names = backends or published_siem()
    active = ruleset.active()
    # A rule's searches depend on its file, the site plan, the settings and the code (the memo's
    # digest): a warm run compiles only the files it has not seen.
    memo = Memo(ruleset.project.root if any(s.digest for s in active) else None, "siem",
                repr((names, ruleset.networks, settings)))
    per_rule: list = [memo.get(source.digest) if source.digest else None for source in active]
    instances = [SIEM_BACKENDS[name]() for name in names]
    for index, source in enumerate(active):
        if per_rule[index] is None:
            planned = hunt_plan(source.rule)   # once per rule, not once per language
            per_rule[index] = tuple(
                backend.compile_planned(source.rule, planned, ruleset.networks, settings)
                if isinstance(backend, TemplateBackend) else backend.compile(source.rule, ruleset.networks, settings)
                for backend in instances)
            if source.digest:
                memo.put(source.digest, per_rule[index])
    memo.save()
    return {name: {source.rule.id: queries[index] for source, queries in zip(active, per_rule)}
            for index, name in enumerate(names)}


@dataclass(frozen=True)
class SiemCheck:
    findings: list[Finding]
    skipped: list[str]          # checks that could not run, and why (not failures)
    kql_queries: int = 0
    spl_searches: int = 0
    eql_queries: int = 0


def _searches(queries: SiemQueries) -> list[tuple[str, str]]:
    return [("alert", queries.alert)] + ([("hunt", queries.hunt)] if queries.hunt else [])


def _suppress_fields(source, alert_search: str, root) -> list[Finding]:
    """Splunk suppresses on fields of the search's results: a field the search does not return
    never matches, so every alert is suppressed for the whole period, or none is."""
    if not source.rule.siem.suppress.by:   # most rules: no need to parse the search
        return []
    returned = output_fields(alert_search)
    missing = [f for f in source.rule.siem.suppress.by if returned is not None and f not in returned]
    if not missing:
        return []
    return [Finding(rel(source.path, root), source.line("siem", "suppress") or source.line("detection"), "siem.suppress.by",
                    f"{', '.join(missing)} is not returned by the alert search (it returns {', '.join(sorted(returned))})")]


def check(ruleset: RuleSet, settings: SiemSettings) -> SiemCheck:
    """SPL lint, the EQL parser and the Kusto parser over every emitted search; findings point at the rule file."""
    compiled = compile_all(ruleset, settings)
    macros = SplBackend().macros(ruleset.networks, settings)
    findings: list[Finding] = []
    spl = [(source, kind, search) for source in ruleset.active()
           for kind, search in _searches(compiled["spl"][source.rule.id])]
    spl_count = len(spl)
    linted = spl_lint.lint_all([q for _, _, q in spl], macros, settings.splunk_eve_macro, ruleset.project.root)
    by_rule: dict[str, list[Finding]] = {}
    for (source, kind, _), problems in zip(spl, linted):
        if problems:   # the line map only when needed: a memoised rule's is unpacked on first use
            where = (rel(source.path, ruleset.project.root), source.line("detection"))
            by_rule.setdefault(source.rule.id, []).extend(Finding(*where, f"siem.spl.{kind}", f"SPL lint: {problem}")
                                                          for problem in problems)
    for source in ruleset.active():   # per rule: its lint findings, then its suppression check
        findings += by_rule.get(source.rule.id, [])
        findings += _suppress_fields(source, compiled["spl"][source.rule.id].alert, ruleset.project.root)
    for name, (definition, args) in macros.items():
        if args:   # a network macro: lint its expression as it is used inside `where`
            probe = f"`{settings.splunk_eve_macro}` | where {definition.replace('$ip$', 'src_ip')}"
            findings += [Finding(rel(ruleset.project.networks_file, ruleset.project.root), 0, name, f"SPL lint: {p}")
                         for p in spl_lint.lint(probe, macros, settings.splunk_eve_macro)]
    eql = [(source, kind, search) for source in ruleset.active()
           for kind, search in _searches(compiled["eql"][source.rule.id])]
    eql_count = len(eql)
    for (source, kind, _), problems in zip(eql, eql_check.check_all([q for _, _, q in eql], ruleset.project.root)):
        findings += [Finding(rel(source.path, ruleset.project.root), source.line("detection"), f"siem.eql.{kind}",
                             f"EQL parser: {problem}") for problem in problems]
    kql = [(source, kind, search) for source in ruleset.active()
           for kind, search in _searches(compiled["kql"][source.rule.id])]
    try:
        results = kusto.check_kql([q for _, _, q in kql], settings.schema, ruleset.project.root)
    except kusto.KustoUnavailable as exc:
        return SiemCheck(findings, [f"KQL not checked by the Kusto parser: {exc}"], 0, spl_count, eql_count)
    for (source, kind, query), diagnostics in zip(kql, results):
        for diagnostic in (d for d in diagnostics if d.is_error):
            findings.append(Finding(rel(source.path, ruleset.project.root), source.line("detection"),
                                    f"siem.kql.{kind}", f"Kusto: {diagnostic.describe(query)}"))
    return SiemCheck(findings, [], len(kql), spl_count, eql_count)

