#!/usr/bin/env bash
# Builds flatnetd_<version>_<arch>.deb (and cockpit-flatnetd_<version>_all.deb,
# the Cockpit page) with `dpkg-buildpackage -us -uc -b` in
# a scratch copy of the tree (tracked files plus untracked ones git does not
# ignore), so the tree's own node_modules/ and dist/ stay as they are; then
# checks the .deb with lintian (errors and warnings fail; the warnings we keep
# are overridden in debian/flatnetd.lintian-overrides, see packaging/LINTIAN.md).
# Needs the npm registry (the build runs `npm ci`). Installs nothing.
#
# Usage: scripts/build-deb.sh [OUTDIR]      (default: dist/deb)
# Prints the path of flatnetd's .deb on its last line (the Cockpit page's is beside it).
# FLATNET_DEB_NO_BUILDDEPS=1 passes -d to dpkg-buildpackage, for a machine
# whose node >= 20 does not come from a Debian package named nodejs.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=${1:-dist/deb}
case $out in /*) ;; *) out=$root/$out ;; esac

for tool in dpkg-buildpackage dpkg-checkbuilddeps lintian node npm pandoc; do
  command -v "$tool" >/dev/null || { echo "build-deb: $tool not found (see scripts/check-packaging.sh for the apt packages)" >&2; exit 2; }
done

version=$(node -p 'require("./package.json").version')
work=$(mktemp -d "${TMPDIR:-/tmp}/flatnetd-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
# Named src on purpose: the build must not depend on the name of the
# directory it runs in (a checkout named src once broke it).
src=$work/src
mkdir -p "$src"

if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' f; do
      if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi
    done |
    tar --null -T - -cf - | tar -xf - -C "$src"
else
  tar --exclude=./node_modules --exclude=./dist --exclude=./.git -cf - . | tar -xf - -C "$src"
fi

echo "build-deb: building flatnetd $version in $src"
nodeps=()
[ "${FLATNET_DEB_NO_BUILDDEPS:-}" = 1 ] && nodeps=(-d)
(cd "$src" && dpkg-buildpackage -us -uc -b "${nodeps[@]}")

arch=$(dpkg-architecture -qDEB_HOST_ARCH)
deb=flatnetd_${version}_${arch}.deb
mkdir -p "$out"
cockpit=cockpit-flatnetd_${version}_all.deb
cp "$work/$deb" "$work/$cockpit" "$work"/flatnetd_"${version}"_"${arch}".buildinfo "$work"/flatnetd_"${version}"_"${arch}".changes "$out/"

echo "build-deb: lintian $deb"
lintian --fail-on error,warning --info --show-overrides "$out/$deb" "$out/$cockpit"
echo "build-deb: lintian passed (no errors, no warnings that are not overridden)"
echo "$out/$deb"
