#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# ADD/DEL latency of our bridge (+ our host-local) against Debian's Go reference
# (/usr/lib/cni, which has no nftables masquerade: ipMasq false for it), 20 iterations
# each (ITER=n to change), medians in ms. Everything happens in private namespaces: a
# "node" namespace where the plugins run and one container namespace.
#
#   bench/bridge_latency.sh [BIN_DIR]        (default: bin)
set -eu
BIN=$(cd "${1:-bin}" && pwd)
GO=${GO_CNI_DIR:-/usr/lib/cni}
ITER=${ITER:-20}
NODE=bench-node-$$
CTR=bench-ctr-$$
TMP=$(mktemp -d)
cleanup() {
	ip netns del "$NODE" 2>/dev/null || true
	ip netns del "$CTR" 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT
ip netns add "$NODE"
ip netns add "$CTR"
ip -n "$NODE" link set lo up

now_us() { echo $(($(date +%s%N) / 1000)); }

# run PLUGIN_DIR COMMAND CONF: one plugin invocation inside the node namespace.
run() {
	CNI_COMMAND=$2 CNI_CONTAINERID=benchcid CNI_NETNS=/run/netns/$CTR CNI_IFNAME=eth0 \
		CNI_PATH=$1 nsenter --net=/run/netns/$NODE "$1/bridge" <<<"$3" >"$TMP/out" ||
		{
			echo "$1/bridge $2 failed:" >&2
			cat "$TMP/out" >&2
			return 1
		}
}

median() { sort -n | awk '{a[NR]=$1} END {m=a[int((NR+1)/2)]; printf "%.1f", m/1000}'; }

# bench LABEL PLUGIN_DIR MASQ SUBNET BRIDGE
bench() {
	local conf adds=() dels=() t0 t1 t2
	conf=$(printf '{"cniVersion":"1.0.0","name":"benchnet","type":"bridge","bridge":"%s","isGateway":true,"ipMasq":%s,"ipam":{"type":"host-local","subnet":"%s","dataDir":"%s"}}' \
		"$5" "$3" "$4" "$TMP/$5")
	run "$2" ADD "$conf"
	run "$2" DEL "$conf" # warm-up (creates the bridge)
	for _ in $(seq "$ITER"); do
		t0=$(now_us)
		run "$2" ADD "$conf"
		t1=$(now_us)
		run "$2" DEL "$conf"
		t2=$(now_us)
		adds+=($((t1 - t0)))
		dels+=($((t2 - t1)))
	done
	printf '%-34s ADD %7s ms   DEL %7s ms\n' "$1" \
		"$(printf '%s\n' "${adds[@]}" | median)" "$(printf '%s\n' "${dels[@]}" | median)"
}

echo "bridge ADD/DEL latency, $ITER iterations, medians (each incl. the host-local exec)"
bench "ours   ipMasq=false" "$BIN" false 10.98.0.0/24 benchbr0
bench "ours   ipMasq=true (nftables)" "$BIN" true 10.97.0.0/24 benchbr1
if [ -x "$GO/bridge" ]; then
	bench "go 1.1.1 ipMasq=false" "$GO" false 10.96.0.0/24 benchbr2
else
	echo "($GO/bridge not installed: apt-get install containernetworking-plugins)"
fi
