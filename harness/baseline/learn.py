"""`iotdetect baseline learn` and `baseline diff`: profiles from EVE flow events, and what changed.

Thresholds (documented in docs/baselines.md):
- bytes_out = ceil(max hourly bytes sent x margin_volume), flows = ceil(max hourly flows x margin_flows):
  the learning window's worst hour with head-room, since jitter on a held-out day can top it;
- peers = max distinct peers in an hour + peer_slack: an IoT device's peer count is fixed by its
  job, so one more peer than ever seen in an hour is already a deviation;
- flow_bytes_out = ceil(largest single flow's client bytes x margin_volume).
"""
from __future__ import annotations

import ipaddress
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from harness.baseline import flows as F
from harness.baseline.profile import (
    SID_FIRST,
    SID_LAST,
    SIDS_PER_DEVICE,
    Hourly,
    Learned,
    Peer,
    Profile,
    Stat,
    Thresholds,
    device_name,
    load_profiles,
    render,
)
from harness.rules.errors import Finding, RuleErrors, UsageError, rel
from harness.rules.networks import Networks


@dataclass(frozen=True)
class LearnOptions:
    device_networks: tuple[str, ...] = ("$IOT_NET", "$OT_NET")
    margin_volume: float = 2.0
    margin_flows: float = 1.5
    peer_slack: int = 0


class _InventoryDevice(BaseModel):
    # The inventory helper's inventory/devices.yaml; only these keys matter here.
    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    name: str
    ips: list[str]
    device_class: str | None = None

    @classmethod
    def parse(cls, item: dict) -> "_InventoryDevice":
        return cls.model_validate({**item, "device_class": item.get("class")})


def read_inventory(path: Path, root: Path) -> dict[str, tuple[str, str | None]]:
    """ip -> (name, class) from an inventory devices.yaml (`devices: [{name, ips, class}]`)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        devices = [_InventoryDevice.parse(d) for d in data.get("devices", [])]
    except (yaml.YAMLError, ValidationError, AttributeError, TypeError) as exc:
        raise RuleErrors([Finding(rel(path, root), 0, "devices", f"not an inventory devices file: {exc}")]) from None
    return {str(ipaddress.ip_address(ip)): (_slug(d.name), _slug(d.device_class) if d.device_class else None)
            for d in devices for ip in d.ips}


def _slug(text: str) -> str:
    """A profile file name / Suricata dataset name part: lower-case letters, digits and dashes."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:63] or "device"


def _stat(values: list[int]) -> Stat:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]
    return Stat(mean=round(sum(values) / len(values), 1), p95=p95, max=ordered[-1])


def _peers(flows: list[F.Flow], device: str, outbound: bool) -> tuple[Peer, ...]:
    counts: Counter = Counter()
    apps: dict[tuple, Counter] = defaultdict(Counter)
    for flow in flows:
        if (flow.src if outbound else flow.dest) != device:
            continue
        key = (flow.dest if outbound else flow.src, flow.proto, flow.dest_port)
        counts[key] += 1
        apps[key][flow.app_proto] += 1
    return tuple(Peer(peer=p, proto=proto, port=port, app_proto=apps[(p, proto, port)].most_common(1)[0][0],
                      flows=n) for (p, proto, port), n in
                 sorted(counts.items(), key=lambda kv: (ipaddress.ip_address(kv[0][0]), kv[0][1], kv[0][2])))


def _hour(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, timezone.utc)


