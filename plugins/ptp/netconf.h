/* SPDX-License-Identifier: Apache-2.0 */
/* The ptp plugin's configuration, parsed once into typed fields. */
#ifndef PTP_NETCONF_H
#define PTP_NETCONF_H

#include <stdbool.h>

#include "cni/cni.h"
#include "cni/result.h"
#include "err.h"
#include "ipmasq/ipmasq.h"

/* Everything the ptp plugin reads from its config. */
struct ptp_conf {
	char *name;			/* network name */
	char *cni_version;		/* config cniVersion ("0.1.0" if absent) */
	bool ip_masq;			/* ipMasq */
	enum masq_backend masq_backend; /* ipMasqBackend */
	unsigned int mtu;		/* mtu of both veth ends, 0 = kernel default */
	char *ipam_type;		/* ipam.type, NULL when absent or empty */
	bool has_dns;			/* the config's dns sets a list (even []) or a domain */
	struct cni_dns dns;		/* config dns (replaces IPAM's when has_dns) */
	struct cni_result *prev;	/* prevResult, NULL if absent */
};

/* How much of the config ptp_conf_load() reads. */
enum ptp_load_mode {
	PTP_LOAD_FULL, /* ADD, CHECK: every key, prevResult parsed */
	PTP_LOAD_DEL,  /* DEL, STATUS, GC: name, ipMasq and ipam.type only */
};

/*
 * Parse args->stdin_data: JSON errors code 6 ("failed to load netconf: ..."), wrong types
 * code 7 naming the key, "mtu" outside 0..65535 and an unknown "ipMasqBackend" code 7.
 * A missing ipam.type is not an error here: the verbs that need IPAM fail as the reference
 * ("no plugin name provided").
 */
int ptp_conf_load(const struct cni_cmd_args *args, enum ptp_load_mode mode, struct ptp_conf **ret,
		  struct cni_err *err) CNI_MUST_USE;

/* Free a config (accepts NULL). */
void ptp_conf_free(struct ptp_conf *c);

/* For _cleanup_(ptp_conf_freep). */
static inline void ptp_conf_freep(struct ptp_conf **c)
{
	ptp_conf_free(*c);
}

#endif
