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
from dataclasses import dataclass, field
from pathlib import Path

from scenarios_scans import scan_scenarios

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "pcaps" / "captures"
MANIFEST = Path(__file__).resolve().parent / "manifest.json"
PREFIX = "iotq"


@dataclass
class Scenario:
    name: str
    what: str
    server_addrs: list[str]
    client_addrs: list[str]
    servers: list[str] = field(default_factory=list)       # shell commands in the server namespace
    clients: list[str] = field(default_factory=list)       # shell commands in the client namespace, in turn
    expect: dict[str, int] = field(default_factory=dict)    # rule id -> alerts the case asserts
    tools: list[str] = field(default_factory=list)          # Debian packages whose versions the manifest records
    setup: list[str] = field(default_factory=list)          # files: "path=content" under the scenario's tmp dir
    server_sysctl: list[str] = field(default_factory=list)
    capture_filter: str = "not arp and not icmp6"            # tcpdump filter on the device side


def _nmap(flags: str, target: str = "192.168.200.10") -> str:
    return f"nmap -n -Pn {flags} --max-retries 0 -T4 {target}"


SCENARIOS = [
    Scenario("nmap-syn-scan-200", "nmap -sS of 200 TCP ports of a device from a corporate host",
             ["192.168.200.10/24"], ["10.1.1.50/8"], clients=[_nmap("-sS -p1-200")],
             expect={"iot-vlan-unauthorized-access": 1}, tools=["nmap"]),
    Scenario("nmap-fin-scan", "nmap -sF of 19 ports", ["192.168.200.10/24"], ["10.1.1.50/8"],
             clients=[_nmap("-sF -p1-19")], expect={"tcp-fin-scan": 1}, tools=["nmap"]),
    Scenario("nmap-xmas-scan", "nmap -sX of 19 ports", ["192.168.200.10/24"], ["10.1.1.50/8"],
             clients=[_nmap("-sX -p1-19")], expect={"tcp-xmas-scan": 1}, tools=["nmap"]),
    Scenario("nmap-null-scan", "nmap -sN of 19 ports", ["192.168.200.10/24"], ["10.1.1.50/8"],
             clients=[_nmap("-sN -p1-19")], expect={"tcp-null-scan": 1}, tools=["nmap"]),
    Scenario("nmap-ack-scan", "nmap -sA of 39 ports", ["192.168.200.10/24"], ["10.1.1.50/8"],
             clients=[_nmap("-sA -p1-39")], expect={"tcp-ack-scan": 1}, tools=["nmap"]),
    Scenario("nmap-udp-scan", "nmap -sU of 19 UDP ports (ICMP rate limit off in the device namespace)",
             ["192.168.200.10/24"], ["10.1.1.50/8"], clients=[_nmap("-sU -p1-19")],
             expect={"udp-port-scan": 1}, tools=["nmap"], server_sysctl=["net.ipv4.icmp_ratelimit=0"]),
    Scenario("nmap-ping-sweep", "nmap -sn -PE --send-ip over 39 device addresses",
             [f"192.168.200.{i}/24" for i in range(1, 40)], ["10.1.1.50/8"],
             clients=["nmap -n -sn -PE --send-ip 192.168.200.1-39"], expect={"icmp-echo-sweep": 1}, tools=["nmap"]),
    Scenario("ping-one-device", "ping -c 30 of one device (a monitor's pattern: no sweep)",
             ["192.168.200.10/24"], ["10.1.1.50/8"], clients=["ping -n -c 30 -i 0.2 192.168.200.10"],
             expect={}, tools=["iputils-ping"]),
    Scenario("snmpwalk-public", "net-snmp snmpwalk -v2c -c public of the system and interfaces trees",
             ["192.168.200.10/24"], ["10.1.1.50/8"],
             servers=["snmpd -f -Lo -C -c {tmp}/snmpd.conf udp:192.168.200.10:161"],
             clients=["sleep 1", "snmpwalk -v2c -c public 192.168.200.10 1.3.6.1.2.1.1", "snmpwalk -v2c -c public 192.168.200.10 1.3.6.1.2.1.2"],
             expect={"iot-snmp-default-community": 1, "iot-snmp-v1-v2c": 1}, tools=["snmpd", "snmp"],
             setup=["snmpd.conf=rocommunity public\nrocommunity n0c-m0nitor\nsysDescr Linux ipcam\n"]),
    Scenario("snmpget-site-community", "net-snmp snmpget -v2c with the site community",
             ["192.168.200.10/24"], ["10.1.1.50/8"],
             servers=["snmpd -f -Lo -C -c {tmp}/snmpd.conf udp:192.168.200.10:161"],
             clients=["sleep 1", "snmpget -v2c -c n0c-m0nitor 192.168.200.10 1.3.6.1.2.1.1.1.0"],
             expect={"iot-snmp-v1-v2c": 1}, tools=["snmpd", "snmp"],
             setup=["snmpd.conf=rocommunity public\nrocommunity n0c-m0nitor\nsysDescr Linux ipcam\n"]),
    Scenario("dig-public-resolver", "dig from a device to an outside resolver (dnsmasq), 20 names",
             ["198.51.100.20/24"], ["192.168.200.10/24"],
             servers=["dnsmasq -d -k --no-resolv --no-hosts -i veth-s --bind-interfaces --address=/vendor.example/192.0.2.10"],
             clients=["sleep 1"] + [f"dig +tries=1 +time=1 @198.51.100.20 h{i}.vendor.example A" for i in range(20)],
             expect={"iot-dns-unsanctioned-resolver": 1}, tools=["dnsmasq-base", "bind9-dnsutils"]),
    Scenario("dig-sanctioned-resolver", "dig from a device to the sanctioned resolver 10.0.0.53",
             ["10.0.0.53/8"], ["192.168.200.10/24"],
             servers=["dnsmasq -d -k --no-resolv --no-hosts -i veth-s --bind-interfaces --address=/vendor.example/192.0.2.10"],
             clients=["sleep 1", "dig +tries=1 +time=1 @10.0.0.53 time.vendor.example A"],
             expect={}, tools=["dnsmasq-base", "bind9-dnsutils"]),
    Scenario("curl-admin-page", "curl of a device's /admin/ page and its stylesheet from a workstation (busybox httpd)",
             ["192.168.200.10/24"], ["10.1.1.50/8"],
             servers=["busybox httpd -f -p 192.168.200.10:80 -h {tmp}/www"],
             clients=["sleep 3", "curl -s -o /dev/null http://192.168.200.10/admin/",
                      "curl -s -o /dev/null http://192.168.200.10/admin/style.css"],
             expect={"iot-http-admin-plaintext": 1}, tools=["curl", "busybox"],
             setup=["www/admin/index.html=<html>admin</html>\n", "www/admin/style.css=body{}\n"]),
    Scenario("curl-static-and-api", "curl of a login page's CSS/PNG/JS and /api/config (no admin page)",
             ["192.168.200.10/24"], ["10.1.1.50/8"],
             servers=["busybox httpd -f -p 192.168.200.10:80 -h {tmp}/www"],
             clients=["sleep 3"] + [f"curl -s -o /dev/null http://192.168.200.10/{p}" for p in
                                    ("login/style.css", "login/logo.png", "admin/app.js", "api/config")],
             expect={}, tools=["curl", "busybox"],
             setup=["www/login/style.css=body{}\n", "www/login/logo.png=PNG\n", "www/admin/app.js=1;\n",
                    "www/api/config={}\n"]),
    Scenario("curl-admin-from-mgmt", "curl of /admin/ from the management net",
             ["192.168.200.10/24"], ["10.10.0.5/8"],
             servers=["busybox httpd -f -p 192.168.200.10:80 -h {tmp}/www"],
             clients=["sleep 3", "curl -s -o /dev/null http://192.168.200.10/admin/"],
             expect={}, tools=["curl", "busybox"], setup=["www/admin/index.html=<html>admin</html>\n"]),
    Scenario("ftp-anonymous", "curl anonymous FTP listing of a camera's vsftpd",
             ["192.168.200.10/24"], ["10.1.1.50/8"],
             servers=["vsftpd {tmp}/vsftpd.conf"],
             clients=["sleep 3", "curl -s --max-time 5 ftp://192.168.200.10/"],
             expect={"iot-ftp-session": 1, "iot-ftp-default-credentials": 1}, tools=["vsftpd", "curl"],
             setup=["vsftpd.conf=listen=YES\nlisten_address=192.168.200.10\nanonymous_enable=YES\nlocal_enable=NO\n"
                    "anon_root={tmp}/ftproot\nsecure_chroot_dir={tmp}/empty\nbackground=NO\nseccomp_sandbox=NO\n"
                    "run_as_launching_user=NO\nnopriv_user=nobody\n", "ftproot/readme.txt=x\n", "empty/.keep=\n"]),
    Scenario("ftp-bruteforce", "20 curl FTP logins with wrong passwords (a brute force)",
             ["192.168.200.10/24"], ["10.1.1.50/8"],
             servers=["vsftpd {tmp}/vsftpd.conf"],
             clients=["sleep 1"] + [f"curl -s --max-time 3 -u admin:guess{i} ftp://192.168.200.10/" for i in range(20)],
             expect={"iot-ftp-session": 1, "iot-ftp-default-credentials": 1, "iot-ftp-login-bruteforce": 1},
             tools=["vsftpd", "curl"],
             setup=["vsftpd.conf=listen=YES\nlisten_address=192.168.200.10\nanonymous_enable=NO\nlocal_enable=YES\n"
                    "secure_chroot_dir={tmp}/empty\nbackground=NO\nseccomp_sandbox=NO\ndelay_failed_login=0\n"
                    "max_login_fails=1\n", "empty/.keep=\n"]),
    Scenario("mqtt-credentials", "mosquitto_pub with a user name and password to a device-side broker",
             ["192.168.200.2/24"], ["192.168.200.10/24"],
             servers=["mosquitto -c {tmp}/mosquitto.conf"],
             clients=["sleep 1", "mosquitto_pub -h 192.168.200.2 -u admin -P admin -t sensors/t -m 21.5"],
             expect={}, tools=["mosquitto", "mosquitto-clients"],
             setup=["mosquitto.conf=listener 1883 192.168.200.2\nallow_anonymous true\n"]),
]

SCENARIOS += scan_scenarios(Scenario)


def sh(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def netns(ns: str, cmd: str) -> list[str]:
    return ["ip", "netns", "exec", ns, "timeout", "60", "sh", "-c", cmd]


def version(pkg: str) -> str:
    r = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg], capture_output=True, text=True)
    return r.stdout or "not installed"


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
            procs.append(subprocess.Popen(netns(server, cmd.replace("{tmp}", str(tmp))), stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL))
        for cmd in sc.clients:
            r = subprocess.run(netns(client, cmd.replace("{tmp}", str(tmp))), capture_output=True, text=True)
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
            "bytes": pcap.stat().st_size}


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
