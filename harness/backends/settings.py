"""Where EVE lives in each SIEM, and what every SIEM backend returns for one rule."""
from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from typing import Literal

import yaml

ColumnType = Literal["datetime", "string", "int", "long", "dynamic", "bool", "real"]


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType


@dataclass(frozen=True)
class TableSchema:
    """The Sentinel custom table holding EVE; declared once in harness/data/sentinel_schema.yaml."""
    table: str
    columns: tuple[Column, ...]

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def dynamic(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.type == "dynamic")

    def kusto_schema(self) -> str:
        """The `(name:type, ...)` form Kusto's TableSymbol understands."""
        return "(" + ", ".join(f"{c.name}:{c.type}" for c in self.columns) + ")"


def load_schema(table: str | None = None) -> TableSchema:
    text = resources.files("harness").joinpath("data/sentinel_schema.yaml").read_text(encoding="utf-8")
    data = yaml.load(text, Loader=yaml.CSafeLoader)   # LibYAML: same data, a sixth of the time
    columns = tuple(Column(c["name"], c["type"]) for c in data["columns"])
    return TableSchema(table or data["table"], columns)


@dataclass(frozen=True)
class SiemSettings:
    """Site settings for the SIEM searches. Defaults match a stock Suricata ingestion."""
    splunk_eve_macro: str = "iotdetect_eve"
    splunk_eve_search: str = "index=suricata sourcetype=suricata"
    splunk_net_macro_prefix: str = "iotdetect_net_"
    kql_net_function_prefix: str = "iotdetect_net_"
    elastic_index: tuple[str, ...] = ("logs-suricata.eve-*",)   # the Elastic Agent Suricata integration
    schema: TableSchema = field(default_factory=load_schema)

    @property
    def sentinel_table(self) -> str:
        return self.schema.table


@dataclass(frozen=True)
class SiemQueries:
    """The searches one backend emits for one rule."""
    alert: str                    # Suricata alerts of this sid, by source/destination with count, first/last seen
    hunt: str | None              # the rule's own logic over EVE protocol/flow events
    hunt_unavailable: str | None  # why hunt is None (e.g. raw payload only)
