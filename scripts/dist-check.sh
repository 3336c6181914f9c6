#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Check the source archive `make dist` wrote (run by `make dist-check`, part of `make test`):
#
#   scripts/dist-check.sh <archive> <version>
#
# 1. every entry is under cni-c-<version>/, and the top files and directories a build
#    needs are there (VERSION holding <version>, Makefile, the sources, the licence, the
#    changelog);
# 2. unpacked, the tree builds a plugin and cnitool (every library of common/ with them)
#    without git, and both name <version>. The whole build and `make check` of an unpacked
#    archive are checked by hand before a release (docs/packaging.md).
set -eu

archive=$1
version=$2
top=cni-c-$version
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dist-check.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() {
	echo "dist-check: $*" >&2
	fail=1
}

tar -tzf "$archive" >"$tmp/list"
grep -v "^$top/" "$tmp/list" >"$tmp/outside" && bad "entries outside $top/: $(head -3 "$tmp/outside")"
for f in VERSION Makefile README.md HACKING.md CHANGELOG.md LICENSE .clang-format common/ \
	plugins/ tools/ tests/ scripts/ packaging/; do
	grep -qx "$top/$f" "$tmp/list" || bad "no $top/$f"
done
tar -xzf "$archive" -C "$tmp"
[ "$(cat "$tmp/$top/VERSION")" = "$version" ] || bad "VERSION holds '$(cat "$tmp/$top/VERSION")'"
# Built where git cannot see a repository (GIT_CEILING_DIRECTORIES), as from a download.
if GIT_CEILING_DIRECTORIES=$tmp make -s -C "$tmp/$top" -j2 bin/loopback bin/cnitool \
	>"$tmp/build.log" 2>&1; then
	about=$(env -i "$tmp/$top/bin/loopback" 2>&1 | head -n 1)
	[ "$about" = "CNI loopback plugin v$version" ] || bad "the unpacked build's loopback says '$about'"
	tool=$("$tmp/$top/bin/cnitool" --version)
	[ "$tool" = "cnitool v$version" ] || bad "the unpacked build's cnitool says '$tool'"
else
	cat "$tmp/build.log" >&2
	bad "the unpacked tree does not build"
fi
if [ "$fail" != 0 ]; then
	echo "dist-check: $archive: FAILED" >&2
	exit 1
fi
echo "dist-check: $archive ok ($(wc -l <"$tmp/list") entries)"
