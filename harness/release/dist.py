"""`iotdetect dist`: every pack of one release, staged then swapped into place, with SHA256SUMS."""
from __future__ import annotations

import json
import shutil
import tomllib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from harness.rules.attack import load_catalog
from harness.version import version
from harness.rules.errors import EnvironmentFailure, Finding, RuleErrors, rel as relpath
from harness.rules.loader import RuleSet
from harness.rules.model import Rule
from harness.release import changelog, elastic_rules, manifest, navigator, report, sentinel_hunting, sentinel_ingest, sigma_pack, splunk_app, suricata_pack
from harness.formats import sentinel
from harness.release.siem_outputs import SiemOutputs, compile_siem
from harness.release.staging import staged_folder
from harness.templating import environment


@dataclass(frozen=True)
class DistOptions:
    out: Path
    mtime: int | None = None          # SOURCE_DATE_EPOCH; default: the newest rule's `updated` day
    sign_key: Path | None = None
    baseline: dict | None = None      # benign-baseline result for the report, when the caller has one
    record: bool = False              # also write releases/<version>.json (commit it with the release tag)
    behaviour: dict | None = None     # the device-baseline proof (harness/baseline/stage.report_data)


@dataclass(frozen=True)
class Release:
    ruleset: RuleSet
    rules: list[Rule]                 # active rules (deprecated ones only show up in the changelog)
    version: str
    mtime: int
    siem: SiemOutputs
    baseline: dict | None
    behaviour: dict | None = None


def default_mtime(rules: list[Rule]) -> int:
    newest = max((r.updated for r in rules), default=datetime(1980, 1, 1).date())
    return int(datetime(newest.year, newest.month, newest.day, tzinfo=timezone.utc).timestamp())


def check_version_source(root: Path, release: str) -> None:
    """pyproject is the one source of the version; stale installed metadata would stamp another."""
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        declared = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"]
        if declared != release:
            raise EnvironmentFailure(f"pyproject.toml says {declared} but the installed package says {release}:"
                               " run `.venv/bin/pip install -e .` first")


def stage_suricata(rel: Release, folder: Path) -> None:
    suricata_pack.stage(rel.ruleset, folder, rel.version, rel.mtime)


def stage_splunk(rel: Release, folder: Path) -> None:
    files = splunk_app.app_files(rel.rules, rel.siem.spl, rel.siem.spl_macros, rel.version, environment())
    license_path = rel.ruleset.project.root / "LICENSE"
    license_text = license_path.read_bytes() if license_path.is_file() else b"Apache License 2.0\n"
    (folder / "splunk").mkdir()
    (folder / "splunk" / f"{splunk_app.APP}-{rel.version}.tgz").write_bytes(
        splunk_app.package(files, license_text, rel.mtime))


def stage_sentinel(rel: Release, folder: Path) -> None:
    target = folder / "sentinel"
    (target / "rules").mkdir(parents=True)
    tactics = sentinel.load_tactics()
    docs = []
    problems = []
    sources = {source.rule.id: source for source in rel.ruleset.sources}
    for rule in sorted(rel.rules, key=lambda r: r.sid):
        doc = sentinel.detection(rule, rel.siem.kql[rule.id].alert, tactics)
        source = sources[rule.id]
        problems += [Finding(relpath(source.path, rel.ruleset.project.root), source.line("siem"), "siem",
                             f"Sentinel: {p}") for p in sentinel.check_limits(doc)]
        docs.append((doc, rule))
        (target / "rules" / f"{rule.id}.yaml").write_text(sentinel.render_yaml(doc), encoding="utf-8")
    if problems:   # the model checks schedule and lookback at load; what remains is the query size
        raise RuleErrors(problems)
    (target / "azuredeploy.json").write_text(_json(sentinel.arm_template(docs, rel.version)), encoding="utf-8")
    hunts = []
    (target / "hunting").mkdir()
    for rule in sorted(rel.rules, key=lambda r: r.sid):
        if rel.siem.kql[rule.id].hunt:
            hunt = sentinel_hunting.hunting_query(rule, rel.siem.kql[rule.id].hunt, tactics)
            hunts.append(hunt)
            (target / "hunting" / f"{rule.id}.yaml").write_text(sentinel.render_yaml(hunt), encoding="utf-8")
    (target / "azuredeploy-hunting.json").write_text(_json(sentinel_hunting.arm_template(hunts, rel.version)),
                                                     encoding="utf-8")
    (target / "azuredeploy-ingestion.json").write_text(
        _json(sentinel_ingest.template(rel.siem.schema, rel.version)), encoding="utf-8")


