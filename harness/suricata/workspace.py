"""A Suricata workspace: the harness config (or a sensor's own), the rules file, and the files the
rules load (datasets, file-hash lists). The one place every caller (the case runner, build's load
test, the inventory and baseline features) gets a folder Suricata can run in."""
from __future__ import annotations

from importlib import resources
from pathlib import Path

from harness.backends.detection_ports import PORT_BOUND
from harness.backends.suricata import address_groups
from harness.rules.loader import RuleSet
from harness.suricata.engine import Workspace
from harness.suricata.ruleset import RULES_FILENAME, CompiledRules, compile_rules
from harness.templating import environment


def write_harness_config(ruleset: RuleSet, folder: Path, data_dir: Path | None = None) -> Path:
    """Render the harness suricata.yaml (plus its classification/reference files) into folder."""
    folder.mkdir(parents=True, exist_ok=True)
    data = resources.files("harness").joinpath("data")
    for name in ("classification.config", "reference.config"):
        (folder / name).write_text(data.joinpath(name).read_text(encoding="utf-8"), encoding="utf-8")
    where = data_dir or folder
    text = environment().get_template("suricata_harness.yaml.j2").render(
        address_groups=address_groups(ruleset.networks), port_bound=PORT_BOUND,
        classification_file=where / "classification.config", reference_file=where / "reference.config")
    path = folder / "suricata.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def prepare_workspace(ruleset: RuleSet, folder: Path, data_dir: Path | None = None,
                      compiled: CompiledRules | None = None, config: Path | None = None,
                      side_files: dict[str, str] | None = None) -> Workspace:
    """compiled: the rules to run (default: the rule set's own; build passes what it compiled, the
    features pass theirs). config: replay with this suricata.yaml (a sensor's own, used where it is)
    instead of the harness's. side_files: name -> text written next to the rules file, where
    Suricata 7 resolves a dataset's or filesha256 list's relative path."""
    compiled = compiled or compile_rules(ruleset)
    write_harness_config(ruleset, folder, data_dir=data_dir)
    (folder / RULES_FILENAME).write_text(compiled.text, encoding="utf-8")
    for name, text in (side_files or {}).items():
        (folder / name).write_text(text, encoding="utf-8")
    return Workspace(folder, compiled, ruleset.project.root, config.resolve() if config else None)
