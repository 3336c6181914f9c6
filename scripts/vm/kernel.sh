#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Fetch Debian's stock kernel package for the VM test tier and unpack it under DIR,
# never installing it: DIR/<package>/boot/vmlinuz-* and DIR/<package>/lib/modules/<ver>/
# (with the modules.dep that depmod writes). The package is the newest that apt knows
# matching VM_KERNEL_PATTERN (or exactly VM_KERNEL_PKG); an unpacked one is reused
# without any download. Prints the unpacked package directory on stdout.
#
# usage: kernel.sh DIR
set -eu

dir=$1
pattern=${VM_KERNEL_PATTERN:-'^linux-image-[0-9.]+-[0-9]+-amd64-unsigned$'}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

pkg=${VM_KERNEL_PKG:-}
if [ -z "$pkg" ]; then
	pkg=$(apt-cache search --names-only "$pattern" | awk '{print $1}' | sort -V | tail -n 1)
fi
if [ -z "$pkg" ] && [ "$(id -u)" = 0 ] && ! ls "$dir" | grep -qE "$pattern"; then
	# A fresh machine has no package lists yet.
	apt-get -o DPkg::Lock::Timeout=1800 update -qq >&2 || true
	pkg=$(apt-cache search --names-only "$pattern" | awk '{print $1}' | sort -V | tail -n 1)
fi
if [ -z "$pkg" ]; then
	# apt's lists may be missing on a fresh machine; an earlier unpack still serves.
	pkg=$(ls "$dir" 2>/dev/null | grep -E "$pattern" | sort -V | tail -n 1 || true)
fi
if [ -z "$pkg" ]; then
	echo "vm: no kernel package matches $pattern (apt-get update?)" >&2
	exit 1
fi

out="$dir/$pkg"
if [ ! -e "$out/.unpacked" ]; then
	echo "vm: fetching $pkg" >&2
	rm -rf "$out" "$dir/dl"
	mkdir -p "$dir/dl"
	# apt-get download writes into the current directory (as _apt where it can).
	(cd "$dir/dl" && apt-get download -q "$pkg" >&2)
	dpkg-deb -x "$dir"/dl/*.deb "$out.tmp"
	rm -rf "$dir/dl"
	ver=$(ls "$out.tmp/lib/modules")
	depmod -b "$out.tmp" "$ver"
	mv "$out.tmp" "$out"
	touch "$out/.unpacked"
	# Only the newest stays: an older unpacked package is not needed any more.
	for old in "$dir"/*; do
		[ "$old" = "$out" ] || [ "$old" = "$dir/dl" ] || rm -rf "$old"
	done
fi
echo "$out"
