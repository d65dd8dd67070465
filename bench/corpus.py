"""The project's whole Suricata pack over a folder of captures other people made (`make corpus
CORPUS=<dir>`): alerts per pcap and per rule, and the protocol-relevant pcaps that raised nothing.

Captures are only read (`suricata -r`), one fresh Suricata per pcap (no flow, host or threshold
state leaks between files; each keeps its own clock). The site plan is either the user's
(`--networks FILE`, used as it is) or derived per pcap, because a foreign corpus's addresses are in
no plan:

- every private address (RFC 1918, CGNAT, link-local, loopback, IPv6 ULA/link-local) is an IoT
  device (`IOT_NET`), and so is a public host serving an IoT port (telnet, FTP, SNMP, TFTP, MQTT,
  CoAP, RTSP); other public addresses are the internet (`EXTERNAL_NET`);
- a host that answers on an OT port (Modbus, DNP3, EtherNet/IP, S7, IEC 104, BACnet, OPC UA) or
  whose flows Suricata labels modbus/dnp3/enip is in `OT_NET` (carved out of `IOT_NET` by CIDR
  arithmetic, never with `!`, which Suricata 7 would apply to all of `HOME_NET`);
- a private host that answers DNS is a sanctioned resolver (`DNS_RESOLVERS`, `IOT_SERVICES`), one
  that answers MQTT a sanctioned broker;
- `ENGINEERING_HOSTS`, `CORP_NET` and `MGMT_NET` hold one reserved (class E) address each: nobody in
  a foreign capture is known to be an engineering or management host.

The plan needs the servers, which come from Suricata's own flow records: a first pass on the plan
with no OT hosts and no resolvers; pcaps whose derived plan differs are replayed again on theirs.
Nothing is asserted: this is a measurement. `--json F` writes every alert for triage.
"""
from __future__ import annotations

import argparse
import collections
import dataclasses
import ipaddress
import json
import os
import shutil
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from harness.cases import pcapcheck
from harness.rules.errors import EngineError, RuleErrors
from harness.rules.loader import RuleSet, load_project
from harness.rules.networks import Networks
from harness.rules.project import Project
from harness.suricata.engine import ProcessEngine, Job, alerts, read_eve, run_command
from harness.suricata.workspace import prepare_workspace

PCAP_SUFFIXES = (".pcap", ".pcapng", ".cap")
PRIVATE = tuple(ipaddress.ip_network(n) for n in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16",
    "127.0.0.0/8", "fc00::/7", "fe80::/10", "::1/128"))
# Ports whose server is an IoT device even at a public address (a capture between two internet
# hosts still shows a device's telnet, FTP, SNMP, TFTP, MQTT, CoAP or RTSP service).
IOT_PORTS = {23, 2323, 21, 161, 69, 1883, 5683, 554}
# Ports whose server is an OT device, and the app-layer names Suricata gives their flows.
OT_PORTS = {502, 20000, 44818, 2222, 102, 2404, 47808, 4840, 1911, 9600, 18245, 5007, 789, 34962, 34964}
OT_PROTOS = {"modbus", "dnp3", "enip"}
# Reserved (class E, never routed) stand-ins for roles a foreign capture has no host for.
RESERVED = {"ENGINEERING_HOSTS": "240.0.0.10", "CORP_NET": "240.0.1.0/24", "MGMT_NET": "240.0.2.0/24",
            "DNS_RESOLVERS": "240.0.1.53", "MQTT_BROKERS": "240.0.0.2", "IOT_SERVICES_EXTRA": "240.0.1.123"}
# Protocol families the pack has rules for: (how a flow is recognised, rule-id prefixes expected to speak).
FAMILIES = {
    "modbus": ({"modbus"}, {502}, ("modbus-",)),
    "dnp3": ({"dnp3"}, {20000}, ("dnp3-",)),
    "enip": ({"enip"}, {44818, 2222}, ("enip-",)),
    "mqtt": ({"mqtt"}, {1883}, ("iot-mqtt-",)),
    "ftp": ({"ftp"}, {21}, ("iot-ftp-", "iot-firmware-ftp")),
    "telnet": ({"telnet"}, {23, 2323}, ("iot-telnet-", "telnet-")),
    "snmp": ({"snmp"}, {161}, ("iot-snmp-",)),
    "tftp": ({"tftp"}, {69}, ("iot-tftp-", "iot-firmware-tftp", "iot-botnet-tftp")),
    "irc": ({"irc"}, {6667, 6697}, ("iot-irc-",)),
    "coap": (set(), {5683}, ("iot-coap-",)),
    "ssdp": (set(), {1900}, ("iot-ssdp-",)),
}


