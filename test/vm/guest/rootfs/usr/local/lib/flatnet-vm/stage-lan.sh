#!/bin/sh
# Boot "lan": installed like the first boot of main (a fresh disk of its own; Docker masked).
exec /usr/local/lib/flatnet-vm/stage-main.sh "$@"
