# SPDX-License-Identifier: Apache-2.0
# What the demos share: how they print (numbered steps, notes, checks, the failure, and
# commands shown with their output indented) and how they run in a namespace and wait for a
# condition. Sourced by demo/demo.sh and demo/cluster.sh.
# shellcheck shell=bash
if [ -t 1 ]; then B=$'\e[1m' G=$'\e[32m' R=$'\e[31m' D=$'\e[2m' N=$'\e[0m'; else B= G= R= D= N=; fi
STEP=0
step() { STEP=$((STEP + 1)); printf '\n%s== %d. %s%s\n' "$B" "$STEP" "$*" "$N"; }
say() { printf '   %s\n' "$*"; }
ok() { printf '   %s✔ %s%s\n' "$G" "$*" "$N"; }
die() { printf '\n%s✘ demo failed: %s%s\n' "$R" "$*" "$N" >&2; exit 1; }
indent() { sed 's/^/     /'; }
# Show a command, run it, indent its output.
run() {
	printf '   %s$ %s%s\n' "$D" "$*" "$N"
	local out rc=0
	out=$("$@" 2>&1) || rc=$?
	[ -n "$out" ] && printf '%s\n' "$out" | indent
	return $rc
}
in_ns() { local ns=$1; shift; nsenter --net=/run/netns/"$ns" -- "$@"; }
# wait_until <what> <command...>: run the command until it succeeds; the 60 s bound only
# stops a hang, it never decides the outcome on a machine that works.
wait_until() {
	local what=$1 end=$((SECONDS + 60))
	shift
	until "$@"; do
		[ "$SECONDS" -lt "$end" ] || die "$what: not so after 60 s"
		sleep 0.05
	done
}
# listening <netns path> <port>: a TCP socket listens on port in that namespace.
listening() { [ -n "$(nsenter --net="$1" -- ss -Hltn "sport = :$2")" ]; }
