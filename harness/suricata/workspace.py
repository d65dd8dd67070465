"""A Suricata workspace: the harness config (or a sensor's own), the compiled rules, the classification files."""
from __future__ import annotations

from pathlib import Path

from harness.rules.loader import RuleSet
from harness.suricata.engine import Workspace
from harness.suricata.ruleset import RULES_FILENAME, CompiledRules, compile_rules, write_harness_config


def prepare_workspace(ruleset: RuleSet, folder: Path, data_dir: Path | None = None,
                      compiled: CompiledRules | None = None, config: Path | None = None) -> Workspace:
    """compiled: the rule set's Suricata text when the caller has it already (build compiles once).
    config: replay with this suricata.yaml (a sensor's own, used where it is) instead of the harness's."""
    compiled = compiled or compile_rules(ruleset)
    write_harness_config(ruleset, folder, data_dir=data_dir)
    (folder / RULES_FILENAME).write_text(compiled.text, encoding="utf-8")
    return Workspace(folder, compiled, ruleset.project.root, config.resolve() if config else None)
