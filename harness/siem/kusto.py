"""Validate KQL with Microsoft's Kusto parser in one node process (harness/kusto/check.mjs)."""
from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from harness.errors import EnvironmentFailure
from harness.siem.settings import TableSchema

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


def _request(schema: TableSchema, queries: list[str], tokens: bool) -> dict:
    return {"database": DATABASE, "tables": [{"name": schema.table, "schema": schema.kusto_schema()}],
            "queries": queries, "tokens": tokens}


def diagnostics(answer: dict) -> list[KustoDiagnostic]:
    return [KustoDiagnostic(d["severity"], d["code"], d["message"], d["start"], d["length"])
            for d in answer["diagnostics"]]


def check_kql(queries: list[str], schema: TableSchema, root: Path) -> list[list[KustoDiagnostic]]:
    """Diagnostics per query (same order), all queries in one node process."""
    try:
        result = subprocess.run(_command(), input=json.dumps(_request(schema, queries, False)),
                                capture_output=True, text=True, cwd=package_home(root), timeout=CHECK_TIMEOUT)
    except subprocess.TimeoutExpired:   # run() kills node by its PID
        raise KustoUnavailable(f"the Kusto check did not finish within {CHECK_TIMEOUT} s") from None
    if result.returncode != 0:
        raise KustoUnavailable(result.stderr.strip() or f"the Kusto check exited with {result.returncode}")
    return [diagnostics(answer) for answer in json.loads(result.stdout)]


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
