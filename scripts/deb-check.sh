#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Check the package `make deb` built (run by `make deb-check`, part of `make check`):
#
#   scripts/deb-check.sh <package.deb> <expected file list>
#
# 1. its file list (`dpkg-deb -c`: mode, owner, path) is exactly the expected one;
# 2. its control fields (`dpkg-deb -I`): name, architecture, the library dependencies
#    with versions, the container-network-stack it provides, the maintainer scripts; the copyright file names Apache-2.0; the
#    binaries are stripped and run;
# 3. as root only: installed into a private dpkg root (never the machine's own) next
#    to a stand-in for Debian's containernetworking-plugins, it diverts that package's
#    plugins of the same names, survives that package's reinstallation, and gives the
#    plugins back when removed, and when an installation fails half-way; a failed upgrade
#    to a version diverting one file more keeps exactly the installed version's diversions.
set -eu

deb=$1
want=$2
pkg=cni-c-plugins
fail=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/deb-check.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

bad() {
	echo "deb-check: $*" >&2
	fail=1
}

# ---- 1. files -------------------------------------------------------------------------
dpkg-deb -c "$deb" | awk '{ print $1, $2, $6 }' | LC_ALL=C sort >"$tmp/got"
grep -v '^#' "$want" | LC_ALL=C sort >"$tmp/want"
if ! diff -u "$tmp/want" "$tmp/got" >"$tmp/diff"; then
	bad "file list differs from $want:"
	cat "$tmp/diff" >&2
fi

# ---- 2. control data and contents ------------------------------------------------------
field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = "$pkg" ] || bad "Package is '$(field Package)', not $pkg"
[ "$(field Architecture)" = "$(dpkg --print-architecture)" ] ||
	bad "Architecture is '$(field Architecture)'"
for f in Version Maintainer Installed-Size Section Priority Description; do
	[ -n "$(field "$f")" ] || bad "no $f field"
done
depends=$(field Depends)
for lib in libc6 libcjson1 libmnl0 libnftnl11; do
	echo "$depends" | grep -Eq "(^|, )$lib \\(>= [^)]+\\)" ||
		bad "Depends '$depends' lacks a versioned $lib"
done
for s in preinst postinst postrm; do
	dpkg-deb -I "$deb" | grep -Eq "^ +[0-9]+ bytes, +[0-9]+ lines +\\* +$s " ||
		bad "no executable $s maintainer script"
done
[ "$(field Provides)" = "container-network-stack (= 1)" ] ||
	bad "Provides is '$(field Provides)', not container-network-stack (= 1)"
dpkg-deb -x "$deb" "$tmp/x"
grep -q '^License: Apache-2.0$' "$tmp/x/usr/share/doc/$pkg/copyright" ||
	bad "the copyright file does not name Apache-2.0"
