"""Every rule through every SIEM backend, and the checks the emitted searches must pass."""
from __future__ import annotations

import dataclasses
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
                backends: tuple[str, ...] | None = None, sources: tuple | None = None) -> dict[str, dict[str, SiemQueries]]:
    """backend name -> rule id -> queries, for the active rules (deprecated ones get no search), or
    for the given ones of them. Default: the published SIEM languages."""
    names = backends or published_siem()
    active = ruleset.active() if sources is None else sources
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
    """SPL lint, the EQL parser and the Kusto parser over every emitted search; findings point at the rule file.

    A rule file whose searches all passed before is not compiled or looked up again: its verdict
    (how many searches of each language passed) is memoised under the file's digest, in a pack
    named after the code, the site plan, the settings and the fingerprints of the three answer
    caches (the parsers' versions, the lint's macros): everything a search or its answer depends
    on. Only clean rules are stored, so a failing one is checked, and reported, every run. On 10k
    rules this was ~0.5 s of a warm validate: 50,000 searches unpickled, hashed and looked up."""
    root = ruleset.project.root
    active = ruleset.active()
    macros = SplBackend().macros(ruleset.networks, settings)
    try:
        context = repr((published_siem(), ruleset.networks, settings, spl_lint.fingerprint(macros, settings.splunk_eve_macro),
                        eql_check.fingerprint(), kusto.fingerprint(settings.schema, root)))
    except kusto.KustoUnavailable:   # the full check reports it as skipped, after the other languages
        return _check(ruleset, settings, macros, active)[0]
    verdicts = Memo(root if any(s.digest for s in active) else None, "siem-verdict", context)
    known = {s.rule.id: verdicts.get(s.digest) for s in active if s.digest}
    todo = tuple(s for s in active if known.get(s.rule.id) is None)
    result, counts, failed = _check(ruleset, settings, macros, todo)
    if not result.skipped:
        for source in todo:
            if source.digest and source.rule.id not in failed:
                verdicts.put(source.digest, counts[source.rule.id])
        verdicts.save()
    passed = [known[s.rule.id] for s in active if s.rule.id not in counts]
    return dataclasses.replace(result, spl_searches=result.spl_searches + sum(v[0] for v in passed),
                               eql_queries=result.eql_queries + sum(v[1] for v in passed),
                               kql_queries=result.kql_queries + (sum(v[2] for v in passed) if not result.skipped else 0))


def _check(ruleset: RuleSet, settings: SiemSettings, macros: dict, sources: tuple) -> tuple[SiemCheck, dict, set]:
    """check() of the given active rules: (result, rule id -> (SPL, EQL, KQL) searches, ids with a finding)."""
    compiled = compile_all(ruleset, settings, sources=sources) if sources else {name: {} for name in published_siem()}
    findings: list[Finding] = []
    failed: set[str] = set()
    spl = [(source, kind, search) for source in sources
           for kind, search in _searches(compiled["spl"][source.rule.id])]
    spl_count = len(spl)
    linted = spl_lint.lint_all([q for _, _, q in spl], macros, settings.splunk_eve_macro, ruleset.project.root) if spl else []
    by_rule: dict[str, list[Finding]] = {}
    for (source, kind, _), problems in zip(spl, linted):
        if problems:   # the line map only when needed: a memoised rule's is unpacked on first use
            where = (rel(source.path, ruleset.project.root), source.line("detection"))
            by_rule.setdefault(source.rule.id, []).extend(Finding(*where, f"siem.spl.{kind}", f"SPL lint: {problem}")
                                                          for problem in problems)
    for source in sources:   # per rule: its lint findings, then its suppression check
        found = by_rule.get(source.rule.id, []) + _suppress_fields(source, compiled["spl"][source.rule.id].alert,
                                                                   ruleset.project.root)
        if found:
            failed.add(source.rule.id)
            findings += found
    for name, (definition, args) in macros.items():
        if args:   # a network macro: lint its expression as it is used inside `where`
            probe = f"`{settings.splunk_eve_macro}` | where {definition.replace('$ip$', 'src_ip')}"
            findings += [Finding(rel(ruleset.project.networks_file, ruleset.project.root), 0, name, f"SPL lint: {p}")
                         for p in spl_lint.lint(probe, macros, settings.splunk_eve_macro)]
    eql = [(source, kind, search) for source in sources
           for kind, search in _searches(compiled["eql"][source.rule.id])]
    eql_count = len(eql)
    checked = eql_check.check_all([q for _, _, q in eql], ruleset.project.root) if eql else []
    for (source, kind, _), problems in zip(eql, checked):
        if problems:
            failed.add(source.rule.id)
        findings += [Finding(rel(source.path, ruleset.project.root), source.line("detection"), f"siem.eql.{kind}",
                             f"EQL parser: {problem}") for problem in problems]
    kql = [(source, kind, search) for source in sources
           for kind, search in _searches(compiled["kql"][source.rule.id])]
    counts = {source.rule.id: (len(_searches(compiled["spl"][source.rule.id])), len(_searches(compiled["eql"][source.rule.id])),
                               len(_searches(compiled["kql"][source.rule.id]))) for source in sources}
    try:
        if kql:
            results = kusto.check_kql([q for _, _, q in kql], settings.schema, ruleset.project.root)
        else:   # every rule's verdict known: only whether the parser is installed, as check_kql asks
            kusto.fingerprint(settings.schema, ruleset.project.root)
            results = []
    except kusto.KustoUnavailable as exc:
        return SiemCheck(findings, [f"KQL not checked by the Kusto parser: {exc}"], 0, spl_count, eql_count), counts, failed
    for (source, kind, query), diagnostics in zip(kql, results):
        for diagnostic in (d for d in diagnostics if d.is_error):
            failed.add(source.rule.id)
            findings.append(Finding(rel(source.path, ruleset.project.root), source.line("detection"),
                                    f"siem.kql.{kind}", f"Kusto: {diagnostic.describe(query)}"))
    return SiemCheck(findings, [], len(kql), spl_count, eql_count), counts, failed
