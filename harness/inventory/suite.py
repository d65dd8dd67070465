"""The inventory cases (inventory/tests.yaml): pcaps through Suricata with the whole pack AND the
inventory's rules and datasets loaded, then the SIEM searches in DuckDB over the same eve.json.

A case names devices as `@device-name` in its generator args (the device's first address), so the
cases follow the inventory; other hosts are roles of the site plan ($CORP_NET, $EXTERNAL_NET[2]). Expectations are exact counts, zero when not given:
  expect: IDS alerts by kind: unknown-host, off-profile (all profile sids), unapproved-firmware,
          plus `also: {rule-id: n}` for the pack's own rules that are meant to fire too;
  hunts:  result rows of each SIEM search (unknown-device, off-profile, unapproved-firmware,
          outdated-firmware).
"""
from __future__ import annotations

import collections
import ipaddress
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError

from harness.cases import roles
from harness.rules import yamlsource
from harness.suricata.engine import Engine, Job, alerts, check_rules, read_eve
from harness.rules.errors import Finding, RuleErrors, rel
from harness.inventory import suricata as ids
from harness.inventory.evaluate import InventoryEvaluator
from harness.inventory.load import Inventory, folder
from harness.inventory.siem import SEARCHES
from harness.rules.loader import RuleSet, validation_findings
from harness.rules.model import CaseName, Frozen, Traffic
from harness.rules.project import Project
from harness.cases.pcaps import ensure
from harness.suricata.ruleset import CompiledRules, compile_rules
from harness.suricata.workspace import prepare_workspace
from harness.cases.traffic import plan_for
from harness.rules.types import RuleId

Count = Annotated[int, Field(ge=0, le=10_000)]
KINDS = ("unknown-host", "off-profile", "unapproved-firmware")


class InventoryExpect(Frozen):
    unknown_host: Count = Field(0, alias="unknown-host")
    off_profile: Count = Field(0, alias="off-profile")
    unapproved_firmware: Count = Field(0, alias="unapproved-firmware")
    also: dict[RuleId, Annotated[int, Field(ge=1)]] = {}


class InventoryHunts(Frozen):
    unknown_device: Count = Field(0, alias="unknown-device")
    off_profile: Count = Field(0, alias="off-profile")
    unapproved_firmware: Count = Field(0, alias="unapproved-firmware")
    outdated_firmware: Count = Field(0, alias="outdated-firmware")


class InventoryCase(Frozen):
    name: CaseName
    traffic: Traffic
    expect: InventoryExpect = InventoryExpect()
    hunts: InventoryHunts = InventoryHunts()

    @property
    def slug(self) -> str:
        return self.name.replace(" ", "-")


class CasesFile(Frozen):
    cases: tuple[InventoryCase, ...] = ()


@dataclass(frozen=True)
class InventoryCaseRef:
    """Quacks like harness.cases.pcaps.CaseRef, so `iotdetect pcaps [--check]` renders these pcaps too."""
    case: InventoryCase
    traffic: Traffic              # args with @device resolved (roles are resolved by harness/cases/pcaps.py)
    path: Path
    index: int
    lines: dict

    suite = "inventory"

    @property
    def name(self) -> str:
        return self.case.name

    @property
    def key(self) -> str:
        return f"inventory/{self.case.slug}"

    def pcap_path(self, pcaps_dir: Path) -> Path:
        if self.traffic.pcap:
            return pcaps_dir / self.traffic.pcap
        return pcaps_dir / "inventory" / f"{self.case.slug}.pcap"

    def error_location(self, root: Path, *key) -> tuple[str, int]:
        return rel(self.path, root), yamlsource.line_of(self.lines, ("cases", self.index, "traffic") + key)

    def expected(self) -> dict[str, int]:
        want = {"unknown-host": self.case.expect.unknown_host, "off-profile": self.case.expect.off_profile,
                "unapproved-firmware": self.case.expect.unapproved_firmware, **self.case.expect.also}
        return {k: n for k, n in want.items() if n}

    def expected_hunts(self) -> dict[str, int]:
        hunts = self.case.hunts
        return {"unknown-device": hunts.unknown_device, "off-profile": hunts.off_profile,
                "unapproved-firmware": hunts.unapproved_firmware, "outdated-firmware": hunts.outdated_firmware}


