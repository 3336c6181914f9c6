#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Runs inside the VM tier's guest (the host's userland on Debian's stock kernel): loads
# the kernel features the tests need, runs the chosen integration tests with kernel
# capability skips turned into failures, and leaves their exit status in /run/vm/status.
#
# usage: guest.sh CHECKOUT BIN [pattern ...]
set -u
cd "$1"
bin=$2
shift 2
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
export PYTHONDONTWRITEBYTECODE=1 CNI_TEST_KERNEL_REQUIRED=1
echo "vm: $(uname -r) userland up $(cut -d' ' -f1 /proc/uptime) s after boot"
ip link set lo up
modprobe -a veth bridge 8021q dummy ipvlan macvlan vrf || echo "vm: modprobe failed"
python3 tests/run_integration.py --bin "$bin" "$@"
rc=$?
echo "$rc" >/run/vm/status
echo "vm: tests exited $rc after $(cut -d' ' -f1 /proc/uptime) s"