def private(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip.version == n.version and ip in n for n in PRIVATE)


def _host(address: str) -> ipaddress._BaseNetwork:
    ip = ipaddress.ip_address(address)
    return ipaddress.ip_network(f"{ip}/{ip.max_prefixlen}")


def carve(ranges, holes) -> list[str]:
    """ranges minus the host addresses in holes, as CIDRs (Suricata's `!` would leak into HOME_NET)."""
    out = list(ranges)
    for hole in sorted({_host(h) for h in holes}, key=lambda n: (n.version, n)):
        next_out = []
        for net in out:
            if net.version == hole.version and hole.subnet_of(net):
                next_out.extend(net.address_exclude(hole))
            else:
                next_out.append(net)
        out = next_out
    return [str(n) for n in sorted(out, key=lambda n: (n.version, n))]


@dataclasses.dataclass(frozen=True)
class Servers:
    """What a pcap's flows say about its hosts (the inputs of its derived plan)."""
    ot: frozenset[str] = frozenset()
    devices: frozenset[str] = frozenset()      # public hosts serving an IoT port
    resolvers: frozenset[str] = frozenset()
    brokers: frozenset[str] = frozenset()


def derived_plan(servers: Servers) -> Networks:
    ot = sorted(servers.ot)
    resolvers = sorted(servers.resolvers - servers.ot)
    brokers = sorted(servers.brokers - servers.ot)
    groups = {
        "IOT_NET": tuple(carve(PRIVATE, ot) + sorted(str(_host(d)) for d in servers.devices - servers.ot)),
        "OT_NET": tuple(ot) or ("240.0.0.0/24",),
        "ENGINEERING_HOSTS": (RESERVED["ENGINEERING_HOSTS"],),
        "CORP_NET": (RESERVED["CORP_NET"],),
        "MGMT_NET": (RESERVED["MGMT_NET"],),
        "DNS_RESOLVERS": tuple(resolvers) or (RESERVED["DNS_RESOLVERS"],),
        "MQTT_BROKERS": tuple(brokers) or (RESERVED["MQTT_BROKERS"],),
        "IOT_SERVICES": ("$DNS_RESOLVERS", RESERVED["IOT_SERVICES_EXTRA"]),
        "HOME_NET": ("$IOT_NET", "$OT_NET", "$CORP_NET"),
        "EXTERNAL_NET": ("!$HOME_NET",),
    }
    return Networks(groups)


def servers_of(events: list[dict]) -> Servers:
    ot, devices, resolvers, brokers = set(), set(), set(), set()
    for e in events:
        if e.get("event_type") not in ("flow", "modbus", "dnp3", "dns", "mqtt"):
            continue
        dst, port, proto = e.get("dest_ip", ""), e.get("dest_port"), e.get("app_proto", "")
        if e.get("event_type") == "flow" and (proto in OT_PROTOS or (port in OT_PORTS and e.get("flow", {}).get("pkts_toclient", 0))):
            ot.add(dst)
        if e.get("event_type") == "flow" and port in IOT_PORTS and not private(dst) \
                and e.get("flow", {}).get("pkts_toclient", 0):
            devices.add(dst)
        if e.get("event_type") == "flow" and proto == "dns" and port == 53 and private(dst):
            resolvers.add(dst)
        if e.get("event_type") == "flow" and proto == "mqtt" and private(dst):
            brokers.add(dst)
    ok = lambda a: _valid(a)
    return Servers(frozenset(filter(ok, ot)), frozenset(filter(ok, devices)), frozenset(filter(ok, resolvers)),
                   frozenset(filter(ok, brokers)))


def _valid(address: str) -> bool:
    try:
        ipaddress.ip_address(address)
        return True
    except ValueError:
        return False


