"""A case's traffic on a site plan: roles bound and resolved, generators run (in parallel), captures
rewritten onto the plan's hosts. `harness.cases.pcaps` decides where the results live."""
from __future__ import annotations

import concurrent.futures
import functools
import hashlib
import importlib.util
import multiprocessing
import os
from pathlib import Path
from typing import Any

from harness.rules import networks as networks_mod, yamlsource
from harness.cases import roles
from harness.rules.errors import Finding, RuleErrors, rel
from harness.rules.memo import Memo
from harness.rules.networks import Networks
from harness.suricata.pcapshift import RewriteError, rewrite_hosts
from harness.rules.project import CACHE, Project

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


def _registry():
    """The generators' registry, imported when a case must be bound or rendered: it imports scapy
    (~0.15 s), which a warm `test` (its roles memoised, traffic.Resolved) never needs."""
    from generators import registry
    return registry


def _generators_dir() -> Path:
    """The generators package's folder, found without importing its modules."""
    spec = importlib.util.find_spec("generators")
    return Path(next(iter(spec.submodule_search_locations))).resolve()


@functools.cache   # inspect.signature costs ~0.1 ms; validate binds every case of every rule
def _defaults(func) -> dict:
    return _registry().defaults(func)


def bind(generator: str, args: dict) -> dict:
    """The case's arguments plus every role default of the generator (and of a nested generator's
    arguments, registry.NESTED), so all hosts of a case are resolved together, explicit ones first.
    A generator this interpreter does not know (another project's) contributes no defaults."""
    registry = _registry()
    if generator not in registry.GENERATORS:
        return dict(args)
    func = registry.get(generator)
    full = dict(args)
    for name, default in _defaults(func).items():
        found: list[roles.Role] = []
        roles.collect(default, found)
        if found and name not in full:
            full[name] = default
    if generator in registry.NESTED:
        inner_name, inner_args = registry.NESTED[generator]
        inner = full.get(inner_name, _defaults(func).get(inner_name))
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


def role_findings(refs: list, where: Project | Path, plan: roles.Plan | Networks | None = None,
                  resolved: "Resolved | None" = None) -> list[Finding]:
    """Every case whose roles the plan cannot resolve (what `validate` reports). Through Resolved
    (given, or one of this plan): a case that resolved on this plan with this code is answered from
    the cache (~0.1 ms each otherwise, 20k cases in a 10k-rule library, and no generator or scapy
    import); one that fails is not stored, so it is resolved, and reported, every run."""
    plan = plan_for(where, plan)
    root = where.root if isinstance(where, Project) else where
    findings = [Finding(plan.source, _line_of(root, plan.source, var), var, f"${inner}'s `!` items also remove {span} from ${var}, which lists it"
                        f" through another item: Suricata 7 applies a nested variable's exclusions to the whole"
                        f" group, the SIEM searches do not. List ${inner}'s ranges around the excluded ones instead")
                for var, inner, span in roles.nested_exclusions(plan)]
    own = resolved is None
    resolved = resolved if resolved is not None else Resolved(plan, root)
    for ref in refs:
        if ref.traffic.generator or ref.traffic.hosts:
            try:
                resolved.args(ref)
            except RuleErrors as exc:
                findings += exc.findings
    if own:
        resolved.save()
    return findings


def generate(generator: str, args: dict | None = None, plan: roles.Plan | Networks | None = None,
             root: Path | None = None) -> list:
    """Packets of one generator call with its roles resolved on the plan (for Python callers: tests,
    benchmarks); without a plan, the one of the project at `root` (default: the current one)."""
    plan = plan if isinstance(plan, roles.Plan) else plan_for(root or Project.find().root, plan)
    resolved, _ = roles.resolve(bind(generator, dict(args or {})), plan)
    return _registry().get(generator)(**resolved)


def _run(job: tuple[str, dict[str, Any]]) -> tuple[bool, bytes | str]:
    """One generator call -> (True, pcap bytes) or (False, the error); runs in a worker process."""
    generator, args = job
    try:
        from generators.pcapio import pcap_bytes
        return True, pcap_bytes(_registry().get(generator)(**args))
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
    folder = _generators_dir()
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


class Resolved:
    """resolve()'s concrete arguments (or a capture's host map) of many cases on one plan, kept in
    the project's cache (harness/rules/memo.py) under the case's traffic as written (generator and
    arguments, or host map), in a pack named after the plan and the code: the harness and the
    generators packages, whose role defaults bind() reads. Every input of a resolution is in the key,
    so a changed plan, case or generator misses. A warm run then neither resolves roles nor
    imports the generators (and scapy's layers) to read their defaults: ~0.5 s of a `test`'s
    start. Only resolutions that succeed are kept; callers must not change what args() returns."""

    def __init__(self, plan: roles.Plan, root: Path | None):
        self.plan, self.root = plan, root
        self.memo = Memo(root, "resolved", repr(plan.networks))
        # traffic_key() of each case, by its memo key and the generators' version: its hash of the
        # resolved arguments' repr, ~5 us a case, was a third of the lock check (20,000 cases).
        self.keys = Memo(root, "traffic-key", repr(plan.networks))
        # id(traffic) -> (traffic, its memo key): validate asks twice per case (roles, then the
        # lock's traffic key); the traffic is held so that its id stays its own.
        self._keys: dict[int, tuple[Any, str]] = {}

    def _key(self, traffic) -> str:
        known = self._keys.get(id(traffic))
        if known is not None and known[0] is traffic:
            return known[1]
        key = hashlib.sha256(repr((traffic.generator, traffic.args if traffic.generator else traffic.hosts))
                             .encode()).hexdigest()
        self._keys[id(traffic)] = (traffic, key)
        return key

    def args(self, ref) -> dict:
        key = self._key(ref.traffic)
        found = self.memo.get(key)
        if found is None:
            found, _ = resolve(ref, self.plan, self.root)
            self.memo.put(key, found)
        return found

    def traffic_key(self, ref, version: str) -> str:
        """traffic_key(ref, self.plan, ..., version): kept like the arguments it hashes (the key
        holds everything they depend on, and the version); an unresolvable case raises, every run."""
        key = f"{self._key(ref.traffic)}:{version}"
        found = self.keys.get(key)
        if found is None:
            found = _traffic_key(ref.traffic.generator, self.args(ref), version)
            self.keys.put(key, found)
        return found

    def save(self) -> None:
        self.memo.save()
        self.keys.save()


