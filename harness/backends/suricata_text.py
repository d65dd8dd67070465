"""Escaping of values inside Suricata rule options: nothing from YAML can end its string."""
from __future__ import annotations

# Characters that end or confuse a quoted Suricata option value.
_CONTENT_SPECIAL = set('";\\|')
_PCRE_SPECIAL = set('";/') | {"\n", "\r"}


def msg(text: str) -> str:
    """msg/quoted text: Suricata understands \\\\, \\" and \\; escapes."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace(";", "\\;")


def content(value: str | bytes) -> str:
    """A literal byte string for content:"...": specials and non-printables become |hex| groups."""
    data = value.encode("utf-8") if isinstance(value, str) else value
    out: list[str] = []
    hex_run: list[str] = []
    for byte in data:
        char = chr(byte)
        if 0x20 <= byte < 0x7F and char not in _CONTENT_SPECIAL:
            if hex_run:
                out.append("|" + " ".join(hex_run) + "|")
                hex_run = []
            out.append(char)
        else:
            hex_run.append(f"{byte:02x}")
    if hex_run:
        out.append("|" + " ".join(hex_run) + "|")
    return "".join(out)


def pcre(pattern: str) -> str:
    """A regex body for pcre:"/.../": specials become \\xNN escapes, escaped or not, so the
    pattern means the same and cannot close the quote, the delimiter or the option."""
    out: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            nxt = pattern[index + 1]
            out.append(f"\\x{ord(nxt):02x}" if nxt in _PCRE_SPECIAL else char + nxt)
            index += 2
            continue
        if char == "\\":           # a lone trailing backslash would escape our closing delimiter
            out.append("\\x5c")
        elif char in _PCRE_SPECIAL:
            out.append(f"\\x{ord(char):02x}")
        else:
            out.append(char)
        index += 1
    return "".join(out)
