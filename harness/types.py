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
# A single-line human string: titles and names end up inside quoted strings of three languages.
Line = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\r\n\x00]*$")]
Text = Annotated[str, StringConstraints(min_length=1, max_length=10_000)]
Url = Annotated[str, StringConstraints(pattern=r"^https?://[^\s\"';]+$")]

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
