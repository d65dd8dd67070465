"""Every rule through every SIEM backend, and the checks the emitted searches must pass."""
from __future__ import annotations

from dataclasses import dataclass

from harness.backends.registry import SIEM_BACKENDS, published_siem
from harness.backends.settings import SiemQueries, SiemSettings
from harness.backends.spl import SplBackend
from harness.rules.errors import Finding, rel
from harness.rules.loader import RuleSet
from harness.siem import eql_check, kusto, spl_lint
from harness.siem.spl_fields import output_fields


def compile_all(ruleset: RuleSet, settings: SiemSettings,
                backends: tuple[str, ...] | None = None) -> dict[str, dict[str, SiemQueries]]:
    """backend name -> rule id -> queries, for the active rules (deprecated ones get no search).
    Default: the published SIEM languages."""
    return {name: {s.rule.id: SIEM_BACKENDS[name]().compile(s.rule, ruleset.networks, settings)
                   for s in ruleset.active()} for name in backends or published_siem()}


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
    spl_count = 0
    for source in ruleset.active():
        where = (rel(source.path, ruleset.project.root), source.line("detection"))
        for kind, search in _searches(compiled["spl"][source.rule.id]):
            spl_count += 1
            findings += [Finding(*where, f"siem.spl.{kind}", f"SPL lint: {problem}")
                         for problem in spl_lint.lint(search, macros, settings.splunk_eve_macro)]
        findings += _suppress_fields(source, compiled["spl"][source.rule.id].alert, ruleset.project.root)
    for name, (definition, args) in macros.items():
        if args:   # a network macro: lint its expression as it is used inside `where`
            probe = f"`{settings.splunk_eve_macro}` | where {definition.replace('$ip$', 'src_ip')}"
            findings += [Finding(rel(ruleset.project.networks_file, ruleset.project.root), 0, name, f"SPL lint: {p}")
                         for p in spl_lint.lint(probe, macros, settings.splunk_eve_macro)]
    eql_count = 0
    for source in ruleset.active():
        for kind, search in _searches(compiled["eql"][source.rule.id]):
            eql_count += 1
            findings += [Finding(rel(source.path, ruleset.project.root), source.line("detection"), f"siem.eql.{kind}",
                                 f"EQL parser: {problem}") for problem in eql_check.problems(search)]
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

