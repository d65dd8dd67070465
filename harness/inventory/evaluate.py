"""DuckDB proof of the inventory searches: the SQL rendering over a case's eve.json, with the
inventory loaded from the very CSV text shipped as Splunk lookups and Sentinel watchlists."""
from __future__ import annotations

import tempfile
from pathlib import Path

from harness.inventory import siem
from harness.inventory.load import Inventory
from harness.siem.evaluate import EveEvaluator, SearchResult


class InventoryEvaluator:
    def __init__(self, inventory: Inventory):
        self.eve = EveEvaluator(inventory.networks)
        self.queries = siem.searches("sql", inventory.networks)
        with tempfile.TemporaryDirectory(prefix="iotdetect-lookups-") as tmp:
            for table in siem.tables(inventory):
                path = Path(tmp) / f"{table.name}.csv"
                path.write_text(table.csv(), encoding="utf-8")
                name = "inv_" + table.name.removeprefix("iotdetect_")
                self.eve.connection.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM read_csv('{path}',"
                                            " header=true, all_varchar=true)")

    def run(self, search: str, eve_path: Path) -> SearchResult:
        return self.eve.run(self.queries[search], eve_path)

    def run_all(self, eve_path: Path) -> dict[str, SearchResult]:
        self.eve.use(eve_path)
        return {search: self.eve.query(sql) for search, sql in self.queries.items()}

    def close(self) -> None:
        self.eve.close()
