"""Moved to harness/backends/settings.py (the backends own where EVE lives); kept so branches in
flight still import. New code imports harness.backends.settings."""
from harness.backends.settings import Column, SiemQueries, SiemSettings, TableSchema, load_schema  # noqa: F401
