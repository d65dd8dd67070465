"""Run the SQL rendering of the SIEM searches with DuckDB over eve.json files."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from harness.backends.settings import SiemSettings
from harness.backends.sql import SqlBackend
from harness.rules.model import Rule
from harness.rules.networks import Networks


@dataclass(frozen=True)
class SearchResult:
    columns: tuple[str, ...]
    rows: tuple[tuple, ...]

    def records(self) -> list[dict]:
        return [dict(zip(self.columns, row)) for row in self.rows]


class EveEvaluator:
    """One DuckDB connection with the network macros defined; `run` points view `eve` at a file."""

    def __init__(self, networks: Networks, settings: SiemSettings | None = None):
        self.settings = settings or SiemSettings()
        self.backend = SqlBackend()
        self.connection = duckdb.connect()
        for statement in self.backend.setup(networks, self.settings):
            self.connection.execute(statement)

    def use(self, eve_path: Path) -> None:
        self.connection.execute(self.backend.eve_view(str(eve_path), self.settings.schema))

    def query(self, sql: str) -> SearchResult:
        cursor = self.connection.execute(sql)
        columns = tuple(d[0] for d in cursor.description)
        return SearchResult(columns, tuple(cursor.fetchall()))

    def run(self, sql: str, eve_path: Path) -> SearchResult:
        self.use(eve_path)
        return self.query(sql)

    def compile(self, rule: Rule, networks: Networks):
        return self.backend.compile(rule, networks, self.settings)

    def close(self) -> None:
        self.connection.close()
