"""Static checks of the inventory's SIEM searches: the KQL through Microsoft's Kusto parser."""
from __future__ import annotations

from harness.rules.errors import Finding, RuleErrors
from harness.inventory import siem
from harness.inventory.load import Inventory
from harness.siem.kusto import check_kql
from harness.backends.settings import SiemSettings


def check_kql_searches(project, inventory: Inventory, settings: SiemSettings | None = None) -> int:
    """Every inventory KQL search parsed and analysed with _GetWatchlist declared; RuleErrors on errors."""
    settings = settings or SiemSettings()
    queries = siem.searches("kql", inventory.networks, settings)
    answers = check_kql(list(queries.values()), settings.schema, project.root,
                        [siem.watchlist_function(siem.tables(inventory))])
    findings = [Finding("inventory", 0, search, f"KQL: {d.describe(queries[search])}")
                for search, diagnostics in zip(queries, answers) for d in diagnostics if d.is_error]
    if findings:
        raise RuleErrors(findings)
    return len(queries)


def lint_spl_searches(inventory: Inventory, settings: SiemSettings | None = None) -> int:
    """The project's SPL lint (quotes, allowed commands, quoted dotted fields, macros) on every search."""
    from harness.backends.spl import SplBackend
    from harness.siem.spl_lint import lint
    settings = settings or SiemSettings()
    macros = SplBackend().macros(inventory.networks, settings)
    queries = siem.searches("spl", inventory.networks, settings)
    findings = [Finding("inventory", 0, search, f"SPL: {problem}")
                for search, text in queries.items() for problem in lint(text, macros, settings.splunk_eve_macro)]
    if findings:
        raise RuleErrors(findings)
    return len(queries)
