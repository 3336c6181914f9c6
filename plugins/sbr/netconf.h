/* SPDX-License-Identifier: Apache-2.0 */
/* The sbr plugin's configuration: table, gateways, addSourceHints and the prevResult. */
#ifndef SBR_NETCONF_H
#define SBR_NETCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipnet.h"
#include "cni/cni.h"
#include "cni/result.h"
#include "err.h"

/* Everything the sbr plugin reads from its config. */
struct sbr_conf {
	char *cni_version;	 /* config cniVersion ("0.1.0" if absent) */
	bool has_table;		 /* table given: only rules, every address into it */
	uint32_t table;		 /* table (1..4294967295) */
	struct ip_addr gw4;	 /* gateways' IPv4 entry; family 0 = none */
	struct ip_addr gw6;	 /* gateways' IPv6 entry; family 0 = none */
	bool add_source_hints;	 /* addSourceHints */
	struct cni_result *prev; /* prevResult (in the config's version), NULL if absent */
};

/* How much of the config sbr_conf_load() reads. */
enum sbr_load_mode {
	SBR_LOAD_FULL, /* ADD and CHECK: every key and the prevResult */
	SBR_LOAD_DEL,  /* DEL: only table (which rules to look at) */
};

/*
 * Parse args->stdin_data: JSON errors code 6 ("failed to parse network configuration: ..."),
 * wrong types code 7 naming the key, a table outside 1..4294967295 code 7. In full mode,
 * unless table is given, gateways is checked with the reference's texts (code 7): at most
 * two entries ("gateways list cannot contain more than 2 entries (one IPv4, one IPv6)"),
 * each an address ("invalid static gateway IP address: X"), one per family ("gateways list
 * contains multiple IPv4 addresses: A and B").
 */
int sbr_conf_load(const struct cni_cmd_args *args, enum sbr_load_mode mode, struct sbr_conf **ret,
		  struct cni_err *err) CNI_MUST_USE;

/* Free a config (accepts NULL). */
void sbr_conf_free(struct sbr_conf *c);

/* For _cleanup_(sbr_conf_freep). */
static inline void sbr_conf_freep(struct sbr_conf **c)
{
	sbr_conf_free(*c);
}

#endif
