# SPDX-License-Identifier: Apache-2.0
# TAP output for the shell tests, sourced by them: `ok NAME`, `not_ok NAME [DETAIL...]`
# (each detail printed as TAP comment lines) and `tap_done` (the plan; exit status 1 when a
# case failed).
n=0
failed=0
ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}
not_ok() {
	n=$((n + 1))
	failed=1
	echo "not ok $n - $1"
	shift
	for l in "$@"; do printf '%s\n' "$l" | sed 's/^/#   /'; done
}
tap_done() {
	echo "1..$n"
	exit "$failed"
}