for f in "$tmp"/x/usr/lib/cni/* "$tmp"/x/usr/bin/cnitool; do
	if readelf -S "$f" | grep -Eq '\.(symtab|debug_info)'; then
		bad "${f#"$tmp"/x} is not stripped"
	fi
done
for f in "$tmp"/x/usr/lib/cni/*; do
	out=$(CNI_COMMAND=VERSION "$f" </dev/null 2>&1) || bad "${f#"$tmp"/x} VERSION failed: $out"
	echo "$out" | grep -q '"supportedVersions"' || bad "${f#"$tmp"/x} VERSION printed '$out'"
done

# ---- 3. installation next to containernetworking-plugins ----------------------------------
if [ "$(id -u)" != 0 ]; then
	echo "deb-check: not root: skipping the installation into a private dpkg root"
else
	root=$tmp/root
	mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" \
		"$root/var/lib/dpkg/triggers"
	: >"$root/var/lib/dpkg/status"
	: >"$root/var/lib/dpkg/available"
	# A stand-in for Debian's package: a plugin we replace and one we do not ship.
	fake=$tmp/fake
	mkdir -p "$fake/DEBIAN" "$fake/usr/lib/cni"
	printf '#!/bin/sh\necho debian-bridge\n' >"$fake/usr/lib/cni/bridge"
	printf '#!/bin/sh\necho debian-win-overlay\n' >"$fake/usr/lib/cni/win-overlay"
	chmod 0755 "$fake/usr/lib/cni/bridge" "$fake/usr/lib/cni/win-overlay"
	# and the dhcp daemon's units, which this package replaces too
	mkdir -p "$fake/lib/systemd/system"
	echo '# debian-socket' >"$fake/lib/systemd/system/cni-dhcp.socket"
	echo '# debian-service' >"$fake/lib/systemd/system/cni-dhcp.service"
	printf 'Package: containernetworking-plugins\nVersion: 1.1.1\nArchitecture: all\n%s\n%s\n' \
		'Maintainer: test <test@localhost>' 'Description: stand-in for the check' \
		>"$fake/DEBIAN/control"
	dpkg-deb --root-owner-group --build "$fake" "$tmp/fake.deb" >/dev/null
	# Maintainer scripts run without chroot (dpkg passes them DPKG_ROOT and
	# DPKG_ADMINDIR, which dpkg-divert follows); the libraries the package depends on
	# are the machine's, not in the private root's database.
	dp() { dpkg --root="$root" --force-script-chrootless --force-depends --log=/dev/null "$@" >"$tmp/log" 2>&1 ||
		{ cat "$tmp/log" >&2; return 1; }; }
	lib=$root/usr/lib/cni
	if ! dp -i "$tmp/fake.deb" || ! dp -i "$deb"; then
		bad "installation into $root failed"
	else
		[ "$("$lib/bridge.distrib")" = debian-bridge ] ||
			bad "the replaced bridge was not diverted to bridge.distrib"
		CNI_COMMAND=VERSION "$lib/bridge" </dev/null | grep -q supportedVersions ||
			bad "/usr/lib/cni/bridge is not this package's"
		[ "$("$lib/win-overlay")" = debian-win-overlay ] || bad "win-overlay was touched"
		units=$root/lib/systemd/system
		grep -q '^# debian-socket$' "$units/cni-dhcp.socket.distrib" ||
			bad "the replaced cni-dhcp.socket was not diverted"
		grep -q '^SocketMode=0600$' "$units/cni-dhcp.socket" ||
			bad "cni-dhcp.socket is not this package's"
		grep -q '^ExecStart=/usr/lib/cni/dhcp daemon$' "$units/cni-dhcp.service" ||
			bad "cni-dhcp.service does not start /usr/lib/cni/dhcp daemon"
		dpkg-divert --admindir "$root/var/lib/dpkg" --list |
			grep -q "diversion of /usr/lib/cni/portmap to /usr/lib/cni/portmap.distrib by $pkg" ||
			bad "portmap is not diverted"
		# Reinstalling (upgrading) the other package keeps its file diverted.
		dp -i "$tmp/fake.deb" || bad "reinstalling the other package failed"
		CNI_COMMAND=VERSION "$lib/bridge" </dev/null | grep -q supportedVersions ||
			bad "reinstalling the other package replaced bridge"
		# Removal gives the plugins back.
		dp -r "$pkg" || bad "removal failed"
		[ "$("$lib/bridge")" = debian-bridge ] || bad "removal did not restore bridge"
		[ ! -e "$lib/bridge.distrib" ] || bad "bridge.distrib left behind"
		grep -q '^# debian-service$' "$units/cni-dhcp.service" ||
			bad "removal did not restore cni-dhcp.service"
		[ -z "$(dpkg-divert --admindir "$root/var/lib/dpkg" --list)" ] ||
			bad "diversions left behind"
		# An installation that fails half-way (a file another package owns) is unwound
		# by the postrm (abort-install): no diversion left, the plugins back.
		block=$tmp/block
		mkdir -p "$block/DEBIAN" "$block/usr/bin"
		echo blocker >"$block/usr/bin/cnitool"
		printf 'Package: cnitool-blocker\nVersion: 1\nArchitecture: all\n%s\n%s\n' \
			'Maintainer: test <test@localhost>' 'Description: owns /usr/bin/cnitool' \
			>"$block/DEBIAN/control"
		dpkg-deb --root-owner-group --build "$block" "$tmp/block.deb" >/dev/null
		dp -i "$tmp/block.deb" || bad "installing the blocker failed"
		if dp -i "$deb" 2>/dev/null; then
			bad "installation over another package's /usr/bin/cnitool succeeded"
		fi
		[ -z "$(dpkg-divert --admindir "$root/var/lib/dpkg" --list)" ] ||
			bad "a failed installation left diversions"
		[ "$("$lib/bridge")" = debian-bridge ] || bad "a failed installation did not restore bridge"
		[ ! -e "$lib/bridge.distrib" ] || bad "a failed installation left bridge.distrib"
		grep -q '^# debian-socket$' "$units/cni-dhcp.socket" ||
			bad "a failed installation did not restore cni-dhcp.socket"
		# A failed upgrade to a version that would divert one file more (win-overlay) is
		# unwound by its postrm (abort-upgrade): that diversion goes, the others stay.
		dp -r cnitool-blocker || bad "removing the blocker failed"
		dp -i "$deb" || bad "installing the package again failed"
		mkdir -p "$block/usr/share/cni-c-check"
		rm "$block/usr/bin/cnitool"
		echo blocker >"$block/usr/share/cni-c-check/blocked"
		sed -i 's/^Package: .*/Package: cni-c-check-blocker/' "$block/DEBIAN/control"
		dpkg-deb --root-owner-group --build "$block" "$tmp/block2.deb" >/dev/null
		dp -i "$tmp/block2.deb" || bad "installing the second blocker failed"
		up=$tmp/up
		dpkg-deb -R "$deb" "$up"
		mkdir -p "$up/usr/share/cni-c-check"
		echo ours >"$up/usr/share/cni-c-check/blocked"
		cp "$up/usr/lib/cni/loopback" "$up/usr/lib/cni/win-overlay"
		sed -i 's/^Version: .*/&+up/' "$up/DEBIAN/control"
		sed -i 's|^\(\tfor f in .*/usr/lib/cni/vrf\); do$|\1 /usr/lib/cni/win-overlay; do|' \
			"$up/DEBIAN/preinst"
		grep -q 'win-overlay; do$' "$up/DEBIAN/preinst" || bad "could not make the upgrade's preinst"
		dpkg-deb --root-owner-group --build "$up" "$tmp/up.deb" >/dev/null
		if dp -i "$tmp/up.deb" 2>/dev/null; then
			bad "an upgrade over another package's file succeeded"
		fi
		[ "$(dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${Version}' "$pkg")" = \
			"$(field Version)" ] || bad "the failed upgrade did not leave the installed version"
		[ "$("$lib/win-overlay")" = debian-win-overlay ] ||
			bad "a failed upgrade did not restore win-overlay"
		[ ! -e "$lib/win-overlay.distrib" ] || bad "a failed upgrade left win-overlay.distrib"
		dpkg-divert --admindir "$root/var/lib/dpkg" --list >"$tmp/div"
		! grep -q win-overlay "$tmp/div" || bad "a failed upgrade left win-overlay diverted"
		grep -q "diversion of /usr/lib/cni/bridge to /usr/lib/cni/bridge.distrib by $pkg" \
			"$tmp/div" || bad "a failed upgrade dropped the diversion of bridge"
		CNI_COMMAND=VERSION "$lib/bridge" </dev/null | grep -q supportedVersions ||
			bad "after a failed upgrade /usr/lib/cni/bridge is not this package's"
	fi
fi

if [ "$fail" != 0 ]; then
	echo "deb-check: $deb: FAILED" >&2
	exit 1
fi
echo "deb-check: $deb ok"
