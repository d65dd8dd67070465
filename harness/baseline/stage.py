"""profiles/ -> the `baseline/` folder of `iotdetect build` and of a release, and its checks.

    baseline/suricata/iotdetect-baseline.rules   baseline/suricata/iotdetect-baseline-*.lst (datasets)
    baseline/siem/{volume,fanout}.{kql,spl,sql}  baseline/profiles/*.yaml (what they were compiled from)
    baseline/siem/sentinel-baseline-*.yaml (scheduled analytics rules)  baseline/siem/savedsearches.conf

Nothing is written when there is no profiles/ folder: baselines are site-specific and optional.
The dataset files must sit next to the rules file (Suricata resolves `load` against its folder).
"""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from harness.baseline import siem, siem_pack, suricata
from harness.baseline.cli import DEFAULT_FOLDER
from harness.baseline.profile import Profile, load_profiles, profile_files
from harness.baseline.replay import compiled
from harness.suricata.engine import EngineError, SuricataMissing, check_rules
from harness.suricata.workspace import prepare_workspace
from harness.rules.errors import Finding, RuleErrors, rel
from harness.rules.loader import RuleSet
from harness.formats import sentinel
from harness.siem import kusto
from harness.backends.settings import SiemSettings

RULES_FILE = "iotdetect-baseline.rules"


def folder(ruleset: RuleSet) -> Path:
    return ruleset.project.root / DEFAULT_FOLDER


def profiles(ruleset: RuleSet) -> list[Profile]:
    return load_profiles(folder(ruleset), ruleset.project.root)


def validate(ruleset: RuleSet, settings: SiemSettings | None = None, siem_checks: bool = True) -> tuple[int, list[str]]:
    """Load every profile (RuleErrors, file:line) and check the searches compiled from them.
    Returns (profile count, notes about checks that could not run)."""
    loaded = profiles(ruleset)
    if not loaded or not siem_checks:
        return len(loaded), []
    settings = settings or SiemSettings()
    try:
        findings = siem.check(siem.render(loaded, settings), settings, ruleset.project.root, folder(ruleset))
    except kusto.KustoUnavailable as exc:
        return len(loaded), [f"baseline KQL not checked by the Kusto parser: {exc}"]
    if findings:
        raise RuleErrors(findings)
    return len(loaded), []


def write(loaded: list[Profile], target: Path, release: str, settings: SiemSettings | None = None,
          sources: list[Path] = ()) -> None:
    ids = target / "suricata"
    ids.mkdir(parents=True)
    (ids / RULES_FILE).write_text(suricata.compile_rules(loaded, release), encoding="utf-8")
    for name, text in suricata.dataset_files(loaded).items():
        (ids / name).write_text(text, encoding="utf-8")
    (target / "siem").mkdir()
    searches = siem.render(loaded, settings)
    for search, texts in searches.items():
        for language, text in texts.items():
            (target / "siem" / f"{search}.{language}").write_text(text + "\n", encoding="utf-8")
        (target / "siem" / f"sentinel-baseline-{search}.yaml").write_text(
            sentinel.render_yaml(siem_pack.sentinel_rule(search, texts["kql"])), encoding="utf-8")
    (target / "siem" / "savedsearches.conf").write_text(siem_pack.savedsearches(searches), encoding="utf-8")
    if sources:
        (target / "profiles").mkdir()
        for path in sources:
            shutil.copyfile(path, target / "profiles" / path.name)


def load_test(ruleset: RuleSet, loaded: list[Profile]) -> None:
    """suricata -T of the baseline rules with their datasets; RuleErrors naming the profiles folder."""
    with tempfile.TemporaryDirectory(prefix="iotdetect-baseline-check-") as tmp:
        workspace = prepare_workspace(ruleset, Path(tmp), compiled=compiled(suricata.compile_rules(loaded)),
                                      side_files=suricata.dataset_files(loaded))
        try:
            check_rules(workspace)
        except RuleErrors as exc:
            where = rel(folder(ruleset), ruleset.project.root)
            raise RuleErrors([Finding(where, 0, "baseline", f.message) for f in exc.findings]) from None
        except EngineError as exc:
            if "datasets:" not in str(exc):   # Suricata itself failed: an environment fault (exit 3)
                raise
            # a dataset line Suricata refuses comes from a profile: invalid input (exit 2)
            where = rel(folder(ruleset), ruleset.project.root)
            raise RuleErrors([Finding(where, 0, "baseline", str(exc).split("\n", 1)[0])]) from None


def stage_build(ruleset: RuleSet, out: Path, release: str) -> None:
    """The `baseline` stage of `iotdetect build`."""
    loaded = profiles(ruleset)
    if not loaded:
        return
    try:
        load_test(ruleset, loaded)
    except SuricataMissing:
        pass   # the CLI already warns that nothing was load-tested
    write(loaded, out / "baseline", release, sources=profile_files(folder(ruleset)))


SVG_FILE = "baseline-alerts.svg"


def report_data(ruleset: RuleSet) -> dict | None:
    """The multi-day proof's figures and plot for the coverage report; None without its pcaps."""
    from harness.baseline import plot, proof, traffic
    if not traffic.normal_file(ruleset.project.pcaps_dir, traffic.LEARN_DAYS[0]).is_file():
        return None
    summary = proof.run(ruleset).summary()
    return {**summary, "svg": plot.svg(summary["days"]), "svg_file": SVG_FILE}
