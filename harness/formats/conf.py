"""Splunk .conf writing: one value per line, so every value is checked before it is written."""
from __future__ import annotations

import json

Stanza = tuple[str, list[tuple[str, str]]]


def value(text: str) -> str:
    """A .conf value on one line. A newline would start a new key, a trailing backslash would
    continue the line: both would silently change the search, so they are refused."""
    if "\n" in text or "\r" in text or not text.isprintable():
        raise ValueError(f"a .conf value must be one printable line: {text[:60]!r}")
    if text.rstrip().endswith("\\"):
        raise ValueError(f"a .conf value must not end with a backslash: {text[-60:]!r}")
    return text.strip()


def one_line(text: str) -> str:
    """Prose (descriptions) folded onto one line."""
    return " ".join(text.split())


def search(text: str) -> str:
    """A multi-line SPL search on one line: the backends put each pipe on its own line, and a pipe
    separates commands wherever it stands, so joining lines keeps the search identical."""
    return " ".join(line.strip() for line in text.strip().splitlines() if line.strip())


def stanza_name(name: str) -> str:
    if any(c in name for c in "[]\n\r") or not name.isprintable():
        raise ValueError(f"stanza name {name!r} contains brackets or newlines")
    return name


def render(stanzas: list[Stanza]) -> str:
    blocks = []
    for name, pairs in stanzas:
        lines = [f"[{stanza_name(name)}]"] + [f"{key} = {value(text)}" for key, text in pairs]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def compact_json(data) -> str:
    return json.dumps(data, separators=(", ", ": "), sort_keys=False)
