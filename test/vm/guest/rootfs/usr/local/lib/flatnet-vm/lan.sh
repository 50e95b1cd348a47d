#!/bin/sh
# See flatnet-vm-lan.service. The host (this namespace) gets lan0..lan2 with
# its own LAN addresses, as DHCP would give them; the router namespace holds
# the other ends, the gateways, and VLAN 200 on lan0's wire.
set -eu
R=fnt-vm-lan
ip netns del $R 2>/dev/null || true
ip netns add $R
ip -n $R link set lo up
i=0
for net in 192.168.88 10.20.0 10.30.0; do
  ip link add lan$i type veth peer name lan$i-peer netns $R
  ip addr add $net.10/24 dev lan$i
  ip link set lan$i up
  ip -n $R addr add $net.1/24 dev lan$i-peer
  ip -n $R link set lan$i-peer up
  i=$((i + 1))
done
ip -n $R link add link lan0-peer name lan0-peer.200 type vlan id 200
ip -n $R addr add 192.168.200.1/24 dev lan0-peer.200
ip -n $R link set lan0-peer.200 up
