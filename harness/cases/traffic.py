"""A case's traffic on a site plan: roles bound and resolved, generators run (in parallel), captures
rewritten onto the plan's hosts. `harness.cases.pcaps` decides where the results live."""
from __future__ import annotations

import concurrent.futures
import hashlib
import multiprocessing
import os
from pathlib import Path
from typing import Any

from generators import registry
from generators.pcapio import pcap_bytes

from harness.rules import networks as networks_mod, yamlsource
from harness.cases import roles
from harness.rules.errors import Finding, RuleErrors, rel
from harness.rules.networks import Networks
from harness.suricata.pcapshift import RewriteError, rewrite_hosts
from harness.rules.project import Project

# Below this many pcaps a process pool costs more than it saves.
_PARALLEL_FROM = 16


def plan_for(where: Project | Path, plan: roles.Plan | Networks | None = None) -> roles.Plan:
    """The site plan to resolve roles against: the one given, else the project's (its --networks
    file, or rules/networks.yaml)."""
    if isinstance(plan, roles.Plan):
        return plan
    project = where if isinstance(where, Project) else Project(where)
    source = project.networks_file
    if plan is None:
        plan, findings = networks_mod.load(source, project.root)
        if findings:
            raise RuleErrors(findings)
    return roles.Plan(plan, rel(source, project.root))


def bind(generator: str, args: dict) -> dict:
    """The case's arguments plus every role default of the generator (and of a nested generator's
    arguments, registry.NESTED), so all hosts of a case are resolved together, explicit ones first.
    A generator this interpreter does not know (another project's) contributes no defaults."""
    if generator not in registry.GENERATORS:
        return dict(args)
    func = registry.get(generator)
    full = dict(args)
    for name, default in registry.defaults(func).items():
        found: list[roles.Role] = []
        roles.collect(default, found)
        if found and name not in full:
            full[name] = default
    if generator in registry.NESTED:
        inner_name, inner_args = registry.NESTED[generator]
        inner = full.get(inner_name, registry.defaults(func).get(inner_name))
        if isinstance(inner, str) and inner in registry.GENERATORS and inner != generator:
            full[inner_args] = bind(inner, dict(full.get(inner_args) or {}))
    return full


def resolve(ref, plan: roles.Plan, root: Path) -> tuple[dict, dict[roles.Role, str]]:
    """(generator arguments, or a capture's address map, with concrete hosts; role -> host). A role the
    plan cannot satisfy is a finding at the case's file:line naming the variable."""
    traffic = ref.traffic
    given, where = (traffic.args, "args") if traffic.generator else (traffic.hosts, "hosts")
    try:
        return roles.resolve(bind(traffic.generator, given) if traffic.generator else dict(given), plan)
    except ValueError as exc:
        key = next((k for k, v in given.items() if _mentions(v, str(exc))), None)
        path, line = ref.error_location(root, *((where, key) if key else ()))
        raise RuleErrors([Finding(path, line, "traffic", f"role: {exc} (plan {plan.source})")]) from None


def _line_of(root: Path, source: str, var: str) -> int:
    try:
        return yamlsource.line_of(yamlsource.load(root / source)[1], (var,))
    except (OSError, yamlsource.YamlSourceError):
        return 0


def _mentions(value, message: str) -> bool:
    found: list[roles.Role] = []
    try:
        roles.collect(value, found)
    except ValueError:
        return True
    return any(f"${r.var}" in message for r in found)


def role_findings(refs: list, where: Project | Path, plan: roles.Plan | Networks | None = None) -> list[Finding]:
    """Every case whose roles the plan cannot resolve (what `validate` reports)."""
    plan = plan_for(where, plan)
    root = where.root if isinstance(where, Project) else where
    findings = [Finding(plan.source, _line_of(root, plan.source, var), var, f"${inner}'s `!` items also remove {span} from ${var}, which lists it"
                        f" through another item: Suricata 7 applies a nested variable's exclusions to the whole"
                        f" group, the SIEM searches do not. List ${inner}'s ranges around the excluded ones instead")
                for var, inner, span in roles.nested_exclusions(plan)]
    for ref in refs:
        if ref.traffic.generator or ref.traffic.hosts:
            try:
                resolve(ref, plan, root)
            except RuleErrors as exc:
                findings += exc.findings
    return findings


