#!/bin/sh
# Boot "engine": installed like the first boot of main (a fresh disk of its own),
# plus a drop-in with [Engine] Create=yes whose Docker network nobody makes:
# flatnetd must create it once docker.service is up on this first boot.
set -eu
/usr/local/lib/flatnet-vm/stage-main.sh "$@"
cat >/etc/flatnet.d/70-boot250.conf <<'CONF'
[Network]
Name=boot250
Parent=lan0
VLAN=250
Subnet=192.168.250.0/24
Gateway=192.168.250.1
IPRange=192.168.250.192/27

[Shim]
Address=192.168.250.192/32

[Engine]
Create=yes
CONF
