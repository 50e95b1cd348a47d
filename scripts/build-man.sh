#!/bin/sh
# Renders the man pages from docs/*.md into OUTDIR (flatnetd.8, flatnet.d.5,
# flatnetctl.1): the one recipe debian/rules, nix/package.nix and the
# packaging test use. `-smart` keeps pandoc's typography off: with it,
# `--json` became an en dash and a word (`–json`) that no shell accepts.
set -eu
out=${1:?usage: build-man.sh OUTDIR}
cd "$(dirname "$0")/.."
mkdir -p "$out"
for m in flatnetd.8 flatnet.d.5 flatnetctl.1; do
  pandoc --standalone --from markdown-smart --to man "docs/$m.md" -o "$out/$m"
done
