"""Validate KQL with Microsoft's Kusto parser in node (harness/kusto/check.mjs), cached per query."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from harness.backends.settings import TableSchema
from harness.rules.answers import read_json, write_json
from harness.rules.errors import EnvironmentFailure

PACKAGE = "@kusto/language-service-next"
SCRIPT = Path(__file__).resolve().parent.parent / "kusto" / "check.mjs"
DATABASE = "iotdetect"
# Seconds for one batch (~9 ms a query measured; hundreds of queries take a few seconds).
CHECK_TIMEOUT = 300


class KustoUnavailable(EnvironmentFailure):
    """node or the npm package is missing: a requirement is unmet, which is not a failed check."""


@dataclass(frozen=True)
class KustoDiagnostic:
    severity: str
    code: str
    message: str
    start: int
    length: int

    @property
    def is_error(self) -> bool:
        return self.severity == "Error"

    def describe(self, query: str) -> str:
        line = query.count("\n", 0, self.start) + 1
        excerpt = query[self.start:self.start + max(self.length, 1)].replace("\n", " ")
        return f"{self.code} {self.message} (query line {line}, at {excerpt!r})"


def package_home(root: Path) -> Path:
    """The folder whose node_modules holds the parser: the project, else the iotdetect checkout."""
    for folder in (root, SCRIPT.parent.parent.parent):
        if (folder / "node_modules" / PACKAGE).is_dir():
            return folder
    raise KustoUnavailable(f"{PACKAGE} is not installed in {root}: run `npm ci` (or `make setup`)")


def _command(stream: bool = False) -> list[str]:
    node = shutil.which("node")
    if not node:
        raise KustoUnavailable("node is not installed: KQL cannot be checked with the Kusto parser")
    return [node, str(SCRIPT)] + (["--stream"] if stream else [])


def _request(schema: TableSchema, queries: list[str], tokens: bool, functions: list[dict] | None = None) -> dict:
    request = {"database": DATABASE, "tables": [{"name": schema.table, "schema": schema.kusto_schema()}],
               "queries": queries, "tokens": tokens}
    if functions:   # e.g. Sentinel's _GetWatchlist: {"name", "parameters": "(alias:string)", "body": "{ ... }"}
        request["functions"] = functions
    return request


def diagnostics(answer: dict) -> list[KustoDiagnostic]:
    return [KustoDiagnostic(d["severity"], d["code"], d["message"], d["start"], d["length"])
            for d in answer["diagnostics"]]


# Microsoft's parser (Bridge.NET-compiled C#) takes 10-30 ms a query: a 10k-rule library emits ~17k.
# So results are cached per query (content-addressed, in the project's .iotdetect-cache/), the
# same query is checked once, and a large batch is split over one node process per core.
CACHE_DIR = ".iotdetect-cache"
CACHE_ENTRIES = 100_000
PARALLEL_QUERIES = 1000   # below this, a second node start-up (~0.5 s) costs more than it saves
# Queries per node process: a batch finishes well inside CHECK_TIMEOUT even on a loaded machine
# (10k-rule libraries once sent 8k queries to each of two processes, which then timed out).
BATCH_QUERIES = 1000


def _fingerprint(schema: TableSchema, home: Path, functions: list[dict] | None = None) -> str:
    """Changes whenever an answer could: parser version, checker script, schema, declared functions."""
    package = home / "node_modules" / PACKAGE / "package.json"
    digest = hashlib.sha256(package.read_bytes() if package.is_file() else b"")
    digest.update(SCRIPT.read_bytes())
    digest.update(json.dumps(_request(schema, [], False, functions), sort_keys=True).encode())
    return digest.hexdigest()[:16]


def fingerprint(schema: TableSchema, root: Path, functions: list[dict] | None = None) -> str:
    """What every answer check_kql gives depends on besides its query; KustoUnavailable, as
    check_kql raises, when the parser is not installed."""
    return _fingerprint(schema, package_home(root), functions)


def _run(queries: list[str], schema: TableSchema, home: Path, functions: list[dict] | None) -> list[list[dict]]:
    try:
        result = subprocess.run(_command(), input=json.dumps(_request(schema, queries, False, functions)),
                                capture_output=True, text=True, cwd=home, timeout=CHECK_TIMEOUT)
    except subprocess.TimeoutExpired:   # run() kills node by its PID
        raise KustoUnavailable(f"the Kusto check did not finish within {CHECK_TIMEOUT} s") from None
    if result.returncode != 0:
        raise KustoUnavailable(result.stderr.strip() or f"the Kusto check exited with {result.returncode}")
    return [answer["diagnostics"] for answer in json.loads(result.stdout)]


def _run_parallel(queries: list[str], schema: TableSchema, home: Path, functions: list[dict] | None,
                  done=None) -> list[list[dict]]:
    """Batches of at most BATCH_QUERIES, one node process per core at a time; done(batch, answers)
    is told of every finished batch (so a later failure keeps what was checked)."""
    if len(queries) < PARALLEL_QUERIES:
        answers = _run(queries, schema, home, functions) if queries else []
        if done and queries:
            done(queries, answers)
        return answers
    workers = os.cpu_count() or 1
    size = min(BATCH_QUERIES, -(-len(queries) // workers))
    batches = [queries[i:i + size] for i in range(0, len(queries), size)]

    def one(batch: list[str]) -> list[list[dict]]:
        answers = _run(batch, schema, home, functions)
        if done:
            done(batch, answers)
        return answers
    with ThreadPoolExecutor(workers) as pool:   # threads only wait on node processes
        return [answer for part in pool.map(one, batches) for answer in part]


def check_kql(queries: list[str], schema: TableSchema, root: Path, functions: list[dict] | None = None, *,
              cache: bool = True) -> list[list[KustoDiagnostic]]:
    """Diagnostics per query (same order). Queries checked before (same parser, script and schema)
    come from root/.iotdetect-cache; the rest go through the parser, one node process per core."""
    home = package_home(root)
    cache_file = root / CACHE_DIR / f"kusto-{_fingerprint(schema, home, functions)}.json"
    known = read_json(cache_file) if cache else {}
    keys = [hashlib.sha256(q.encode()).hexdigest() for q in queries]
    todo = {key: query for key, query in zip(keys, queries) if key not in known}
    if todo:
        def done(batch: list[str], answers: list[list[dict]]) -> None:   # dict updates are atomic
            known.update((hashlib.sha256(q.encode()).hexdigest(), a) for q, a in zip(batch, answers))
        try:
            _run_parallel(list(todo.values()), schema, home, functions, done)
        finally:
            if cache:   # this run's queries first, then older ones up to a bound (edits leave old queries);
                # after a failure (a time-out), the batches that finished are kept for the next run
                kept = dict.fromkeys(k for k in keys if k in known) | dict.fromkeys(known)
                limit = max(CACHE_ENTRIES, len(keys))
                write_json(cache_file, {key: known[key] for key in list(kept)[:limit]})
    return [diagnostics({"diagnostics": known[key]}) for key in keys]


class KustoSession:
    """A long-running checker for many small requests (property tests): one process, line protocol."""

    def __init__(self, schema: TableSchema, root: Path):
        self.schema = schema
        self.process = subprocess.Popen(_command(stream=True), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, cwd=package_home(root))

    def check(self, queries: list[str], tokens: bool = False) -> list[dict]:
        """Raw answers: {"diagnostics": [...], "tokens": [[kind, text], ...]} per query."""
        self.process.stdin.write(json.dumps(_request(self.schema, queries, tokens)) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise KustoUnavailable(self.process.stderr.read().strip() or "the Kusto checker exited")
        return json.loads(line)

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)
