"""Escaping of values inside Suricata rule options: nothing from YAML can end its string."""
from __future__ import annotations

# Characters that end or confuse a quoted Suricata option value.
_CONTENT_SPECIAL = set('";\\|')
_PCRE_SPECIAL = set('";/') | {"\n", "\r"}


def msg(text: str) -> str:
    """msg/quoted text: Suricata understands \\\\, \\" and \\; escapes. There is no escape for a
    control character, so the model refuses them in titles; this refuses them again rather than
    write a rule Suricata would cut in two."""
    if not text.isprintable():
        raise ValueError(f"non-printable character in a Suricata msg: {text[:60]!r}")
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


def _hex(char: str) -> str:
    # Suricata compiles pcre without UTF mode: a character is its UTF-8 bytes either way.
    return "".join(f"\\x{byte:02x}" for byte in char.encode("utf-8"))


def _raw_unsafe(char: str) -> bool:
    # NUL cuts Suricata's line (the rule then ends in `\` and swallows the next one); other
    # controls and Unicode line separators split the line for idstools and suricata-update.
    return char in _PCRE_SPECIAL or not char.isprintable()


def pcre(pattern: str) -> str:
    """A regex body for pcre:"/.../": specials and non-printables become \\xNN escapes, escaped or
    not, so the pattern means the same and cannot close the quote, the delimiter, the option or
    the line."""
    out: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            nxt = pattern[index + 1]
            out.append(_hex(nxt) if _raw_unsafe(nxt) else char + nxt)
            index += 2
            continue
        if char == "\\":           # a lone trailing backslash would escape our closing delimiter
            out.append("\\x5c")
        elif _raw_unsafe(char):
            out.append(_hex(char))
        else:
            out.append(char)
        index += 1
    return "".join(out)