def _resolve(value: Any, inventory: Inventory) -> Any:
    if isinstance(value, str) and value.startswith("@"):
        return inventory.by_name(value[1:]).ips[0]
    if isinstance(value, list):
        return [_resolve(v, inventory) for v in value]
    return value


def _same_family(given: dict[str, Any], args: dict[str, Any], plan: roles.Plan) -> dict[str, Any]:
    """args with the case's roles bound in the family of its `@device` addresses when the roles
    would otherwise pick the other one (a dual-stack plan: an IPv6-only IoT VLAN, corporate
    services preferring IPv4): one packet cannot mix families. Unchanged when they already agree,
    so the roles are left to harness/cases/pcaps.py as for every other case."""
    devices = [args[k] for k, v in given.items() if isinstance(v, str) and v.startswith("@")]
    found: list[roles.Role] = []
    roles.collect(args, found)
    if not devices or not found:
        return args
    family = ipaddress.ip_address(devices[0]).version
    if {ipaddress.ip_address(h).version for h in roles.assign(found, plan).values()} == {family}:
        return args
    taken: dict[str, roles.Role] = {}
    hosts: dict[roles.Role, str] = {}
    for role in found:
        candidates = [h for h in plan.hosts(role.var, family, role.index + len(taken)) if taken.get(h, role).var == role.var]
        if len(candidates) < role.index:
            raise roles.RoleError(f"{role}: ${role.var} has too few IPv{family} hosts for {devices[0]}'s family")
        hosts[role] = candidates[role.index - 1]
        taken[hosts[role]] = role
    return roles.substitute(args, hosts)


def case_refs(project: Project, inventory: Inventory) -> list[InventoryCaseRef]:
    plan = roles.Plan(inventory.networks, rel(project.networks_file, project.root))
    path = folder(project) / "tests.yaml"
    if not path.is_file():
        return []
    name = rel(path, project.root)
    try:
        data, lines = yamlsource.load(path)
        cases = CasesFile.model_validate(data or {})
    except yamlsource.YamlSourceError as exc:
        raise RuleErrors([Finding(name, exc.line, "", exc.message)]) from None
    except ValidationError as exc:
        raise RuleErrors(validation_findings(exc, name, lines)) from None
    refs, findings, seen = [], [], set()
    for index, case in enumerate(cases.cases):
        line = yamlsource.line_of(lines, ("cases", index))
        if case.slug in seen:
            findings.append(Finding(name, line, "name", f"duplicate case name {case.name!r}"))
        seen.add(case.slug)
        try:
            args = {k: _resolve(v, inventory) for k, v in case.traffic.args.items()}
        except KeyError as exc:
            findings.append(Finding(name, yamlsource.line_of(lines, ("cases", index, "traffic", "args")), "traffic.args",
                                    str(exc.args[0])))
            continue
        try:
            args = _same_family(case.traffic.args, args, plan)
        except roles.RoleError as exc:
            findings.append(Finding(name, yamlsource.line_of(lines, ("cases", index, "traffic", "args")), "traffic.args",
                                    str(exc)))
            continue
        traffic = Traffic(generator=case.traffic.generator, args=args, pcap=case.traffic.pcap)
        refs.append(InventoryCaseRef(case, traffic, path, index, lines))
    if findings:
        raise RuleErrors(findings)
    return refs


