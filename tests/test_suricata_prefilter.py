"""Fast patterns and byte tests the Suricata backend derives from a rule's own conditions: each is
implied by the condition it comes from (checked here by brute force), so the rule matches the same."""
from __future__ import annotations

import itertools
import re

import pytest
import yaml
from idstools import rule as idsrule

from harness.backends import suricata_text as esc
from harness.backends.suricata import SuricataBackend
from harness.backends.suricata_literal import first_byte_test, required_literal
from harness.rules.model import Rule
from tests.tmp_project import GOOD_RULE, TEMPLATE

ALPHABET = "ab.xP-"


def _matches(pattern: str, flags: int = 0, longest: int = 5):
    """Every string over a small alphabet, up to `longest` characters, that the pattern finds."""
    compiled = re.compile(pattern, flags)
    for length in range(longest + 1):
        for chars in itertools.product(ALPHABET, repeat=length):
            text = "".join(chars)
            if compiled.search(text):
                yield text


@pytest.mark.parametrize("pattern, literal", [
    (r"a\.b", "a.b"), (r"x(?:ab|Pab)", "ab"), (r"(?:^|\.)[a-z]{2,3}\.", "."), (r"^(?:Pa|Pb)$", "P"),
    (r"(?:ab)+x", "ab"), (r"a?b", "b"), (r"(?=ab)x", "x"), (r"[.]x", ".x"),
    (r"ab|x", None), (r"(?:ab)*", None), (r"a?", None), (r"[ab]", None),
])
def test_required_literal_is_in_every_match(pattern, literal):
    found = required_literal(pattern)
    assert (found[0] if found else None) == literal
    if found:
        flags = re.IGNORECASE if found[1] else 0
        assert all(re.search(re.escape(found[0]), text, flags) for text in _matches(pattern))


def test_required_literal_asks_for_nocase_when_the_pattern_switches_case_inside():
    assert required_literal("x(?i:ab)") == ("ab", True)
    assert required_literal("(?i)ab") == ("ab", True)
    assert required_literal("ab") == ("ab", False)


@pytest.mark.parametrize("pattern, nocase", [
    (r"^[\x40-\x48\x50-\x58][\x00-\x04]", False), (r"^(?:\x00|\x01)", False), (r"(?:^a|^b)", False),
    (r"^(?:x?y)", False), (r"^ab", True), (r"^\x10[\x80-\xff]{0,3}[\x00-\x7f]", False), (r"^(?i:a)b", False),
])
def test_first_byte_test_holds_for_every_match(pattern, nocase):
    mask, value = first_byte_test(esc.pcre(pattern), nocase)
    assert mask
    compiled = re.compile(pattern.encode(), re.IGNORECASE if nocase else 0)
    starts = [first for first in range(256) for second in range(256) if compiled.match(bytes([first, second]))]
    assert starts and all(first & mask == value for first in starts)
    assert any(first & mask != value for first in range(256))       # it turns bytes away


@pytest.mark.parametrize("pattern", [r"^a|b", r"^x?", r"(?m)^a", r"a", r"^(?:a|^b)", r"^\d"])
def test_first_byte_test_only_for_a_first_byte_every_match_has(pattern):
    assert first_byte_test(esc.pcre(pattern), False) is None


def _compiled(detection: dict) -> list[tuple[str, str | None]]:
    data = yaml.safe_load((TEMPLATE / GOOD_RULE).read_text(encoding="utf-8"))
    data["detection"] = detection
    return [(o["name"], o.get("value")) for o in idsrule.parse(SuricataBackend().compile(Rule.model_validate(data)))["options"]]


def test_pcre_only_condition_gets_its_literal_as_content_before_the_pcre():
    options = _compiled({"protocol": "http", "where": [{"field": "http.url", "regex": r"\.(?:bin|img)$", "nocase": True}]})
    names = [name for name, _ in options]
    at = names.index("http.uri")
    assert options[at + 1:at + 4] == [("content", '"."'), ("nocase", None), ("pcre", '"/\\.(?:bin|img)$/i"')]
    options = _compiled({"protocol": "snmp", "where": [{"field": "snmp.community", "in": ["public", "private"]}]})
    assert ("content", '"p"') in options and ("nocase", None) not in options
    # a rule that has a fast pattern keeps it alone; a negated pcre implies nothing
    options = _compiled({"protocol": "http", "where": [{"field": "http.http_method", "equals": "GET"},
                                                       {"field": "http.url", "regex": r"\.bin$"}]})
    assert [value for name, value in options if name == "content"] == ['"GET"']
    options = _compiled({"protocol": "http", "where": [{"field": "http.url", "regex": r"\.bin$", "negate": True}]})
    assert "content" not in [name for name, _ in options]


def test_dnp3_function_code_gets_its_byte_in_dnp3_data():
    options = _compiled({"protocol": "dnp3", "where": [{"field": "dnp3.application.function_code", "equals": 13}]})
    names = [name for name, _ in options]
    at = names.index("dnp3_func")
    assert options[at:at + 5] == [("dnp3_func", "13"), ("dnp3.data", None), ("content", '"|0d|"'),
                                  ("offset", "1"), ("depth", "1")]


def test_anchored_payload_pcre_gets_a_first_byte_test_before_it():
    options = _compiled({"protocol": "udp", "payload": [{"pcre": r"^[\x40-\x48\x50-\x58][\x01-\x04]"}]})
    names = [name for name, _ in options]
    assert options[names.index("pcre") - 1] == ("byte_test", "1,=,2,0,bitmask 0xe0")
    options = _compiled({"protocol": "udp", "payload": [{"content": "ab"}, {"pcre": r"^[\x40-\x48]"}]})
    assert "byte_test" not in [name for name, _ in options]