def find_pcaps(folder: Path) -> tuple[list[Path], list[tuple[Path, str]]]:
    """(replayable pcaps, skipped with the reason) under folder, sorted."""
    found, skipped = [], []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in PCAP_SUFFIXES):
        try:
            pcapcheck.inspect(path)
            found.append(path)
        except pcapcheck.PcapProblem as exc:
            skipped.append((path, str(exc)))
    return found, skipped


def replay(ruleset: RuleSet, networks: Networks, pcaps: list[Path], root: Path, work: Path,
           workers: int, keep: bool = False, midstream: bool = False) -> dict[Path, list[dict] | str]:
    """pcap -> its EVE records (or the fault), every pcap on one plan, one Suricata per pcap.
    midstream: also pick up TCP sessions whose handshake the capture lacks (off in the harness
    config and in Debian's: such flows get no app-layer protocol, so app-layer rules stay silent)."""
    plan_rules = dataclasses.replace(ruleset, networks=networks)
    workspace = prepare_workspace(plan_rules, work / "engine")
    if midstream:
        config = workspace.config.read_text(encoding="utf-8")
        workspace.config.write_text(config.replace("\nstream:\n", "\nstream:\n  midstream: true\n", 1), encoding="utf-8")
    engine = ProcessEngine()
    results: dict[Path, list[dict] | str] = {}

    def one(index_pcap):
        index, pcap = index_pcap
        job = Job(str(pcap), pcap, work / "out" / f"{index:05d}")
        if job.outdir.exists():
            shutil.rmtree(job.outdir)
        job.outdir.mkdir(parents=True)
        try:
            code, output = run_command(engine.command(workspace, job), engine.case_timeout, f"on {pcap.name}")
        except EngineError as exc:
            return pcap, f"fault: {str(exc).splitlines()[0]}"
        if code != 0 and not (job.outdir / "eve.json").is_file():
            return pcap, f"fault: suricata exited {code}: {output.strip().splitlines()[-1] if output.strip() else ''}"
        events = read_eve(job.outdir)
        if keep:
            (job.outdir / "pcap.txt").write_text(str(pcap) + "\n", encoding="utf-8")
        else:
            shutil.rmtree(job.outdir)
        return pcap, events

    with ThreadPoolExecutor(max_workers=workers) as pool:
        for pcap, result in pool.map(one, enumerate(pcaps)):
            results[pcap] = result
    return results


def families_of(events: list[dict]) -> set[str]:
    found = set()
    for e in events:
        if e.get("event_type") != "flow":
            continue
        proto, ports = e.get("app_proto", ""), {e.get("dest_port"), e.get("src_port")}
        for name, (protos, family_ports, _) in FAMILIES.items():
            if proto in protos or (ports & family_ports and proto in ("", "failed", *protos)):
                found.add(name)
    return found


def summarise(results: dict[Path, list[dict] | str], names: dict[int, str], base: Path) -> dict:
    per_pcap, per_rule, silent, faults = {}, collections.defaultdict(lambda: [0, 0]), [], {}
    for pcap, events in results.items():
        key = str(pcap.relative_to(base))
        if isinstance(events, str):
            faults[key] = events
            continue
        records = alerts(events)
        counts = collections.Counter(names.get(r["alert"]["signature_id"], str(r["alert"]["signature_id"]))
                                     for r in records)
        families = families_of(events)
        per_pcap[key] = {"alerts": dict(counts), "families": sorted(families),
                         "records": [{"rule": names.get(r["alert"]["signature_id"]), "src": f"{r.get('src_ip')}:{r.get('src_port')}",
                                      "dst": f"{r.get('dest_ip')}:{r.get('dest_port')}", "app_proto": r.get("app_proto"),
                                      "ts": r.get("timestamp")} for r in records]}
        for rule, n in counts.items():
            per_rule[rule][0] += n
            per_rule[rule][1] += 1
        for family in sorted(families):
            prefixes = FAMILIES[family][2]
            if not any(rule.startswith(prefixes) for rule in counts):
                silent.append((key, family))
    return {"pcaps": per_pcap, "rules": {k: {"alerts": v[0], "pcaps": v[1]} for k, v in per_rule.items()},
            "silent": silent, "faults": faults}


