"""Constrained value types shared by the rule model (one place, like detection-rules' definitions)."""
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
Text = Annotated[str, StringConstraints(min_length=1, max_length=10_000)]


def _one_line(value: str) -> str:
    if any(char in value for char in "\r\n\x00"):
        raise ValueError("must be a single line: no line break or NUL (it ends up inside quoted strings"
                         " of Suricata, SPL and KQL)")
    return value


def _plain_url(value: str) -> str:
    # A backslash would escape the `;` that ends Suricata's reference option; quotes and `;` end it.
    if not re.match(r"^https?://[^\s\"';\\]+$", value):
        raise ValueError("must be an http(s) URL without whitespace, quotes, `;` or backslashes")
    return value


# A single-line human string: titles and names end up inside quoted strings of three languages.
Line = Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(_one_line)]
Url = Annotated[str, AfterValidator(_plain_url)]

_DURATION = re.compile(r"^(\d+)([smhd])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def duration_seconds(value: str) -> int:
    match = _DURATION.match(value)
    if not match:
        raise ValueError(f"duration {value!r} must look like 30s, 5m, 1h or 14d")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def _check_duration(value: str) -> str:
    if duration_seconds(value) <= 0:
        raise ValueError("duration must be positive")
    return value


Duration = Annotated[str, AfterValidator(_check_duration)]
