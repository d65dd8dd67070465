"""Constrained value types shared by the rule model (one place, like detection-rules' definitions).

Every string a rule carries is checked here once, at load, against what every target can carry:
Suricata rule text and its comments, sid-msg.map, SPL inside Splunk .conf files, KQL inside
Sentinel YAML and ARM JSON, and SQL. A value that passes can never start a new line in any of them.
"""
from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints

# The project's sid range, documented in README ("Rule ids and sids").
SID_MIN = 9_100_000
SID_MAX = 9_199_999

RuleId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{2,63}$")]
Sid = Annotated[int, Field(ge=SID_MIN, le=SID_MAX)]
Rev = Annotated[int, Field(ge=1)]
Severity = Literal["low", "medium", "high", "critical"]
Status = Literal["experimental", "test", "stable", "deprecated"]
AttackId = Annotated[str, StringConstraints(pattern=r"^T\d{4}(\.\d{3})?$")]

# Splunk substitutes $name$ tokens in notable titles/descriptions and risk messages.
_SPLUNK_TOKEN = re.compile(r"\$[^$\s]*\$")


def unsafe_characters(value: str, allowed: str = "") -> list[str]:
    """Characters some target cannot carry raw: everything str.isprintable() refuses but the space,
    i.e. C0/C1 controls (NUL, VT, FF, FS-US, ESC, DEL, U+0085), format characters (bidi overrides,
    which reorder what a reviewer sees; U+FEFF), separators other than the space (U+2028/U+2029
    break lines for YAML and str.splitlines; U+00A0), surrogates and unassigned code points. Splunk
    .conf writing and Suricata's msg refuse the same set, so nothing is refused later than here."""
    return sorted({c for c in value if c not in allowed and c != " " and not c.isprintable()})


def _describe(chars: list[str]) -> str:
    return ", ".join(f"U+{ord(c):04X}" for c in chars)


def _prose(value: str, allowed: str, what: str) -> str:
    bad = unsafe_characters(value, allowed)
    if bad:
        raise ValueError(f"{what}: control, format or separator characters ({_describe(bad)}) are not allowed:"
                         " they would break the line in Suricata, Splunk .conf or Sentinel files")
    if value.rstrip().endswith("\\"):
        raise ValueError("must not end with a backslash: it would continue the line in Splunk .conf files")
    token = _SPLUNK_TOKEN.search(value)
    if token:
        raise ValueError(f"{token.group(0)!r} looks like a Splunk $token$: Splunk would substitute it in the"
                         " notable and risk messages; write it without the closing `$`")
    return value


def _one_line(value: str) -> str:
    if any(char in value for char in "\r\n\x00"):
        raise ValueError("must be a single line: no line break or NUL (it ends up inside quoted strings"
                         " of Suricata, SPL and KQL)")
    return _prose(value, "", "must be a single line")


def _text(value: str) -> str:
    return _prose(value, "\n\t", "prose may hold line breaks and tabs only")


def _plain_url(value: str) -> str:
    # A backslash would escape the `;` that ends Suricata's reference option; quotes and `;` end it.
    # fullmatch: `$` would also accept a trailing newline. Printable ASCII only (IRIs: percent-encode).
    if not re.fullmatch(r"https?://[!#-&(-:<-\[\]-~]+", value):
        raise ValueError("must be an http(s) URL of printable ASCII without whitespace, quotes, `;` or backslashes")
    return value


# A single-line human string: titles and names end up inside quoted strings of three languages.
Line = Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(_one_line)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=10_000), AfterValidator(_text)]
Url = Annotated[str, AfterValidator(_plain_url)]

# At most 6 digits: larger numbers overflow the durations of the SDKs (timedelta) long before any use.
_DURATION = re.compile(r"(\d{1,6})([smhd])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def duration_seconds(value: str) -> int:
    match = _DURATION.fullmatch(value)
    if not match:
        raise ValueError(f"duration {value!r} must look like 30s, 5m, 1h or 14d")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def _check_duration(value: str) -> str:
    if duration_seconds(value) <= 0:
        raise ValueError("duration must be positive")
    return value


Duration = Annotated[str, AfterValidator(_check_duration)]


def safe_printable(value: str, forbidden: str = "") -> bool:
    """Printable ASCII without the given characters: for values pasted verbatim into rule syntax."""
    return all(0x20 <= ord(c) < 0x7F and c not in forbidden for c in value)
