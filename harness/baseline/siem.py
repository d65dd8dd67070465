"""Profiles -> SIEM anomaly searches: per-device volume and fan-out, in KQL, SPL and DuckDB SQL.

All three compute harness/baseline/flows.py's hourly counters from EVE flow events and compare
them with the profile's thresholds (strictly greater). KQL builds the hours with `make-series`
and adds `series_decompose_anomalies` (period 24 h) as context columns; the alert condition is
the learned threshold alone, because that is what DuckDB proves here (Kusto's decomposition
cannot run offline). SPL uses `eventstats` for the window's mean/stdev as context. The SQL form
runs over one eve.json and reports every hour in it; the scheduled KQL/SPL report the last
`report` window of a `lookback` one.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness.backends import kql_text, spl_text
from harness.backends import spl as spl_backend, sql as sql_backend
from harness.backends.sql import SqlBackend, literal
from harness.baseline.profile import Profile
from harness.rules.errors import Finding, rel
from harness.siem import kusto, spl_lint
from harness.backends.settings import SiemSettings
from harness.templating import environment

SEARCHES = ("volume", "fanout")
LANGUAGES = {"kql": "kql", "spl": "spl", "sql": "sql"}
SQL_HOUR = (f"CAST(floor(epoch(strptime(json_extract_string(flow, '$.start'), {literal(sql_backend.EVE_TIME_FORMAT)}))"
            " / 3600) AS BIGINT) * 3600")


@dataclass(frozen=True)
class SearchOptions:
    lookback: str = "7d"      # KQL: the series a decomposition sees
    report: str = "2h"        # KQL: hours reported per run (schedule it hourly)


def _rows(profiles: list[Profile], quote) -> list[dict]:
    return [{"device": quote(p.device), "bytes_out": p.thresholds.bytes_out, "flows": p.thresholds.flows,
             "peers": p.thresholds.peers} for p in sorted(profiles, key=lambda p: p.sid)]


def render(profiles: list[Profile], settings: SiemSettings | None = None,
           options: SearchOptions = SearchOptions()) -> dict[str, dict[str, str]]:
    """search name -> language -> text."""
    settings = settings or SiemSettings()
    env = environment()
    out: dict[str, dict[str, str]] = {}
    for search in SEARCHES:
        out[search] = {
            "kql": env.get_template(f"baseline_{search}.kql.j2").render(
                thresholds=_rows(profiles, kql_text.string), table=settings.sentinel_table,
                lookback=options.lookback, report=options.report).strip(),
            "spl": env.get_template(f"baseline_{search}.spl.j2").render(
                thresholds=_rows(profiles, spl_text.string), eve_macro=settings.splunk_eve_macro,
                time_format=spl_backend.EVE_TIME_FORMAT).strip(),
            "sql": env.get_template(f"baseline_{search}.sql.j2").render(
                thresholds=_rows(profiles, literal), hour=SQL_HOUR).strip(),
        }
    return out


def check(searches: dict[str, dict[str, str]], settings: SiemSettings, root: Path, where: Path) -> list[Finding]:
    """SPL lint and the Kusto parser over the searches; findings name the profiles folder."""
    name = rel(where, root)
    macros = {settings.splunk_eve_macro: (settings.splunk_eve_search, ())}
    findings = [Finding(name, 0, f"baseline.{search}.spl", f"SPL lint: {problem}")
                for search, texts in searches.items() for problem in spl_lint.lint(texts["spl"], macros,
                                                                                   settings.splunk_eve_macro)]
    queries = [(search, texts["kql"]) for search, texts in searches.items()]
    results = kusto.check_kql([q for _, q in queries], settings.schema, root)
    for (search, query), diagnostics in zip(queries, results):
        findings += [Finding(name, 0, f"baseline.{search}.kql", f"Kusto: {d.describe(query)}")
                     for d in diagnostics if d.is_error]
    return findings


def evaluate(sql: str, eve_path: Path, settings: SiemSettings | None = None) -> list[dict]:
    """Rows of one SQL search over one eve.json (DuckDB)."""
    import duckdb
    settings = settings or SiemSettings()
    connection = duckdb.connect()
    try:
        connection.execute(SqlBackend().eve_view(str(eve_path), settings.schema))
        cursor = connection.execute(sql)
        columns = [d[0] for d in cursor.description]
        return [dict(zip(columns, row)) for row in cursor.fetchall()]
    finally:
        connection.close()
