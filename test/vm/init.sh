#!/bin/busybox sh
# /init of the VM tier's initramfs (busybox only). Builds the guest's root:
# the host's userland (9p "hostroot", read-only) under an overlay whose upper
# dir is on the virtio disk when there is one (state that survives to the next
# boot) or on tmpfs; the extracted kernel's lib/modules (9p "modules") on
# /lib/modules so udev/kmod in the guest load bridge/netfilter for Docker; the
# test files (9p "guest") copied into the overlay; the writable 9p "results"
# share on /flatnet-results. Then systemd becomes PID 1. The host's own files
# are never written: every write lands in the overlay.

/bin/busybox --install -s /bin
export PATH=/bin
mkdir -p /tmp
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
exec </dev/console >/dev/console 2>&1

BOOT=unknown
REPO=
HOSTREPO=
for w in $(cat /proc/cmdline); do
  case "$w" in
    flatnet.boot=*) BOOT=${w#flatnet.boot=} ;;
    flatnet.repo=*) REPO=${w#flatnet.repo=} ;;
    flatnet.hostrepo=*) HOSTREPO=${w#flatnet.hostrepo=} ;;
  esac
done

log() {
  up=; read -r up _ </proc/uptime 2>/dev/null || read -r up _ </newroot/proc/uptime
  echo "flatnet-vm-init: [$up] $*"
}
RESULTS=
die() {
  log "FATAL: $*"
  if [ -n "$RESULTS" ]; then
    printf '{"name":"guest init","ok":false,"detail":"%s"}\n{"done":true}\n' "$(echo "$*" | sed 's/["\\]/ /g; s/[^ -~]/ /g')" >>"$RESULTS/$BOOT.jsonl"
  fi
  sync
  poweroff -f
}

while read -r ko opts; do
  # shellcheck disable=SC2086 # opts are module parameters, one per word
  insmod "/lib/modules/$ko" $opts 2>/tmp/insmod.err || log "insmod $ko: $(cat /tmp/insmod.err)"
done </modules.list

P9="trans=virtio,version=9p2000.L,msize=512000"
mkdir -p /results /lower /rw /guest
mount -t 9p -o "$P9" results /results || die "mount 9p results failed"
RESULTS=/results
mount -t 9p -o "$P9,ro,cache=loose" hostroot /lower || die "mount 9p hostroot failed"
if [ -b /dev/vda ]; then
  mount -t ext4 /dev/vda /rw || die "mount /dev/vda (ext4) failed"
else
  mount -t tmpfs -o mode=755 tmpfs /rw || die "mount tmpfs failed"
fi
mkdir -p /rw/upper /rw/work /rw/docker /rw/containerd /rw/containers
mount -t overlay overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work /newroot ||
  die "mount overlay (9p lower) failed"

# The host may itself be a container: its /.dockerenv would make systemd
# believe it runs in one too, and then it ignores the kernel command line.
rm -f /newroot/.dockerenv /newroot/run/.containerenv /newroot/run/systemd/container

mkdir -p /newroot/lib/modules /newroot/flatnet-results /newroot/var/lib/docker /newroot/var/lib/containerd /newroot/var/lib/containers
mount -t 9p -o "$P9,ro,cache=loose" modules /newroot/lib/modules || die "mount 9p modules failed"
# Docker's overlay2 (and Podman's overlay) refuse an overlayfs backing dir; give them the ext4 (or tmpfs) itself.
# The host's /tmp is not the guest's (and tmpfiles' "D /tmp" would whiteout every file in it).
mkdir -p /newroot/tmp && mount -t tmpfs -o mode=1777 tmpfs /newroot/tmp
# The checkout, wherever it is on the host (a CI clone may be under /tmp,
# hidden here by that tmpfs and from the unit by PrivateTmp=), at one fixed path.
if [ -n "$REPO" ] && [ -n "$HOSTREPO" ]; then
  mkdir -p "/newroot$REPO" && mount --bind "/lower$HOSTREPO" "/newroot$REPO" || die "binding the checkout $HOSTREPO to $REPO in the guest failed"
fi
# Nor is its /run (stage.sh's dpkg and systemctl look there for a running systemd).
mount -t tmpfs -o mode=755,nosuid,nodev tmpfs /newroot/run
mount --bind /rw/docker /newroot/var/lib/docker
mount --bind /rw/containerd /newroot/var/lib/containerd
mount --bind /rw/containers /newroot/var/lib/containers
mount -t 9p -o "$P9,ro" guest /guest || die "mount 9p guest failed"
cp -a /guest/rootfs/. /newroot/ || die "copying the guest files into the overlay failed"
# The rest (drop-ins, configs) for stage-<boot>.sh to install where a test wants it.
rm -rf /newroot/usr/local/share/flatnet-vm && mkdir -p /newroot/usr/local/share/flatnet-vm
cp -a /guest/. /newroot/usr/local/share/flatnet-vm/ || die "copying the guest share failed"
umount /guest

mount --move /results /newroot/flatnet-results
RESULTS=/newroot/flatnet-results
mount --move /proc /newroot/proc
mount --move /sys /newroot/sys
mount --move /dev /newroot/dev

# Installs flatnetd, the test units and drop-ins with the host's own tools
# (dpkg, systemctl in offline mode), in the overlay.
STAGELOG=$RESULTS/$BOOT.stage.txt
chroot /newroot /usr/local/lib/flatnet-vm/stage.sh "$BOOT" >"$STAGELOG" 2>&1 ||
  die "stage.sh $BOOT failed: $(tail -c 600 "$STAGELOG" | tr '\n' ' ')"

log "switching root ($BOOT)"
exec switch_root /newroot /lib/systemd/systemd
