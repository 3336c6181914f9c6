#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The package's life on a node, for real, with the node's own dpkg: run inside the VM
# tier's guest (scripts/vm/check-deb-vm.sh), whose root is the host's, read-only, under a
# tmpfs overlay, so that nothing of it reaches the host. The guest starts with the host's
# packages installed, Debian's containernetworking-plugins and podman among them.
#
#   scenarios.sh PKG_DIR DEBIAN_DEB_DIR
#
# PKG_DIR holds our packages: cur.deb (this version), old.deb (0.1.0, with that release's
# maintainer scripts), nosbr.deb (an older version without sbr) and novrf.deb (a newer one
# without vrf). DEBIAN_DEB_DIR holds Debian's containernetworking-plugins and
# golang-github-containers-common packages.
#
# After every step the node's state is checked against the md5sums of the installed
# packages: each file ours ships is diverted (to <file>.distrib, by us, and nothing else
# is), ours is at the name and Debian's, when installed, at <name>.distrib; a file only
# Debian's ships is at its name and not diverted; no other plugin or unit file is there;
# the installed versions are the expected ones; `dpkg --audit` is silent. TAP output.
set -u
# Only ever in the guest, whose root is an overlay and which has the results share: on any
# other machine this would change the machine's own packages.
if ! awk '$2 == "/" && $3 == "overlay" { f = 1 } END { exit !f }' /proc/mounts ||
	! awk '$2 == "/run/vm" && $3 == "9p" { f = 1 } END { exit !f }' /proc/mounts; then
	echo "Bail out! not in the VM tier's guest (run by scripts/vm/check-deb-vm.sh)"
	exit 1
fi
pkgs=$1
debs=$2
export DEBIAN_FRONTEND=noninteractive LC_ALL=C
cni=containernetworking-plugins
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The man page index is not rebuilt on each (re)installation: slow under emulation.
rm -f /var/lib/man-db/auto-update

. "$(dirname "$0")/../scripts/tap.sh"
# fail NAME: a failed case, with what $tmp/why says
fail() { not_ok "$1" "$(cat "$tmp/why")"; }

# dp ARGS: dpkg, its output kept for a failure's report
dp() {
	echo "# $(cut -d' ' -f1 /proc/uptime) s: dpkg $*"
	dpkg --force-confold "$@" >"$tmp/dpkg.out" 2>&1 && return 0
	cat "$tmp/dpkg.out" >"$tmp/why"
	return 1
}

# step NAME ARGS: a dpkg call that must succeed
step() {
	name=$1
	shift
	if dp "$@"; then ok "$name"; else fail "$name"; fi
}

deb_cni=$(ls "$debs"/${cni}_*.deb)
deb_common=$(ls "$debs"/golang-github-containers-common_*.deb)
# Every plugin or unit path that either package ever ships: none may be left over.
{
	for d in "$pkgs"/cur.deb "$deb_cni"; do dpkg-deb -c "$d"; done |
		awk '{ print $6 }' | sed -n 's|^\./\(usr/lib/cni/[^/][^/]*\)$|\1|p; s|^\./\(lib/systemd/system/[^/][^/]*\)$|\1|p'
} | sort -u >"$tmp/all"

# files PKG: "md5 path" of the plugins and units PKG's md5sums lists (nothing if absent)
files() {
	f=/var/lib/dpkg/info/$1.md5sums
	[ -e "$f" ] || return 0
	awk '$2 ~ /^(usr\/lib\/cni|lib\/systemd\/system)\/[^\/]+$/ { print $1, $2 }' "$f" | sort -k2
}

# version PKG: the installed version, or "none"
version() {
	v=$(dpkg-query -W -f='${db:Status-Status} ${Version}' "$1" 2>/dev/null)
	case "$v" in
	"installed "*) echo "${v#installed }" ;;
	*) echo none ;;
	esac
}

# check NAME OURS DEBIAN [ABSENT_PLUGIN]: the state after a step, OURS and DEBIAN the
# expected installed versions ("none": not installed); ABSENT_PLUGIN one our version
# must not ship.
check() {
	name=$1 want_ours=$2 want_cni=$3 absent=${4:-}
	: >"$tmp/why"
	got_ours=$(version cni-c-plugins)
	got_cni=$(version $cni)
	[ "$got_ours" = "$want_ours" ] || echo "cni-c-plugins is $got_ours, not $want_ours" >>"$tmp/why"
	[ "$got_cni" = "$want_cni" ] || echo "$cni is $got_cni, not $want_cni" >>"$tmp/why"
	files cni-c-plugins >"$tmp/ours"
	files $cni >"$tmp/cni"
	if [ -n "$absent" ] && grep -q " usr/lib/cni/$absent\$" "$tmp/ours"; then
		echo "our installed version ships $absent" >>"$tmp/why"
	fi
	# The diversions: exactly ours, of exactly the files ours ships.
	dpkg-divert --list | sort >"$tmp/div"
	awk '{ printf "diversion of /%s to /%s.distrib by cni-c-plugins\n", $2, $2 }' "$tmp/ours" |
		sort >"$tmp/div.want"
	grep -E ' of /(usr/lib/cni|lib/systemd/system)/' "$tmp/div" >"$tmp/div.got" || true
	diff -u "$tmp/div.want" "$tmp/div.got" >>"$tmp/why" || echo "(diversions differ)" >>"$tmp/why"
	# The files: what should be at each name and each .distrib, and what is.
	awk -v ours="$tmp/ours" -v cni="$tmp/cni" '
		BEGIN {
			while ((getline l < ours) > 0) { split(l, f, " "); o[f[2]] = f[1] }
			while ((getline l < cni) > 0) { split(l, f, " "); d[f[2]] = f[1] }
		}
		{
			p = $1
			if (p in o) { print o[p] "  /" p; if (p in d) print d[p] "  /" p ".distrib" }
			else if (p in d) print d[p] "  /" p
		}' "$tmp/all" | sort -k2 >"$tmp/want"
	: >"$tmp/paths"
	while read -r p; do
		for q in "/$p" "/$p.distrib"; do
			if [ -e "$q" ]; then echo "$q" >>"$tmp/paths"; fi
		done
	done <"$tmp/all"
	if [ -s "$tmp/paths" ]; then
		xargs md5sum <"$tmp/paths" | sort -k2 >"$tmp/got"
	else
		: >"$tmp/got"
	fi
	diff -u "$tmp/want" "$tmp/got" >>"$tmp/why" || echo "(files differ)" >>"$tmp/why"
	dpkg --audit >>"$tmp/why" 2>&1 || echo "dpkg --audit failed" >>"$tmp/why"
	if [ -s "$tmp/why" ]; then fail "$name: state"; else ok "$name: state"; fi
}

