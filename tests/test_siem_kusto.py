"""Every emitted KQL query passes Microsoft's Kusto parser and semantic analysis against the
declared Suricata_CL schema (one node process); broken queries are caught. Skipped, with the
reason, when node or `npm ci` is missing."""
from __future__ import annotations

import time

import pytest

from harness.rules import fields
from harness.backends import kql
from harness.backends import logic as L
from harness.siem import kusto
from harness.backends.settings import SiemSettings
from harness.siem.targets import compile_all
from tests.conftest import REPO
from tests.siem_helpers import kusto_session  # noqa: F401  (fixture)


@pytest.fixture(scope="module")
def settings():
    return SiemSettings()


def _check(queries, settings):
    try:
        return kusto.check_kql(queries, settings.schema, REPO)
    except kusto.KustoUnavailable as exc:
        pytest.skip(str(exc))


def _errors(session, query: str) -> list[kusto.KustoDiagnostic]:
    [answer] = session.check([query])
    return [d for d in kusto.diagnostics(answer) if d.is_error]


def test_every_rule_query_passes_the_kusto_parser(repo_ruleset, settings):
    compiled = compile_all(repo_ruleset, settings, backends=("kql",))["kql"]
    queries = [(rule_id, q) for rule_id, qs in sorted(compiled.items()) for q in (qs.alert, qs.hunt) if q]
    started = time.monotonic()
    results = _check([q for _, q in queries], settings)
    elapsed = time.monotonic() - started
    errors = [f"{rule_id}: {d.describe(q)}" for (rule_id, q), found in zip(queries, results)
              for d in found if d.is_error]
    assert not errors, "\n".join(errors)
    too_long = [rule_id for rule_id, q in queries if len(q) > 10_000]   # Sentinel's scheduled-rule limit
    assert not too_long, too_long
    print(f"Kusto checked {len(queries)} queries in {elapsed:.2f} s")


@pytest.mark.parametrize("query, code", [
    ("Suricata_CL | where no_such_column == 1", "KS142"),                          # unknown column
    ("Suricata_CL | where event_type == ", "KS006"),                               # syntax error
    ("Suricata_CL | where no_such_function(src_ip)", "KS211"),                     # unknown function
    ('Suricata_CL | where dest_port == "80" and ipv4_is_in_any_range(src_ip)', None),  # wrong arity/types
])
def test_broken_queries_are_caught(query, code, kusto_session):
    errors = _errors(kusto_session, query)
    assert errors, f"no error reported for {query!r}"
    if code:
        assert code in {d.code for d in errors}, [d.describe(query) for d in errors]


def test_every_eve_field_renders_as_valid_kql(settings, kusto_session):
    """Every path in the field table is reachable in the schema and renders as a valid expression."""
    assert {f.path.split(".")[0] for f in fields.EVE_FIELDS.values()} <= set(settings.schema.dynamic)
    renderer = kql.KqlRenderer("iotdetect_net_")
    expressions = [renderer.expr(L.Match(L.Ref(f.path, f.value_type), "exists")) for f in fields.EVE_FIELDS.values()]
    query = f"{settings.sentinel_table} | where " + " or ".join(expressions)
    errors = _errors(kusto_session, query)
    assert not errors, [d.describe(query) for d in errors]


def test_keyword_path_elements_are_bracketed(settings, kusto_session):
    expression = kql.field(L.Ref("http.where.status"))
    assert expression == 'tostring(http["where"].status)'
    assert not _errors(kusto_session, f"{settings.sentinel_table} | where {expression} == 'x'")