@dataclass(frozen=True)
class InventoryVerdict:
    ref: InventoryCaseRef
    expected: dict[str, int]
    actual: dict[str, int]
    expected_hunts: dict[str, int]
    actual_hunts: dict[str, int]
    eve_path: Path

    @property
    def passed(self) -> bool:
        return self.expected == self.actual and self.expected_hunts == self.actual_hunts

    def explain(self) -> str:
        lines = []
        for kind in sorted(set(self.expected) | set(self.actual)):
            if self.expected.get(kind, 0) != self.actual.get(kind, 0):
                lines.append(f"IDS {kind}: expected {self.expected.get(kind, 0)} alerts, got {self.actual.get(kind, 0)}")
        for search in SEARCHES:
            if self.expected_hunts[search] != self.actual_hunts[search]:
                lines.append(f"SIEM {search}: expected {self.expected_hunts[search]} rows, got {self.actual_hunts[search]}")
        return "\n".join(lines + [f"eve: {self.eve_path}"]) if lines else "ok"


def prepare(ruleset: RuleSet, inventory: Inventory, folder_: Path, data_dir: Path | None = None):
    """The pack's workspace with the inventory rules appended and its lists next to the rules file."""
    files = ids.compile_inventory(inventory)
    pack = compile_rules(ruleset)
    rules = CompiledRules(pack.text + files.pop(ids.RULES_FILE), pack.line_sources)
    return prepare_workspace(ruleset, folder_, data_dir, compiled=rules, side_files=files)


def _kind(sid: int, names: dict[int, str], inventory_names: dict[int, str]) -> str:
    if sid in inventory_names:
        name = inventory_names[sid]
        return "off-profile" if name.startswith("inventory-off-profile") else name.removeprefix("inventory-")
    return names.get(sid, f"sid {sid}")


def run_inventory_cases(ruleset: RuleSet, inventory: Inventory, engine: Engine, workdir: Path | None = None,
                        progress=None) -> list[InventoryVerdict]:
    refs = case_refs(ruleset.project, inventory)
    if workdir is None:
        with tempfile.TemporaryDirectory(prefix="iotdetect-inventory-") as tmp:
            return run_inventory_cases(ruleset, inventory, engine, Path(tmp), progress)
    project = ruleset.project
    # On another site plan (--networks) the generator pcaps are rendered for it into the plan's
    # cache, as for the rule cases: the committed ones carry the project's own plan's hosts.
    ensure(refs, project, plan_for(project, ruleset.networks))

    def pcap(ref: InventoryCaseRef) -> Path:
        return ref.pcap_path(project.pcaps_dir if ref.traffic.pcap else project.generated_dir)
    missing = [r for r in refs if not pcap(r).is_file()]
    if missing:
        raise RuleErrors([Finding(*r.error_location(project.root), "traffic",
                                  f"{rel(pcap(r), project.root)} is missing: run `iotdetect pcaps`")
                          for r in missing])
    workspace = prepare(ruleset, inventory, workdir / "engine", engine.config_data_dir)
    check_rules(workspace)          # `suricata -T` with the datasets, before any case
    jobs = [Job(r.key, pcap(r), workdir / "cases" / r.key) for r in refs]
    engine.run(workspace, jobs, progress)
    names = {s.rule.sid: s.rule.id for s in ruleset.sources}
    inventory_names = ids.sid_names(inventory)
    evaluator = InventoryEvaluator(inventory)
    verdicts = []
    try:
        for ref, job in zip(refs, jobs):
            records = alerts(read_eve(job.outdir))
            actual = collections.Counter(_kind(r["alert"]["signature_id"], names, inventory_names) for r in records)
            eve = job.outdir / "eve.json"
            hunts = {s: len(result.rows) for s, result in evaluator.run_all(eve).items()} if eve.is_file() else \
                {s: 0 for s in SEARCHES}
            verdicts.append(InventoryVerdict(ref, ref.expected(), dict(actual), ref.expected_hunts(), hunts, eve))
    finally:
        evaluator.close()
    return verdicts
