"""A lint for the SPL this project emits. Not a parser: no offline SPL parser exists.

It checks what our generator could get wrong: quotes, backticks and parentheses balance; every
pipeline stage is an allow-listed command; dotted EVE fields inside where/eval are single-quoted
(unquoted, Splunk reads `http.hostname` as the concatenation of two fields); every macro used
is one we define, with the right number of arguments. A live Splunk parses for real in the
integration test (tests/test_siem_splunk_live.py).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from harness.rules.answers import answered, cache_file, digest

ALLOWED_COMMANDS = {"where", "eval", "stats", "streamstats", "eventstats", "sort", "search", "table", "fields",
                    "rename", "dedup", "fillnull", "bin",
                    "lookup", "mvexpand"}   # lookup/mvexpand: the inventory searches (harness/inventory)
EXPRESSION_COMMANDS = {"where", "eval"}
_DOTTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)+$")
_WORD = re.compile(r"[A-Za-z0-9_.$]+")
_OPERATOR = re.compile(r"[^\sA-Za-z0-9_.$\"'`|()\[\],]+")
_MACRO_CALL = re.compile(r"^([A-Za-z0-9_]+)(?:\((.*)\))?$", re.S)


@dataclass(frozen=True)
class Token:
    kind: str      # string, field, macro, pipe, open, close, comma, word, operator
    text: str      # raw text; for strings and fields the decoded value
    raw: str


class SplSyntaxError(ValueError):
    pass


def tokenize(search: str) -> list[Token]:
    """Split SPL into tokens, decoding "..." strings (\\\\ and \\" escapes) and '...' field names."""
    tokens: list[Token] = []
    index = 0
    while index < len(search):
        char = search[index]
        if char.isspace():
            index += 1
        elif char in "\"'`":
            end, value = _quoted(search, index)
            kind = {'"': "string", "'": "field", "`": "macro"}[char]
            tokens.append(Token(kind, value, search[index:end]))
            index = end
        elif char in "|()[],":
            kind = {"|": "pipe", "(": "open", ")": "close", "[": "open", "]": "close", ",": "comma"}[char]
            tokens.append(Token(kind, char, char))
            index += 1
        else:
            match = _WORD.match(search, index) or _OPERATOR.match(search, index)
            tokens.append(Token("word" if match.re is _WORD else "operator", match.group(0), match.group(0)))
            index = match.end()
    return tokens


def _quoted(search: str, start: int) -> tuple[int, str]:
    quote = search[start]
    value: list[str] = []
    index = start + 1
    while index < len(search):
        char = search[index]
        if char == "\\" and quote == '"' and index + 1 < len(search) and search[index + 1] in '\\"':
            value.append(search[index + 1])
            index += 2
            continue
        if char == quote:
            return index + 1, "".join(value)
        value.append(char)
        index += 1
    raise SplSyntaxError(f"unterminated {quote} starting at offset {start}")


def _stages(tokens: list[Token]) -> list[list[Token]]:
    stages: list[list[Token]] = [[]]
    depth = 0
    for token in tokens:
        depth += {"open": 1, "close": -1}.get(token.kind, 0)
        if depth < 0:
            raise SplSyntaxError("a closing parenthesis has no opening one")
        if token.kind == "pipe" and depth == 0:
            stages.append([])
        else:
            stages[-1].append(token)
    if depth:
        raise SplSyntaxError("unbalanced parentheses")
    return stages


def lint(search: str, macros: dict[str, tuple[str, tuple[str, ...]]], base_macro: str) -> list[str]:
    """Problems in one search; an empty list means the lint found none."""
    try:
        stages = _stages(tokenize(search))
    except SplSyntaxError as exc:
        return [str(exc)]
    problems: list[str] = []
    first = stages[0]
    if not first or first[0].kind != "macro" or first[0].text != base_macro:
        problems.append(f"the search must start with the `{base_macro}` macro (where EVE lives)")
    for number, stage in enumerate(stages[1:], start=2):
        if not stage or stage[0].kind != "word":
            problems.append(f"stage {number} is empty or does not start with a command")
            continue
        command = stage[0].text
        if command not in ALLOWED_COMMANDS:
            problems.append(f"stage {number}: command {command!r} is not in the allow-list")
        if command in EXPRESSION_COMMANDS:
            problems += [f"stage {number} ({command}): dotted field {t.text} must be single-quoted ('{t.text}')"
                         for t in stage if t.kind == "word" and _DOTTED.match(t.text)]
    for token in (t for stage in stages for t in stage if t.kind == "macro"):
        problems += _macro_problems(token.text, macros)
    return problems


def _macro_problems(call: str, macros: dict[str, tuple[str, tuple[str, ...]]]) -> list[str]:
    match = _MACRO_CALL.match(call)
    if not match:
        return [f"malformed macro call `{call}`"]
    name, arguments = match.group(1), match.group(2)
    if name not in macros:
        return [f"macro `{name}` is not defined"]
    given = 0 if arguments is None else len(arguments.split(","))
    wanted = len(macros[name][1])
    return [] if given == wanted else [f"macro `{name}` takes {wanted} argument(s), got {given}"]


def fingerprint(macros: dict[str, tuple[str, tuple[str, ...]]], base_macro: str) -> str:
    """What every cached answer depends on besides its search: this module and the macros."""
    return digest(Path(__file__).read_bytes(), json.dumps(macros, sort_keys=True), base_macro)[:16]


def lint_all(searches: list[str], macros: dict[str, tuple[str, tuple[str, ...]]], base_macro: str, root: Path, *,
             cache: bool = True) -> list[list[str]]:
    """lint() of every search, each distinct search linted once per version of this module and
    set of macros (~0.13 ms a search, 20k searches in a 10k-rule library): answers are cached in
    root/.iotdetect-cache/ like the parsers' (harness/rules/answers.py)."""
    return answered(searches, cache_file(root, f"spl-lint-{fingerprint(macros, base_macro)}.json"),
                    lambda todo: [lint(search, macros, base_macro) for search in todo], cache=cache)
