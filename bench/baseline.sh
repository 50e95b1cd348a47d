#!/bin/sh
# What users do today (the README's hand-made recipe), as the benchmark's baseline: one
# `ip` command per step, for networks 1..N.
#
#   create the parent   ip link add vpP type veth peer name vqP; set both up
#                       (a veth stands in for the 802.1Q parent `enp3s0.200`:
#                       this kernel has no 8021q)
#   create the shim     ip link add shimI link vpP type macvlan mode bridge
#   add its address     ip addr add 10.H.L.192/32 dev shimI
#   set it up           ip link set shimI up
#   add the route       ip route add 10.H.L.192/27 dev shimI
#
# Network I (1-based) uses subnet 10.H.L.0/24 with H = I/256 + 1, L = I%256,
# and parent P = (I-1)/PER_PARENT + 1: the same layout as bench/lib/topology.ts,
# so the bench checks both with one checker.
#
# Usage (only inside the named network namespace NS, never in the host's own):
#   ip netns exec NS sh bench/baseline.sh --netns NS [--parents create|existing]
#                                         [--per-parent K] [--first I] N
# --parents existing: the parents are already there (what flatnetd is given in
#   the bench, since it cannot create a veth), so only the shim steps run.
# --first I: start at network I (e.g. to time one shim alone).
set -eu

netns=
parents=create
per_parent=1
first=1
while [ $# -gt 1 ]; do
	case "$1" in
	--netns) netns="$2"; shift 2 ;;
	--parents) parents="$2"; shift 2 ;;
	--per-parent) per_parent="$2"; shift 2 ;;
	--first) first="$2"; shift 2 ;;
	*) echo "baseline.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
if [ $# -ne 1 ]; then
	echo "usage: baseline.sh --netns NS [--parents create|existing] [--per-parent K] [--first I] N" >&2
	exit 2
fi
last="$1"
case "$parents" in create|existing) ;; *) echo "baseline.sh: --parents $parents: must be create or existing" >&2; exit 2 ;; esac

# The host's own namespace is never ours to change. Fail closed: run only when
# this process is provably inside the namespace named by --netns (`test -ef`
# compares the namespace inodes without spawning anything, so the timing
# stays the recipe's).
if [ -z "$netns" ] || ! [ /proc/self/ns/net -ef "/run/netns/$netns" ]; then
	echo "baseline.sh: not inside network namespace '${netns}'; run it as: ip netns exec NS sh $0 --netns NS N" >&2
	exit 2
fi

i="$first"
while [ "$i" -le "$last" ]; do
	p=$(( (i - 1) / per_parent + 1 ))
	h=$(( i / 256 + 1 ))
	l=$(( i % 256 ))
	if [ "$parents" = create ] && [ $(( (i - 1) % per_parent )) -eq 0 ]; then
		ip link add "vp$p" type veth peer name "vq$p"
		ip link set "vq$p" up
		ip link set "vp$p" up
	fi
	ip link add "shim$i" link "vp$p" type macvlan mode bridge
	ip addr add "10.$h.$l.192/32" dev "shim$i"
	ip link set "shim$i" up
	ip route add "10.$h.$l.192/27" dev "shim$i"
	i=$(( i + 1 ))
done
