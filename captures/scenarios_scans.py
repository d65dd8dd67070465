"""Capture-lab scenarios for the stateless scan rules (tcp-fin/xmas/null/ack-scan, udp-port-scan(-ipv6),
icmp(-v6)-echo-sweep): real nmap and ping at the sizes and paces their alert budgets and windows are
about: a 1000-port scan (one alert), a paced scan, nmap -sU against a device that keeps Linux's ICMP
rate limit, and the IPv6 scans and sweeps. IPv6 scenarios use documentation addresses (2001:db8::/32,
outside every site plan's management net) and are replayed as captured: an IPv6-only rule's case
must stay IPv6 on every plan, which a role map would not guarantee.

`scan_scenarios(Scenario)` takes the lab's scenario class so this module imports nothing from lab.py."""
from __future__ import annotations

DEVICE, WORKSTATION = "192.168.200.10", "10.1.1.50"
DEVICE6, SCANNER6 = "2001:db8:200::10", "2001:db8:10::50"
# One on-link /32 for both IPv6 ends: no route needed inside the veth pair.
V6_PREFIX = 32
# ICMPv6 errors and echoes are the evidence; neighbour discovery, MLD and router chatter are not.
V6_FILTER = "not arp and not ip6 multicast and (not icmp6 or ip6[40] == 1 or ip6[40] == 128 or ip6[40] == 129)"


def _nmap(flags: str, target: str = DEVICE, retries: bool = False) -> str:
    return f"nmap -n -Pn {flags}{'' if retries else ' --max-retries 0'} -T4 {target}"


def scan_scenarios(Scenario) -> list:
    v4 = dict(server_addrs=[f"{DEVICE}/24"], client_addrs=[f"{WORKSTATION}/8"], tools=["nmap"])
    v6 = dict(server_addrs=[f"{DEVICE6}/{V6_PREFIX}"], client_addrs=[f"{SCANNER6}/{V6_PREFIX}"], capture_filter=V6_FILTER)
    sweep6 = [f"2001:db8:200::{i:x}" for i in range(1, 40)]
    return [
        Scenario("nmap-fin-scan-1000", "nmap -sF of 1000 ports (alert budget: one alert)",
                 clients=[_nmap("-sF -p1-1000")], expect={"tcp-fin-scan": 1}, **v4),
        Scenario("nmap-xmas-scan-paced", "nmap -sX of 11 ports, one probe every 4 s (--scan-delay)",
                 clients=[_nmap("-sX -p1-11 --scan-delay 4s")], expect={"tcp-xmas-scan": 1}, **v4),
        Scenario("nmap-ack-scan-1000", "nmap -sA of 1000 ports (alert budget: one alert)",
                 clients=[_nmap("-sA -p1-1000")], expect={"tcp-ack-scan": 1}, **v4),
        Scenario("nmap-connect-scan", "nmap -sT of 100 ports: full handshakes, RST/ACK answers",
                 clients=[_nmap("-sT -p1-100")], expect={"iot-vlan-unauthorized-access": 1}, **v4),
        Scenario("nmap-udp-scan-ratelimited", "nmap -sU of 30 ports with retries against Linux's default"
                 " ICMP rate limit (one port unreachable a second after a burst)",
                 clients=[_nmap("-sU -p1-30", retries=True)], expect={"udp-port-scan": 1}, **v4),
        Scenario("nmap6-udp-scan", "nmap -6 -sU of 19 UDP ports (ICMPv6 rate limit off in the device namespace)",
                 clients=["sleep 3", _nmap("-6 -sU -p1-19", DEVICE6)], expect={"udp-port-scan-ipv6": 1},
                 tools=["nmap"], server_sysctl=["net.ipv6.icmp.ratelimit=0"], **v6),
        Scenario("nmap6-ping-sweep", "nmap -6 -sn -PE --send-ip over 39 device addresses",
                 server_addrs=[f"{a}/{V6_PREFIX}" for a in sweep6], client_addrs=[f"{SCANNER6}/{V6_PREFIX}"],
                 clients=["sleep 3", "nmap -6 -n -sn -PE --send-ip " + " ".join(sweep6)],
                 expect={"icmpv6-echo-sweep": 1}, tools=["nmap"], capture_filter=V6_FILTER),
        Scenario("ping6-one-device", "ping -6 -c 30 of one device (a monitor's pattern: no sweep)",
                 clients=["sleep 3", f"ping -6 -n -c 30 -i 0.2 {DEVICE6}"], expect={},
                 tools=["iputils-ping"], **v6),
    ]
