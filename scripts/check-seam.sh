#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The layering every source file keeps (`make check-seam`), checked by its #include lines:
#   - common/cni/ (the CNI protocol, cJSON) never includes libmnl, libnftnl, netlink
#     headers or common/net/;
#   - common/net/ (the kernel, libmnl/libnftnl) never includes cJSON or common/cni/;
#   - the shared basics (common/*.[ch]) include neither side;
#   - common/iface/ (the container-interface shape of the interface plugins) and
#     common/ipmasq/ (the masquerade rules of bridge and ptp) may include both sides, and
#     neither side nor the basics include them;
#   - nothing in common/ includes a plugin's or a tool's header;
#   - a plugin includes only its own directory's headers (and common/), never another
#     plugin's or a tool's; a tool never includes a plugin's.
# The build's include path is -Icommon -Iplugins -Itools, so "bridge/netconf.h" means
# plugins/bridge/netconf.h: a quoted include is judged by its first path component, and
# one that climbs with "../" out of common/, a plugin or a tool is refused too.
#
# Usage: check-seam.sh [root]   (default: the current directory)
# Prints every offending line with the rule it breaks and exits 1, or prints "seam ok".
set -eu
cd "${1:-.}"

inc='^[[:space:]]*#[[:space:]]*include[[:space:]]*'
net_only='<libmnl/|<libnftnl/|<linux/netlink\.h>|<linux/rtnetlink\.h>|<linux/netfilter|"net/'
cni_only='<cjson/|"cni/'
bad=$(mktemp)
trap 'rm -f "$bad"' EXIT

# sources DIR...: the C sources and headers below each existing DIR
sources() {
	for d in "$@"; do
		[ -d "$d" ] && find "$d" -type f \( -name '*.c' -o -name '*.h' \)
	done | sort
}

# refuse WHY REGEX FILE...: every #include line of FILE... whose target matches REGEX
refuse() {
	why=$1 re=$2
	shift 2
	[ $# -gt 0 ] || return 0
	grep -nHE "$inc($re)" "$@" | sed "s|\$| -- $why|" >>"$bad" || true
}

# names DIR: the subdirectories of DIR, as an alternation for a regex (or a never-match)
names() {
	n=$(find "$1" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' 2>/dev/null | sort | paste -sd'|')
	echo "${n:-^\$}"
}

plugins=$(names plugins)
tools=$(names tools)
basics=$(find common -maxdepth 1 -type f \( -name '*.c' -o -name '*.h' \) | sort)

# shellcheck disable=SC2086,SC2046
refuse "the kernel layer's headers outside common/net" "$net_only" $(sources common/cni) $basics
# shellcheck disable=SC2086,SC2046
refuse "the protocol layer's headers outside common/cni" "$cni_only" $(sources common/net) $basics
# shellcheck disable=SC2086,SC2046
refuse "common/iface's headers below it" '"iface/' $(sources common/cni common/net) $basics
# shellcheck disable=SC2086,SC2046
refuse "common/ipmasq's headers below it" '"ipmasq/' $(sources common/cni common/net) $basics
# shellcheck disable=SC2046
refuse "common/ includes a plugin's or a tool's header" \
	"\"(\.\./)*(plugins|tools|$plugins|$tools)/|\"(\.\./){2,}" $(sources common)
for d in $(find plugins -mindepth 1 -maxdepth 1 -type d -printf '%f\n' 2>/dev/null | sort); do
	others=$(printf '%s\n' "$plugins" | tr '|' '\n' | grep -vxF "$d" | paste -sd'|')
	# shellcheck disable=SC2046
	refuse "plugin '$d' includes another plugin's or a tool's header" \
		"\"(plugins|tools|${others:-^\$}|$tools)/|\"[^\"]*\.\./" $(sources "plugins/$d")
done
# shellcheck disable=SC2046
refuse "a tool includes a plugin's header" "\"(plugins|$plugins)/|\"[^\"]*\.\./\.\./" $(sources tools)

if [ -s "$bad" ]; then
	echo "includes across a seam:"
	cat "$bad"
	exit 1
fi
echo "seam ok"
