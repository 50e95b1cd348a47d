#!/bin/sh
# Runs in the initramfs, chrooted into the guest's overlay root (the host's
# own userland, writes land in the overlay), before systemd starts: it is
# where units get enabled, so they are part of the boot transaction.
set -eu
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
BOOT=$1
REPO=
for w in $(cat /proc/cmdline); do
  case "$w" in flatnet.repo=*) REPO=${w#flatnet.repo=} ;; esac
done
mkdir -p /var/lib/flatnet-vm
printf 'BOOT=%s\nREPO=%s\n' "$BOOT" "$REPO" >/etc/flatnet-vm.env
systemctl enable flatnet-vm-run.service >/dev/null 2>&1 ||
  ln -sf /etc/systemd/system/flatnet-vm-run.service /etc/systemd/system/multi-user.target.wants/flatnet-vm-run.service
case "$BOOT" in
  smoke) ;;
  *) [ -x "/usr/local/lib/flatnet-vm/stage-$BOOT.sh" ] && "/usr/local/lib/flatnet-vm/stage-$BOOT.sh" "$REPO" ;;
esac