def markdown(summary: dict, skipped: list[tuple[Path, str]], base: Path, plan_note: str) -> str:
    lines = [f"# Corpus run: {base}", "", plan_note, ""]
    pcaps = summary["pcaps"]
    total = sum(sum(p["alerts"].values()) for p in pcaps.values())
    lines.append(f"{len(pcaps)} pcaps replayed, {len(skipped)} skipped (not replayable), {len(summary['faults'])} faults;"
                 f" {total} alerts on {sum(1 for p in pcaps.values() if p['alerts'])} pcaps.")
    lines += ["", "## Per rule", "", "| rule | alerts | pcaps |", "|---|---:|---:|"]
    for rule, v in sorted(summary["rules"].items(), key=lambda kv: (-kv[1]["alerts"], kv[0])):
        lines.append(f"| {rule} | {v['alerts']} | {v['pcaps']} |")
    lines += ["", "## Per pcap (those with alerts)", "", "| pcap | alerts |", "|---|---|"]
    for key, p in sorted(pcaps.items()):
        if p["alerts"]:
            lines.append(f"| {key} | " + ", ".join(f"{r} ×{n}" for r, n in sorted(p["alerts"].items())) + " |")
    lines += ["", "## Protocol-relevant pcaps with no alert of that protocol's rules", "",
              "| pcap | protocol |", "|---|---|"]
    lines += [f"| {key} | {family} |" for key, family in summary["silent"]]
    if summary["faults"]:
        lines += ["", "## Faults", ""] + [f"- {k}: {v}" for k, v in sorted(summary["faults"].items())]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path, help="folder searched recursively for *.pcap, *.pcapng, *.cap")
    parser.add_argument("--networks", type=Path, help="site plan for every pcap (default: one derived per pcap)")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--json", type=Path, help="write per-pcap alert records here")
    parser.add_argument("--keep", type=Path, help="keep each pcap's eve.json under this folder (out/NNNNN/)")
    parser.add_argument("--midstream", action="store_true", help="stream.midstream: true (see replay())")
    parser.add_argument("--workers", type=int, default=max(1, min(4, os.cpu_count() or 1)))
    args = parser.parse_args(argv)
    base = args.corpus.resolve()
    try:
        ruleset = load_project(Project(args.root.resolve(), args.networks.resolve() if args.networks else None))
    except RuleErrors as exc:
        print(exc, file=sys.stderr)
        return 2
    names = {s.rule.sid: s.rule.id for s in ruleset.sources}
    pcaps, skipped = find_pcaps(base)
    with tempfile.TemporaryDirectory(prefix="iotdetect-corpus-") as tmp:
        work = args.keep.resolve() if args.keep else Path(tmp)
        keep = args.keep is not None
        try:
            if args.networks:
                results = replay(ruleset, ruleset.networks, pcaps, args.root, work / "plan", args.workers, keep, args.midstream)
                note = f"Plan: {args.networks} for every pcap."
            else:
                results = replay(ruleset, derived_plan(Servers()), pcaps, args.root, work / "p0", args.workers, keep, args.midstream)
                regroup = collections.defaultdict(list)
                for pcap, events in results.items():
                    if isinstance(events, list):
                        servers = servers_of(events)
                        if servers != Servers():
                            regroup[servers].append(pcap)
                for index, (servers, group) in enumerate(regroup.items()):
                    results.update(replay(ruleset, derived_plan(servers), group, args.root, work / f"p{index + 1}",
                                          args.workers, keep, args.midstream))
                note = (f"Plan: derived per pcap (private addresses and IoT-port servers IoT, OT servers in OT_NET,"
                        f" private resolvers and brokers sanctioned); {sum(len(g) for g in regroup.values())} pcaps replayed on their own plan.")
        except (RuleErrors, EngineError) as exc:
            print(exc, file=sys.stderr)
            return 3
    summary = summarise(results, names, base)
    summary["skipped"] = {str(p.relative_to(base)): why for p, why in skipped}
    print(markdown(summary, skipped, base, note), end="")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=1, sort_keys=True), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
