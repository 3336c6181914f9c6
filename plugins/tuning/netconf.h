/* SPDX-License-Identifier: Apache-2.0 */
/* The tuning plugin's configuration: keys, CNI_ARGS and args.cni overrides, the sysctl key
 * rule, the allowlist and MAC addresses as Go's net package reads and prints them. */
#ifndef TUNING_NETCONF_H
#define TUNING_NETCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cni/cni.h"
#include "cni/result.h"
#include "err.h"

/* Where the original link attributes are saved (the reference's default dataDir). */
#define TUNING_DATA_DIR "/run/cni/tuning"

/* The node's sysctl allowlist; no file means every net sysctl is allowed. */
#define TUNING_ALLOWLIST_PATH "/etc/cni/tuning/allowlist.conf"

/* One sysctl of the config, in config order (args.cni.sysctl merged in). */
struct tuning_sysctl {
	char *key;   /* as written ("net.ipv4.conf.IFNAME.arp_filter" or "net/core/somaxconn") */
	char *value; /* written verbatim */
};

/* Everything the tuning plugin reads from its config, overrides applied. */
struct tuning_conf {
	char *cni_version;	       /* config cniVersion */
	char *data_dir;		       /* dataDir, TUNING_DATA_DIR when absent or empty */
	struct tuning_sysctl *sysctls; /* sysctl entries */
	size_t n_sysctls;	       /* number of entries */
	size_t cap_sysctls;	       /* room in sysctls */
	char *mac;		       /* MAC to set (text as configured), NULL = leave */
	bool promisc;		       /* promisc: true turns promiscuous mode on */
	unsigned int mtu;	       /* mtu, 0 = leave */
	bool has_txqlen;	       /* txQLen given */
	uint32_t txqlen;	       /* txQLen (0 is a value) */
	bool has_allmulti;	       /* allmulti given */
	bool allmulti;		       /* allmulti on or off */
	struct cni_result *prev;       /* prevResult, NULL when absent */
};

/* How much of the config tuning_conf_load() reads. */
enum tuning_load_mode {
	TUNING_LOAD_FULL, /* ADD and CHECK: every key, duplicate sysctl check, prevResult */
	TUNING_LOAD_DEL,  /* DEL: only dataDir, so a node can always be cleaned */
};

/*
 * Parse args->stdin_data. In full mode, first the reference's duplicate check
 * (the same key twice in "sysctl": "duplicated sysctl keys are not allowed",
 * code 7), then the keys (wrong types code 7 naming the key), CNI_ARGS MAC
 * (its errors code 999, as the reference's), runtimeConfig.mac, the args.cni
 * overrides and prevResult. MAC precedence, lowest first: "mac", CNI_ARGS
 * MAC, runtimeConfig.mac, args.cni.mac.
 */
int tuning_conf_load(const struct cni_cmd_args *args, enum tuning_load_mode mode,
		     struct tuning_conf **ret, struct cni_err *err) CNI_MUST_USE;

/* Free a config (accepts NULL). */
void tuning_conf_free(struct tuning_conf *c);

/* For _cleanup_(tuning_conf_freep). */
static inline void tuning_conf_freep(struct tuning_conf **c)
{
	tuning_conf_free(*c);
}

/* Whether the config changes link attributes (mac, promisc, mtu, allmulti, txQLen). */
bool tuning_conf_changes_link(const struct tuning_conf *c);

/*
 * The reference's sysctl key rule: every '.' becomes '/', the first "IFNAME"
 * becomes ifname, the result is joined to /proc/sys and cleaned ("..", "//"),
 * and it must lie under /proc/sys/net/: else code 7 "invalid net sysctl key:
 * \"<slashed key>\"" (Go %q quoting). *ret is the malloc'd full path.
 */
int tuning_sysctl_path(const char *key, const char *ifname, char **ret,
		       struct cni_err *err) CNI_MUST_USE;

/*
 * Check every sysctl key against the allowlist file at path: each trimmed
 * non-empty line is a Go regular expression, matched anywhere in the key (as
 * written, before the dot conversion). A key no line matches is code 7 "Sysctl
 * <key> is not allowed. Only the following sysctls are allowed: [l1 l2]". No
 * file: no check. An unreadable file or a pattern that does not compile (only
 * reached when the lines before it did not match) is code 999.
 */
int tuning_allowlist_check(const struct tuning_conf *c, const char *path,
			   struct cni_err *err) CNI_MUST_USE;

/*
 * Translate a Go (RE2) pattern into a POSIX extended one with the same
 * matches for the constructs allowlists use: \d and \D, escapes inside
 * brackets, non-greedy quantifiers, (?: groups, a leading (?i) (*ret_icase).
 * Returns a malloc'd pattern, or NULL when out of memory.
 */
char *tuning_regex_from_go(const char *go, bool *ret_icase);

#endif
