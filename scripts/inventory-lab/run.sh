#!/bin/sh
# The inventory lab: a REAL nmap scan of fake IoT devices, for the importer fixtures in
# tests/fixtures/inventory/. Everything happens inside two network namespaces this script creates
# (iotlab-scan, iotlab-dev, joined by one veth pair; the devices are macvlans with fixed MACs):
# no packet leaves them. Every process runs under `timeout` and is stopped by its PID.
#   sudo scripts/inventory-lab/run.sh OUT.xml [variant]     (variant "drift": the changed network)
# Needs root, iproute2, nmap (apt-get install nmap) and python3. CI does not: the output is committed.
set -eu
out=$(realpath -m "$1"); variant=${2:-base}
here=$(dirname "$(realpath "$0")")
scan=iotlab-scan; dev=iotlab-dev
cleanup() {
  [ -n "${server_pid:-}" ] && kill "$server_pid" 2>/dev/null || true
  ip netns del "$scan" 2>/dev/null || true
  ip netns del "$dev" 2>/dev/null || true
}
trap cleanup EXIT
cleanup
ip netns add "$scan"; ip netns add "$dev"
ip link add lab0 netns "$scan" type veth peer name lab1 netns "$dev"
ip -n "$scan" link set lo up; ip -n "$dev" link set lo up
ip -n "$scan" link set lab0 address 02:00:00:00:00:01 up
ip -n "$scan" addr add 192.168.200.250/24 dev lab0
ip -n "$scan" addr add 192.168.210.250/24 dev lab0
ip -n "$dev" link set lab1 up
# Each device answers ARP only for its own address (Linux default: any interface answers for all).
ip netns exec "$dev" sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2
device() {   # name mac ip/len
  ip -n "$dev" link add "$1" link lab1 type macvlan mode bridge
  ip -n "$dev" link set "$1" address "$2" up
  ip -n "$dev" addr add "$3" dev "$1"
}
# base: an MQTT broker, two cameras, a sensor, an HVAC controller, a PLC.
# drift: cam-yard's MAC changed (board swap), the sensor's banner shows new firmware and it opened
# telnet, the HVAC controller is gone, an unknown device appeared at .66.
if [ "$variant" = drift ]; then yard_mac=02:1a:00:00:00:99; else yard_mac=02:1a:00:00:00:21; fi
device cam1 02:1a:00:00:00:20 192.168.200.20/24
device cam2 "$yard_mac" 192.168.200.21/24
device sens 02:1b:00:00:00:30 192.168.200.30/24
device brok 02:1e:00:00:00:02 192.168.200.2/24
[ "$variant" = drift ] || device hvac 02:1c:00:00:00:40 192.168.200.40/24
[ "$variant" = drift ] && device rogue 02:1f:00:00:00:66 192.168.200.66/24
ip -n "$dev" link add plc link lab1 type macvlan mode bridge
ip -n "$dev" link set plc address 02:1d:00:00:00:20 up
ip -n "$dev" addr add 192.168.210.20/24 dev plc
if [ "$variant" = drift ]; then sensor_fw="SensorOS 2.4.0"; else sensor_fw="SensorOS 2.3.1"; fi
set -- \
  "192.168.200.20,80,http,AXIS Q1615-LE Network Camera 10.12.165" \
  "192.168.200.20,554,rtsp,AXIS Media Control 10.12.165" \
  "192.168.200.21,80,http,AXIS Q1615-LE Network Camera 10.12.165" \
  "192.168.200.21,554,rtsp,AXIS Media Control 10.12.165" \
  "192.168.200.30,80,http,lighttpd/1.4.59 ($sensor_fw)" \
  "192.168.200.30,8883,banner,$sensor_fw MQTT-TLS bridge ready" \
  "192.168.200.2,1883,banner,mosquitto" \
  "192.168.210.20,502,modbus,PLC"
[ "$variant" = drift ] && set -- "$@" "192.168.200.30,23,banner,$sensor_fw login:" \
  "192.168.200.66,80,http,Hikvision-Webs" "192.168.200.66,8000,banner,Hikvision SDK"
[ "$variant" = drift ] || set -- "$@" "192.168.200.40,80,http,Niagara Web Server/4.10.1.36"
ip netns exec "$dev" timeout 300 python3 "$here/devices.py" "$@" &
server_pid=$!
sleep 1
# The guide's command (-p 1-65535 --open --script banner -T4) plus -sV for service/product names.
ip netns exec "$scan" timeout 240 nmap -n -sS -sV -p 1-65535 --open --script banner -T4 \
  -oX "$out" 192.168.200.1-70 192.168.210.20 >/dev/null
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=
echo "wrote $out"
