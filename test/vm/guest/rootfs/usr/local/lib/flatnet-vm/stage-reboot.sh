#!/bin/sh
# Second boot of the disk "main" left: everything it installed and enabled is
# on the disk already; nothing is installed again.
set -eu
[ -f /var/lib/flatnet-vm/installed-from ] || { echo "stage-reboot: the disk has no flatnetd install (did boot main run?)" >&2; exit 1; }
