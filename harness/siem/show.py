"""`iotdetect show RULE`: every target of one rule side by side (Suricata, SPL, KQL, DuckDB SQL)."""
from __future__ import annotations

from rich.columns import Columns
from rich.console import Group
from rich.panel import Panel
from rich.syntax import Syntax
from rich.text import Text

from harness.backends.registry import SIEM_BACKENDS
from harness.backends.settings import SiemSettings
from harness.backends.suricata import SuricataBackend
from harness.rules.loader import RuleSet


def _code(text: str, lexer: str) -> Syntax:
    return Syntax(text, lexer, word_wrap=True, theme="ansi_dark", background_color="default")


def panels(ruleset: RuleSet, rule_id: str, settings: SiemSettings) -> Group:
    source = ruleset.by_id(rule_id)
    rule = source.rule
    header = Text(f"{rule.id}  sid {rule.sid} rev {rule.rev}  {rule.title}", style="bold")
    suricata = Panel(_code(SuricataBackend().compile(rule), SuricataBackend.lexer), title=SuricataBackend.title,
                     title_align="left")
    searches = []
    for name, backend in SIEM_BACKENDS.items():
        queries = backend().compile(rule, ruleset.networks, settings)
        hunt = _code(queries.hunt, backend.lexer) if queries.hunt else \
            Text(f"no hunt search: {queries.hunt_unavailable}", style="yellow")
        searches.append(Panel(Group(Text("alert search", style="cyan"), _code(queries.alert, backend.lexer),
                                    Text(""), Text("hunt search", style="cyan"), hunt),
                              title=backend.title, title_align="left"))
    return Group(header, suricata, Columns(searches, equal=True, expand=True))
