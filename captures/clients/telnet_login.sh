#!/bin/sh
# The login program busybox telnetd runs for the capture lab's "camera" (`telnetd -l`): a BusyBox-style
# prompt, three tries per connection, "Login incorrect" after a wrong pair, then a tiny shell.
# Accepted pairs: root/xc3511 (the Mirai-listed factory default) and admin/Site-Str0ng-7.
printf 'ipcam login: '
tries=0
while [ $tries -lt 3 ]; do
  read -r user || exit 0
  printf 'Password: '
  stty -echo 2>/dev/null; read -r pass; stty echo 2>/dev/null
  printf '\r\n'
  user=$(printf %s "$user" | tr -d '\r'); pass=$(printf %s "$pass" | tr -d '\r')
  if { [ "$user" = root ] && [ "$pass" = xc3511 ]; } || { [ "$user" = admin ] && [ "$pass" = Site-Str0ng-7 ]; }; then
    printf '\r\nBusyBox v1.35.0 built-in shell (ash)\r\n# '
    while read -r cmd; do
      case "$cmd" in exit*) exit 0 ;; *) printf '%s: not found\r\n# ' "$(printf %s "$cmd" | tr -d '\r')" ;; esac
    done
    exit 0
  fi
  sleep 1
  printf 'Login incorrect\r\nipcam login: '
  tries=$((tries + 1))
done
