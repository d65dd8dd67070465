"""What one capture-lab scenario is: its addresses, the servers and clients it runs, what its cases expect.

Commands are shell lines run inside a namespace; `{tmp}` is the scenario's scratch folder, `{py}` the
lab's Python (captures/.venv, made by install-lab-deps.sh), `{clients}` the folder of the lab's own
client and server scripts (captures/clients/)."""
from __future__ import annotations

from dataclasses import dataclass, field


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
    capture_filter: str = "not arp and not icmp6 and not ip6 multicast"   # tcpdump filter on the device side


def _nmap(flags: str, target: str = "192.168.200.10") -> str:
    return f"nmap -n -Pn {flags} --max-retries 0 -T4 {target}"
