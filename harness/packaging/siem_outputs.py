"""The SIEM backends' output for a release: SPL and KQL searches per rule, Splunk macros, the table schema."""
from __future__ import annotations

from dataclasses import dataclass

from harness.loader import RuleSet
from harness.model import Rule
from harness.siem.settings import SiemQueries, SiemSettings, TableSchema


@dataclass(frozen=True)
class SiemOutputs:
    spl: dict[str, SiemQueries]                       # rule id -> searches
    kql: dict[str, SiemQueries]
    spl_macros: dict[str, tuple[str, tuple[str, ...]]]  # macro name -> (definition, argument names)
    schema: TableSchema


def compile_siem(ruleset: RuleSet, rules: list[Rule], settings: SiemSettings | None = None) -> SiemOutputs:
    from harness.backends.kql import KqlBackend
    from harness.backends.spl import SplBackend
    settings = settings or SiemSettings()
    spl, kql = SplBackend(), KqlBackend()
    return SiemOutputs(
        spl={r.id: spl.compile(r, ruleset.networks, settings) for r in rules},
        kql={r.id: kql.compile(r, ruleset.networks, settings) for r in rules},
        spl_macros=dict(spl.macros(ruleset.networks, settings)),
        schema=settings.schema,
    )
