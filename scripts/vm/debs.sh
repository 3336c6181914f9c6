#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Debian's packages the packaging scenarios install in the VM tier's guest (which has no
# network): containernetworking-plugins (the stack ours is diverted beside) and
# golang-github-containers-common (podman's configuration, which depends on a
# container-network-stack). Downloaded with `apt-get download` into DIR once (by
# `make deps` or the first `make check-deb-vm`), never installed on this machine; a later
# run finds them there. Prints DIR.
#
# usage: debs.sh DIR
set -eu

dir=$1
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
for p in containernetworking-plugins golang-github-containers-common; do
	ls "$dir/${p}_"*.deb >/dev/null 2>&1 && continue
	echo "vm: fetching $p" >&2
	rm -rf "$dir/dl"
	mkdir -p "$dir/dl"
	# apt-get download writes into the current directory (as _apt where it can).
	(cd "$dir/dl" && apt-get download -q "$p" >&2) || { rm -rf "$dir/dl"; exit 1; }
	mv "$dir"/dl/*.deb "$dir/"
	rm -rf "$dir/dl"
done
echo "$dir"
