"""Integration test against a live Splunk: every emitted search (with our macros expanded) is parsed
by the server. Runs only when SPLUNK_URL and SPLUNK_TOKEN (or SPLUNK_USERNAME and SPLUNK_PASSWORD)
are set; skipped, and reported as skipped, otherwise."""
from __future__ import annotations

import os
import re
from urllib.parse import urlparse

import pytest

from harness.backends.spl import SplBackend
from harness.backends.settings import SiemSettings
from harness.siem.targets import compile_all

SETTINGS = SiemSettings()


def _service():
    url = os.environ.get("SPLUNK_URL")
    token = os.environ.get("SPLUNK_TOKEN")
    user, password = os.environ.get("SPLUNK_USERNAME"), os.environ.get("SPLUNK_PASSWORD")
    if not url or not (token or (user and password)):
        pytest.skip("set SPLUNK_URL and SPLUNK_TOKEN (or SPLUNK_USERNAME/SPLUNK_PASSWORD) to parse SPL on a live Splunk")
    import splunklib.client as client
    parts = urlparse(url)
    credentials = {"splunkToken": token} if token else {"username": user, "password": password}
    return client.connect(host=parts.hostname, port=parts.port or 8089, scheme=parts.scheme or "https",
                          verify=os.environ.get("SPLUNK_VERIFY", "1") != "0", **credentials)


def expand_macros(search: str, macros: dict[str, tuple[str, tuple[str, ...]]]) -> str:
    """Our macros inlined, so the server needs no app installed to parse the search."""
    pattern = re.compile(r"`([A-Za-z0-9_]+)(?:\(([^`]*)\))?`")

    def replace(match: re.Match) -> str:
        definition, args = macros[match.group(1)]
        values = [v.strip() for v in match.group(2).split(",")] if match.group(2) else []
        for name, value in zip(args, values):
            definition = definition.replace(f"${name}$", value)
        return "(" + definition + ")" if args else definition

    for _ in range(10):   # nested variables expand in a few rounds
        search = pattern.sub(replace, search)
    return search


def test_every_search_parses_on_splunk(repo_ruleset):
    service = _service()
    macros = SplBackend().macros(repo_ruleset.networks, SETTINGS)
    failures = []
    for rule_id, queries in sorted(compile_all(repo_ruleset, SETTINGS, ("spl",))["spl"].items()):
        for kind, search in (("alert", queries.alert), ("hunt", queries.hunt)):
            if not search:
                continue
            try:
                service.parse("search " + expand_macros(search, macros), parse_only=True)
            except Exception as exc:  # the SDK raises HTTPError with Splunk's message
                failures.append(f"{rule_id} {kind}: {exc}")
    assert not failures, "\n".join(failures)


def test_macro_expansion_leaves_no_backticks(repo_ruleset):
    macros = SplBackend().macros(repo_ruleset.networks, SETTINGS)
    for queries in compile_all(repo_ruleset, SETTINGS, ("spl",))["spl"].values():
        assert "`" not in expand_macros(queries.hunt or queries.alert, macros)