def generate(generator: str, args: dict | None = None, plan: roles.Plan | Networks | None = None,
             root: Path | None = None) -> list:
    """Packets of one generator call with its roles resolved on the plan (for Python callers: tests,
    benchmarks); without a plan, the one of the project at `root` (default: the current one)."""
    plan = plan if isinstance(plan, roles.Plan) else plan_for(root or Project.find().root, plan)
    resolved, _ = roles.resolve(bind(generator, dict(args or {})), plan)
    return registry.get(generator)(**resolved)


def _run(job: tuple[str, dict[str, Any]]) -> tuple[bool, bytes | str]:
    """One generator call -> (True, pcap bytes) or (False, the error); runs in a worker process."""
    generator, args = job
    try:
        return True, pcap_bytes(registry.get(generator)(**args))
    except Exception as exc:  # a generator bug or bad args: reported against the rule, not as a crash
        return False, repr(exc)


def render_all(refs: list, root: Path, plan: roles.Plan | Networks | None = None,
               workers: int | None = None) -> list[bytes]:
    """The pcap bytes of every generator case on the plan, in order. Roles are resolved first (every
    unresolvable one reported at once); then one process per core renders them."""
    plan = plan_for(root, plan)
    findings = role_findings(refs, root, plan)
    if findings:
        raise RuleErrors(findings)
    jobs = [(ref.traffic.generator, resolve(ref, plan, root)[0]) for ref in refs]
    workers = workers or len(os.sched_getaffinity(0))
    if workers > 1 and len(jobs) >= _PARALLEL_FROM:
        # fork: workers inherit the imported generators (and a test's monkeypatches) instead of re-importing
        with concurrent.futures.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            results = list(pool.map(_run, jobs, chunksize=max(1, len(jobs) // (workers * 8))))
    else:
        results = [_run(job) for job in jobs]
    failed = [Finding(*ref.error_location(root), "traffic", f"generator {ref.traffic.generator} failed: {error}")
              for ref, (ok, error) in zip(refs, results) if not ok]
    if failed:
        raise RuleErrors(failed)
    return [data for _, data in results]


def render(ref, root: Path, plan: roles.Plan | Networks | None = None) -> bytes:
    """The pcap bytes one generator case produces on the plan; errors name the rule file and case."""
    return render_all([ref], root, plan, workers=1)[0]


def code_version() -> str:
    """A hash of the generators package's source: cached traffic is stale when a generator changes."""
    folder = Path(registry.__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def traffic_key(ref, plan: roles.Plan, root: Path, version: str | None = None) -> str:
    """What a cached pcap was made from: generator, resolved arguments and generator code."""
    args, _ = resolve(ref, plan, root)
    text = repr((ref.traffic.generator, args, version or code_version()))
    return hashlib.sha256(text.encode()).hexdigest()


def stage_capture(ref, plan: roles.Plan, source: Path, folder: Path, root: Path) -> Path:
    """A capture with a host map, rewritten onto the plan's hosts into folder; others as they are."""
    if not ref.traffic.hosts:
        return source
    hosts, _ = resolve(ref, plan, root)
    target = folder / f"{ref.key.replace('/', '--')}.pcap"
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        rewrite_hosts(source, target, hosts)
    except (RewriteError, ValueError, OSError) as exc:
        raise RuleErrors([Finding(*ref.error_location(root, "hosts"), "traffic.hosts",
                                  f"cannot replay {rel(source, root)} on plan {plan.source}: {exc}")]) from None
    return target
