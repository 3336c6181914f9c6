#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The cni-c cluster demo: three Kubernetes-style nodes on a shared fabric, each
# with its own podCIDR and a kubelet-style network (loopback; bridge cbr0 with
# host-local, portmap, bandwidth and tuning), routes between the podCIDRs as a
# cloud route controller installs them, pods on every node, then a drain.
#
# Every node, the fabric and the "outside" host are network namespaces created
# here; the machine's own interfaces, routes and firewall are never touched.
# Pods are started through containerd's CRI on each node (containerd 1.6 run
# by hand in the node's namespace and a private mount namespace, with our bin/
# as its only CNI bin dir) where the machine allows it, through bin/cnitool
# otherwise; the demo says which. Whatever happens, the trap removes it all.
#
#   sudo demo/cluster.sh        (or: make demo-cluster)
#
# Environment: BIN (default <repo>/bin), DEMO_NO_BUILD=1 (skip `make`),
# CLUSTER_MODE=cri|cnitool (default: cri when containerd can run here).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${BIN:-$ROOT/bin}
CONF_TEMPLATE=$ROOT/demo/cluster/10-kubelet.conflist
LOOPBACK_CONF=$ROOT/test-configs/99-loopback.conflist
CRI_DIR=$ROOT/tests/integration/cri
NET=k8s-pod-network
ID=$$
P=ccl-$ID # every namespace of the demo starts with this
FABRIC=$P-fabric
OUTSIDE=$P-outside
OUTSIDE_ADDR=198.51.100.254
NODES=(1 2 3)
HOSTPORT=8080
CGROUP_PARENT=cnidemo-$ID
TMP=
MODE=
GRPC_PY=
PIDS=()      # background processes started here (servers, holders, containerd)
HOLDER=()    # per node: the PID holding its private mount namespace (cri mode)
MNTNS=()     # per node: that mount namespace's identity, to find its processes later
CTD=()       # per node: containerd's PID (cri mode)
PODS=()      # "node name id" of every pod started
CG_BEFORE=

node_ns() { echo "$P-node$1"; }
node_addr() { echo "198.51.100.1$1"; }
pod_cidr() { echo "10.244.$1.0/24"; }

