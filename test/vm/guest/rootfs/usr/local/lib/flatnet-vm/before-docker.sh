#!/bin/sh
# docker.service ExecStartPre (VM tier): a snapshot of links, addresses and
# routes and of flatnetd's unit state, taken as docker.service starts. Never fails.
. /etc/flatnet-vm.env
mkdir -p /var/lib/flatnet-vm
f=/var/lib/flatnet-vm/before-docker.$BOOT.json
{
  printf '{"uptime":%s,' "$(cut -d' ' -f1 /proc/uptime)"
  printf '"flatnetd":"%s",' "$(systemctl show -p ActiveState --value flatnetd.service)"
  printf '"flatnetdActiveEnter":%s,' "$(systemctl show -p ActiveEnterTimestampMonotonic --value flatnetd.service)"
  printf '"links":'; ip -json -details link show
  printf ',"addrs":'; ip -json addr show
  printf ',"routes":'; ip -json route show table main
  printf '}\n'
} >"$f.tmp" 2>"$f.err" && mv "$f.tmp" "$f"
exit 0
