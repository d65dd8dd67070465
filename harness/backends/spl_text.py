"""Literals inside SPL eval/where expressions: nothing from YAML can end its string."""
from __future__ import annotations

# Characters an SPL string literal must not carry raw: the backtick starts macro expansion (which
# Splunk performs before parsing quotes), line breaks split the search in saved-search .conf files.
_UNSAFE = {"`", "\r", "\n"}


def _unsafe(char: str) -> bool:
    return char in _UNSAFE or not char.isprintable()


def string(value: str) -> str:
    """A quoted SPL string. Values with unsafe characters become urldecode("...") with those
    characters (and %, ", \\) percent-encoded, so the literal is printable and backtick-free."""
    if any(_unsafe(c) for c in value):
        return 'urldecode("' + "".join(_percent(c) for c in value) + '")'
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _percent(char: str) -> str:
    if _unsafe(char) or char in '%+"\\':  # + too: URL decoders may read it as a space
        return "".join(f"%{b:02X}" for b in char.encode("utf-8"))
    return char


def regex_literal(value: str) -> str:
    """A regex matching `value` literally: every ASCII character but letters, digits and space
    becomes \\xHH, so the pattern has no metacharacter, quote, pipe, backtick or line break."""
    return "".join(c if not c.isascii() or c.isalnum() or c == " " else f"\\x{ord(c):02x}" for c in value)
