#!/usr/bin/env bash
# Everything flatnetd's build and tests need from Debian's archive (run as root).
# build-essential: node-gyp builds native/notify.  iproute2: the kernel
# backend.  dbus, systemd: a private dbus-daemon, busctl, systemd-analyze.
# radvd: an IPv6 router in the namespace tests' router namespace (never started on the host).
# python3: the tests' NOTIFY_SOCKET reader.  strace: the reliability tier's
# sandbox proof.  pandoc, debhelper, lintian, nix-bin: the packaging tier.
# iputils-arping: the gratuitous ARP after a shim's MAC changes (src/kernel/announce.ts),
# the ARP probe before a shim's address is used and flatnetctl probe (src/lan/).
# containernetworking-plugins: the real CNI macvlan/ipvlan/host-local plugins
# the namespace tier drives as a runtime does.
# polkitd: test/dbus/polkit.test.ts runs it against a private bus, in a mount
# namespace of its own (the host's polkit is never used).
# cockpit-ws, cockpit-bridge, cockpit-system (the shell), chromium: test/cockpit/ serves the Cockpit page
# from a real Cockpit (a local session in a namespace) to headless Chromium.
#
# --demo: only what `npm ci` and `npm run demo` need (the addon's build, ip,
# ping and a private dbus-daemon), not the test tiers' tools, qemu or Docker.
set -euo pipefail
if [ "$(id -u)" != 0 ]; then
  echo "install-deps: run as root (apt-get install): sudo $0 $*, or as root: $0 $*" >&2
  exit 1
fi
DEMO=(build-essential python3 iproute2 iputils-ping dbus-daemon dbus-bin)
CORE=(
  build-essential python3 iproute2 iputils-ping iputils-arping radvd dbus dbus-daemon dbus-bin systemd udev man-db
  procps util-linux bsdutils strace pandoc debhelper lintian dpkg-dev fakeroot nix-bin containernetworking-plugins polkitd
  cockpit-ws cockpit-bridge cockpit-system chromium
)
# The VM tier: qemu and what its guest runs. docker.io and podman (with
# netavark, its network backend) are only installed here for the guest to use
# (they are never started on this machine). Best effort: if
# one cannot be had, the VM tier skips and says why.
VM=(qemu-system-x86 cpio busybox-static kmod e2fsprogs docker.io containerd runc podman netavark aardvark-dns)

missing() {
  for p in "$@"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"; done
}
if [ "${1:-}" = --demo ]; then
  mapfile -t need < <(missing "${DEMO[@]}")
  if ((${#need[@]})); then
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}"
  fi
  exit 0
elif [ $# -gt 0 ]; then
  echo "usage: $0 [--demo]" >&2
  exit 2
fi
mapfile -t need < <(missing "${CORE[@]}" "${VM[@]}")
if ((${#need[@]})); then
  apt-get update -qq
  mapfile -t core < <(missing "${CORE[@]}")
  if ((${#core[@]})); then apt-get install -y -qq --no-install-recommends "${core[@]}"; fi
  mapfile -t vm < <(missing "${VM[@]}")
  if ((${#vm[@]})); then
    apt-get install -y -qq --no-install-recommends "${vm[@]}" ||
      echo "install-deps: could not install the VM tier's packages (${vm[*]}); the VM tier will skip" >&2
  fi
fi
