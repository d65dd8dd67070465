"""Every target by name: name -> backend class (the `Backend` interface in base.py)."""
from __future__ import annotations

from harness.backends.base import Backend, SiemBackend
from harness.backends.elastic import ElasticBackend
from harness.backends.kql import KqlBackend
from harness.backends.sigma import SigmaBackend
from harness.backends.spl import SplBackend
from harness.backends.sql import SqlBackend
from harness.backends.suricata import SuricataBackend

SIEM_BACKENDS: dict[str, type[SiemBackend]] = {"spl": SplBackend, "kql": KqlBackend, "eql": ElasticBackend,
                                               "sql": SqlBackend}
BACKENDS: dict[str, type[Backend]] = {"suricata": SuricataBackend, **SIEM_BACKENDS, "sigma": SigmaBackend}


def published_siem() -> tuple[str, ...]:
    """The SIEM languages shipped to users (build, golden files, dist), in registry order."""
    return tuple(name for name, backend in SIEM_BACKENDS.items() if backend.published)
