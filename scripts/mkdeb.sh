#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Turn the tree `make install` wrote into a Debian package (run by `make deb`):
#
#   [MKDEB_SCRIPTS=<dir>] scripts/mkdeb.sh <dir> <version> <maintainer>
#
# <dir>/debian/cni-c-plugins holds the installed tree (usr/lib/cni, usr/bin). The
# binaries are stripped, the docs, control data and maintainer scripts added, and
# <dir>/cni-c-plugins_<version>_<arch>.deb written with dpkg-deb (no debhelper, no
# fakeroot: files are owned by root in the archive). Its path is printed.
#
# The package ships the plugins the tree holds: a test package without one is built from
# a copy of the tree without it. control.in and the maintainer scripts (<script>.in, for
# each of preinst, postinst, postrm present) come from packaging/deb/, or from
# MKDEB_SCRIPTS (the packaging tests build an earlier version's package that way). In
# them, @PLUGINS@ is the plugins' names and @FILES@ the absolute paths of the plugins and
# systemd units, the files the package diverts; '#' lines of control.in are dropped.
set -eu

dir=$1
version=$2
maintainer=$3
src=$(cd "$(dirname "$0")/.." && pwd)
pkg=cni-c-plugins
root=$dir/debian/$pkg
arch=$(dpkg --print-architecture)
out=$dir/${pkg}_${version}_${arch}.deb

[ -d "$root/usr/lib/cni" ] || { echo "mkdeb: no $root/usr/lib/cni" >&2; exit 1; }

# Stripped as dh_strip strips executables.
for f in "$root"/usr/lib/cni/* "$root"/usr/bin/*; do
	strip --remove-section=.comment --remove-section=.note "$f"
done

doc=$root/usr/share/doc/$pkg
install -d -m 0755 "$doc"
install -m 0644 "$src/packaging/deb/copyright" "$doc/copyright"
# The README, the upstream changelog under Debian's name for it, and the dhcp page the
# daemon's units name as their documentation.
gzip -9n <"$src/README.md" >"$doc/README.md.gz"
gzip -9n <"$src/CHANGELOG.md" >"$doc/changelog.gz"
gzip -9n <"$src/docs/plugins/dhcp.md" >"$doc/dhcp.md.gz"
chmod 0644 "$doc/README.md.gz" "$doc/changelog.gz" "$doc/dhcp.md.gz"

# Library dependencies, computed by dpkg-shlibdeps from the binaries (it wants a
# debian/control naming the package, and the binaries in a tree with a DEBIAN dir).
install -d -m 0755 "$root/DEBIAN"
printf 'Source: cni-c\n\nPackage: %s\nArchitecture: any\n' "$pkg" >"$dir/debian/control"
set --
for f in "$root"/usr/lib/cni/* "$root"/usr/bin/*; do
	set -- "$@" "-e${f#"$dir"/}"
done
depends=$(cd "$dir" && dpkg-shlibdeps -O "$@" | sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "mkdeb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }

# A value for the right-hand side of a sed s|||: its |, & and backslashes escaped.
esc() { printf '%s' "$1" | sed 's/[|&\\]/\\&/g'; }

scripts=${MKDEB_SCRIPTS:-$src/packaging/deb}
plugins=$(cd "$root/usr/lib/cni" && echo *)
files=$(cd "$root" && find usr/lib/cni lib/systemd/system -type f | LC_ALL=C sort | sed 's|^|/|' |
	paste -sd' ')
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e '/^#/d' -e "s|@VERSION@|$(esc "$version")|" -e "s|@ARCH@|$arch|" \
	-e "s|@MAINTAINER@|$(esc "$maintainer")|" -e "s|@INSTALLED_SIZE@|$size|" \
	-e "s|@DEPENDS@|$(esc "$depends")|" \
	"$scripts/control.in" >"$root/DEBIAN/control"
rm -f "$root/DEBIAN/preinst" "$root/DEBIAN/postinst" "$root/DEBIAN/postrm"
for s in preinst postinst postrm; do
	[ -e "$scripts/$s.in" ] || continue
	sed -e "s|@PLUGINS@|$plugins|" -e "s|@FILES@|$files|" "$scripts/$s.in" >"$root/DEBIAN/$s"
	chmod 0755 "$root/DEBIAN/$s"
done
(cd "$root" && find usr lib -type f | LC_ALL=C sort | xargs md5sum) >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"

# Reproducible timestamps: those of the last commit when there is one.
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
	SOURCE_DATE_EPOCH=$(git -C "$src" log -1 --format=%ct 2>/dev/null || date +%s)
fi
export SOURCE_DATE_EPOCH
dpkg-deb --root-owner-group -Zxz --build "$root" "$out" >/dev/null
echo "$out"
