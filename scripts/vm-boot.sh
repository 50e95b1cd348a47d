#!/bin/sh
# Boots one VM of the VM tier (test/vm/): Debian's kernel under qemu, the
# host's userland over 9p with an overlay, systemd as PID 1. The guest runs
# the checks of boot NAME and writes RESULTS/NAME.jsonl, then powers off.
# The serial console goes to stdout. test/vm/run.ts drives this; it also
# works by hand:
#
#   sh test/vm/prepare.sh && scripts/vm-boot.sh --boot smoke --results /tmp/r --new-disk /tmp/r/disk.img
#
# Options:
#   --boot NAME          which checks the guest runs (flatnet.boot= on the kernel command line)
#   --results DIR        writable 9p share the guest reports into (created)
#   --disk IMG           a raw ext4 image as the overlay's upper dir (state kept between boots)
#   --new-disk IMG       the same, created empty first
#   --mask "UNIT ..."    more units to mask in the guest
#   --keep "UNIT ..."    units the host image enables that this boot keeps (not masked)
#   --install HOW        how the first boot installs flatnetd: deb:/path/to/flatnetd.deb or tree
#                        (default: the newest dist/deb/flatnetd_*.deb, else the built tree)
# Environment: FLATNET_VM_ACCEL=tcg (default) | kvm; FLATNET_VM_SMP (2); FLATNET_VM_MEM (MiB, 2048);
#   FLATNET_VM_CMDLINE (extra kernel arguments).

set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
CACHE=${FLATNET_VM_CACHE:-$REPO/test/vm/.cache}
BOOT= RESULTS= DISK= NEWDISK= MASK_EXTRA= KEEP_EXTRA= INSTALL=

while [ $# -gt 0 ]; do
  case "$1" in
    --boot) BOOT=$2; shift 2 ;;
    --results) RESULTS=$2; shift 2 ;;
    --disk) DISK=$2; shift 2 ;;
    --new-disk) DISK=$2; NEWDISK=1; shift 2 ;;
    --mask) MASK_EXTRA="$MASK_EXTRA $2"; shift 2 ;;
    --keep) KEEP_EXTRA="$KEEP_EXTRA $2"; shift 2 ;;
    --install) INSTALL=$2; shift 2 ;;
    *) echo "vm-boot: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$BOOT" ] && [ -n "$RESULTS" ] || { echo "vm-boot: --boot and --results are required" >&2; exit 2; }
[ -f "$CACHE/vm.env" ] || { echo "vm-boot: $CACHE/vm.env missing: run test/vm/prepare.sh" >&2; exit 2; }
. "$CACHE/vm.env"

mkdir -p "$RESULTS"
if [ -n "$NEWDISK" ]; then
  rm -f "$DISK"
  truncate -s 4G "$DISK"
  # Initialised on the host: ext4's lazy init would otherwise burn emulated CPU in the guest.
  mkfs.ext4 -q -F -L flatnet-vm -E lazy_itable_init=0,lazy_journal_init=0 "$DISK"
fi

# Everything the host image enables that a test does not need is masked, so
# the guest boots only what the scenarios use (plus what systemd itself needs).
KEEP=" docker.service docker.socket containerd.service podman-restart.service $KEEP_EXTRA "
MASK=""
for l in /etc/systemd/system/*.wants/*; do
  [ -e "$l" ] || [ -L "$l" ] || continue
  u=${l##*/}
  case "$KEEP" in *" $u "*) continue ;; esac
  case " $MASK " in *" $u "*) continue ;; esac
  MASK="$MASK $u"
done
# Vendor units that only cost time in a throwaway VM.
MASK="$MASK systemd-firstboot.service systemd-binfmt.service proc-sys-fs-binfmt_misc.automount"
MASK="$MASK systemd-random-seed.service systemd-pstore.service systemd-timesyncd.service apparmor.service"
MASK="$MASK getty.target getty@tty1.service serial-getty@ttyS0.service systemd-ask-password-wall.path"
MASK="$MASK systemd-update-utmp.service systemd-update-utmp-runlevel.service systemd-journal-catalog-update.service"
MASK="$MASK apt-daily.timer apt-daily-upgrade.timer man-db.timer dpkg-db-backup.timer e2scrub_all.timer fstrim.timer"
MASK="$MASK logrotate.timer $MASK_EXTRA"
MASKARGS=""
for u in $MASK; do MASKARGS="$MASKARGS systemd.mask=$u"; done

APPEND="console=ttyS0 panic=-1 apparmor=0 mitigations=off loglevel=4 systemd.show_status=1"
# The guest sees the checkout at a fixed path outside /tmp, /home and /root:
# the unit's PrivateTmp= and ProtectHome= would hide a CI clone living there.
GUEST_REPO=/srv/flatnet-src
case "$CACHE" in "$REPO"/*) GUEST_CACHE="$GUEST_REPO${CACHE#"$REPO"}" ;; *) GUEST_CACHE=$CACHE ;; esac
APPEND="$APPEND flatnet.boot=$BOOT flatnet.repo=$GUEST_REPO flatnet.hostrepo=$REPO flatnet.cache=$GUEST_CACHE${INSTALL:+ flatnet.install=$INSTALL} systemd.unit=multi-user.target$MASKARGS ${FLATNET_VM_CMDLINE:-}"

case "${FLATNET_VM_ACCEL:-tcg}" in
  kvm) ACCEL="-accel kvm -cpu host" ;;
  tcg) ACCEL="-accel tcg,thread=multi -cpu max" ;;
  *) echo "vm-boot: FLATNET_VM_ACCEL must be tcg or kvm" >&2; exit 2 ;;
esac

V9="security_model=none,multidevs=remap"
set -- -nodefaults -no-reboot -display none -monitor none -serial stdio \
  $ACCEL -smp "${FLATNET_VM_SMP:-2}" -m "${FLATNET_VM_MEM:-2048}" \
  -kernel "$KERNEL" -initrd "$INITRD" -append "$APPEND" \
  -device virtio-rng-pci \
  -virtfs "local,path=/,mount_tag=hostroot,$V9,readonly=on" \
  -virtfs "local,path=$MODULES,mount_tag=modules,$V9,readonly=on" \
  -virtfs "local,path=$REPO/test/vm/guest,mount_tag=guest,$V9,readonly=on" \
  -virtfs "local,path=$RESULTS,mount_tag=results,$V9"
if [ -n "$DISK" ]; then
  set -- "$@" -drive "file=$DISK,if=virtio,format=raw,cache=unsafe,discard=unmap"
fi
exec qemu-system-x86_64 "$@"
