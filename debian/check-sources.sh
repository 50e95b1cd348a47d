#!/bin/sh
# Runs before the build: everything the package installs that other parts of
# the tree provide must be there, and the package version must be the
# program's. Prints every problem, then fails once.
set -u
missing=0
need() {
  if [ ! -e "$1" ]; then
    echo "debian/check-sources.sh: missing $1 ($2)" >&2
    missing=1
  fi
}
need docs/flatnetd.8.md "source of the flatnetd(8) man page"
need docs/flatnet.d.5.md "source of the flatnet.d(5) man page"
need docs/flatnetctl.1.md "source of the flatnetctl(1) man page"
need scripts/build-man.sh "renders the man pages (pandoc without smart typography)"
need completions/bash/flatnetctl "bash completion"
need completions/zsh/_flatnetctl "zsh completion"
need dbus/org.flatnet.flatnet1.conf "D-Bus policy for /usr/share/dbus-1/system.d/"
need systemd/flatnetd.service "the unit"
need package-lock.json "npm ci needs the lockfile"
if ! ls etc/flatnet.d/*.conf >/dev/null 2>&1; then
  echo "debian/check-sources.sh: missing etc/flatnet.d/*.conf (the examples for /usr/share/doc/flatnetd/examples/)" >&2
  missing=1
fi
pkg_version=$(node -p 'require("./package.json").version')
deb_version=$(dpkg-parsechangelog -S Version)
if [ "$pkg_version" != "$deb_version" ]; then
  echo "debian/check-sources.sh: package.json says $pkg_version but debian/changelog says $deb_version: add a changelog entry (dch -v $pkg_version)" >&2
  missing=1
fi
exit $missing
