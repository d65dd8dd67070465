"""The project's release version (from the installed package metadata) and its sort key."""
from __future__ import annotations

import re
from importlib import metadata


def version() -> str:
    try:
        return metadata.version("iotdetect")
    except metadata.PackageNotFoundError:
        return "0.0.0+unknown"


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", version.split("+")[0])[:3])
