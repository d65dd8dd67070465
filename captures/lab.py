"""The real-client capture lab: real servers and clients from Debian packages, each scenario in two
network namespaces of its own joined by a veth pair, captured with tcpdump.

Run as root: `make captures` (or `python3 captures/lab.py [SCENARIO...]`). It writes
pcaps/captures/<scenario>.pcap and captures/manifest.json. CI never runs it: the pcaps are
committed and replayed by the rule cases that name them (`traffic: {pcap: captures/..., hosts: ...}`).

Network safety: every address lives only inside the two namespaces this script creates and
deletes; nothing is routed anywhere else. Every process runs under `timeout` and is stopped by its
PID. Addresses are the default plan's (rules/networks.yaml), so the cases' `hosts` maps are the
identity there and readdress the capture on any other plan.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from findings import FINDINGS
from scenario import Scenario
from scenarios_it import IT
from scenarios_ot import OT
from scenarios_scans import scan_scenarios

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "pcaps" / "captures"
MANIFEST = Path(__file__).resolve().parent / "manifest.json"
PREFIX = "iotq"
LAB_PY = Path(__file__).resolve().parent / ".venv" / "bin" / "python"
CLIENTS = Path(__file__).resolve().parent / "clients"
SCENARIOS = IT + OT + scan_scenarios(Scenario)


def sh(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def netns(ns: str, cmd: str) -> list[str]:
    return ["ip", "netns", "exec", ns, "timeout", "60", "sh", "-c", cmd]


def version(pkg: str) -> str:
    if pkg.startswith("pip:"):          # a PyPI package of the lab's own venv
        r = subprocess.run([str(LAB_PY), "-c", f"import importlib.metadata as m; print(m.version({pkg[4:]!r}), end='')"],
                           capture_output=True, text=True)
        return r.stdout or "not installed"
    r = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg], capture_output=True, text=True)
    return r.stdout or "not installed"


def expand(cmd: str, tmp: Path) -> str:
    return cmd.replace("{tmp}", str(tmp)).replace("{py}", str(LAB_PY)).replace("{clients}", str(CLIENTS))


def run(sc: Scenario) -> dict:
    server, client = f"{PREFIX}-{os.getpid()}-s", f"{PREFIX}-{os.getpid()}-c"
    tmp = Path(tempfile.mkdtemp(prefix=f"iotq-{sc.name}-"))
    os.chmod(tmp, 0o755)
    for item in sc.setup:
        path, content = item.split("=", 1)
        target = tmp / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content.replace("{tmp}", str(tmp)))
        os.chmod(target.parent, 0o755)
    pcap = OUT / f"{sc.name}.pcap"
    OUT.mkdir(parents=True, exist_ok=True)
    procs: list[subprocess.Popen] = []
    log: list[str] = []
    try:
        for ns in (server, client):
            sh(["ip", "netns", "add", ns])
            sh(["ip", "-n", ns, "link", "set", "lo", "up"])
        sh(["ip", "link", "add", "veth-s", "netns", server, "type", "veth", "peer", "name", "veth-c", "netns", client])
        for ns, dev, addrs in ((server, "veth-s", sc.server_addrs), (client, "veth-c", sc.client_addrs)):
            sh(["ip", "-n", ns, "link", "set", dev, "address", "02:00:00:00:00:02" if dev == "veth-s" else "02:00:00:00:00:01"])
            for a in addrs:
                sh(["ip", "-n", ns, "addr", "add", a, "dev", dev])
            sh(["ip", "-n", ns, "link", "set", dev, "up"])
            sh(["ip", "-n", ns, "route", "add", "default", "dev", dev])
        for s in sc.server_sysctl:
            sh(["ip", "netns", "exec", server, "sysctl", "-qw", s])
        dump = subprocess.Popen(["ip", "netns", "exec", server, "timeout", "90", "tcpdump", "-i", "veth-s", "-U", "-s", "0",
                                 "-w", str(pcap), sc.capture_filter], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        procs.append(dump)
        time.sleep(1.0)
        for cmd in sc.servers:
            procs.append(subprocess.Popen(netns(server, expand(cmd, tmp)), stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL))
        for cmd in sc.clients:
            r = subprocess.run(netns(client, expand(cmd, tmp)), capture_output=True, text=True)
            log.append(f"$ {cmd} -> exit {r.returncode}")
        time.sleep(1.0)
    finally:
        for p in reversed(procs):          # servers first, tcpdump last: by PID, never by name
            if p.poll() is None:
                os.kill(p.pid, signal.SIGINT if p is procs[0] else signal.SIGTERM)
                try:
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    os.kill(p.pid, signal.SIGKILL)
                    p.wait()
        for ns in (server, client):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)
    os.chmod(pcap, 0o644)
    return {"what": sc.what, "server": sc.servers, "client": sc.clients, "addresses": {
            "server": sc.server_addrs if len(sc.server_addrs) < 5 else sc.server_addrs[:2] + ["..."],
            "client": sc.client_addrs}, "run": log, "tools": {t: version(t) for t in ["tcpdump"] + sc.tools},
            "expected_alerts": sc.expect, "pcap": f"pcaps/captures/{sc.name}.pcap",
            "bytes": pcap.stat().st_size, **({"finding": FINDINGS[sc.name]} if sc.name in FINDINGS else {})}


def main(argv: list[str]) -> int:
    if os.geteuid() != 0:
        print("the lab needs root (network namespaces, tcpdump)", file=sys.stderr)
        return 3
    wanted = [s for s in SCENARIOS if not argv or s.name in argv]
    manifest = json.loads(MANIFEST.read_text()) if MANIFEST.exists() else {}
    for sc in wanted:
        manifest[sc.name] = run(sc)
        print(f"{sc.name}: {manifest[sc.name]['bytes']} bytes", file=sys.stderr)
    MANIFEST.write_text(json.dumps(dict(sorted(manifest.items())), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
