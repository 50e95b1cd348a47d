#!/bin/sh
# Boot "engine-podman": installed like the first boot of main (a fresh disk of its own).
exec /usr/local/lib/flatnet-vm/stage-main.sh "$@"
