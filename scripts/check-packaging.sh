#!/usr/bin/env bash
# Every packaging check, in the order CI needs them, ending with one result
# line: the unit and drop-ins (systemd-analyze verify, ordering, hardening,
# exposure score), the NixOS expressions (nix-instantiate parse/eval against
# fixtures and flatnetd's parser), the coexistence files (udev rule, rt_protos,
# in a network namespace: root), and the Debian package (dpkg-buildpackage,
# lintian, contents, maintainer scripts). Installs nothing; needs the npm
# registry for the package build and `npm ci` done in the tree.
#
# apt packages (Debian 12), besides nodejs >= 20 with npm:
#   systemd udev util-linux iproute2 build-essential python3
#   dpkg-dev debhelper lintian pandoc man-db nix-bin
set -uo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== check-packaging: %s\n' "$*"; }
fail() { printf '\ncheck-packaging: FAIL (%s)\n' "$*"; exit 1; }

step "tools"
need=(systemd-analyze:systemd udevadm:udev unshare:util-linux ip:iproute2 make:build-essential
      python3:python3 dpkg-buildpackage:dpkg-dev dh:debhelper lintian:lintian pandoc:pandoc
      man:man-db nix-instantiate:nix-bin node:nodejs npm:nodejs)
absent=()
for n in "${need[@]}"; do command -v "${n%%:*}" >/dev/null || absent+=("${n#*:}"); done
if ((${#absent[@]})); then
  printf 'missing: apt-get install -y %s\n' "$(printf '%s\n' "${absent[@]}" | sort -u | tr '\n' ' ')"
  fail "tools missing"
fi
[ -x node_modules/.bin/tsc ] || fail "node_modules/.bin/tsc missing: run npm ci first"

step "compile"
# The whole tree, for the parser the nix tests read drop-ins with; tsc emits
# dist/ even when a file has type errors (the .deb build below compiles src/
# strictly). The packaging tests themselves must compile cleanly.
node_modules/.bin/tsc -p tsconfig.json >/dev/null ||
  echo "note: tsc reports type errors in the tree (npm run build shows them); dist/ was emitted anyway"
node_modules/.bin/tsc -p test/packaging/tsconfig.json || fail "test/packaging does not compile"

step "build the .deb (scripts/build-deb.sh: dpkg-buildpackage -us -uc -b, lintian)"
log=$(mktemp)
if ! scripts/build-deb.sh dist/deb 2>&1 | tee "$log"; then
  rm -f "$log"
  fail "the Debian package does not build or lintian objects"
fi
deb=$(tail -n 1 "$log")
rm -f "$log"
[ -f "$deb" ] || fail "build-deb.sh printed no .deb path"

step "tests: units, nix, coexistence, deb ($deb)"
FLATNET_DEB=$deb node --test --test-timeout=600000 --test-reporter=spec dist/test/packaging/*.test.js ||
  fail "packaging tests"

printf '\ncheck-packaging: PASS (units verified, nix evaluated, coexistence files tried, %s built and checked)\n' "$(basename "$deb")"
