"""Load and validate every rule file; collect all findings with file:line:field."""
from __future__ import annotations

import contextlib
import gc
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from pydantic import ValidationError

from harness.rules import lock, memo as memo_mod, networks as networks_mod, safenames, yamlsource
from harness.rules.attack import AttackCatalog, load_catalog
from harness.rules.errors import Finding, RuleErrors, rel
from harness.rules.memo import Memo
from harness.rules.model import Rule
from harness.rules.networks import Networks
from harness.rules.project import Project
from harness.rules.yamlsource import Lines


@dataclass(frozen=True)
class RuleSource:
    """A validated rule with where it came from (the model itself stays free of file details)."""
    rule: Rule
    path: Path
    category: str
    lines: Lines
    digest: str = ""   # sha256 of the file's bytes: the key of its memo entries ("" = never memoised)

    def line(self, *key) -> int:
        return yamlsource.line_of(self.lines, tuple(key))


@dataclass(frozen=True)
class RuleSet:
    project: Project
    networks: Networks
    sources: tuple[RuleSource, ...]

    @property
    def rules(self) -> tuple[Rule, ...]:
        return tuple(s.rule for s in self.sources)

    @cached_property
    def _ids(self) -> dict[str, RuleSource]:
        return {s.rule.id: s for s in self.sources}

    @cached_property
    def _sids(self) -> dict[int, RuleSource]:
        return {s.rule.sid: s for s in self.sources}

    def active(self) -> tuple[RuleSource, ...]:
        """The rules every target ships: all but the deprecated ones (which only the changelog and the
        coverage report still list). The one place this filter is written."""
        return tuple(s for s in self.sources if s.rule.status != "deprecated")

    def by_id(self, rule_id: str) -> RuleSource:
        return self._ids[rule_id]

    def by_sid(self) -> dict[int, RuleSource]:
        return self._sids


def _field_path(loc: tuple) -> tuple:
    # pydantic adds wrapper and union-branch names that are not YAML keys.
    return tuple(x for x in loc if x not in ("items", "str", "int") and not (isinstance(x, str) and "[" in x))


def validation_findings(exc: ValidationError, name: str, lines: Lines) -> list[Finding]:
    findings = []
    for error in exc.errors():
        # A model-level check may name the nested key it is about (model.LocatedError).
        located = getattr(error.get("ctx", {}).get("error"), "subpath", ())
        path = _field_path(error["loc"]) + tuple(located)
        field = ".".join(str(p) for p in path)
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        findings.append(Finding(name, yamlsource.line_of(lines, path), field, message))
    return findings


def _read(path: Path, root: Path) -> tuple[object, yamlsource.Lines] | yamlsource.YamlSourceError:
    try:
        return yamlsource.load(path, root)
    except yamlsource.YamlSourceError as exc:
        return exc


def _category(path: Path, root: Path) -> str:
    # rules/<category>/<id>.yaml; resolve (slow) only to tell rules/x.yaml from rules/rules/x.yaml.
    # The folder's name from the string: two Path.parent objects per rule were ~5% of a warm load.
    folder = os.path.basename(os.path.dirname(path))
    directly_in_rules = folder == "rules" and path.parent.parent.resolve() == root.resolve()
    return "" if directly_in_rules else folder


def _rule_from(path: Path, root: Path, parsed, digest: str = "") -> tuple[RuleSource | None, list[Finding]]:
    name = rel(path, root)
    if isinstance(parsed, yamlsource.YamlSourceError):
        return None, [Finding(name, parsed.line, "", parsed.message)]
    data, lines = parsed
    if not isinstance(data, dict):
        return None, [Finding(name, 1, "", "a rule file holds one mapping")]
    try:
        rule = Rule.model_validate(data)
    except ValidationError as exc:
        return None, validation_findings(exc, name, lines)
    return RuleSource(rule, path, _category(path, root), lines, digest), []


def load_rule_file(path: Path, root: Path) -> tuple[RuleSource | None, list[Finding]]:
    return _rule_from(path, root, _read(path, root))


def _load_memoised(path: Path, root: Path, memo: Memo) -> tuple[RuleSource | None, list[Finding], str]:
    """One rule file through the memo: (source, findings, its lock.detection_hash). The file is
    read (with yamlsource's limits) and hashed; a hit is the rule and line map this code made of
    the same bytes, a miss parses and validates, and only a success is stored. The detection
    hash rides along: the canonical JSON dump of each rule cost ~0.4 s of every 10k-rule run."""
    key = ""
    try:
        data = yamlsource.read_bytes(path, root)
        key = memo_mod.file_key(data)
        known = memo.get(key)
        if known is not None:
            rule, lines, locked = known
            return RuleSource(rule, path, _category(path, root), memo_mod.PackedLines(lines), key), [], locked
        parsed = yamlsource.parse(yamlsource.decode(data))
    except yamlsource.YamlSourceError as exc:
        parsed = exc
    source, findings = _rule_from(path, root, parsed, key)
    if source is None:
        return None, findings, ""
    locked = lock.detection_hash(source.rule)
    memo.put(key, (source.rule, memo_mod.pack(source.lines), locked))
    return source, findings, locked


