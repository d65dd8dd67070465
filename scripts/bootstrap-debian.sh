#!/bin/sh
# System packages iotdetect needs on Debian/Ubuntu; each is installed only when missing.
set -eu
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
missing=""
python3 -c "import venv, ensurepip" 2>/dev/null || missing="$missing python3-venv"
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
command -v openssl >/dev/null 2>&1 || missing="$missing openssl"
[ -e /usr/lib/x86_64-linux-gnu/libmagic.so.1 ] || [ -e /usr/lib/aarch64-linux-gnu/libmagic.so.1 ] || missing="$missing libmagic1"
if [ -n "$missing" ]; then
    if command -v apt-get >/dev/null 2>&1; then
        echo "installing:$missing"
        $SUDO apt-get update -qq
        # shellcheck disable=SC2086
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
    else
        echo "please install:$missing" >&2; exit 1
    fi
fi
exec "$(dirname "$0")/install-suricata.sh"
