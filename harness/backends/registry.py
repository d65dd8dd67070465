"""SIEM backends by name. Each has `name` and `compile(rule, networks, settings) -> SiemQueries`."""
from __future__ import annotations

from harness.backends.kql import KqlBackend
from harness.backends.spl import SplBackend
from harness.backends.sql import SqlBackend

SIEM_BACKENDS = {"spl": SplBackend, "kql": KqlBackend, "sql": SqlBackend}
