#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The packaging scenarios (tests/deb/scenarios.sh) in one QEMU guest (the VM tier of
# check-vm.sh), where dpkg changes only the guest's tmpfs overlay of the host's root:
# installation beside Debian's containernetworking-plugins (in both orders) and alone,
# upgrades and downgrades between 0.1.0, this version and test versions with a plugin
# fewer, removal and purge.
#
# usage: check-deb-vm.sh VM_BUILD_DIR DEB_BUILD_DIR VERSION MAINTAINER
#
# DEB_BUILD_DIR is where `make deb` built this version's package (and left the tree it was
# made from). Without qemu, the kernel package or Debian's packages (no network), the tier
# is skipped with the reason, except in CI (CI=true), where it fails.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
mkdir -p "$1"
build=$(cd "$1" && pwd)
debbuild=$(cd "$2" && pwd)
version=$3
maintainer=$4

skip() {
	if [ "${CI:-}" = true ]; then
		echo "deb-vm: FAIL: $* (CI must run this tier)" >&2
		exit 1
	fi
	echo "deb-vm: SKIP: $*"
	exit 0
}

command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 is missing (make deps)"
sh "$here/kernel.sh" "$build/kernel" >/dev/null || skip "no kernel package for the guest"
debs=$(sh "$here/debs.sh" "$build/debs") || skip "Debian's packages could not be downloaded"

cur=$(ls "$debbuild"/cni-c-plugins_"$version"_*.deb)
tree=$debbuild/debian/cni-c-plugins
[ -d "$tree/usr/lib/cni" ] || { echo "deb-vm: no $tree (make deb)" >&2; exit 1; }

# Our packages: this version, 0.1.0 with that release's maintainer scripts, and two test
# versions around this one, each from a copy of this version's tree with a plugin fewer.
pkgs=$build/deb-pkgs
rm -rf "$pkgs"
mkdir -p "$pkgs"
cp "$cur" "$pkgs/cur.deb"
# variant NAME VERSION DROPPED_PLUGIN [SCRIPTS_DIR]
variant() {
	w=$pkgs/$1.d
	mkdir -p "$w/debian"
	cp -a "$tree" "$w/debian/"
	rm -rf "$w/debian/cni-c-plugins/DEBIAN" "$w/debian/cni-c-plugins/usr/share"
	[ -z "$3" ] || rm "$w/debian/cni-c-plugins/usr/lib/cni/$3"
	MKDEB_SCRIPTS=${4:-} sh "$top/scripts/mkdeb.sh" "$w" "$2" "$maintainer" >/dev/null
	mv "$w"/cni-c-plugins_*.deb "$pkgs/$1.deb"
	rm -rf "$w"
}
variant old 0.1.0 "" "$top/tests/deb/0.1.0"
variant nosbr "$version~test1" sbr
variant novrf "$version+test2" vrf

# What the guest runs (check-vm.sh's VM_UNIT: an executable whose exit status counts).
printf '#!/bin/sh\nexec sh %s %s %s\n' "$top/tests/deb/scenarios.sh" "$pkgs" "$debs" \
	>"$pkgs/run.sh"
chmod 0755 "$pkgs/run.sh"
VM_INTEGRATION=0 VM_UNIT="$pkgs/run.sh" sh "$here/check-vm.sh" "$build" "$debbuild/bin"
