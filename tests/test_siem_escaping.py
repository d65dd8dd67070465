"""Property test: whatever string a rule carries (condition values, title), it stays inside its
string literal in SPL, KQL and SQL. Each query is compared with the query built from a plain
placeholder: the token structure must be identical and the literal must decode to the value.
KQL is tokenised and analysed by the Kusto parser itself (no error diagnostics allowed), SQL by
DuckDB's tokenizer; and the SQL hunt, run over an EVE record carrying the value, must match it."""
from __future__ import annotations

import re
from urllib.parse import unquote

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from pydantic import TypeAdapter

from harness.rules import fields
from harness.rules.types import Line
from harness.backends import spl_text
from harness.backends.kql import KqlBackend
from harness.backends.spl import SplBackend
from harness.backends.sql import SqlBackend
from harness.siem.evaluate import EveEvaluator
from harness.backends.settings import SiemSettings
from harness.siem.spl_lint import tokenize
from tests.siem_helpers import NETWORKS, kusto_session, make_rule, write_eve  # noqa: F401  (fixture)

PLACEHOLDER = "placeholder"
SETTINGS = SiemSettings()
SPECIALS = list("\"'\\|`\n\r\t*%?$^[](){}.,;:#/-+=<>!&~@ ") + ["\x00", "\x0b", "\u2028", "é", "İ", "😀"]
FIELDS = {"http.url": ("http", "http"), "http.hostname": ("http", "http"),
          "mqtt.connect.username": ("mqtt", "mqtt"), "dns.rrname": ("dns", "dns")}

values = st.text(st.sampled_from(SPECIALS) | st.characters(exclude_categories=("Cs",)), min_size=1, max_size=30)
ascii_values = st.text(st.sampled_from([c for c in SPECIALS if c.isascii()]) | st.characters(min_codepoint=32, max_codepoint=126),
                       min_size=1, max_size=30)


def _valid_title(text: str) -> bool:
    try:
        TypeAdapter(Line).validate_python(text)
    except ValueError:
        return False
    return "||" not in text   # the rule model also refuses `||` in a title (sid-msg.map's field separator)


titles = values.filter(_valid_title)   # what the model accepts as a title
operators = st.sampled_from(["equals", "contains", "startswith", "endswith", "in", "regex"])


def _condition(field: str, op: str, value: str, nocase: bool, negate: bool) -> dict:
    if fields.lookup(field).lowercase and op not in ("regex", "in"):
        nocase = False   # Suricata refuses nocase on a lower-cased buffer; the model does too
    if op == "regex":
        return {"field": field, "regex": re.escape(value), "nocase": nocase}
    if op == "in":
        return {"field": field, "in": [value, "other"], "nocase": nocase}
    return {"field": field, op: value, "nocase": nocase, "negate": negate}


def _rule(field, op, value, nocase, negate, title="SIEM test rule"):
    protocol = FIELDS[field][0]
    return make_rule({"protocol": protocol, "where": [_condition(field, op, value, nocase, negate)]}, title=title)


def _folded(field: str, value: str, nocase: bool) -> str:
    return value.lower() if nocase or fields.lookup(field).lowercase else value


# --- SPL -------------------------------------------------------------------------------------------

def _spl_shape(search: str) -> list[tuple[str, str | None]]:
    """Tokens, with urldecode("...") folded into one decoded string and string values elided."""
    tokens = tokenize(search)
    shape: list[tuple[str, str | None]] = []
    strings: list[str] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.kind == "word" and token.text == "urldecode" and index + 3 < len(tokens) \
                and tokens[index + 2].kind == "string":
            strings.append(unquote(tokens[index + 2].text))
            shape.append(("string", None))
            index += 4
            continue
        if token.kind == "string":
            strings.append(token.text)
        shape.append((token.kind, None if token.kind == "string" else token.text))
        index += 1
    return shape, strings


def _assert_same_structure(shape_x, strings_x, shape_p, strings_p, expected_values):
    assert shape_x == shape_p
    for got, template in zip(strings_x, strings_p):
        if PLACEHOLDER in template:
            assert any(got == template.replace(PLACEHOLDER, v) for v in expected_values), (got, template)
        else:
            assert got == template


@hsettings(max_examples=150, deadline=None)
@given(field=st.sampled_from(sorted(FIELDS)), op=operators, value=values, nocase=st.booleans(), negate=st.booleans())
def test_spl_literals_hold_any_value(field, op, value, nocase, negate):
    negate = negate and op not in ("in", "regex")
    backend = SplBackend()
    hunt_x = backend.compile(_rule(field, op, value, nocase, negate), NETWORKS, SETTINGS).hunt
    hunt_p = backend.compile(_rule(field, op, PLACEHOLDER, nocase, negate), NETWORKS, SETTINGS).hunt
    folded = _folded(field, value, nocase)
    expected = [folded, spl_text.regex_literal(folded), re.escape(value)]
    _assert_same_structure(*_spl_shape(hunt_x), *_spl_shape(hunt_p), expected)
    assert "\n" not in "".join(t.raw for t in tokenize(hunt_x) if t.kind == "string")