def learn(eve_paths: list[Path], networks: Networks, options: LearnOptions = LearnOptions(),
          inventory: dict[str, tuple[str, str | None]] | None = None,
          existing: list[Profile] = ()) -> list[Profile]:
    """One profile per device seen in the flow events; sids kept from `existing` profiles."""
    flows = F.read_flows(eve_paths)
    if not flows:
        raise UsageError("no flow events in " + ", ".join(str(p) for p in eve_paths))

    def is_device(ip: str) -> bool:
        return networks.contains(options.device_networks, ip)

    stats = F.hourly(flows, is_device)
    first, last = min(f.hour for f in flows), max(f.hour for f in flows)
    hours = range(first, last + F.HOUR, F.HOUR)
    sids = _assign_sids(sorted(stats, key=ipaddress.ip_address), existing)
    profiles = []
    for device in sorted(stats, key=ipaddress.ip_address):
        h = stats[device]
        bytes_out = [h.bytes_out.get(t, 0) for t in hours]
        counts = [h.flows.get(t, 0) for t in hours]
        peers = [len(h.peers.get(t, ())) for t in hours]
        largest = max((f.bytes_toserver for f in flows if f.src == device), default=0)
        by_hour: dict[int, list[int]] = defaultdict(list)
        for t, value in zip(hours, bytes_out):
            by_hour[(t // F.HOUR) % 24].append(value)
        name, device_class = (inventory or {}).get(device, (device_name(device), None))
        profiles.append(Profile(
            device=device, name=name, device_class=device_class, sid=sids[device],
            learned=Learned(first_hour=_hour(first), last_hour=_hour(last), hours=len(hours),
                            flows=sum(1 for f in flows if device in (f.src, f.dest)), sources=len(eve_paths)),
            outbound=_peers(flows, device, True), inbound=_peers(flows, device, False),
            hourly=Hourly(bytes_out=_stat(bytes_out), flows=_stat(counts), peers=_stat(peers)),
            diurnal_bytes_out=tuple(round(sum(by_hour[i]) / len(by_hour[i])) if by_hour[i] else 0 for i in range(24)),
            thresholds=Thresholds(bytes_out=math.ceil(max(bytes_out) * options.margin_volume),
                                  flows=math.ceil(max(counts) * options.margin_flows),
                                  peers=max(peers) + options.peer_slack,
                                  flow_bytes_out=math.ceil(largest * options.margin_volume))))
    return profiles


def _assign_sids(devices: list[str], existing: list[Profile]) -> dict[str, int]:
    """Keep each known device's sid block; give new devices the lowest free blocks."""
    kept = {p.device: p.sid for p in existing}
    used = set(kept.values())
    free = (s for s in range(SID_FIRST, SID_LAST, SIDS_PER_DEVICE) if s not in used)
    return {d: kept[d] if d in kept else next(free) for d in devices}


def header(profile: Profile) -> str:
    return (f"Learned by `iotdetect baseline learn` from {profile.learned.sources} eve.json file(s), "
            f"{profile.learned.hours} hours.\nReview like a rule, then commit; re-learn after a planned change"
            " (docs/baselines.md).")


def write_profiles(profiles: list[Profile], folder: Path) -> list[Path]:
    """Write one file per profile; files of devices no longer seen are removed."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for profile in profiles:
        path = folder / f"{profile.name}.yaml"
        path.write_text(render(profile, header(profile)), encoding="utf-8")
        written.append(path)
    for stale in set(folder.glob("*.yaml")) - set(written):
        stale.unlink()
    return written


def existing_profiles(folder: Path, root: Path) -> list[Profile]:
    return load_profiles(folder, root) if folder.is_dir() else []


def _peer_keys(peers) -> set[str]:
    return {f"{p.proto.lower()}/{p.port} {p.peer}" for p in peers}


def diff(before: list[Profile], after: list[Profile]) -> list[str]:
    """Readable changes between two profile sets, device by device."""
    old, new = {p.device: p for p in before}, {p.device: p for p in after}
    lines = []
    for device in sorted(set(old) | set(new), key=ipaddress.ip_address):
        a, b = old.get(device), new.get(device)
        if a is None or b is None:
            lines.append(f"{'+' if a is None else '-'} device {device} ({(a or b).name})")
            continue
        changes = []
        for direction in ("outbound", "inbound"):
            was, now = _peer_keys(getattr(a, direction)), _peer_keys(getattr(b, direction))
            changes += [f"  + {direction} {k}" for k in sorted(now - was)]
            changes += [f"  - {direction} {k}" for k in sorted(was - now)]
        for key in ("bytes_out", "flows", "peers", "flow_bytes_out"):
            x, y = getattr(a.thresholds, key), getattr(b.thresholds, key)
            if x != y:
                change = f"{(y - x) / x:+.0%}" if x else "new"
                changes.append(f"  ~ threshold {key}: {x} -> {y} ({change})")
        if a.device_class != b.device_class:
            changes.append(f"  ~ class: {a.device_class} -> {b.device_class}")
        if changes:
            lines.append(f"~ device {device} ({b.name})")
            lines += changes
    return lines
