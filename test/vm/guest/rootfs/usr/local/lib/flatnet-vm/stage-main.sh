#!/bin/sh
# First boot of the disk: install flatnetd (its .deb when scripts/build-deb.sh
# made one, else the built tree, laid out as debian/flatnetd.install says),
# the test drop-ins, and enable what the boot-order scenario needs. Runs
# chrooted in the overlay before systemd starts; the next boot of the same disk
# (stage-reboot.sh) installs nothing.
set -eu
REPO=$1
SHARE=/usr/local/share/flatnet-vm
LOG=/var/lib/flatnet-vm/install.log
mkdir -p /var/lib/flatnet-vm
: >$LOG

# run.ts decides (flatnet.install=deb:PATH or tree: a .deb older than the
# sources would test old code); by hand the newest .deb wins.
how=
for w in $(cat /proc/cmdline); do
  case "$w" in flatnet.install=*) how=${w#flatnet.install=} ;; esac
done
case "$how" in
  deb:*) deb=${how#deb:} ;;
  tree) deb= ;;
  *) deb=$(ls -t "$REPO"/dist/deb/flatnetd_*.deb 2>/dev/null | head -1 || true) ;;
esac
if [ -n "$deb" ]; then
  # man-db's trigger would re-index every manual page over 9p under emulation
  # (minutes); Debian skips it when this file is absent.
  rm -f /var/lib/man-db/auto-update
  echo "dpkg -i $deb ($(cut -d' ' -f1 /proc/uptime) s)" >>$LOG
  dpkg -i "$deb" >>$LOG 2>&1 || { cat $LOG >&2; exit 1; }
  echo "dpkg done ($(cut -d' ' -f1 /proc/uptime) s)" >>$LOG
  echo "deb $deb" >/var/lib/flatnet-vm/installed-from
else
  manifest=$REPO/debian/flatnetd.install
  if [ -f "$manifest" ]; then
    while read -r src dest; do
      case "$src" in ''|\#*) continue ;; esac
      name=${src##*/}
      mkdir -p "/$dest"
      case "$src" in
        debian/bin/flatnetd) printf '#!/bin/sh\nexec /usr/bin/node %s/dist/bundle/flatnetd.js "$@"\n' "$REPO" >"/$dest/$name"; chmod 755 "/$dest/$name" ;;
        debian/bin/flatnetctl) printf '#!/bin/sh\nexec /usr/bin/node %s/dist/src/cli/flatnetctl.js "$@"\n' "$REPO" >"/$dest/$name"; chmod 755 "/$dest/$name" ;;
        *) cp "$REPO/$src" "/$dest/$name" ;;
      esac
      echo "installed $src -> /$dest/$name" >>$LOG
    done <"$manifest"
  else
    cp "$REPO/systemd/flatnetd.service" /etc/systemd/system/
    mkdir -p /etc/systemd/system/docker.service.d /etc/dbus-1/system.d
    cp "$REPO"/systemd/docker.service.d/*.conf /etc/systemd/system/docker.service.d/
    cp "$REPO/dbus/org.flatnet.flatnet1.conf" /etc/dbus-1/system.d/
    printf '#!/bin/sh\nexec /usr/bin/node %s/dist/bundle/flatnetd.js "$@"\n' "$REPO" >/usr/bin/flatnetd
    printf '#!/bin/sh\nexec /usr/bin/node %s/dist/src/cli/flatnetctl.js "$@"\n' "$REPO" >/usr/bin/flatnetctl
    chmod 755 /usr/bin/flatnetd /usr/bin/flatnetctl
    echo "installed the unit, drop-in, policy and wrappers (no debian/flatnetd.install)" >>$LOG
  fi
  echo "tree $REPO" >/var/lib/flatnet-vm/installed-from
fi

# Shim MACs derive from /etc/machine-id: an installed system has one that
# survives reboots (a CI container may have none; systemd would then make a
# new one every boot).
if [ ! -s /etc/machine-id ]; then
  systemd-machine-id-setup >>$LOG 2>&1
fi

# Only the test's drop-ins, whatever the host has.
rm -rf /etc/flatnet.d /usr/lib/flatnet.d
mkdir -p /etc/flatnet.d
cp "$SHARE"/flatnet.d/*.conf /etc/flatnet.d/

# dockerd's iptables/bridge setup costs ~20 s per boot under emulation and
# plays no part in macvlan/ipvlan networks.
mkdir -p /etc/docker
printf '{ "iptables": false, "bridge": "none" }\n' >/etc/docker/daemon.json

systemctl enable flatnetd.service flatnet-vm-lan.service containerd.service docker.service >>$LOG 2>&1 || { cat $LOG >&2; exit 1; }
# Podman's containers with --restart=always come back at boot through this
# unit. Debian installs it WantedBy=default.target, which is graphical.target
# on this image and never reached here (the VM boots systemd.unit=
# multi-user.target): want it from multi-user.target, as on a server.
if command -v podman >/dev/null; then
  systemctl enable podman-restart.service >>$LOG 2>&1 || { cat $LOG >&2; exit 1; }
  systemctl add-wants multi-user.target podman-restart.service >>$LOG 2>&1 || { cat $LOG >&2; exit 1; }
fi
cat $LOG