# ---- output and waiting helpers -------------------------------------------
# shellcheck source=demo/lib.sh
. "$ROOT/demo/lib.sh"
label() { local l=${1#"$P"-}; echo "${l#/proc/}"; }
# run_ns <netns name or path> <cmd...>: like run, inside a namespace, labelled.
run_ns() {
	local ns=$1 path out rc=0
	shift
	case $ns in /*) path=$ns ;; *) path=/run/netns/$ns ;; esac
	printf '   %s[%s]$ %s%s\n' "$D" "${LABEL:-$(label "$ns")}" "$*" "$N"
	out=$(nsenter --net="$path" -- "$@" 2>&1) || rc=$?
	[ -n "$out" ] && printf '%s\n' "$out" | indent
	return $rc
}

# ---- cleanup, on success and on any failure --------------------------------
cleanup() {
	local rc=$?
	set +e
	trap - EXIT INT TERM
	drain_all >/dev/null 2>&1
	for n in "${!CTD[@]}"; do stop_containerd "$n"; done
	for n in "${!HOLDER[@]}"; do
		kill_inside "$n"
		kill "${HOLDER[$n]}" 2>/dev/null
		wait "${HOLDER[$n]}" 2>/dev/null
	done
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$P-"); do
		ip netns del "$ns" 2>/dev/null
	done
	remove_cgroups
	[ -n "$TMP" ] && rm -rf "$TMP"
	if [ $rc -ne 0 ]; then
		printf '%scleaned up after the failure (namespaces %s-*, containerd, %s removed)%s\n' \
			"$R" "$P" "${TMP:-temp dir}" "$N" >&2
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# cgroups made for the pods: our own parent, and containerd's defaults if they
# did not exist before the demo.
cgroup_dirs() { ls -d /sys/fs/cgroup/*/"$1" 2>/dev/null || true; }
remove_cgroups() {
	local d
	for d in $(cgroup_dirs "$CGROUP_PARENT") $(cgroup_dirs k8s.io) $(cgroup_dirs default); do
		grep -qxF "$d" <<<"$CG_BEFORE" && continue
		find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
}

# ---- containerd on a node (cri mode) ---------------------------------------
ctd_dir() { echo "$TMP/node$1/containerd"; }
sock() { echo "$(ctd_dir "$1")/containerd.sock"; }
cri() { # cri <node> <method> [json]: one CRI call through tests/integration/cri/client.py
	local req=${3:-}
	[ -n "$req" ] || req='{}'
	"$GRPC_PY" "$CRI_DIR/client.py" --address "$(sock "$1")" --gen-dir "$TMP/cri-gen" "$2" "$req"
}
start_containerd() {
	local n=$1 dir ns ready
	dir=$(ctd_dir "$n") ns=$(node_ns "$n") ready=$dir/mnt-ready
	mkdir -p "$dir/net.d"
	cp "$TMP/node$n/net.d/"* "$dir/net.d/"
	cat >"$dir/config.toml" <<-EOF
		version = 2
		root = "/var/lib/containerd"
		state = "/run/containerd"
		[grpc]
		  address = "$(sock "$n")"
		[plugins."io.containerd.grpc.v1.cri"]
		  restrict_oom_score_adj = true
		  sandbox_image = "localhost/cnitest-busybox:latest"
		  [plugins."io.containerd.grpc.v1.cri".cni]
		    bin_dir = "/opt/cni/bin"
		    conf_dir = "/etc/cni/net.d"
		    max_conf_num = 1
	EOF
	# The private mount namespace: tmpfs over containerd's and libcni's state and
	# over /usr/lib/cni (Debian's go-cni looks there too), our bin/ as /opt/cni/bin.
	nsenter --net=/run/netns/"$ns" -- unshare --mount --propagation private -- sh -c '
		set -e
		for d in /run /var/lib /opt /etc/cni /usr/lib/cni; do
			[ -d $d ] && mount -t tmpfs tmpfs $d
		done
		mkdir -p /opt/cni/bin /etc/cni/net.d
		mount --bind "$1" /opt/cni/bin
		cp "$2"/* /etc/cni/net.d/
		touch "$3"
		exec sleep 1000000' sh "$BIN" "$dir/net.d" "$ready" &
	HOLDER[$n]=$!
	wait_until "node $n: containerd's mount namespace" test -e "$ready"
	MNTNS[$n]=$(readlink /proc/"${HOLDER[$n]}"/ns/mnt)
	CNI_PORTMAP_STATE_DIR=$TMP/portmap-state \
		nsenter -t "${HOLDER[$n]}" -m -n -- containerd --config "$dir/config.toml" \
		>"$dir/containerd.log" 2>&1 &
	CTD[$n]=$!
	local end=$((SECONDS + 60))
	until cri "$n" Version >/dev/null 2>&1; do
		kill -0 "${CTD[$n]}" 2>/dev/null && [ "$SECONDS" -lt "$end" ] || break
		sleep 0.1
	done
	cri "$n" Version >/dev/null 2>&1 || {
		tail -5 "$dir/containerd.log" >&2
		die "node $n: containerd did not come up"
	}
	nsenter -t "${HOLDER[$n]}" -m -n -- ctr --address "$(sock "$n")" -n k8s.io image import \
		"$TMP/image.tar" >/dev/null || die "node $n: image import failed"
}
stop_containerd() {
	local n=$1 pid=${CTD[$1]:-}
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null || true
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	unset 'CTD[$n]'
}
# Everything still in a node's private mount namespace (containerd, its shims;
# found by the namespace's identity, so even when the holder is gone) and the
# pods' processes (in the demo's own cgroup), by PID; then wait for them to go.
kill_inside() {
	local mnt=${MNTNS[$1]:-} h=${HOLDER[$1]} pid pids end=$((SECONDS + 60))
	[ -n "$mnt" ] || return 0
	while [ "$SECONDS" -lt "$end" ]; do
		pids=()
		for pid in $(cat /sys/fs/cgroup/pids/"$CGROUP_PARENT"/*/cgroup.procs 2>/dev/null); do
			pids+=("$pid")
		done
		for pid in $(ls /proc | grep -E '^[0-9]+$'); do
			[ "$pid" = "$h" ] && continue
			[ "$(readlink /proc/"$pid"/ns/mnt 2>/dev/null)" = "$mnt" ] && pids+=("$pid")
		done
		[ ${#pids[@]} -eq 0 ] && return 0
		kill -9 "${pids[@]}" 2>/dev/null
		sleep 0.1
	done
}
# Where a node keeps libcni's cache: inside its mount namespace (cri), a temp dir (cnitool).
cache_dir() {
	if [ "$MODE" = cri ]; then echo "/proc/${HOLDER[$1]}/root/var/lib/cni/results"; else echo "$TMP/node$1/cache/results"; fi
}

# ---- pods --------------------------------------------------------------------
# start_pod <node> <name> <portMappings JSON list> <bandwidth annotations: "in out" or "">
start_pod() {
	local n=$1 name=$2 ports=$3 bw=$4 uid id caps annot=
	uid=$(cat /proc/sys/kernel/random/uuid)
	if [ "$MODE" = cri ]; then
		local cports
		cports=$(python3 -c 'import json,sys
print(json.dumps([{"protocol": "TCP", "container_port": m["containerPort"], "host_port": m["hostPort"]} for m in json.loads(sys.argv[1])]))' "$ports")
		[ -n "$bw" ] && annot=$(printf '"kubernetes.io/ingress-bandwidth":"%s","kubernetes.io/egress-bandwidth":"%s"' $bw)
		local req
		req=$(printf '{"config":{"metadata":{"name":"%s","uid":"%s","namespace":"default"},"hostname":"%s","port_mappings":%s,"annotations":{%s},"linux":{"cgroup_parent":"/%s","security_context":{"namespace_options":{"pid":"CONTAINER"}}}}}' \
			"$name" "$uid" "$name" "$cports" "$annot" "$CGROUP_PARENT")
		printf '   %s[node%s]$ cri RunPodSandbox %s%s\n' "$D" "$n" "$req" "$N"
		id=$(cri "$n" RunPodSandbox "$req" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pod_sandbox_id"])') ||
			die "RunPodSandbox of $name on node $n failed"
		PODS+=("$n $name $id")
	else
		local ns=$P-$name
		ip netns add "$ns"
		in_ns "$ns" ip link set lo up
		id=$name-$uid
		PODS+=("$n $name $id")
		caps=$(printf '{"portMappings":%s' "$ports")
		[ -n "$bw" ] && caps+=$(printf ',"bandwidth":{"ingressRate":%s,"ingressBurst":%s,"egressRate":%s,"egressBurst":%s}' \
			"$(rate "${bw% *}")" "$(burst "${bw% *}")" "$(rate "${bw#* }")" "$(burst "${bw#* }")")
		caps+='}'
		printf '   %s[node%s]$ cnitool add cni-loopback, then CAP_ARGS=%s cnitool add %s /run/netns/%s%s\n' "$D" "$n" "$caps" "$NET" "$ns" "$N"
		cnitool "$n" "$id" "$name" "" add cni-loopback "$ns" >/dev/null || die "loopback ADD of $name failed"
		cnitool "$n" "$id" "$name" "$caps" add "$NET" "$ns" >/dev/null || die "ADD of $name failed"
		# The pod's web server: the host's busybox httpd inside the pod's namespace.
		mkdir -p "$TMP/www-$name/cgi-bin"
		echo "hello from a pod on cni-c" >"$TMP/www-$name/index.html"
		printf '#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\n"\necho "hello from %s, you came from $REMOTE_ADDR"\n' \
			"$name" >"$TMP/www-$name/cgi-bin/hello"
		chmod 755 "$TMP/www-$name/cgi-bin/hello"
		nsenter --net=/run/netns/"$ns" -- busybox httpd -f -p 80 -h "$TMP/www-$name" &
		PIDS+=($!)
	fi
}
# Bandwidth as the kubelet turns "10M" into the capability (bits/s, burst as the kubelet).
rate() { python3 -c 'import sys; s=sys.argv[1]; print(int(float(s[:-1]) * {"K": 1e3, "M": 1e6, "G": 1e9}[s[-1]]))' "$1"; }
burst() { echo 2147483647; }
cnitool() { # cnitool <node> <container id> <pod name> <CAP_ARGS> <verb> <net> <netns>
	local n=$1 cid=$2 name=$3 caps=$4
	shift 4
	in_ns "$(node_ns "$n")" env NETCONFPATH="$TMP/node$n/net.d" CNI_PATH="$BIN" \
		CNI_CACHE_DIR="$TMP/node$n/cache" CNI_PORTMAP_STATE_DIR="$TMP/portmap-state" \
		CNI_CONTAINERID="$cid" CAP_ARGS="$caps" \
		CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=$name;K8S_POD_INFRA_CONTAINER_ID=$cid" \
		"$BIN/cnitool" "$1" "$2" /run/netns/"$3"
}
pod_field() { # pod_field <name> <1=node 3=id>
	local p f
	for p in "${PODS[@]}"; do
		read -r -a f <<<"$p"
		[ "${f[1]}" = "$1" ] && { echo "${f[$(($2 - 1))]}"; return; }
	done
}
pod_netns() { # a path for nsenter --net
	local name=$1 n id
	n=$(pod_field "$name" 1) id=$(pod_field "$name" 3)
	if [ "$MODE" = cri ]; then
		local pid
		pid=$(cri "$n" PodSandboxStatus "{\"pod_sandbox_id\":\"$id\",\"verbose\":true}" |
			python3 -c 'import json,sys; print(json.loads(json.load(sys.stdin)["info"]["info"])["pid"])') ||
			die "PodSandboxStatus of $name failed"
		echo "/proc/$pid/ns/net"
	else
		echo "/run/netns/$P-$name"
	fi
}
pod_ip() {
	nsenter --net="$(pod_netns "$1")" -- ip -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1
}
stop_pod() { # stop_pod <node> <name> <id>
	local n=$1 name=$2 id=$3
	if [ "$MODE" = cri ]; then
		cri "$n" StopPodSandbox "{\"pod_sandbox_id\":\"$id\"}" >/dev/null &&
			cri "$n" RemovePodSandbox "{\"pod_sandbox_id\":\"$id\"}" >/dev/null
	else
		local caps
		caps=$(cat "$TMP/node$n/cache/results/$NET-$id-eth0" 2>/dev/null | python3 -c 'import json,sys
try: print(json.dumps(json.load(sys.stdin).get("capabilityArgs") or {}))
except Exception: print("{}")' 2>/dev/null || echo '{}')
		cnitool "$n" "$id" "$name" "$caps" del "$NET" "$P-$name" >/dev/null &&
			cnitool "$n" "$id" "$name" "" del cni-loopback "$P-$name" >/dev/null
	fi
}
drain_all() {
	local p
	for p in "${PODS[@]}"; do
		set -- $p
		stop_pod "$1" "$2" "$3"
	done
	PODS=()
}

# ---- 0. prerequisites --------------------------------------------------------
step "Prerequisites"
[ "$(id -u)" = 0 ] || die "run as root (the demo creates network namespaces)"
for tool in ip nsenter unshare nft tc curl socat python3 busybox; do
	command -v "$tool" >/dev/null || die "'$tool' is not installed (run: make deps)"
done
if [ "${DEMO_NO_BUILD:-}" != 1 ]; then
	run make -C "$ROOT" --no-print-directory -s || die "build failed"
fi
for b in cnitool bridge host-local portmap loopback bandwidth tuning; do
	[ -x "$BIN/$b" ] || die "$BIN/$b is missing: build it with 'make'"
done
CG_BEFORE=$(cgroup_dirs k8s.io; cgroup_dirs default)
TMP=$(mktemp -d /tmp/cni-cluster.XXXXXX)
mkdir -p "$TMP/portmap-state" "$TMP/cri-gen"

why=
for t in containerd ctr runc containerd-shim-runc-v2; do
	command -v "$t" >/dev/null || why="'$t' is not installed"
done
[ -z "$why" ] && ! dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q "ok installed" &&
	why="busybox-static is not installed"
[ -z "$why" ] && [ ! -d /etc/cni ] && why="/etc/cni does not exist (nothing to mount the private CNI config dir on)"
if [ -z "$why" ]; then
	for py in python3 /usr/bin/python3; do
		if "$py" -c 'import grpc, grpc_tools.protoc' 2>/dev/null; then GRPC_PY=$(command -v "$py"); break; fi
	done
	[ -n "$GRPC_PY" ] || why="python3-grpcio / python3-grpc-tools are not installed"
fi
case ${CLUSTER_MODE:-} in
cnitool) MODE=cnitool why="CLUSTER_MODE=cnitool" ;;
cri) [ -z "$why" ] || die "CLUSTER_MODE=cri, but containerd cannot run here: $why"; MODE=cri ;;
*) if [ -z "$why" ]; then MODE=cri; else MODE=cnitool; fi ;;
esac
ok "binaries in $BIN"
if [ "$MODE" = cri ]; then
	ok "pods go through containerd's CRI on every node ($(containerd --version | awk '{print $3}'), runc; CRI client: tests/integration/cri/client.py)"
else
	ok "pods go through bin/cnitool on every node (containerd cannot be used: $why)"
fi

# ---- 1. the fabric and the outside host --------------------------------------
step "The fabric: a namespace $FABRIC holding the bridge every node plugs into"
run ip netns add "$FABRIC"
run_ns "$FABRIC" ip link add fabric0 type bridge
run_ns "$FABRIC" ip link set fabric0 up
run ip netns add "$OUTSIDE"
in_ns "$OUTSIDE" ip link set lo up
run ip link add eth0 netns "$OUTSIDE" type veth peer name outside netns "$FABRIC"
run_ns "$FABRIC" ip link set outside master fabric0 up
run_ns "$OUTSIDE" ip addr add "$OUTSIDE_ADDR/24" dev eth0
run_ns "$OUTSIDE" ip link set eth0 up
ok "an 'outside' host at $OUTSIDE_ADDR on the fabric; it has no route to any podCIDR"

# ---- 2. the nodes ------------------------------------------------------------
step "Three nodes, each a namespace with eth0 on the fabric"
for n in "${NODES[@]}"; do
	ns=$(node_ns "$n")
	run ip netns add "$ns"
	in_ns "$ns" ip link set lo up
	run ip link add eth0 netns "$ns" type veth peer name node$n netns "$FABRIC"
	in_ns "$FABRIC" ip link set node$n master fabric0 up
	run_ns "$ns" ip addr add "$(node_addr "$n")/24" dev eth0
	in_ns "$ns" ip link set eth0 up
done
ok "node1 $(node_addr 1), node2 $(node_addr 2), node3 $(node_addr 3)"

# ---- 3. podCIDRs and the kubelet-style network config ---------------------
step "Each node gets its podCIDR and the kubelet-style network config"
say "the chain (demo/cluster/10-kubelet.conflist): bridge cbr0 + host-local, portmap, bandwidth, tuning;"
say "the pod's lo comes first from the loopback plugin (containerd's CRI does that itself)"
for n in "${NODES[@]}"; do
	mkdir -p "$TMP/node$n/net.d"
	python3 - "$CONF_TEMPLATE" "$TMP/node$n/net.d/10-kubelet.conflist" "$(pod_cidr "$n")" \
		"$TMP/node$n/ipam" "$TMP/node$n/tuning" <<-'PY'
		import json, sys
		src, dst, cidr, ipam, tuning = sys.argv[1:]
		conf = json.load(open(src))
		for p in conf["plugins"]:
		    if p["type"] == "bridge":
		        p["ipam"]["ranges"] = [[{"subnet": cidr}]]
		        p["ipam"]["dataDir"] = ipam
		    if p["type"] == "tuning":
		        p["dataDir"] = tuning
		json.dump(conf, open(dst, "w"), indent=2)
	PY
	[ "$MODE" = cnitool ] && cp "$LOOPBACK_CONF" "$TMP/node$n/net.d/99-loopback.conflist"
	say "node$n: podCIDR $(pod_cidr "$n"), config in $TMP/node$n/net.d (IPAM data in $TMP/node$n/ipam)"
done
run cat "$TMP/node2/net.d/10-kubelet.conflist"

# ---- 4. routes between the podCIDRs ----------------------------------------
step "Routes between the podCIDRs, as a cloud route controller installs them"
for n in "${NODES[@]}"; do
	for m in "${NODES[@]}"; do
		[ "$n" = "$m" ] && continue
		run_ns "$(node_ns "$n")" ip route add "$(pod_cidr "$m")" via "$(node_addr "$m")"
	done
done
run_ns "$(node_ns 1)" ip route
ok "every node routes the other nodes' podCIDRs to them over the fabric"

# ---- 5. containerd on every node -------------------------------------------------
if [ "$MODE" = cri ]; then
	step "Start containerd on every node (no systemd: by hand, inside the node's namespace)"
	say "each containerd runs in a private mount namespace: tmpfs over /run, /var/lib, /opt, /etc/cni"
	say "and /usr/lib/cni; /opt/cni/bin is $BIN, /etc/cni/net.d holds the node's conflist"
	python3 "$CRI_DIR/image.py" "$TMP/image.tar"
	say "image localhost/cnitest-busybox:latest built from busybox-static (nothing is pulled);"
	say "it is also the sandbox ('pause') image, its process a busybox httpd on port 80"
	for n in "${NODES[@]}"; do
		start_containerd "$n"
		ok "node$n: containerd pid ${CTD[$n]}, socket $(sock "$n")"
	done
	say "'cri' below is: $GRPC_PY tests/integration/cri/client.py --address <node's socket> METHOD JSON"
	LABEL=node1 run cri 1 Version
fi

# ---- 6. pods -----------------------------------------------------------------
step "Start a pod on every node ($([ "$MODE" = cri ] && echo "RunPodSandbox through containerd's CRI" || echo "cnitool add, as a CRI would"))"
start_pod 1 web-1 '[]' ""
start_pod 2 web-2 "[{\"hostPort\":$HOSTPORT,\"containerPort\":80,\"protocol\":\"tcp\"}]" "10M 10M"
start_pod 3 web-3 '[]' ""
say "web-2 has hostPort $HOSTPORT -> 80 and the kubelet's annotations"
say "kubernetes.io/ingress-bandwidth=10M, kubernetes.io/egress-bandwidth=10M"
IP1=$(pod_ip web-1) IP2=$(pod_ip web-2) IP3=$(pod_ip web-3)
for name in web-1 web-2 web-3; do
	n=$(pod_field "$name" 1)
	if [ "$MODE" = cri ]; then
		st=$(cri "$n" PodSandboxStatus "{\"pod_sandbox_id\":\"$(pod_field "$name" 3)\"}" |
			python3 -c 'import json,sys; s=json.load(sys.stdin)["status"]; print(s["state"], s["network"]["ip"])')
		say "node$n: $name  $st  (PodSandboxStatus)"
	else
		say "node$n: $name  $(pod_ip "$name")"
	fi
done
LABEL=node2 run_ns "$(node_ns 2)" ip -br addr show
LABEL=web-2 run_ns "$(pod_netns web-2)" ip -br addr show
LABEL=web-2 run_ns "$(pod_netns web-2)" ip route
for n in "${NODES[@]}"; do
	case $(pod_ip web-$n) in 10.244.$n.*) ;; *) die "web-$n did not get an address from $(pod_cidr "$n")" ;; esac
done
ok "every pod has an address from its node's podCIDR"

# ---- 7. pod to pod across nodes -------------------------------------------------
step "Pod to pod across nodes (routed over the fabric)"
for n in "${NODES[@]}"; do
	wait_until "web-$n's web server" listening "$(pod_netns web-$n)" 80
done
LABEL=web-1 run_ns "$(pod_netns web-1)" ping -c 2 -W 30 "$IP2" || die "web-1 cannot reach web-2"
LABEL=web-3 run_ns "$(pod_netns web-3)" ping -c 2 -W 30 "$IP1" || die "web-3 cannot reach web-1"
LABEL=web-1 run_ns "$(pod_netns web-1)" curl -s -m 30 "http://$IP3/cgi-bin/hello" || die "web-1 cannot fetch from web-3"
say "(the bridge's ipMasq masquerades what leaves the podCIDR, so web-3 sees node1's address;"
say " clusters that keep pod addresses across nodes set ipMasq false and masquerade elsewhere)"
ok "web-1 ($IP1) <-> web-2 ($IP2), web-3 ($IP3) <-> web-1"

# ---- 8. the hostPort on node 2 ----------------------------------------------------
step "hostPort $HOSTPORT on node2, from a pod on node1 and from outside"
LABEL=node2 run_ns "$(node_ns 2)" nft list chain ip cni_hostport hostports
url=http://$(node_addr 2):$HOSTPORT/cgi-bin/hello
LABEL=web-1 run_ns "$(pod_netns web-1)" curl -s -m 30 "$url" || die "web-1 cannot reach node2's hostPort"
run_ns "$OUTSIDE" curl -s -m 30 "$url" || die "outside cannot reach node2's hostPort"
ok "node2's hostPort forwards to web-2 from another node's pod and from outside"

# ---- 9. egress masquerade ------------------------------------------------------------
step "Egress to outside is masqueraded as the node"
say "outside runs a TCP server that prints the source address it sees:"
printf '   %s[outside]$ socat TCP-LISTEN:9000,fork SYSTEM:'"'"'echo $SOCAT_PEERADDR'"'"' &%s\n' "$D" "$N"
nsenter --net=/run/netns/"$OUTSIDE" -- socat TCP4-LISTEN:9000,bind=$OUTSIDE_ADDR,reuseaddr,fork \
	'SYSTEM:echo $SOCAT_PEERADDR' >/dev/null 2>&1 &
PIDS+=($!)
wait_until "the server outside" listening /run/netns/"$OUTSIDE" 9000
for name in web-1 web-3; do
	n=$(pod_field "$name" 1)
	printf '   %s[%s]$ socat - TCP:%s:9000%s\n' "$D" "$name" "$OUTSIDE_ADDR" "$N"
	seen=$(nsenter --net="$(pod_netns "$name")" -- socat -t30 -T30 - TCP:$OUTSIDE_ADDR:9000 </dev/null) ||
		die "$name cannot reach outside"
	printf '     %s\n' "$seen"
	[ "$seen" = "$(node_addr "$n")" ] || die "$name reached outside as '$seen', not as node$n ($(node_addr "$n"))"
	ok "$name ($(pod_ip "$name")) reaches outside as node$n ($(node_addr "$n"))"
done
LABEL=node1 run_ns "$(node_ns 1)" nft list chain inet cni_plugins_masquerade masq_checks

# ---- 10. per-pod shaping and tuning -------------------------------------------------
step "Per-pod shaping (bandwidth) and sysctls (tuning) on web-2"
hostveth=$(in_ns "$(node_ns 2)" ip -o link show master cbr0 | awk -F'[:@ ]+' 'NR == 1 {print $2}')
say "egress of the pod: a tbf on the ifb its host veth $hostveth redirects to; ingress: a tbf on the veth"
LABEL=node2 run_ns "$(node_ns 2)" tc qdisc show dev "$hostveth"
ifb=$(in_ns "$(node_ns 2)" ip -o link show type ifb | awk -F'[: ]+' 'NR == 1 {print $2}')
[ -n "$ifb" ] || die "no ifb device for web-2's egress shaping"
LABEL=node2 run_ns "$(node_ns 2)" tc qdisc show dev "$ifb"
q=$(in_ns "$(node_ns 2)" tc qdisc show dev "$hostveth")
grep -q 'tbf' <<<"$q" || die "no tbf on $hostveth"
for n in 1 3; do
	[ -z "$(in_ns "$(node_ns "$n")" ip -o link show type ifb)" ] || die "node$n has an ifb, but its pod asked for no shaping"
done
LABEL=web-2 run_ns "$(pod_netns web-2)" cat /proc/sys/net/core/somaxconn
ok "web-2 is shaped to 10 Mbit/s each way; the other pods are not; tuning set somaxconn in the pod"

# ---- 11. drain ---------------------------------------------------------------------
step "Drain every node ($([ "$MODE" = cri ] && echo "StopPodSandbox and RemovePodSandbox" || echo "cnitool del"))"
for p in "${PODS[@]}"; do
	set -- $p
	if [ "$MODE" = cri ]; then
		printf '   %s[node%s]$ cri StopPodSandbox {"pod_sandbox_id":"%.13s…"}; cri RemovePodSandbox …   (%s)%s\n' "$D" "$1" "$3" "$2" "$N"
	else
		printf '   %s[node%s]$ cnitool del %s /run/netns/%s-%s; cnitool del cni-loopback ...%s\n' "$D" "$1" "$NET" "$P" "$2" "$N"
	fi
	stop_pod "$1" "$2" "$3" || die "draining $2 on node$1 failed"
done
PODS_DRAINED=("web-1 $IP1" "web-2 $IP2" "web-3 $IP3")
PODS=()
[ "$MODE" = cri ] && for n in "${NODES[@]}"; do
	left=$(cri "$n" ListPodSandbox | python3 -c 'import json,sys; print(len(json.load(sys.stdin).get("items", [])))')
	[ "$left" = 0 ] || die "node$n still lists $left pods"
done
ok "every pod stopped and removed"

step "Nothing is left on any node"
for n in "${NODES[@]}"; do
	ns=$(node_ns "$n")
	veths=$(in_ns "$ns" ip -o link show type veth 2>/dev/null | grep -v ' eth0@' || true)
	[ -z "$veths" ] || die "node$n: veths left: $veths"
	[ -z "$(in_ns "$ns" ip -o link show type ifb)" ] || die "node$n: ifb left"
	left=$(find "$TMP/node$n/ipam" -type f ! -name lock ! -name 'last_reserved_ip.*' ! -name '.*' 2>/dev/null)
	[ -z "$left" ] || die "node$n: reservations left: $left"
	[ -z "$(ls -A "$(cache_dir "$n")" 2>/dev/null)" ] || die "node$n: libcni cache entries left"
	rules=$(in_ns "$ns" nft list ruleset)
	for x in "${PODS_DRAINED[@]}"; do
		ip=${x#* }
		if grep -qw -- "$ip" <<<"$rules"; then die "node$n: nftables rules mention $ip"; fi
	done
	ok "node$n: no veth, ifb, reservation, cache entry or rule of a pod (cbr0 and the empty tables stay)"
done
run_ns "$(node_ns 2)" nft list chain ip cni_hostport hostports

# ---- 12. teardown ------------------------------------------------------------------
step "$([ "$MODE" = cri ] && echo "Stop containerd and remove" || echo "Remove") the namespaces"
if [ "$MODE" = cri ]; then
	for n in "${NODES[@]}"; do stop_containerd "$n"; ok "node$n: containerd stopped"; done
fi
say "(the EXIT trap removes the namespaces $P-*, the cgroups of the pods and $TMP)"
printf '\n%sCluster demo complete (%s): three nodes, pods on each, routed pod-to-pod, a hostPort from another node and from outside, masquerade, shaping, drained with nothing left.%s\n' \
	"$G" "$MODE" "$N"
