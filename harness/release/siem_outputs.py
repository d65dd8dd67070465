"""The SIEM backends' output for a release: SPL, KQL and EQL searches per rule, Splunk macros, the table schema."""
from __future__ import annotations

from dataclasses import dataclass

from harness.backends.settings import SiemQueries, SiemSettings, TableSchema
from harness.backends.spl import SplBackend
from harness.rules.loader import RuleSet
from harness.rules.model import Rule
from harness.siem.targets import compile_all


@dataclass(frozen=True)
class SiemOutputs:
    spl: dict[str, SiemQueries]                       # rule id -> searches
    kql: dict[str, SiemQueries]
    eql: dict[str, SiemQueries]
    spl_macros: dict[str, tuple[str, tuple[str, ...]]]  # macro name -> (definition, argument names)
    schema: TableSchema


def compile_siem(ruleset: RuleSet, rules: list[Rule], settings: SiemSettings | None = None) -> SiemOutputs:
    """The searches of `rules` (the release's active rules) from the same compile `build` uses."""
    settings = settings or SiemSettings()
    compiled = compile_all(ruleset, settings)
    wanted = {r.id for r in rules}
    return SiemOutputs(
        spl={rule_id: q for rule_id, q in compiled["spl"].items() if rule_id in wanted},
        kql={rule_id: q for rule_id, q in compiled["kql"].items() if rule_id in wanted},
        eql={rule_id: q for rule_id, q in compiled["eql"].items() if rule_id in wanted},
        spl_macros=dict(SplBackend().macros(ruleset.networks, settings)),
        schema=settings.schema,
    )
