#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Runs inside the VM tier's guest (the host's userland on Debian's stock kernel): loads
# the kernel features the tests need, runs the chosen integration tests with kernel
# capability skips turned into failures, and leaves their exit status in /run/vm/status.
#
# usage: [VM_UNIT="unit-test binaries"] [VM_INTEGRATION=0] guest.sh CHECKOUT BIN [pattern ...]
# (VM_INTEGRATION=0: the VM_UNIT programs alone, no integration test)
set -u
cd "$1" || exit 1
bin=$2
shift 2
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
export PYTHONDONTWRITEBYTECODE=1 CNI_TEST_KERNEL_REQUIRED=1
echo "vm: $(uname -r) userland up $(cut -d' ' -f1 /proc/uptime) s after boot"
ip link set lo up
modprobe -a veth bridge 8021q dummy ipvlan macvlan vrf || echo "vm: modprobe failed"
rc=0
# Unit binaries with live kernel tests (VM_UNIT): a skip for a kernel reason fails here too.
for t in $VM_UNIT; do
	echo "# $t"
	"$t" >/tmp/unit.out 2>&1 || rc=1
	cat /tmp/unit.out
	if grep -i '^ok [0-9]* - .*# SKIP .*kernel' /tmp/unit.out; then
		echo "vm: FAIL: $t skipped a test for a kernel reason"
		rc=1
	fi
done
if [ "${VM_INTEGRATION:-1}" != 0 ]; then
	python3 tests/run_integration.py --bin "$bin" "$@" || rc=1
fi
echo "$rc" >/run/vm/status
echo "vm: tests exited $rc after $(cut -d' ' -f1 /proc/uptime) s"
