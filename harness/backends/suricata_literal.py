"""A literal that every match of a regex contains, for a fast pattern that cannot change a rule.

Suricata admits a rule without a positive content to its per-packet non-prefilter list: the rule is
walked for every packet of every port group it sits in, whatever the flow's protocol (~3 M
instructions a rule on the sensor mix, bench/sensor.py). A content in the rule's sticky buffer
moves it to that buffer's pattern matcher, which runs on the protocol's transactions only. When
the content is a string every match of the rule's pcre contains, the rule still matches exactly
what it matched: the content is implied by the pcre.
"""
from __future__ import annotations

import re
import re._constants as sre  # noqa: PLC2701 - the stdlib's regex parser, the same one re.compile uses
import re._parser as sre_parse  # noqa: PLC2701

_LONGEST_CHECKED = 64     # candidate substrings are taken from the first 64 characters of a string


def required_literal(pattern: str) -> tuple[str, bool] | None:
    """(the longest ASCII string found in every string the pattern matches, whether the pattern
    may match it in another case: then the content needs `nocase`), or None."""
    try:
        parsed = sre_parse.parse(pattern)
    except re.error:
        return None
    found = _required(list(parsed))
    if not found:
        return None
    return max(found, key=len), bool(parsed.state.flags & sre.SRE_FLAG_IGNORECASE) or _switches_case(list(parsed))


def _switches_case(items: list) -> bool:
    """Whether a group inside switches case-insensitivity on, as `(?i:...)` does."""
    for op, arg in items:
        if op is sre.SUBPATTERN and (arg[1] & sre.SRE_FLAG_IGNORECASE or _switches_case(list(arg[3]))):
            return True
        if op is sre.ATOMIC_GROUP and _switches_case(list(arg)):
            return True
        if op is sre.BRANCH and any(_switches_case(list(branch)) for branch in arg[1]):
            return True
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT) and _switches_case(list(arg[2])):
            return True
        if op in (sre.ASSERT, sre.ASSERT_NOT) and _switches_case(list(arg[1])):
            return True
    return False


def _required(items: list) -> list[str]:
    """Strings that every match of this sequence of regex items contains."""
    found: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            found.append("".join(run))
            run.clear()

    for op, arg in items:
        if op is sre.LITERAL and arg < 0x80:
            run.append(chr(arg))
            continue
        if op is sre.IN and len(arg) == 1 and arg[0][0] is sre.LITERAL and arg[0][1] < 0x80:
            run.append(chr(arg[0][1]))          # [.] is a literal dot
            continue
        flush()      # anything else ends the run (an anchor, a class, a group ...)
        if op is sre.SUBPATTERN:
            found += _required(list(arg[3]))
        elif op is sre.ATOMIC_GROUP:
            found += _required(list(arg))
        elif op is sre.BRANCH:
            found += _common([_required(list(branch)) for branch in arg[1]])
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT) and arg[0] >= 1:
            found += _required(list(arg[2]))
        # Classes, ANY, anchors, lookarounds, back references and optional items require nothing.
    flush()
    return found


def _common(branches: list[list[str]]) -> list[str]:
    """The longest string that every branch requires (a substring of one of its required strings)."""
    if not branches or not all(branches):
        return []
    first = [text[:_LONGEST_CHECKED] for text in branches[0]]
    for length in range(max(len(text) for text in first), 0, -1):
        for text in first:
            for start in range(len(text) - length + 1):
                piece = text[start:start + length]
                if all(any(piece in other for other in branch) for branch in branches[1:]):
                    return [piece]
    return []


def first_byte_test(pattern: str, any_case: bool) -> tuple[int, int] | None:
    """(mask, value) that the first byte of the buffer has in every match of a pcre anchored at
    its start (`^...` in each alternative), or None. `pattern` is the pcre as Suricata gets it
    (bytes as \\x escapes: suricata_text.pcre). A `byte_test` of it before the pcre turns most
    packets away for a few instructions, where the pcre call costs hundreds (measured on the
    sensor mix: CoAP's pcre on every UDP datagram, -27 M)."""
    try:
        parsed = sre_parse.parse(pattern)
    except re.error:
        return None
    if parsed.state.flags & sre.SRE_FLAG_MULTILINE:
        return None                         # ^ would match after every newline
    first = _anchored_first(list(parsed))
    if not first:
        return None
    if any_case or parsed.state.flags & sre.SRE_FLAG_IGNORECASE or _switches_case(list(parsed)):
        first |= {ord(chr(byte).swapcase()) for byte in first if chr(byte).isascii() and chr(byte).isalpha()}
    ones, anyones = 0xFF, 0
    for byte in first:
        ones &= byte
        anyones |= byte
    mask = ones | (~anyones & 0xFF)        # bits that are the same in every possible first byte
    return (mask, ones & mask) if mask else None


def _anchored_first(items: list) -> set[int] | None:
    """The possible first bytes when every match begins at the buffer's start, else None."""
    if len(items) == 1 and items[0][0] is sre.BRANCH:
        branches = [_anchored_first(list(branch)) for branch in items[0][1][1]]
        return None if any(b is None for b in branches) else set().union(*branches)
    if len(items) == 1 and items[0][0] is sre.SUBPATTERN and not items[0][1][1] & sre.SRE_FLAG_MULTILINE:
        return _anchored_first(list(items[0][1][3]))
    if not items or items[0] != (sre.AT, sre.AT_BEGINNING) and items[0] != (sre.AT, sre.AT_BEGINNING_STRING):
        return None
    first, nullable = _first(items[1:])
    return None if nullable else first


def _first(items: list) -> tuple[set[int], bool]:
    """(bytes a match of the sequence can start with, whether it can match the empty string)."""
    every = set(range(256))
    result: set[int] = set()
    for op, arg in items:
        if op is sre.LITERAL:
            return result | ({arg} if arg < 0x100 else every), False
        if op is sre.NOT_LITERAL or op is sre.ANY:
            return result | every, False
        if op is sre.IN:
            return result | _class(arg), False
        if op in (sre.SUBPATTERN, sre.ATOMIC_GROUP, sre.BRANCH, sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
            if op is sre.SUBPATTERN:
                sub, nullable = _first(list(arg[3]))
            elif op is sre.ATOMIC_GROUP:
                sub, nullable = _first(list(arg))
            elif op is sre.BRANCH:
                parts = [_first(list(branch)) for branch in arg[1]]
                sub, nullable = set().union(*(p[0] for p in parts)), any(p[1] for p in parts)
            else:
                sub, nullable = _first(list(arg[2]))
                nullable = nullable or arg[0] == 0
            result |= sub
            if not nullable:
                return result, False
            continue
        return every, True        # anchors, lookarounds, back references: give up on the byte
    return result, True


def _class(items: list) -> set[int]:
    chosen: set[int] = set()
    negate = False
    for op, arg in items:
        if op is sre.NEGATE:
            negate = True
        elif op is sre.LITERAL:
            chosen.add(arg)
        elif op is sre.RANGE:
            chosen |= set(range(arg[0], min(arg[1], 0xFF) + 1))
        else:
            return set(range(256))          # \d, \s, \w ...: every byte, to be safe
    chosen = {byte for byte in chosen if byte < 0x100}
    return set(range(256)) - chosen if negate else chosen
