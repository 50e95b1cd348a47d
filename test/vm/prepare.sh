#!/bin/sh
# Prepares what the VM tier boots, from Debian packages only, cached under
# test/vm/.cache/ (git-ignored). Idempotent: a second run only checks.
#
#   kernel/root/          linux-image-<abi>-amd64 extracted (vmlinuz, lib/modules + depmod)
#   initramfs.cpio.gz     busybox-static + the modules below + init.sh as /init
#   busybox-image.tar     a one-binary rootfs for `docker import` (no image can be pulled here)
#   vm.env                what scripts/vm-boot.sh needs (paths, kernel version)
#
# Exit 0: ready. Exit 77: something cannot be had on this machine (no network
# to download the kernel, qemu missing, ...); the reason is the last line of
# stderr and the VM tests skip with it. Any other exit: a defect here.

set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${FLATNET_VM_CACHE:-$HERE/.cache}
mkdir -p "$CACHE"

unavailable() { echo "vm-prepare: unavailable: $*" >&2; exit 77; }
say() { echo "vm-prepare: $*" >&2; }

# --- tools (Debian packages in parentheses) --------------------------------
need() { command -v "$1" >/dev/null 2>&1 || unavailable "$1 not installed (apt-get install $2)"; }
need qemu-system-x86_64 qemu-system-x86
need cpio cpio
need modprobe kmod
need depmod kmod
need dpkg-deb dpkg
need apt-get apt
need mkfs.ext4 e2fsprogs
BUSYBOX=${FLATNET_VM_BUSYBOX:-/bin/busybox}
[ -x "$BUSYBOX" ] || unavailable "$BUSYBOX missing (apt-get install busybox-static)"
# The initramfs has no libc: busybox must be the static build.
if command -v ldd >/dev/null 2>&1 && ldd "$BUSYBOX" >/dev/null 2>&1; then
  unavailable "$BUSYBOX is dynamically linked (apt-get install busybox-static)"
fi

# --- the kernel --------------------------------------------------------------
KDIR=$CACHE/kernel
if [ ! -f "$KDIR/.done" ]; then
  rm -rf "$KDIR" && mkdir -p "$KDIR/debs"
  say "downloading linux-image-amd64 (apt-get download)"
  ( cd "$KDIR/debs" && apt-get download linux-image-amd64 ) >"$KDIR/apt.log" 2>&1 ||
    unavailable "apt-get download linux-image-amd64 failed: $(grep -E '^(E|Err):' "$KDIR/apt.log" | head -2 | tr '\n' ' ')(run apt-get update; needs Debian's archive)"
  META=$(ls "$KDIR"/debs/linux-image-amd64_*.deb)
  # "linux-image-6.1.0-56-amd64 (= 6.1.192-2)": the versioned image, pinned.
  DEP=$(dpkg-deb -f "$META" Depends | cut -d, -f1 | cut -d'|' -f1)
  PKG=$(echo "$DEP" | awk '{print $1}')
  VER=$(echo "$DEP" | sed -n 's/.*(= *\([^)]*\)).*/\1/p')
  say "downloading $PKG${VER:+=$VER}"
  ( cd "$KDIR/debs" && apt-get download "$PKG${VER:+=$VER}" ) >>"$KDIR/apt.log" 2>&1 ||
    unavailable "apt-get download $PKG failed: $(grep -E '^(E|Err):' "$KDIR/apt.log" | head -2 | tr '\n' ' ')"
  mkdir -p "$KDIR/root"
  dpkg-deb -x "$(ls "$KDIR"/debs/"$PKG"_*.deb)" "$KDIR/root"
  KVER=$(ls "$KDIR/root/lib/modules" | head -1)
  [ -n "$KVER" ] && [ -f "$KDIR/root/boot/vmlinuz-$KVER" ] || { echo "vm-prepare: $PKG has no vmlinuz/lib/modules" >&2; exit 1; }
  # The package's postinst would run depmod; modprobe -D and the guest's kmod need modules.dep.
  depmod -b "$KDIR/root" "$KVER"
  echo "$PKG $VER $KVER" >"$KDIR/.done"
  rm -rf "$KDIR/debs"
