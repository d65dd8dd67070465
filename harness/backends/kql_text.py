"""Literals and names inside KQL: nothing from YAML can end its string."""
from __future__ import annotations

import re

_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# EVE keys that are KQL keywords and must be bracketed when used as a dynamic path element.
_KEYWORDS = {"and", "or", "not", "in", "where", "let", "by", "on", "with", "of", "as", "to", "set", "has",
             "contains", "between", "matches", "regex", "like", "asc", "desc", "true", "false", "null",
             "typeof", "materialize", "view", "range", "step", "from", "database", "cluster", "table"}


def _utf16(char: str) -> str:
    data = char.encode("utf-16-be")
    return "".join(f"\\u{int.from_bytes(data[i:i + 2], 'big'):04x}" for i in range(0, len(data), 2))


def string(value: str) -> str:
    """A double-quoted KQL string; control and other non-printable characters become \\uXXXX."""
    out = []
    for char in value:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif not char.isprintable():
            out.append(_utf16(char))
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def path_element(name: str) -> str:
    """`.name` for plain names, `["name"]` for keywords and anything else."""
    if _IDENTIFIER.fullmatch(name) and name.lower() not in _KEYWORDS:
        return "." + name
    return "[" + string(name) + "]"
