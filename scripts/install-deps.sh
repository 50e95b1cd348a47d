#!/usr/bin/env bash
# Everything flatnetd's build and tests need from Debian's archive (run as root).
# libsystemd-dev: the sd-notify addon links libsystemd.  iproute2: the kernel
# backend.  dbus, systemd: a private dbus-daemon, busctl, systemd-analyze.
# iputils-arping: ARP probes before a shim's address is used (the daemon runs it).
# radvd: an IPv6 router in the namespace tests' router namespace (never started on the host).
# python3: the tests' NOTIFY_SOCKET reader.  strace: the reliability tier's
# sandbox proof.  pandoc, debhelper, lintian, nix-bin: the packaging tier.
set -euo pipefail
CORE=(
  build-essential python3 libsystemd-dev iproute2 iputils-ping iputils-arping radvd dbus dbus-daemon dbus-bin systemd udev man-db
  procps util-linux bsdutils strace pandoc debhelper lintian dpkg-dev fakeroot nix-bin
)
# The VM tier: qemu and what its guest runs. docker.io is only installed here
# for the guest to use (it is never started on this machine). Best effort: if
# one cannot be had, the VM tier skips and says why.
VM=(qemu-system-x86 cpio busybox-static kmod e2fsprogs docker.io containerd runc)

missing() {
  for p in "$@"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"; done
}
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
