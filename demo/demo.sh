#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The cni-c demo: two containers on the containerd default network, wired by our
# bridge, host-local and portmap plugins through bin/cnitool.
#
# Everything happens inside network namespaces created here (one playing the
# node, two playing containers); the machine's own interfaces, routes and
# firewall are never touched. Plugin state (IPAM reservations, cnitool's result
# cache, the network config) lives in a temporary directory. Whatever happens,
# the trap removes all of it.
#
#   sudo demo/demo.sh          (or: make demo)
#
# Environment: BIN (default <repo>/bin), DEMO_NO_BUILD=1 (skip `make`), DEMO_PORT (8080).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${BIN:-$ROOT/bin}
PORT=${DEMO_PORT:-8080}
NET=containerd-net
CONFIG=$ROOT/test-configs/10-containerd-net.conflist
ID=$$
NODE=cnidemo-$ID-node
C1=cnidemo-$ID-c1
C2=cnidemo-$ID-c2
NODE_ADDR=192.0.2.1
TMP=
SERVER_PID=
ATTACHED=()

# ---- output and waiting helpers -------------------------------------------
# shellcheck source=demo/lib.sh
. "$ROOT/demo/lib.sh"
# run_ns <netns> <cmd...>: like run, inside a namespace, labelled with its role.
run_ns() {
	local ns=$1 label out rc=0
	shift
	label=${ns#cnidemo-"$ID"-}
	printf '   %s[%s]$ %s%s\n' "$D" "$label" "$*" "$N"
	out=$(in_ns "$ns" "$@" 2>&1) || rc=$?
	[ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/     /'
	return $rc
}
cnitool() {
	in_ns "$NODE" env NETCONFPATH="$TMP/net.d" CNI_PATH="$BIN" CNI_CACHE_DIR="$TMP/cache" \
		"$BIN/cnitool" "$@"
}

# ---- cleanup, on success and on any failure --------------------------------
cleanup() {
	local rc=$?
	set +e
	trap - EXIT INT TERM
	if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; fi
	# Let the plugins undo what they did, then drop the namespaces (which takes any
	# leftover bridge, veth or nftables table with them).
	for a in "${ATTACHED[@]}"; do
		[ -n "$a" ] || continue
		read -r ns caps <<<"$a"
		CAP_ARGS="$caps" cnitool del "$NET" /run/netns/"$ns" >/dev/null 2>&1
	done
	for ns in "$C1" "$C2" "$NODE"; do
		ip netns del "$ns" 2>/dev/null
	done
	[ -n "$TMP" ] && rm -rf "$TMP"
	if [ $rc -ne 0 ]; then
		printf '%scleaned up after the failure (namespaces %s-*, %s removed)%s\n' "$R" \
			"cnidemo-$ID" "${TMP:-temp dir}" "$N" >&2
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- 0. prerequisites -----------------------------------------------------
step "Prerequisites"
[ "$(id -u)" = 0 ] || die "run as root (the demo creates network namespaces)"
for tool in ip nsenter nft curl ping python3; do
	command -v "$tool" >/dev/null || die "'$tool' is not installed (run: make deps)"
done
if [ "${DEMO_NO_BUILD:-}" != 1 ]; then
	run make -C "$ROOT" --no-print-directory -s || die "build failed"
fi
for b in cnitool bridge host-local portmap; do
	[ -x "$BIN/$b" ] || die "$BIN/$b is missing: build it with 'make' (the demo needs bin/cnitool, bin/bridge, bin/host-local and bin/portmap)"
done
[ -f "$CONFIG" ] || die "$CONFIG is missing"
if command -v busybox >/dev/null; then HTTPD=busybox; else HTTPD=python3; fi
ok "binaries in $BIN, HTTP server: $HTTPD"

TMP=$(mktemp -d /tmp/cni-demo.XXXXXX)
mkdir -p "$TMP/net.d" "$TMP/www"

# ---- 1. the node ----------------------------------------------------------
step "Create the 'node' namespace $NODE (the machine's own network is not touched)"
run ip netns add "$NODE"
run_ns "$NODE" ip link set lo up
say "give the node an uplink address $NODE_ADDR (a veth pair inside the node)"
run_ns "$NODE" ip link add eth0 type veth peer name uplink0
run_ns "$NODE" ip addr add "$NODE_ADDR/24" dev eth0
run_ns "$NODE" ip link set eth0 up
run_ns "$NODE" ip link set uplink0 up
ok "node ready"

step "Create two 'container' namespaces"
for ns in "$C1" "$C2"; do
	run ip netns add "$ns"
	run_ns "$ns" ip link set lo up
done
ok "$C1 and $C2 exist, with only a loopback interface"

# ---- 2. the network config ------------------------------------------------
step "Install the containerd default network config (dataDir moved to a temp dir)"
python3 - "$CONFIG" "$TMP/net.d/10-containerd-net.conflist" "$TMP/ipam" <<'PY'
import json, sys
src, dst, data = sys.argv[1:]
conf = json.load(open(src))
for p in conf["plugins"]:
    if p.get("ipam", {}).get("type"):
        p["ipam"]["dataDir"] = data
json.dump(conf, open(dst, "w"), indent=2)
PY
run cat "$CONFIG"
say "copied to $TMP/net.d/ with ipam.dataDir = $TMP/ipam (instead of /var/lib/cni/networks)"
say "cnitool runs with NETCONFPATH=$TMP/net.d CNI_PATH=$BIN CNI_CACHE_DIR=$TMP/cache"

# ---- 3. ADD ---------------------------------------------------------------
CAPS1="{\"portMappings\":[{\"hostPort\":$PORT,\"containerPort\":80,\"protocol\":\"tcp\"}]}"
step "Attach $C1 with host port $PORT mapped to its port 80 (cnitool add, inside the node)"
printf '   %s[node]$ CAP_ARGS=%s cnitool add %s /run/netns/%s%s\n' "$D" "$CAPS1" "$NET" "$C1" "$N"
ATTACHED+=("$C1 $CAPS1")
R1=$(CAP_ARGS="$CAPS1" cnitool add "$NET" /run/netns/"$C1") ||
	{ printf '%s\n' "$R1" | sed 's/^/     /'; die "cnitool add failed for $C1"; }
printf '%s\n' "$R1" | sed 's/^/     /'

step "Attach $C2 (cnitool add)"
printf '   %s[node]$ cnitool add %s /run/netns/%s%s\n' "$D" "$NET" "$C2" "$N"
ATTACHED+=("$C2 ")
R2=$(cnitool add "$NET" /run/netns/"$C2") ||
	{ printf '%s\n' "$R2" | sed 's/^/     /'; die "cnitool add failed for $C2"; }
printf '%s\n' "$R2" | sed 's/^/     /'

addr() { # addr <result json> <4|6>
	python3 -c 'import json,sys; r=json.loads(sys.argv[1]); f=sys.argv[2]
print([i["address"].split("/")[0] for i in r["ips"] if (":" in i["address"]) == (f == "6")][0])' "$1" "$2"
}
IP1=$(addr "$R1" 4) IP1_6=$(addr "$R1" 6) IP2=$(addr "$R2" 4) IP2_6=$(addr "$R2" 6)

# ---- 4. what the plugins built --------------------------------------------
step "What the plugins built"
say "in the node: the bridge cni0 (gateway 10.88.0.1, fd88:0:0:1::1) and one veth per container"
run_ns "$NODE" ip -br addr show
run_ns "$NODE" ip -br link show master cni0
say "in the containers: eth0 with an address from each range, default routes via the bridge"
run_ns "$C1" ip -br addr show dev eth0
run_ns "$C1" ip route
run_ns "$C2" ip -br addr show dev eth0
say "IPAM reservations (host-local, in the temp dataDir) and cnitool's result cache"
run ls "$TMP/ipam/$NET" "$TMP/cache/results"

# ---- 5. traffic -----------------------------------------------------------
step "Ping between the containers"
run_ns "$C1" ping -c 2 -W 30 "$IP2" || die "$C1 cannot ping $C2 ($IP2)"
run_ns "$C1" ping -6 -c 2 -W 30 "$IP2_6" || die "$C1 cannot ping $C2 over IPv6 ($IP2_6)"
ok "$C1 ($IP1) <-> $C2 ($IP2), and over IPv6"

step "Serve HTTP from $C1 port 80 and fetch it through the mapped host port $PORT"
echo "hello from container $C1 ($IP1), via portmap" >"$TMP/www/index.html"
# nsenter execs the server itself, so $! is the server's PID.
if [ "$HTTPD" = busybox ]; then
	printf '   %s[c1]$ busybox httpd -f -p 80 -h %s &%s\n' "$D" "$TMP/www" "$N"
	nsenter --net=/run/netns/"$C1" -- busybox httpd -f -p 80 -h "$TMP/www" &
else
	printf '   %s[c1]$ python3 -m http.server 80 &%s\n' "$D" "$N"
	nsenter --net=/run/netns/"$C1" -- python3 -m http.server 80 --directory "$TMP/www" \
		>/dev/null 2>&1 &
fi
SERVER_PID=$!
wait_until "the web server in $C1" listening /run/netns/"$C1" 80
say "the portmap rules (nftables, in the node):"
run_ns "$NODE" nft list chain ip cni_hostport hostports || true
run_ns "$NODE" nft list chain ip cni_hostport masquerading || true
say "and the bridge's masquerading of container traffic leaving 10.88.0.0/16:"
run_ns "$NODE" nft list chain inet cni_plugins_masquerade masq_checks || true
for url in "http://$NODE_ADDR:$PORT/" "http://127.0.0.1:$PORT/"; do
	printf '   %s[node]$ curl %s%s\n' "$D" "$url" "$N"
	out=$(in_ns "$NODE" curl -s -m 30 "$url") || die "curl $url from the node failed"
	printf '     %s\n' "$out"
	ok "fetched $url from the node"
done
printf '   %s[c2]$ curl http://%s:%s/%s\n' "$D" "$NODE_ADDR" "$PORT" "$N"
out=$(in_ns "$C2" curl -s -m 30 "http://$NODE_ADDR:$PORT/") || die "curl from $C2 failed"
printf '     %s\n' "$out"
ok "fetched from the other container through the node's host port"
kill "$SERVER_PID" 2>/dev/null || true
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=

step "CHECK both attachments (cnitool check)"
printf '   %s[node]$ CAP_ARGS=%s cnitool check %s /run/netns/%s%s\n' "$D" "$CAPS1" "$NET" "$C1" "$N"
CAP_ARGS="$CAPS1" cnitool check "$NET" /run/netns/"$C1" || die "check failed for $C1"
printf '   %s[node]$ cnitool check %s /run/netns/%s%s\n' "$D" "$NET" "$C2" "$N"
cnitool check "$NET" /run/netns/"$C2" || die "check failed for $C2"
ok "both attachments are as the plugins left them"

# ---- 6. DEL and proof that nothing is left --------------------------------
step "Detach both containers (cnitool del)"
printf '   %s[node]$ CAP_ARGS=%s cnitool del %s /run/netns/%s%s\n' "$D" "$CAPS1" "$NET" "$C1" "$N"
CAP_ARGS="$CAPS1" cnitool del "$NET" /run/netns/"$C1" || die "cnitool del failed for $C1"
printf '   %s[node]$ cnitool del %s /run/netns/%s%s\n' "$D" "$NET" "$C2" "$N"
cnitool del "$NET" /run/netns/"$C2" || die "cnitool del failed for $C2"
ATTACHED=()

step "Nothing is left behind"
veths=$(in_ns "$NODE" ip -o link show type veth | grep -v -e ' eth0@' -e ' uplink0@' || true)
[ -z "$veths" ] || die "veth interfaces left in the node: $veths"
ok "no container veth in the node (cni0 itself stays, as with the reference plugin)"
for ns in "$C1" "$C2"; do
	[ -z "$(in_ns "$ns" ip -o link show dev eth0 2>/dev/null)" ] || die "eth0 left in $ns"
done
ok "no eth0 in the containers"
left=$(find "$TMP/ipam/$NET" -type f ! -name lock ! -name 'last_reserved_ip.*' ! -name '.*' 2>/dev/null)
[ -z "$left" ] || die "IP reservations left: $left"
ok "no IP reservation left in $TMP/ipam/$NET"
[ -z "$(ls -A "$TMP/cache/results" 2>/dev/null)" ] || die "cache entries left"
ok "no cached result left"
rules=$(in_ns "$NODE" nft list ruleset)
for x in "$IP1" "$IP2" "$IP1_6" "$IP2_6" cnitool-; do
	if grep -q -- "$x" <<<"$rules"; then die "nftables rules mentioning $x left behind"; fi
done
ok "no nftables rule of ours mentions the containers (the empty tables stay, as with the reference)"
run_ns "$NODE" nft list chain ip cni_hostport hostports
run_ns "$NODE" nft list chain inet cni_plugins_masquerade masq_checks

step "Tear down the namespaces and temp files"
# (the EXIT trap does it; say so explicitly on the happy path)
printf '\n%sDemo complete: two containers attached, pinged, served and fetched through a host port, detached cleanly.%s\n' "$G" "$N"