def _semantic_findings(source: RuleSource, nets: Networks, catalog: AttackCatalog, root: Path,
                       rules_dir: Path | None = None) -> list[Finding]:
    rule, name = source.rule, rel(source.path, root)
    findings = []
    if source.path.stem != rule.id:
        findings.append(Finding(name, source.line("id"), "id", f"id {rule.id!r} differs from the file name {source.path.stem!r}"))
    findings += safenames.path_findings(source.path, rules_dir or root / "rules", name)
    if not source.category:
        findings.append(Finding(name, 1, "", "rule files live in rules/<category>/<id>.yaml"))
    for side in ("source", "destination"):
        for index, item in enumerate(getattr(rule.detection, side).items):
            for ref in nets.references((item,)):
                if ref not in nets.groups:
                    findings.append(Finding(name, source.line("detection", side, index), f"detection.{side}",
                                            f"undefined network variable ${ref}"))
    for index, technique in enumerate(rule.attack):
        if catalog.domain(technique) is None:
            findings.append(Finding(name, source.line("attack", index), "attack",
                                    f"unknown ATT&CK technique {technique}"))
    for index, case in enumerate(rule.tests):
        if case.traffic.pcap and not (root / "pcaps" / case.traffic.pcap).is_file():
            findings.append(Finding(name, source.line("tests", index, "traffic", "pcap"), "tests.traffic.pcap",
                                    f"capture pcaps/{case.traffic.pcap} does not exist"))
    return findings


def _cross_rule_findings(sources: list[RuleSource], root: Path) -> list[Finding]:
    findings = []
    first_by: dict[tuple[str, object], RuleSource] = {}
    for source in sources:
        for key in ("id", "sid"):
            value = getattr(source.rule, key)
            other = first_by.setdefault((key, value), source)
            if other is not source:
                findings.append(Finding(rel(source.path, root), source.line(key), key,
                                        f"duplicate {key} {value} (also in {rel(other.path, root)})"))
    ids = {s.rule.id for s in sources}
    for source in sources:
        for index, case in enumerate(source.rule.tests):
            for other_id in case.expect.also:
                if other_id not in ids:
                    findings.append(Finding(rel(source.path, root), source.line("tests", index, "expect", "also"),
                                            "tests.expect.also", f"no rule with id {other_id}"))
    return findings


@contextlib.contextmanager
def gc_paused():
    """Bulk loading builds ~50 objects per rule that all live on. CPython's cyclic collector, run
    every few hundred allocations, re-scans the growing heap again and again (measured on 10k
    rules: YAML composing 11 s with it, 2 s without; pydantic 4.4 s vs 1.1 s), and after the load
    every full collection would scan the rule set once more (compiling 10k rules for the SIEMs:
    4.1 s vs 2.5 s). The loaded rules hold no reference cycles, so the collector waits during the
    load and the objects alive after it are frozen (gc.freeze: never scanned again; reference
    counting still frees them when they are dropped)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def load_project(project: Project, *, check_lock: bool = True, only: list[Path] | None = None) -> RuleSet:
    """Load every rule; raise RuleErrors with all findings when anything is wrong."""
    with gc_paused():
        return _load_project(project, check_lock, only)


def _load_project(project: Project, check_lock: bool, only: list[Path] | None) -> RuleSet:
    root = project.root
    nets, findings = networks_mod.load(project.networks_file, root)
    catalog = load_catalog()
    sources: list[RuleSource] = []
    hashes: dict[int, str] = {}   # id(rule) -> detection hash, while the rules are alive here
    memo = Memo(root, "rule")
    for path in project.rule_files():
        source, errors, locked = _load_memoised(path, root, memo)
        findings += errors
        if source:
            sources.append(source)
            hashes[id(source.rule)] = locked
    memo.save()
    if nets is not None:
        rules_dir = root / "rules"
        for source in sources:
            findings += _semantic_findings(source, nets, catalog, root, rules_dir)
    findings += _cross_rule_findings(sources, root)
    if check_lock:
        findings += lock.check([(s.rule, s.path, s.lines) for s in sources], project.lock_file,
                               lambda rule: hashes.get(id(rule)) or lock.detection_hash(rule))
    if only is not None:
        wanted = {p.resolve() for p in only}
        findings = [f for f in findings if (root / f.path).resolve() in wanted or f.path.endswith("networks.yaml")]
    if findings:
        raise RuleErrors(findings)
    return RuleSet(project, nets, tuple(sources))
