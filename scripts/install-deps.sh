#!/usr/bin/env bash
# Everything flatnetd's build and tests need from Debian's archive (run as root).
# libsystemd-dev: the sd-notify addon links libsystemd.  iproute2: the kernel
# backend.  dbus, systemd: a private dbus-daemon, busctl, systemd-analyze.
# python3: the tests' NOTIFY_SOCKET reader.  The rest: packaging and VM tiers.
set -euo pipefail
PKGS=(
  build-essential python3 libsystemd-dev iproute2 iputils-ping dbus dbus-daemon dbus-bin systemd udev man-db procps util-linux bsdutils
  pandoc debhelper lintian dpkg-dev fakeroot nix-bin
  qemu-system-x86 cpio busybox-static kmod
)
missing=()
for p in "${PKGS[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
if ((${#missing[@]})); then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
