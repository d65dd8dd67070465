#!/bin/sh
# Installs Suricata 7 when it is missing. Debian bookworm: from bookworm-backports
# (bookworm's own 6.0 lacks the MQTT/ENIP keywords the rules use), with suricata-update for the pack test.
set -eu
if command -v suricata-update >/dev/null 2>&1 && suricata -V 2>/dev/null | grep -q 'version [78]\.'; then
    suricata -V; exit 0
fi
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
. /etc/os-release 2>/dev/null || true
case "${ID:-unknown}:${VERSION_CODENAME:-}" in
  debian:bookworm)
    if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
        echo "deb http://deb.debian.org/debian bookworm-backports main" | $SUDO tee /etc/apt/sources.list.d/bookworm-backports.list >/dev/null
    fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq -t bookworm-backports suricata suricata-update >/dev/null ;;
  ubuntu:*)
    echo "Ubuntu: install Suricata 7 from the OISF PPA:" >&2
    echo "  sudo add-apt-repository ppa:oisf/suricata-stable && sudo apt-get install suricata" >&2
    exit 1 ;;
  *)
    echo "Cannot install Suricata 7 automatically on ${PRETTY_NAME:-this system}." >&2
    echo "Install Suricata 7 yourself, or run the tests with the container engine:" >&2
    echo "  iotdetect test --engine container   (needs docker or podman)" >&2
    exit 1 ;;
esac
suricata -V
