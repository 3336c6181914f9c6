#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Run every unit-test binary given, show its TAP output, and summarise:
# how many test points passed, failed and were skipped, and which binaries
# failed. Exits non-zero when any binary failed; never stops at the first.
pass=0 fail=0 skip=0 failed=""
for t in "$@"; do
	echo "# $t"
	out=$("$t" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	p=$(printf '%s\n' "$out" | grep -c '^ok [0-9]* - [^#]*$')
	s=$(printf '%s\n' "$out" | grep -c '^ok [0-9]* - .*# SKIP')
	f=$(printf '%s\n' "$out" | grep -c '^not ok ')
	pass=$((pass + p)) skip=$((skip + s)) fail=$((fail + f))
	if [ "$rc" -ne 0 ] || ! printf '%s\n' "$out" | grep -q '^1\.\.[0-9]'; then
		failed="$failed ${t##*/}"
	fi
done
echo "# unit: $# binaries, $pass passed, $fail failed, $skip skipped"
if [ -n "$failed" ]; then
	echo "# failed:$failed"
	exit 1
fi
