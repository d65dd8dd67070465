"""The Kusto check's per-query cache and its split over several node processes give the same
diagnostics as one uncached run, and a changed query is always checked again."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from harness.backends.settings import SiemSettings
from harness.rules.answers import write_json
from harness.siem import kusto

REPO = Path(__file__).resolve().parent.parent
SCHEMA = SiemSettings().schema
QUERIES = ['Suricata_CL | where event_type == "alert"', "Suricata_CL | where nosuchcolumn == 1",
           'Suricata_CL | where event_type == "dns" | summarize n = count() by src_ip', "Suricata_CL | where (",
           'Suricata_CL | where event_type == "alert"']

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")


@pytest.fixture
def root(tmp_path):
    (tmp_path / "node_modules").symlink_to(REPO / "node_modules")
    return tmp_path


@pytest.fixture(scope="module")
def fresh():
    """One uncached run: what every other way of checking must give back."""
    return kusto.check_kql(QUERIES, SCHEMA, REPO, cache=False)


def _errors(results):
    return [[d.code for d in found if d.is_error] for found in results]


def test_cached_answers_equal_fresh_ones_and_need_no_node(root, monkeypatch, fresh):
    assert _errors(fresh)[0] == [] and _errors(fresh)[1] and _errors(fresh)[3]   # the checker really checks
    assert kusto.check_kql(QUERIES, SCHEMA, root) == fresh
    monkeypatch.setattr(kusto, "_run", lambda *a: pytest.fail("a cached query went to node again"))
    assert kusto.check_kql(QUERIES, SCHEMA, root) == fresh


def test_a_changed_query_is_checked_again(root, monkeypatch):
    write_json(root / kusto.CACHE_DIR / f"kusto-{kusto._fingerprint(SCHEMA, REPO)}.json",
               {kusto.hashlib.sha256(QUERIES[0].encode()).hexdigest(): []})
    sent = []
    real = kusto._run
    monkeypatch.setattr(kusto, "_run", lambda queries, *a: sent.extend(queries) or real(queries, *a))
    assert _errors(kusto.check_kql([QUERIES[0], QUERIES[1]], SCHEMA, root))[1]
    assert sent == [QUERIES[1]]


def test_split_over_processes_keeps_order(root, monkeypatch, fresh):
    calls = []
    real = kusto._run
    monkeypatch.setattr(kusto, "_run", lambda queries, *a: calls.append(len(queries)) or real(queries, *a))
    monkeypatch.setattr(kusto, "PARALLEL_QUERIES", 3)
    monkeypatch.setattr(kusto.os, "cpu_count", lambda: 2)
    assert kusto.check_kql(QUERIES, SCHEMA, root, cache=False) == fresh
    assert sorted(calls) == [2, 2]   # the 4 distinct queries, two node processes


def test_a_corrupt_cache_is_ignored(root, fresh):
    (root / kusto.CACHE_DIR).mkdir()
    (root / kusto.CACHE_DIR / f"kusto-{kusto._fingerprint(SCHEMA, REPO)}.json").write_text("{not json")
    assert kusto.check_kql(QUERIES, SCHEMA, root) == fresh
