"""Literals inside EQL, and rule regexes (PCRE, searched) as Lucene regexes (always anchored).

EQL's `regex`/`regex~` run a Lucene regular expression that must match the whole value. A rule's
regex is a PCRE that Suricata searches anywhere in the buffer, so it is rewritten: `.*` around it,
a leading `^` or trailing `$` drops that side's `.*`, and the common `(?:^|X)` / `(?:X|$)` edges
become `(.*X)?` / `(X.*)?`. Whatever else Lucene cannot express (lookaround, \\b, lazy
quantifiers, back-references, anchors elsewhere) raises `Untranslatable`: the rule then has no
Elastic hunt, with that reason, rather than a query that means something else.
"""
from __future__ import annotations

from harness.backends.base import Untranslatable

_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
# Characters Lucene's RegExp reads as operators (with its default flags) that PCRE reads literally.
_LUCENE_LITERAL = set('"#@&<>~')
_CHAR_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "f": "\f", "v": "\v"}
_CLASS_ESCAPES = set("dDsSwW")




def string(value: str) -> str:
    """A double-quoted EQL string. Other control characters stay raw, which EQL's string grammar
    allows: the eql package (1.0.1) mis-decodes two \\u{..} escapes in one string."""
    return '"' + "".join(_ESCAPES.get(char, char) for char in value) + '"'


def _literal(char: str) -> str:
    """One literal character as Lucene regex text."""
    return char if char.isalnum() or char == " " or (char.isprintable() and not char.isascii()) else "\\" + char


def _items(pattern: str) -> list[tuple[str, str]]:
    """Top-level items of a PCRE: (kind, Lucene text); kind is group, class, anchor, alt or atom.
    Group text is the translated inside without the parentheses."""
    items: list[tuple[str, str]] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            if index + 1 >= len(pattern):
                raise Untranslatable("a trailing backslash")
            nxt = pattern[index + 1]
            if nxt == "x":
                items.append(("atom", _literal(chr(int(pattern[index + 2:index + 4], 16)))))
                index += 4
                continue
            if nxt in _CHAR_ESCAPES:
                items.append(("atom", _CHAR_ESCAPES[nxt]))
            elif nxt in _CLASS_ESCAPES:
                items.append(("atom", "\\" + nxt))
            elif nxt.isalnum():
                raise Untranslatable(f"\\{nxt} has no Lucene equivalent")
            else:
                items.append(("atom", _literal(nxt)))
            index += 2
        elif char == "[":
            end = index + 1 + (pattern[index + 1:index + 2] == "^")
            end += pattern[end:end + 1] == "]"          # a leading ] is a literal
            while end < len(pattern) and pattern[end] != "]":
                end += 2 if pattern[end] == "\\" else 1
            if end >= len(pattern):
                raise Untranslatable("an unterminated character class")
            body = pattern[index + 1:end]
            if "[:" in body:
                raise Untranslatable("POSIX classes")
            items.append(("class", "[" + body + "]"))
            index = end + 1
        elif char == "(":
            depth, end = 1, index + 1
            while end < len(pattern) and depth:
                if pattern[end] == "\\":
                    end += 2
                    continue
                if pattern[end] == "[":
                    while end < len(pattern) and pattern[end] != "]":
                        end += 2 if pattern[end] == "\\" else 1
                depth += {"(": 1, ")": -1}.get(pattern[end], 0)
                end += 1
            if depth:
                raise Untranslatable("unbalanced parentheses")
            inner = pattern[index + 1:end - 1]
            if inner.startswith("?:"):
                inner = inner[2:]
            elif inner.startswith("?"):
                raise Untranslatable("lookaround or inline flags")
            items.append(("group", inner))
            index = end
        elif char in "^$":
            items.append(("anchor", char))
            index += 1
        elif char == "|":
            items.append(("alt", "|"))
            index += 1
        elif char in "*+?{":
            end = pattern.index("}", index) + 1 if char == "{" else index + 1
            if pattern[end:end + 1] in ("?", "+"):
                raise Untranslatable("lazy or possessive quantifiers")
            items.append(("atom", pattern[index:end]))
            index = end
        else:
            items.append(("atom", "." if char == "." else _literal(char)))
            index += 1
    return items


def _alternatives(inner: str) -> list[str]:
    """A group's top-level alternatives, each translated."""
    parts, depth, start, index = [], 0, 0, 0
    while index < len(inner):
        char = inner[index]
        if char == "\\":
            index += 2
            continue
        if char == "[":
            while index < len(inner) and inner[index] != "]":
                index += 2 if inner[index] == "\\" else 1
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "|" and depth == 0:
            parts.append(inner[start:index])
            start = index + 1
        index += 1
    return parts + [inner[start:]]


def _body(pattern: str) -> str:
    """A PCRE fragment without anchors as Lucene text."""
    out = []
    for kind, text in _items(pattern):
        if kind == "anchor":
            raise Untranslatable(f"an anchor {text} inside the pattern")
        if kind == "group":
            out.append("(" + "|".join(_body(alt) for alt in _alternatives(text)) + ")")
        else:
            out.append(text)
    return "".join(out)


def lucene_regex(pattern: str) -> tuple[str, bool]:
    """(Lucene regex matching the values the PCRE finds a match in, case-insensitive?)."""
    insensitive = pattern.startswith("(?i)")
    pattern = pattern[4:] if insensitive else pattern
    items = _items(pattern)
    if any(kind == "alt" for kind, _ in items):
        items = [("group", pattern)]          # a|b searched: one group, then the edges below
    head, tail = ".*", ".*"
    first, last = 0, len(items)
    if items and items[0] == ("anchor", "^"):
        head, first = "", 1
    elif items and items[0][0] == "group" and "^" in _alternatives(items[0][1]):
        rest = [a for a in _alternatives(items[0][1]) if a != "^"]
        head, first = "(.*(" + "|".join(_body(a) for a in rest) + "))?", 1
    if last > first and items[last - 1] == ("anchor", "$"):
        tail, last = "", last - 1
    elif last > first and items[last - 1][0] == "group" and "$" in _alternatives(items[last - 1][1]):
        rest = [a for a in _alternatives(items[last - 1][1]) if a != "$"]
        tail, last = "((" + "|".join(_body(a) for a in rest) + ").*)?", last - 1
    middle = []
    for kind, text in items[first:last]:
        if kind == "anchor":
            raise Untranslatable(f"an anchor {text} inside the pattern")
        middle.append("(" + "|".join(_body(a) for a in _alternatives(text)) + ")" if kind == "group" else text)
    return head + "".join(middle) + tail, insensitive