fi
KVER=$(awk '{print $3}' "$KDIR/.done")
MODROOT=$KDIR/root/lib/modules/$KVER

# --- the initramfs -----------------------------------------------------------
# Load order comes from modprobe -D against the extracted tree (dependencies
# first), so nothing below names a .ko path. virtio/9p/overlay to reach the
# host's userland, virtio_blk/ext4 for the disk that carries state between
# boots, and the link kinds the host kernel lacks (8021q, ipvlan, dummy).
MODULES="virtio_pci virtio_net 9pnet_virtio 9p overlay virtio_blk ext4 virtio_rng 8021q ipvlan dummy macvlan veth"

IRD=$CACHE/initramfs.cpio.gz
STAMP=$(cat "$HERE/prepare.sh" "$HERE/init.sh" "$BUSYBOX" | cksum | awk '{print $1}')-$KVER
if [ ! -f "$IRD" ] || [ "$(cat "$CACHE/initramfs.stamp" 2>/dev/null)" != "$STAMP" ]; then
  say "building initramfs for $KVER"
  T=$CACHE/initramfs.tmp
  rm -rf "$T" && mkdir -p "$T/bin" "$T/dev" "$T/proc" "$T/sys" "$T/newroot" "$T/lib/modules"
  cp "$BUSYBOX" "$T/bin/busybox"
  : >"$T/modules.list"
  for m in $MODULES; do
    modprobe -d "$KDIR/root" -S "$KVER" -D "$m" >"$T/dep.tmp" 2>&1 ||
      { echo "vm-prepare: modprobe -D $m: $(cat "$T/dep.tmp")" >&2; exit 1; }
    # "insmod /path/x.ko [options]" lines; "builtin x" needs nothing.
    while read -r verb path opts; do
      [ "$verb" = insmod ] || continue
      base=$(basename "$path"); name=${base%%.ko*}
      grep -qx "$name.ko${opts:+ $opts}" "$T/modules.list" && continue
      case "$base" in
        *.ko.xz) xz -dc "$path" >"$T/lib/modules/$name.ko" ;;
        *.ko.zst) zstd -qdc "$path" >"$T/lib/modules/$name.ko" ;;
        *.ko.gz) gzip -dc "$path" >"$T/lib/modules/$name.ko" ;;
        *) cp "$path" "$T/lib/modules/$name.ko" ;;
      esac
      echo "$name.ko${opts:+ $opts}" >>"$T/modules.list"
    done <"$T/dep.tmp"
  done
  rm -f "$T/dep.tmp"
  cp "$HERE/init.sh" "$T/init" && chmod 755 "$T/init"
  ( cd "$T" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1 ) >"$IRD.tmp"
  mv "$IRD.tmp" "$IRD"
  rm -rf "$T"
  echo "$STAMP" >"$CACHE/initramfs.stamp"
fi

# --- a container image without a registry ------------------------------------
IMG=$CACHE/busybox-image.tar
if [ ! -f "$IMG" ]; then
  say "building busybox-image.tar"
  T=$CACHE/image.tmp
  rm -rf "$T" && mkdir -p "$T/bin" "$T/etc" "$T/tmp" "$T/proc" "$T/sys" "$T/dev"
  cp "$BUSYBOX" "$T/bin/busybox"
  for a in sh ash ping ip ifconfig sleep cat echo ls hostname httpd nc wget route arp true; do
    ln -s busybox "$T/bin/$a"
  done
  echo 'root:x:0:0:root:/:/bin/sh' >"$T/etc/passwd"
  tar --numeric-owner --owner=0 --group=0 -C "$T" -cf "$IMG.tmp" .
  mv "$IMG.tmp" "$IMG"
  rm -rf "$T"
fi

cat >"$CACHE/vm.env.tmp" <<EOF
KVER=$KVER
KERNEL=$KDIR/root/boot/vmlinuz-$KVER
INITRD=$IRD
MODULES=$KDIR/root/lib/modules
IMAGE_TAR=$IMG
KERNEL_PKG=$(awk '{print $1 "=" $2}' "$KDIR/.done")
EOF
mv "$CACHE/vm.env.tmp" "$CACHE/vm.env"
say "ready: $KVER"