def _traffic_key(generator: str | None, args: dict, version: str) -> str:
    return hashlib.sha256(repr((generator, args, version)).encode()).hexdigest()


def traffic_key(ref, plan: roles.Plan, root: Path, version: str | None = None, resolved: Resolved | None = None) -> str:
    """What a cached pcap was made from: generator, resolved arguments and generator code."""
    version = version or code_version()
    if resolved is not None:
        return resolved.traffic_key(ref, version)
    return _traffic_key(ref.traffic.generator, resolve(ref, plan, root)[0], version)


def rewrite_version() -> str:
    """What a rewritten capture depends on besides its input: the rewrite code and scapy."""
    import scapy

    from harness.suricata import pcapshift
    digest = hashlib.sha256(scapy.__version__.encode())
    for path in (Path(pcapshift.__file__), _generators_dir() / "pcapio.py"):
        digest.update(b"\0" + path.read_bytes())
    return digest.hexdigest()


def stage_capture(ref, plan: roles.Plan, source: Path, folder: Path, root: Path, version: str | None = None) -> Path:
    """A capture with a host map, rewritten onto the plan's hosts; others as they are."""
    return stage_captures([(ref, source)], plan, folder, root, version)[ref.key]


def stage_captures(items: list, plan: roles.Plan, folder: Path, root: Path, version: str | None = None,
                   resolved: Resolved | None = None) -> dict[str, Path]:
    """{case key: pcap to replay} for (ref, source pcap) pairs: captures with a host map rewritten
    onto the plan's hosts, everything else as it is. Rewriting is scapy's per-packet work (~0.5 s a
    capture), so each result is kept in the project's cache under a hash of the capture's bytes, the
    resolved map and the rewrite code, reused by every later run on any plan that maps the capture
    the same way (`folder` when the cache is not writable); what is not cached yet is rewritten on
    every core."""
    version = version or rewrite_version()
    staged, missing = {}, []
    for ref, source in items:
        if not ref.traffic.hosts:
            staged[ref.key] = source
            continue
        hosts = resolved.args(ref) if resolved is not None else resolve(ref, plan, root)[0]
        try:
            data = source.read_bytes()
        except OSError as exc:
            raise RuleErrors([_capture_finding(ref, plan, source, root, exc.strerror)]) from None
        key = hashlib.sha256(repr((sorted(hosts.items()), version)).encode() + b"\0" + data).hexdigest()
        cached = root / CACHE / "captures" / f"{key[:32]}.pcap"
        if cached.is_file():
            staged[ref.key] = cached
        else:
            missing.append((ref, source, hosts, cached, folder / f"{ref.key.replace('/', '--')}.pcap"))
    jobs = [(str(source), str(target), hosts) for _, source, hosts, _, target in missing]
    folder.mkdir(parents=True, exist_ok=True)
    workers = min(len(jobs), len(os.sched_getaffinity(0)))
    if workers > 1:
        with concurrent.futures.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            errors = list(pool.map(_rewrite, jobs))
    else:
        errors = [_rewrite(job) for job in jobs]
    failed = [_capture_finding(ref, plan, source, root, error)
              for (ref, source, *_), error in zip(missing, errors) if error]
    if failed:
        raise RuleErrors(failed)
    for ref, _, _, cached, target in missing:
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            partial = cached.with_suffix(f".{os.getpid()}.partial")
            partial.write_bytes(target.read_bytes())
            os.replace(partial, cached)      # whole or absent, even with two runs at once
            staged[ref.key] = cached
        except OSError:
            staged[ref.key] = target         # a read-only checkout: rewritten again next time
    return staged


def _rewrite(job: tuple[str, str, dict]) -> str | None:
    """One capture rewritten (in a worker process); the reason when it cannot be."""
    source, target, hosts = job
    try:
        rewrite_hosts(Path(source), Path(target), hosts)
    except (RewriteError, ValueError, OSError) as exc:
        return str(exc)
    return None


def _capture_finding(ref, plan: roles.Plan, source: Path, root: Path, reason: str) -> Finding:
    return Finding(*ref.error_location(root, "hosts"), "traffic.hosts",
                   f"cannot replay {rel(source, root)} on plan {plan.source}: {reason}")
