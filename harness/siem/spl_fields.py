"""Which fields an SPL search returns, for the checks that must name them (alert.suppress.fields).

Only the commands our templates end with change the field set: `stats`/`tstats` (aggregates AS
name, plus the BY fields), `eval` (adds), `table`/`fields` (keep the named), `rename` (renames).
A search ending otherwise keeps its event fields, which cannot be known: None.
"""
from __future__ import annotations

import re

_PIPE = re.compile(r'\|(?=(?:[^"]*"[^"]*")*[^"]*$)')   # a pipe outside double quotes
_AS = re.compile(r"\bAS\s+([A-Za-z_][\w.]*)", re.I)
_BY = re.compile(r"\bBY\s+(.+)$", re.I)
_EVAL = re.compile(r'(?:^|,)\s*([A-Za-z_][\w.]*)\s*=(?!=)')


def output_fields(search: str) -> set[str] | None:
    fields: set[str] | None = None
    for segment in (s.strip() for s in _PIPE.split(search)[1:]):
        command, _, rest = segment.partition(" ")
        command = command.lower()
        if command in ("stats", "tstats"):
            by = _BY.search(rest)
            fields = set(_AS.findall(_BY.sub("", rest))) | (set(re.split(r"[\s,]+", by.group(1).strip())) if by else set())
        elif command == "eval" and fields is not None:
            fields |= set(_EVAL.findall(_strip_strings(rest)))
        elif command in ("table", "fields") and not rest.startswith("-"):
            fields = {f for f in re.split(r"[\s,]+", rest.strip()) if f}
        elif command == "rename" and fields is not None:
            for old, new in re.findall(r"(\S+)\s+AS\s+(\S+)", rest, re.I):
                fields.discard(old)
                fields.add(new)
    return fields


def _strip_strings(text: str) -> str:
    return re.sub(r'"(?:[^"\\]|\\.)*"', '""', text)
