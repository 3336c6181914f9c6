#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Every binary says which release it is (`make check`): each plugin, run with no CNI_COMMAND
# and an empty environment, prints exactly the reference's about text on stderr, with the
# VERSION file's version, and nothing on stdout; `cnitool --version` prints it too and its
# usage names it. TAP output; exits 1 if any case failed.
#
#   test_about.sh BIN_DIR VERSION PLUGIN...   (the plugin names the Makefile builds)
set -u
bin=$1
version=$2
shift 2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

. "$(dirname "$0")/tap.sh"

[ -n "$version" ] && [ $# -gt 0 ] || { echo "usage: $0 BIN_DIR VERSION PLUGIN..." >&2; exit 2; }
for p in "$@"; do
	# The versions each plugin speaks are its own (VERSION lists them): the line after
	# the about text lists the same ones.
	spoken=$(CNI_COMMAND=VERSION "$bin/$p" </dev/null |
		sed -n 's/.*"supportedVersions":\[\(.*\)\].*/\1/p' | sed 's/"//g; s/,/, /g')
	printf 'CNI %s plugin v%s\nCNI protocol versions supported: %s\n' "$p" "$version" \
		"$spoken" >"$tmp/want"
	env -i "$bin/$p" </dev/null >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" = 0 ] && [ -n "$spoken" ] && [ ! -s "$tmp/out" ] && cmp -s "$tmp/want" "$tmp/err"; then
		ok "$p about text"
	else
		not_ok "$p about text" "exit $rc, stdout '$(cat "$tmp/out")'" \
			"got: $(cat "$tmp/err")" "want: $(cat "$tmp/want")"
	fi
done

out=$("$bin/cnitool" --version 2>&1)
rc=$?
if [ "$rc" = 0 ] && [ "$out" = "cnitool v$version" ]; then
	ok "cnitool --version"
else
	not_ok "cnitool --version" "exit $rc, got '$out', want 'cnitool v$version'"
fi
if "$bin/cnitool" --help 2>/dev/null | grep -qF "cni-c v$version)"; then
	ok "cnitool --help names the version"
else
	not_ok "cnitool --help names the version" "$("$bin/cnitool" --help 2>&1)"
fi
tap_done
