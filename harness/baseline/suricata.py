"""Profiles -> Suricata 7 rules: "new peer / new port / oversized flow for this device".

Allowlists are per unit: the device's class when an inventory gave one (the union of every
member's peers and ports), else the device itself. Peers go into `dataset` files (type ip),
ports into the rule header. Measured on Suricata 7.0.10 (docs/baselines.md):
- `ip.dst; dataset:isnotset,NAME,type ip,load FILE` matches every packet whose address is not in
  FILE; a relative FILE is read from the rules file's directory; a bad line fails start-up
  under --init-errors-fatal. Hence every rule carries an alert budget:
  `threshold:type limit, track by_both, count 1, seconds 3600` = once per device/peer an hour.
- `dataset:set` (learning at run time) raised no alert and wrote no file in our runs, and
  `datarep` compares one numeric value per address; neither expresses a per-class allowlist.
- `stream_size:client,>,N` compares one flow's client bytes: the IDS form of the volume check.
"""
from __future__ import annotations

import ipaddress
from collections import defaultdict
from dataclasses import dataclass

from harness.backends.suricata_text import msg
from harness.baseline.profile import Profile

BUDGET = "threshold:type limit, track by_both, count 1, seconds 3600"
BUDGET_BY_SRC = "threshold:type limit, track by_src, count 1, seconds 3600"
KINDS = {"out-peer": 0, "out-port-tcp": 1, "out-port-udp": 2, "in-peer": 3, "in-port-tcp": 4,
         "in-port-udp": 5, "big-flow": 6}


@dataclass(frozen=True)
class Allowlist:
    out_peers: tuple[str, ...]
    in_peers: tuple[str, ...]
    out_ports: dict[str, tuple[int, ...]]      # TCP/UDP -> responder ports
    in_ports: dict[str, tuple[int, ...]]


def allowlists(profiles: list[Profile]) -> dict[str, Allowlist]:
    """unit -> the union of its members' peers and ports."""
    out_peers, in_peers = defaultdict(set), defaultdict(set)
    out_ports, in_ports = defaultdict(lambda: defaultdict(set)), defaultdict(lambda: defaultdict(set))
    for p in profiles:
        out_peers[p.unit] |= {peer.peer for peer in p.outbound}
        in_peers[p.unit] |= {peer.peer for peer in p.inbound}
        for peer in p.outbound:
            out_ports[p.unit][peer.proto].add(peer.port)
        for peer in p.inbound:
            in_ports[p.unit][peer.proto].add(peer.port)
    key = ipaddress.ip_address
    return {unit: Allowlist(tuple(sorted(out_peers[unit], key=key)), tuple(sorted(in_peers[unit], key=key)),
                            {proto: tuple(sorted(ports)) for proto, ports in out_ports[unit].items()},
                            {proto: tuple(sorted(ports)) for proto, ports in in_ports[unit].items()})
            for unit in sorted({p.unit for p in profiles})}


def dataset_files(profiles: list[Profile]) -> dict[str, str]:
    """File name -> content: one address per line (Suricata's dataset `load` format for type ip)."""
    files = {}
    for unit, allow in allowlists(profiles).items():
        for direction, peers in (("out", allow.out_peers), ("in", allow.in_peers)):
            if peers:
                files[dataset_file(unit, direction)] = "".join(f"{peer}\n" for peer in peers)
    return files


def dataset_file(unit: str, direction: str) -> str:
    return f"iotdetect-baseline-{unit}-{direction}.lst"


def _ports(ports: tuple[int, ...]) -> str:
    return "any" if not ports else "![" + ",".join(str(p) for p in ports) + "]"


def _options(profile: Profile, kind: str, text: str, body: list[str], budget: str = BUDGET) -> str:
    who = profile.name + (f" ({profile.device_class})" if profile.device_class else "")
    parts = [f'msg:"{msg(f"iotdetect baseline: {text} for {who}")}"', *body, budget,
             "classtype:bad-unknown",
             f"metadata:iotdetect_baseline {kind}, iotdetect_device {profile.device}",
             f"sid:{profile.sid + KINDS[kind]}", "rev:1"]
    return "(" + "; ".join(parts) + ";)"


def device_rules(profile: Profile, allow: Allowlist) -> list[str]:
    dev, unit = profile.device, profile.unit
    rules = []

    def peer_rule(kind: str, header: str, buffer: str, peers: tuple[str, ...], text: str) -> None:
        body = ["flow:to_server"]
        if peers:   # no allowlist: every peer is new
            name = f"iotdetect-baseline-{unit}-{kind.split('-')[0]}"
            body += [f"{buffer}", f"dataset:isnotset,{name},type ip,load {dataset_file(unit, kind.split('-')[0])}"]
        rules.append(f"alert {header} {_options(profile, kind, text, body)}")

    peer_rule("out-peer", f"ip {dev} any -> any any", "ip.dst", allow.out_peers, "new outbound peer")
    rules.append(f"alert tcp {dev} any -> any {_ports(allow.out_ports.get('TCP', ()))} "
                 + _options(profile, "out-port-tcp", "new outbound TCP port", ["flow:to_server", "flags:S,CE"]))
    rules.append(f"alert udp {dev} any -> any {_ports(allow.out_ports.get('UDP', ()))} "
                 + _options(profile, "out-port-udp", "new outbound UDP port", ["flow:to_server"]))
    peer_rule("in-peer", f"ip any any -> {dev} any", "ip.src", allow.in_peers, "new inbound peer")
    rules.append(f"alert tcp any any -> {dev} {_ports(allow.in_ports.get('TCP', ()))} "
                 + _options(profile, "in-port-tcp", "new inbound TCP port", ["flow:to_server", "flags:S,CE"]))
    rules.append(f"alert udp any any -> {dev} {_ports(allow.in_ports.get('UDP', ()))} "
                 + _options(profile, "in-port-udp", "new inbound UDP port", ["flow:to_server"]))
    if profile.thresholds.flow_bytes_out:
        rules.append(f"alert tcp {dev} any -> any any " + _options(
            profile, "big-flow", f"flow larger than {profile.thresholds.flow_bytes_out} bytes sent",
            ["flow:to_server,established", f"stream_size:client,>,{profile.thresholds.flow_bytes_out}"], BUDGET_BY_SRC))
    return rules


def compile_rules(profiles: list[Profile], release: str = "dev") -> str:
    allow = allowlists(profiles)
    lines = [f"# iotdetect {release}: baseline rules for {len(profiles)} device profile(s). "
             "Generated from profiles/*.yaml; do not edit."]
    for profile in sorted(profiles, key=lambda p: p.sid):
        lines.append(f"# {profile.name} {profile.device} (allowlist: {profile.unit})")
        lines += device_rules(profile, allow[profile.unit])
    return "\n".join(lines) + "\n"


def sid_devices(profiles: list[Profile]) -> dict[int, str]:
    """sid -> device address, for attributing alerts."""
    return {p.sid + offset: p.device for p in profiles for offset in KINDS.values()}
