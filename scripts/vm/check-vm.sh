#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The VM test tier: integration tests on Debian's stock kernel under QEMU, for the kernel
# features the build machine's own kernel lacks. The guest runs the host's userland and
# this checkout (host root over 9p, read-only, under a tmpfs overlay), the tests run
# in one guest, and their output (serial console) and exit status (a writable share under
# build/) come back. The guest powers itself off; a guest that does not within
# VM_TIMEOUT seconds is killed. Nothing is left outside OUT when it ends.
#
# usage: [VM_UNIT="unit-test binaries"] [VM_INTEGRATION=0] check-vm.sh BUILD_DIR BIN_DIR [pattern ...]
# (VM_INTEGRATION=0: only the VM_UNIT programs run, no integration test)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
mkdir -p "$1"
build=$(cd "$1" && pwd)
bin=$(cd "$2" && pwd)
shift 2
timeout=${VM_TIMEOUT:-900}

for tool in qemu-system-x86_64 cpio depmod dpkg-deb apt-get timeout; do
	if ! command -v "$tool" >/dev/null; then
		echo "vm: $tool is missing (make deps)" >&2
		exit 1
	fi
done

kdir=$(sh "$here/kernel.sh" "$build/kernel")
kernel=$(ls "$kdir"/boot/vmlinuz-*)
sh "$here/mkinitramfs.sh" "$kdir" "$build/initramfs.gz"

out="$build/out"
rm -rf "$out"
mkdir -p "$out"
q() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }
{
	units=""
	for u in ${VM_UNIT:-}; do units="$units $(cd "$(dirname "$u")" && pwd)/$(basename "$u")"; done
	printf 'VM_UNIT=%s VM_INTEGRATION=%s exec sh %s %s %s' "$(q "$units")" \
		"$(q "${VM_INTEGRATION:-1}")" "$(q "$here/guest.sh")" "$(q "$top")" "$(q "$bin")"
	for p in "$@"; do printf ' %s' "$(q "$p")"; done
	echo
} >"$out/run.sh"
# Where the checkout is: the guest mounts its own tmpfs on /tmp and /run, which would hide a
# checkout under them (a CI clone in mktemp -d), so the checkout is also shared by itself.
printf '%s\n' "$top" >"$out/checkout"

# KVM where the machine has it (a /dev/kvm and a CPU with virtualization extensions: a
# /dev/kvm without them boots nothing), else software emulation; VM_ACCEL overrides.
accel=${VM_ACCEL:-}
if [ -z "$accel" ]; then
	accel=tcg
	if [ -r /dev/kvm ] && [ -w /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo; then
		accel=kvm
	fi
fi

if [ "${VM_INTEGRATION:-1}" = 0 ]; then
	tests=none
else
	tests=${*:-all}
fi
echo "vm: booting $(basename "$kernel") ($accel, timeout ${timeout} s); tests: $tests"
start=$(date +%s)
set +e
# timeout(1) kills the qemu it started (SIGTERM, then SIGKILL 10 s later); this script,
# stopped by a signal, stops it the same way (timeout passes the signal on to qemu).
timeout -k 10 "$timeout" qemu-system-x86_64 -accel "$accel" -cpu max -m 2048 -smp 2 \
	-machine q35 -nodefaults -no-user-config -display none -no-reboot -net none \
	-chardev stdio,id=con,signal=off,logfile="$out/console.log" -serial chardev:con \
	-kernel "$kernel" -initrd "$build/initramfs.gz" \
	-append "console=ttyS0 quiet panic=-1 oops=panic" \
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
	-virtfs local,path="$kdir/lib/modules",mount_tag=modules,security_model=none,readonly=on \
	-virtfs local,path="$out",mount_tag=results,security_model=none \
	-virtfs local,path="$top",mount_tag=checkout,security_model=none,readonly=on,multidevs=remap \
	</dev/null &
tpid=$!
stopped=""
trap 'stopped=1; kill -TERM $tpid 2>/dev/null' INT TERM HUP
while :; do
	wait "$tpid"
	qrc=$?
	kill -0 "$tpid" 2>/dev/null || break
done
trap - INT TERM HUP
set -e
if [ -n "$stopped" ]; then
	echo "vm: FAIL: stopped by a signal; the guest was killed"
	exit 1
fi
took=$(($(date +%s) - start))

if [ "$qrc" = 124 ]; then
	echo "vm: FAIL: the guest did not power off within ${timeout} s and was killed"
	exit 1
fi
if [ "$qrc" != 0 ]; then
	echo "vm: FAIL: qemu exited $qrc"
	exit 1
fi
if [ ! -s "$out/status" ]; then
	echo "vm: FAIL: the guest powered off without a test status (see $out/console.log)"
	exit 1
fi
rc=$(cat "$out/status")
echo "vm: guest ran ${took} s, tests exited $rc"
[ "$rc" = 0 ]
