/* SPDX-License-Identifier: Apache-2.0 */
/* The dummy plugin's configuration: the standard keys, IPAM required. */
#ifndef DUMMY_NETCONF_H
#define DUMMY_NETCONF_H

#include <stdbool.h>

#include "cni/cni.h"
#include "cni/result.h"
#include "err.h"

/* Everything the dummy plugin reads from its config. */
struct dummy_conf {
	char *cni_version;	 /* config cniVersion ("0.1.0" if absent) */
	char *ipam_type;	 /* ipam.type, NULL when absent or empty */
	bool accept_ra;		 /* acceptRA: keep router advertisements on */
	struct cni_result *prev; /* prevResult, NULL if absent */
};

/* How much of the config dummy_conf_load() requires. */
enum dummy_load_mode {
	DUMMY_LOAD_FULL, /* ADD, CHECK, STATUS: ipam.type required, prevResult parsed */
	DUMMY_LOAD_DEL,	 /* DEL: ipam.type read when there, nothing required */
};

/*
 * Parse args->stdin_data: JSON errors code 6 ("failed to parse network config: ..."), wrong
 * types code 7 naming the key; in full mode no ipam.type is code 7 "dummy interface requires
 * an IPAM configuration". The config's "dns" is not read: the result carries IPAM's.
 */
int dummy_conf_load(const struct cni_cmd_args *args, enum dummy_load_mode mode,
		    struct dummy_conf **ret, struct cni_err *err) CNI_MUST_USE;

/* Free a config (accepts NULL). */
void dummy_conf_free(struct dummy_conf *c);

/* For _cleanup_(dummy_conf_freep). */
static inline void dummy_conf_freep(struct dummy_conf **c)
{
	dummy_conf_free(*c);
}

#endif