def stage_elastic(rel: Release, folder: Path) -> None:
    docs = elastic_rules.kibana_rules(rel.rules, rel.siem.eql, load_catalog())
    problems = [Finding("elastic", 0, doc["name"], f"Kibana's detection engine would refuse it: {p}")
                for doc in docs for p in elastic_rules.check(doc)]
    if problems:   # generated content a target refuses: invalid rules (exit 2), not a crash
        raise RuleErrors(problems)
    (folder / "elastic").mkdir()
    (folder / "elastic" / "iotdetect-kibana-rules.ndjson").write_text(elastic_rules.render_ndjson(docs),
                                                                      encoding="utf-8")


def stage_sigma(rel: Release, folder: Path) -> None:
    (folder / "sigma").mkdir()
    for name, text in sigma_pack.files(rel.rules, rel.ruleset.networks).items():
        (folder / "sigma" / name).write_text(text, encoding="utf-8")


def stage_navigator(rel: Release, folder: Path) -> None:
    (folder / "navigator").mkdir()
    for domain, layer in navigator.layers(rel.rules, load_catalog(), rel.version).items():
        (folder / "navigator" / f"iotdetect-{domain}.json").write_text(navigator.render(layer), encoding="utf-8")


def stage_report(rel: Release, folder: Path) -> None:
    (folder / "report").mkdir()
    hunts = {rule_id: q.hunt_unavailable if q.hunt is None else None for rule_id, q in rel.siem.kql.items()}
    ctx = report.context(rel.ruleset, load_catalog(), rel.version, hunts, rel.baseline, rel.behaviour)
    for name, text in report.render(environment(), ctx).items():
        (folder / "report" / name).write_text(text, encoding="utf-8")
    if rel.behaviour:
        (folder / "report" / rel.behaviour["svg_file"]).write_text(rel.behaviour["svg"], encoding="utf-8")


def stage_changelog(rel: Release, folder: Path) -> None:
    current = changelog.manifest(list(rel.ruleset.rules), rel.version)
    before = changelog.previous(rel.ruleset.project.root / "releases", rel.version)
    day = datetime.fromtimestamp(rel.mtime, timezone.utc).date().isoformat()
    (folder / "CHANGELOG.md").write_text(changelog.section(current, before, day), encoding="utf-8")
    (folder / "release.json").write_text(changelog.render_manifest(current), encoding="utf-8")


def stage_inventory(rel: Release, folder: Path) -> None:
    from harness.inventory.package import stage_dist   # writes nothing without inventory/
    stage_dist(rel, folder)


def stage_baseline(rel: Release, folder: Path) -> None:
    from harness.baseline.stage import stage_build   # learned device profiles, when the project has them
    stage_build(rel.ruleset, folder, rel.version)


# Target name -> stage writing that part of the release folder.
STAGES: dict[str, Callable[[Release, Path], None]] = {
    "suricata": stage_suricata, "splunk": stage_splunk, "sentinel": stage_sentinel, "elastic": stage_elastic,
    "sigma": stage_sigma,
    "navigator": stage_navigator, "report": stage_report, "changelog": stage_changelog,
    "inventory": stage_inventory,
    "baseline": stage_baseline,
}


def _json(data) -> str:
    return json.dumps(data, indent=2, sort_keys=False) + "\n"


def dist(ruleset: RuleSet, options: DistOptions) -> Path:
    release = version()
    check_version_source(ruleset.project.root, release)
    rules = [s.rule for s in ruleset.active()]
    mtime = options.mtime if options.mtime is not None else default_mtime(list(ruleset.rules))
    rel = Release(ruleset, rules, release, mtime, compile_siem(ruleset, rules), options.baseline, options.behaviour)
    final = options.out / f"iotdetect-{release}"
    with staged_folder(final) as staging:
        for stage in STAGES.values():
            stage(rel, staging)
        manifest.write_sums(staging)
        if options.sign_key:
            manifest.sign(staging, options.sign_key)
    if options.record:
        releases = ruleset.project.root / "releases"
        releases.mkdir(exist_ok=True)
        shutil.copyfile(final / "release.json", releases / f"{release}.json")
    return final
