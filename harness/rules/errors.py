"""Findings with file:line:field, collected rather than raised one at a time (like pySigma's exceptions)."""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        field = f" [{self.field}]" if self.field else ""
        return f"{where}:{field} {self.message}"


class RuleErrors(Exception):
    """Raised with every finding of a load or build; nothing is written when this is raised."""

    def __init__(self, findings: list[Finding]):
        self.findings = sorted(findings)
        super().__init__("\n".join(str(f) for f in self.findings))


def rel(path: Path, root: Path | None = None) -> str:
    try:
        return str(path.relative_to(root or Path.cwd()))
    except ValueError:
        return str(path)


class UsageError(Exception):
    """The command line names something that does not exist (a rule id, an engine): exit 2.
    Deliberately not a ValueError, so a bug raising ValueError is never reported as bad input."""


class EnvironmentFailure(RuntimeError):
    """What the machine cannot do: Suricata or node missing or failing, a server unreachable,
    a disk that refuses a write. Exit 3, with the tool's own message."""


class EngineError(EnvironmentFailure):
    """Suricata started but failed, hung, crashed or wrote nothing usable; shows its last log lines."""

    def __init__(self, message: str, log_tail: list[str] | tuple[str, ...] = ()):
        self.log_tail = [line for line in log_tail if line.strip()]
        super().__init__(message + "".join(f"\n  | {line}" for line in self.log_tail))


def tail(text: str, lines: int = 12) -> list[str]:
    """The last lines of a log, each cut to a sane width and made printable."""
    return [("".join(c if c.isprintable() else "?" for c in line))[:300] for line in text.splitlines()[-lines:]]


@contextlib.contextmanager
def writing(path: Path):
    """Name the output the user gave when a write below it fails (ENOSPC and EFBIG come without a
    file name; a staging folder's name means nothing to the user)."""
    try:
        yield
    except OSError as exc:
        inner = f" ({exc.filename})" if exc.filename is not None and str(exc.filename) != str(path) else ""
        raise EnvironmentFailure(f"cannot write {path}: {exc.strerror or exc}{inner}") from exc


def describe_os_error(exc: OSError) -> str:
    where = " -> ".join(str(p) for p in (exc.filename, exc.filename2) if p is not None)
    return f"{where}: {exc.strerror or exc}" if where else f"{exc.strerror or exc}"