# apt_check NAME: the dependencies of every installed package are satisfied
apt_check() {
	if apt-get check -q >"$tmp/why" 2>&1; then ok "$1: apt-get check"; else fail "$1: apt-get check"; fi
}

cur=$(dpkg-deb -f "$pkgs/cur.deb" Version)
nosbr=$(dpkg-deb -f "$pkgs/nosbr.deb" Version)
novrf=$(dpkg-deb -f "$pkgs/novrf.deb" Version)
debian=$(dpkg-deb -f "$deb_cni" Version)
echo "# ours $cur (test versions $nosbr, $novrf, 0.1.0), Debian's $debian"

# The starting point: Debian's package as the .deb has it.
[ "$(version $cni)" = "$debian" ] || step "Debian's $cni installed" -i "$deb_cni"
check "Debian's alone" none "$debian"

# b, c. Beside Debian's: the earlier release, the upgrade to this one and the downgrade
# back.
step "0.1.0 installed beside Debian's" -i "$pkgs/old.deb"
check "0.1.0 beside Debian's" 0.1.0 "$debian"
step "upgrade 0.1.0 -> $cur" -i "$pkgs/cur.deb"
check "upgraded to $cur" "$cur" "$debian"
if env -i /usr/lib/cni/bridge 2>&1 | grep -qx "CNI bridge plugin v$cur"; then
	ok "/usr/lib/cni/bridge says v$cur"
else
	env -i /usr/lib/cni/bridge >"$tmp/why" 2>&1
	fail "/usr/lib/cni/bridge says v$cur"
fi
step "downgrade $cur -> 0.1.0" -i "$pkgs/old.deb"
check "downgraded to 0.1.0" 0.1.0 "$debian"

# d. Versions that differ in the plugin list: a plugin our version drops is Debian's again
# at its name, one it adds is diverted.
step "upgrade 0.1.0 -> $nosbr (no sbr)" -i "$pkgs/nosbr.deb"
check "upgraded to $nosbr" "$nosbr" "$debian" sbr
step "upgrade $nosbr -> $novrf (sbr back, no vrf)" -i "$pkgs/novrf.deb"
check "upgraded to $novrf" "$novrf" "$debian" vrf
step "downgrade $novrf -> $nosbr (vrf back, no sbr)" -i "$pkgs/nosbr.deb"
check "downgraded to $nosbr again" "$nosbr" "$debian" sbr
step "upgrade $nosbr -> $cur" -i "$pkgs/cur.deb"
check "upgraded to $cur from $nosbr" "$cur" "$debian"

# e. Removal gives Debian's files back; then a fresh installation beside Debian's (Debian's
# first) and a purge.
step "remove" -r cni-c-plugins
check "removed" none "$debian"
step "$cur installed beside Debian's" -i "$pkgs/cur.deb"
check "installed beside Debian's" "$cur" "$debian"
mkdir -p /var/lib/cni/dhcp /var/lib/cni/networks/keep
echo lease >/var/lib/cni/dhcp/record
echo c1 >/var/lib/cni/networks/keep/10.0.0.2
step "purge" -P cni-c-plugins
check "purged" none "$debian"
: >"$tmp/why"
[ ! -e /var/lib/cni/dhcp ] || echo "/var/lib/cni/dhcp left" >>"$tmp/why"
[ -e /var/lib/cni/networks/keep/10.0.0.2 ] || echo "host-local's store was removed" >>"$tmp/why"
for f in /usr/bin/cnitool /usr/share/doc/cni-c-plugins /var/lib/dpkg/info/cni-c-plugins.list; do
	[ ! -e "$f" ] || echo "$f left" >>"$tmp/why"
done
if [ -s "$tmp/why" ]; then fail "purge leaves nothing of ours"; else ok "purge leaves nothing of ours"; fi

# a. Ours alone as the node's container network stack: Debian's purged (podman's
# configuration depends on a stack), ours installed, then the packages that depend on a
# stack are satisfied and can be reinstalled; then Debian's installed after ours.
step "Debian's purged" -P --force-depends "$cni"
step "$cur installed alone" -i "$pkgs/cur.deb"
check "ours alone" "$cur" none
apt_check "ours alone"
step "golang-github-containers-common reinstalled with ours as the stack" -i "$deb_common"
step "Debian's installed after ours" -i "$deb_cni"
check "Debian's after ours" "$cur" "$debian"
step "remove" -r cni-c-plugins
check "removed at last" none "$debian"

tap_done
