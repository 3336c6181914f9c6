#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Install what building, the demo and the tests need on Debian 12 (run as root).
# Skips apt entirely when everything is already present.
set -eu

PKGS="build-essential pkg-config libcjson-dev libmnl-dev libnftnl-dev clang libclang-rt-14-dev \
iproute2 nftables conntrack iputils-ping socat curl python3 procps util-linux strace \
containernetworking-plugins podman runc busybox-static uidmap iptables containerd \
python3-grpcio python3-grpc-tools gnuplot-nox qemu-system-x86 cpio kmod dnsmasq-base netavark"

# The VM tier's kernel (make check-vm) and the Debian packages its packaging scenarios
# install (make check-deb-vm): downloaded under build/, never installed; a second run
# finds them there and downloads nothing.
vm_kernel() {
	top=$(cd "$(dirname "$0")/.." && pwd)
	sh "$top/scripts/vm/kernel.sh" "$top/build/vm/kernel" >/dev/null
	sh "$top/scripts/vm/debs.sh" "$top/build/vm/debs" >/dev/null
}

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "deps: all packages present"
	vm_kernel
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing; run as root (sudo make deps)" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# Another apt run holding the lock is waited for, not fought.
apt-get -o DPkg::Lock::Timeout=1800 update -qq
apt-get -o DPkg::Lock::Timeout=1800 install -y -qq --no-install-recommends $missing >/dev/null
vm_kernel
