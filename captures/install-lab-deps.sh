#!/bin/sh
# Debian packages of the capture lab (not needed by `make test`, which replays the committed pcaps).
set -e
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 3; }
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends tcpdump nmap iputils-ping \
  snmp snmpd dnsmasq-base bind9-dnsutils vsftpd curl busybox mosquitto mosquitto-clients iproute2 \
  inetutils-telnetd inetutils-telnet socat hydra tftpd-hpa tftp-hpa
