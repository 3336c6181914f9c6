#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# scripts/check-seam.sh against a copy of this tree's common/, plugins/ and tools/: the copy
# passes, and each deliberate violation of a layering rule makes it fail, naming the rule.
# TAP output; exits 1 if any case went the wrong way.
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
check="$here/scripts/check-seam.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

. "$here/tests/scripts/tap.sh"

# fresh: a pristine copy of the three trees in $work/tree
fresh() {
	rm -rf "$work/tree"
	mkdir -p "$work/tree"
	cp -r "$here/common" "$here/plugins" "$here/tools" "$work/tree/"
}

# expect_fail WHAT FILE LINE RULE: FILE (relative to the copy) gains LINE; the check must
# fail and print RULE
expect_fail() {
	fresh
	mkdir -p "$(dirname "$work/tree/$2")"
	printf '%s\n' "$3" >>"$work/tree/$2"
	if out=$(sh "$check" "$work/tree" 2>&1); then
		not_ok "$1: check passed"
	elif printf '%s\n' "$out" | grep -qF -- "$4"; then
		ok "$1"
	else
		not_ok "$1: output lacks '$4': $out"
	fi
}

fresh
if out=$(sh "$check" "$work/tree" 2>&1); then ok "the tree as it is passes"; else not_ok "the tree fails: $out"; fi

expect_fail "cJSON in the kernel layer" common/net/nl.c '#include <cjson/cJSON.h>' \
	"the protocol layer's headers outside common/cni"
expect_fail "the protocol layer in the kernel layer" common/net/nft.c '#include "cni/result.h"' \
	"the protocol layer's headers outside common/cni"
expect_fail "libmnl in the protocol layer" common/cni/conf.c '#include <libmnl/libmnl.h>' \
	"the kernel layer's headers outside common/net"
expect_fail "netlink in the shared basics" common/err.c '#include <linux/rtnetlink.h>' \
	"the kernel layer's headers outside common/net"
expect_fail "the interface layer in the kernel layer" common/net/nl_link.c \
	'#include "iface/iface.h"' "common/iface's headers below it"
expect_fail "the interface layer in the shared basics" common/hwaddr.c \
	'#include "iface/iface.h"' "common/iface's headers below it"
expect_fail "the masquerade layer in the kernel layer" common/net/xt_cni.c \
	'#include "ipmasq/ipmasq.h"' "common/ipmasq's headers below it"
expect_fail "the masquerade layer in the protocol layer" common/cni/result.c \
	'#include "ipmasq/masq.h"' "common/ipmasq's headers below it"
expect_fail "common/ including a plugin by its directory" common/net/netns.c \
	'#include "bridge/netconf.h"' "common/ includes a plugin's or a tool's header"
expect_fail "common/ including plugins/ by path" common/cni/cni.c \
	'#include "plugins/portmap/portmap.h"' "common/ includes a plugin's or a tool's header"
expect_fail "common/ including a tool" common/array.h '#include "cnitool/runtime.h"' \
	"common/ includes a plugin's or a tool's header"
expect_fail "common/ climbing out" common/cni/json.c '#include "../../plugins/tuning/tuning.h"' \
	"common/ includes a plugin's or a tool's header"
expect_fail "a plugin including another" plugins/portmap/rules.c '#include "bridge/netconf.h"' \
	"plugin 'portmap' includes another plugin's or a tool's header"
expect_fail "a plugin including another by a relative path" plugins/tuning/tuning.c \
	'#include "../bandwidth/netconf.h"' "plugin 'tuning' includes another plugin's or a tool's header"
expect_fail "a plugin including a tool" plugins/loopback/loopback.c '#include "cnitool/cache.h"' \
	"plugin 'loopback' includes another plugin's or a tool's header"
expect_fail "a new plugin including another" plugins/newplugin/newplugin.c \
	'#include "host-local-ipam/store.h"' "plugin 'newplugin' includes another plugin's or a tool's header"
expect_fail "a tool including a plugin" tools/cnitool/runtime.c '#include "bridge/bridge.h"' \
	"a tool includes a plugin's header"

tap_done
