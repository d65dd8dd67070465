"""The device profile: one frozen model per profiles/<device>.yaml, validated at load like rules.

Files are written by `iotdetect baseline learn` in one deterministic form (fixed key order,
sorted lists, integers and one-decimal floats) so that re-learning the same EVE gives the same
bytes and a review diff shows only what changed. Thresholds may be edited by hand; the
statistics they came from stay next to them.
"""
from __future__ import annotations

import ipaddress
from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from harness.rules import yamlsource
from harness.rules.errors import Finding, RuleErrors, rel
from harness.rules.loader import validation_findings

SID_FIRST, SID_LAST = 9_190_000, 9_199_999     # the project range's top 10,000 sids
SIDS_PER_DEVICE = 10                           # a block per device; harness/baseline/suricata.py uses 7


def _ip(value: str) -> str:
    return str(ipaddress.ip_address(value))


Ip = Annotated[str, AfterValidator(_ip)]
Name = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]
Count = Annotated[int, Field(ge=0)]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Peer(Frozen):
    """One (peer, transport, server port) the device exchanged flows with while learning."""
    peer: Ip
    proto: Literal["TCP", "UDP", "ICMP", "IPV6-ICMP", "SCTP"]
    port: Annotated[int, Field(ge=0, le=65535)]    # the responder's port: the peer's (outbound), ours (inbound)
    app_proto: str = ""
    flows: Count


class Stat(Frozen):
    mean: Annotated[float, Field(ge=0)]
    p95: Count
    max: Count


class Hourly(Frozen):
    """Per observed hour (hours without a flow count as 0)."""
    bytes_out: Stat
    flows: Stat
    peers: Stat


class Thresholds(Frozen):
    """An hour above any of these is anomalous (strictly greater)."""
    bytes_out: Count
    flows: Count
    peers: Count
    flow_bytes_out: Count        # one flow's client bytes (Suricata stream_size)


class Learned(Frozen):
    first_hour: datetime
    last_hour: datetime
    hours: Annotated[int, Field(ge=1)]
    flows: Count
    sources: Annotated[int, Field(ge=1)]          # eve.json files


class Profile(Frozen):
    device: Ip
    name: Name
    device_class: Name | None = Field(default=None, alias="class")
    sid: Annotated[int, Field(ge=SID_FIRST, le=SID_LAST - SIDS_PER_DEVICE + 1, multiple_of=SIDS_PER_DEVICE)]
    learned: Learned
    outbound: tuple[Peer, ...]
    inbound: tuple[Peer, ...]
    hourly: Hourly
    diurnal_bytes_out: Annotated[tuple[Count, ...], Field(min_length=24, max_length=24)]
    thresholds: Thresholds

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @property
    def unit(self) -> str:
        """Whose allowlist this device uses: its class (with an inventory) or itself."""
        return self.device_class or self.name


def device_name(ip: str) -> str:
    return "dev-" + ip.replace(".", "-").replace(":", "-").lower()


def render(profile: Profile, header: str) -> str:
    """The one YAML form of a profile (key order as declared, `class` by its YAML name)."""
    data = profile.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["learned"]["first_hour"] = profile.learned.first_hour.strftime("%Y-%m-%dT%H:%M:%SZ")
    data["learned"]["last_hour"] = profile.learned.last_hour.strftime("%Y-%m-%dT%H:%M:%SZ")
    body = yaml.safe_dump(data, sort_keys=False, default_flow_style=None, width=120, allow_unicode=True)
    return "".join(f"# {line}\n" for line in header.splitlines()) + body


def load_profile(path: Path, root: Path) -> tuple[Profile | None, list[Finding]]:
    name = rel(path, root)
    try:
        data, lines = yamlsource.load(path)
    except yamlsource.YamlSourceError as exc:
        return None, [Finding(name, exc.line, "", exc.message)]
    if not isinstance(data, dict):
        return None, [Finding(name, 1, "", "a profile file holds one mapping")]
    try:
        return Profile.model_validate(data), []
    except ValidationError as exc:
        return None, validation_findings(exc, name, lines)


def profile_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.yaml")) if folder.is_dir() else []


def load_profiles(folder: Path, root: Path) -> list[Profile]:
    """Every profile in folder, checked together: RuleErrors with every finding, file:line."""
    profiles, findings = [], []
    first: dict[tuple[str, object], Path] = {}
    for path in profile_files(folder):
        profile, errors = load_profile(path, root)
        findings += errors
        if profile is None:
            continue
        if path.stem != profile.name:
            findings.append(Finding(rel(path, root), 1, "name", f"name {profile.name!r} differs from the file name"))
        for key, value in (("device", profile.device), ("sid", profile.sid // SIDS_PER_DEVICE)):
            other = first.setdefault((key, value), path)
            if other != path:
                findings.append(Finding(rel(path, root), 1, key, f"{key} {value if key == 'device' else profile.sid}"
                                        f" also used by {rel(other, root)}"))
        profiles.append(profile)
    if findings:
        raise RuleErrors(findings)
    return sorted(profiles, key=lambda p: p.sid)
