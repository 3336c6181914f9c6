#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Install what building, the demo and the tests need on Debian 12 (run as root).
# Skips apt entirely when everything is already present.
set -eu

PKGS="build-essential pkg-config libcjson-dev libmnl-dev libnftnl-dev clang libclang-rt-14-dev \
iproute2 nftables conntrack iputils-ping socat curl python3 procps util-linux strace \
containernetworking-plugins podman runc busybox-static uidmap iptables containerd \
python3-grpcio python3-grpc-tools gnuplot-nox"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "deps: all packages present"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing; run as root (sudo make deps)" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
