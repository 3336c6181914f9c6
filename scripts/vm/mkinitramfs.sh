#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The VM tier's initramfs: the host's busybox-static, scripts/vm/init as /init, and the
# unpacked kernel's own modules that mounting the host's root needs (virtio PCI, 9p over
# virtio, overlay), each after its dependencies in the order modules.dep gives.
#
# usage: mkinitramfs.sh KERNEL_DIR OUT   (KERNEL_DIR as kernel.sh prints it)
set -eu

kdir=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd)
ver=$(ls "$kdir/lib/modules")
mdir="$kdir/lib/modules/$ver"
busybox=${VM_BUSYBOX:-/bin/busybox}

if ! "$busybox" --list 2>/dev/null | grep -qx insmod || ldd "$busybox" >/dev/null 2>&1; then
	echo "vm: $busybox is not a static busybox with insmod (apt-get install busybox-static)" >&2
	exit 1
fi

stage="$out.d"
rm -rf "$stage"
mkdir -p "$stage/bin" "$stage/modules"
cp "$busybox" "$stage/bin/busybox"
cp "$here/init" "$stage/init"
chmod 0755 "$stage/init"

# modules.dep: "kernel/x/a.ko: kernel/y/b.ko kernel/z/c.ko", dependencies listed so that
# loading them last to first works (as modprobe does); each module is loaded once.
awk -v want="virtio_pci 9pnet_virtio 9p overlay" '
	BEGIN { n = split(want, w, " "); for (i = 1; i <= n; i++) wanted[w[i]] = i }
	{
		mod = $1; sub(/:$/, "", mod)
		name = mod; sub(/.*\//, "", name); sub(/\.ko(\.[a-z]+)?$/, "", name)
		gsub(/-/, "_", name)
		if (name in wanted) { line[wanted[name]] = $0; found[name] = 1 }
	}
	END {
		for (i = 1; i <= n; i++) {
			if (!(w[i] in found)) { print "missing module " w[i] > "/dev/stderr"; exit 1 }
			k = split(line[i], f, " ")
			sub(/:$/, "", f[1])
			for (j = k; j >= 2; j--) if (!(f[j] in seen)) { seen[f[j]] = 1; print f[j] }
			if (!(f[1] in seen)) { seen[f[1]] = 1; print f[1] }
		}
	}' "$mdir/modules.dep" >"$stage/modules/order.path"

: >"$stage/modules/order"
while read -r m; do
	base=$(basename "$m")
	case "$base" in
	*.ko) cp "$mdir/$m" "$stage/modules/$base" ;;
	*.ko.xz) xz -dc "$mdir/$m" >"$stage/modules/${base%.xz}"; base=${base%.xz} ;;
	*.ko.zst) zstd -qdc "$mdir/$m" >"$stage/modules/${base%.zst}"; base=${base%.zst} ;;
	*) echo "vm: unknown module format: $m" >&2; exit 1 ;;
	esac
	echo "$base" >>"$stage/modules/order"
done <"$stage/modules/order.path"
rm "$stage/modules/order.path"

(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) | gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
rm -rf "$stage"
