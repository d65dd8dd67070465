#!/bin/sh
# Packages of the capture lab (not needed by `make test`, which replays the committed pcaps):
# Debian packages, then the lab's own venv (captures/.venv, git-ignored) with the OT stacks from PyPI.
set -e
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 3; }
here=$(cd "$(dirname "$0")" && pwd)
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends tcpdump nmap iputils-ping \
  snmp snmpd dnsmasq-base bind9-dnsutils vsftpd curl busybox mosquitto mosquitto-clients iproute2 \
  inetutils-telnetd inetutils-telnet socat tftpd-hpa tftp-hpa libcoap3-bin openssh-server openssh-client ii openssl \
  python3-venv
# dnp3-python 0.3.0b1 (opendnp3 bindings) is the only build PyPI has for this platform; it is yanked
# upstream ("doesn't work properly") yet its master and outstation run: the lab works around its
# aborting command callback (captures/clients/dnp3_master.py).
[ -x "$here/.venv/bin/python" ] || python3 -m venv "$here/.venv"
"$here/.venv/bin/pip" install --quiet pymodbus==3.16.1 cpppo==5.2.5 pycomm3==1.2.16 dnp3-python==0.3.0b1