@hsettings(max_examples=100, deadline=None)
@given(title=titles)
def test_spl_and_sql_titles_stay_literals(title):
    rule = _rule("http.url", "contains", "x", False, False, title=title)
    for backend in (SplBackend(),):
        got, template = (backend.compile(r, NETWORKS, SETTINGS) for r in (rule, _rule("http.url", "contains", "x", False,
                                                                                        False, title=PLACEHOLDER)))
        for query_x, query_p in ((got.alert, template.alert), (got.hunt, template.hunt)):
            _assert_same_structure(*_spl_shape(query_x), *_spl_shape(query_p), [title])
    sql_x = SqlBackend().compile(rule, NETWORKS, SETTINGS).hunt
    sql_p = SqlBackend().compile(_rule("http.url", "contains", "x", False, False, title=PLACEHOLDER), NETWORKS,
                                 SETTINGS).hunt
    _assert_same_structure(*_sql_shape(sql_x), *_sql_shape(sql_p), [title])


# --- KQL: the Kusto parser's own tokens ------------------------------------------------------------

def _kql_shape(answer: dict):
    tokens = answer["tokens"]
    return ([(kind, None if kind == "322" else text) for kind, text in tokens],
            [text for kind, text in tokens if kind == "322"])   # 322 = StringLiteralToken


@hsettings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(sorted(FIELDS)), op=operators, value=values, nocase=st.booleans(), negate=st.booleans(),
       title=titles)
def test_kql_literals_hold_any_value(kusto_session, field, op, value, nocase, negate, title):
    negate = negate and op not in ("in", "regex")
    backend = KqlBackend()
    query_x = backend.compile(_rule(field, op, value, nocase, negate, title), NETWORKS, SETTINGS).hunt
    query_p = backend.compile(_rule(field, op, PLACEHOLDER, nocase, negate, PLACEHOLDER), NETWORKS, SETTINGS).hunt
    answer_x, answer_p = kusto_session.check([query_x, query_p], tokens=True)
    assert not [d for d in answer_x["diagnostics"] if d["severity"] == "Error"], (query_x, answer_x["diagnostics"])
    folded = _folded(field, value, nocase) if op != "regex" else re.escape(value)
    expected = [folded, value, title, ("(?i)" if nocase else "") + re.escape(value)]
    _assert_same_structure(*_kql_shape(answer_x), *_kql_shape(answer_p), expected)


# --- SQL: DuckDB's tokenizer, and a real match --------------------------------------------------------

def _sql_shape(query: str):
    data = query.encode("utf-8")   # the tokenizer reports byte offsets
    tokens = duckdb.tokenize(query)
    ends = [position for position, _ in tokens[1:]] + [len(data)]
    shape, strings = [], []
    for (position, kind), end in zip(tokens, ends):
        text = data[position:end].decode("utf-8").strip()
        if kind == duckdb.token_type.string_const:
            strings.append(text[1:-1].replace("''", "'"))
            shape.append(("string", None))
        elif kind != duckdb.token_type.comment:
            shape.append((str(kind), text))
    return shape, strings


@pytest.fixture(scope="module")
def evaluator():
    evaluator = EveEvaluator(NETWORKS)
    yield evaluator
    evaluator.close()


def _record(field: str, value: str) -> dict:
    protocol, event_type = FIELDS[field]
    top, *rest = field.split(".")
    obj: dict = {"type": "query"} if top == "dns" else {}
    cursor = obj
    for part in rest[:-1]:
        cursor = cursor.setdefault(part, {})
    cursor[rest[-1]] = value
    return {"timestamp": "2024-01-01T12:00:00.000000+0000", "event_type": event_type, "src_ip": "10.0.0.1",
            "src_port": 49152, "dest_ip": "192.168.200.10", "dest_port": 80, "proto": "TCP", top: obj}


@hsettings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(sorted(FIELDS)), op=operators, value=ascii_values, nocase=st.booleans(),
       negate=st.booleans())
def test_sql_literals_hold_any_value_and_match_it(evaluator, tmp_path_factory, field, op, value, nocase, negate):
    negate = negate and op not in ("in", "regex")
    query_x = SqlBackend().compile(_rule(field, op, value, nocase, negate), NETWORKS, SETTINGS).hunt
    query_p = SqlBackend().compile(_rule(field, op, PLACEHOLDER, nocase, negate), NETWORKS, SETTINGS).hunt
    folded = _folded(field, value, nocase)
    _assert_same_structure(*_sql_shape(query_x), *_sql_shape(query_p), [folded, re.escape(value),
                                                                          "(?i)" + re.escape(value)])
    # The field holding exactly the value satisfies every operator; negated, it must not. A regex
    # runs on the lower-cased buffer of a lowercase field, so an upper-case pattern cannot match there.
    matches = True
    if op == "regex":
        buffer = value.lower() if fields.lookup(field).lowercase else value
        matches = re.search(("(?i)" if nocase else "") + re.escape(value), buffer) is not None
    eve = write_eve(tmp_path_factory.mktemp("eve") / "eve.json", [_record(field, value)])
    assert bool(evaluator.run(query_x, eve).rows) is (matches and not negate)
