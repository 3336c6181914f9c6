#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# ADD / CHECK / DEL latency of portmap (2 mappings tcp+udp), IPv4-only and dual-stack.
#
# usage: bench/portmap_latency.sh [BIN_DIR] [RUNS]
#
# Runs inside a scratch network namespace (never the host's ruleset). Each
# measurement is one plugin exec (fork+exec+work), timed from inside the
# namespace; medians are printed. When the reference Go binary is installed
# (/usr/lib/cni/portmap, Debian containernetworking-plugins) it is measured the
# same way with its default (iptables) backend if `iptables` exists.
set -euo pipefail

BIN=${1:-$(cd "$(dirname "$0")/.." && pwd)/bin}
RUNS=${2:-21}
REF=${REF:-/usr/lib/cni/portmap}
NS=pmbench-$$

cleanup() { ip netns del "$NS" 2>/dev/null || true; }
trap cleanup EXIT
ip netns add "$NS"
ip -n "$NS" link set lo up
ip -n "$NS" link add br0 type bridge
ip -n "$NS" addr add 10.99.0.1/24 dev br0
ip -n "$NS" addr add fd99::1/64 dev br0 nodad
ip -n "$NS" link set br0 up

conf() { # $1 = v4 | dual, $2 = extra keys
	local ips='{"address":"10.99.0.2/24","interface":1}'
	[ "$1" = dual ] && ips="$ips"',{"address":"fd99::2/64","interface":1}'
	cat <<EOF
{"cniVersion":"1.0.0","name":"bench","type":"portmap"$2,
 "runtimeConfig":{"portMappings":[{"hostPort":18080,"containerPort":80,"protocol":"tcp"},
                                  {"hostPort":15353,"containerPort":53,"protocol":"udp"}]},
 "prevResult":{"cniVersion":"1.0.0","interfaces":[{"name":"br0"},{"name":"eth0","sandbox":"/x"}],
               "ips":[$ips]}}
EOF
}

# measure PLUGIN STACK EXTRA: prints "ADD CHECK DEL" medians in ms
measure() {
	local plugin=$1 stack=$2 extra=$3 cfg
	cfg=$(conf "$stack" "$extra")
	ip netns exec "$NS" bash -s "$plugin" "$RUNS" "$cfg" <<'EOS'
plugin=$1 runs=$2 cfg=$3
export CNI_CONTAINERID=benchcid CNI_NETNS=/x CNI_IFNAME=eth0 CNI_PATH=/nonexistent
t() { local s e; s=$(date +%s%N); CNI_COMMAND=$1 "$plugin" <<<"$cfg" >/dev/null 2>&1 || echo "$plugin $1 failed" >&2; e=$(date +%s%N); echo $(( (e - s) / 1000 )); }
median() { sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]/1000}'; }
add=() chk=() del=()
for ((i = 0; i < runs; i++)); do add+=("$(t ADD)"); chk+=("$(t CHECK)"); del+=("$(t DEL)"); done
printf '%s %s %s\n' "$(printf '%s\n' "${add[@]}" | median)" \
	"$(printf '%s\n' "${chk[@]}" | median)" "$(printf '%s\n' "${del[@]}" | median)"
EOS
}

printf '%-34s %8s %8s %8s   (median ms over %d runs)\n' plugin ADD CHECK DEL "$RUNS"
# What a do-nothing exec of the same binary costs here (VERSION reads no stdin).
base=$(ip netns exec "$NS" bash -c 'for ((i = 0; i < '"$RUNS"'; i++)); do s=$(date +%s%N); \
	CNI_COMMAND=VERSION "$0" </dev/null >/dev/null; e=$(date +%s%N); echo $(( (e - s) / 1000 )); \
	done | sort -n | awk "{a[NR]=\$1} END {printf \"%.1f\", a[int((NR+1)/2)]/1000}"' "$BIN/portmap")
printf '%-34s %8s   (exec + dynamic linking only, for reference)\n' "C portmap VERSION" "$base"
for stack in v4 dual; do
	read -r a c d < <(measure "$BIN/portmap" "$stack" ',"backend":"nftables"')
	printf '%-34s %8s %8s %8s\n' "C portmap nftables ($stack)" "$a" "$c" "$d"
done
if [ -x "$REF" ] && command -v iptables >/dev/null; then
	for stack in v4 dual; do
		read -r a c d < <(measure "$REF" "$stack" '')
		printf '%-34s %8s %8s %8s\n' "Go $REF ($stack)" "$a" "$c" "$d"
	done
fi
