/* SPDX-License-Identifier: Apache-2.0 */
/* The ipvlan plugin's configuration: master, mode, mtu, linkInContainer, acceptRA, dns, ipam
 * and prevResult. */
#ifndef IPVLAN_NETCONF_H
#define IPVLAN_NETCONF_H

#include <stdbool.h>
#include <stdint.h>

#include "cni/cni.h"
#include "cni/result.h"
#include "err.h"

/* How much of the config ipvlan_conf_load() reads. */
enum ipvlan_load_mode {
	IPVLAN_LOAD_FULL, /* ADD, CHECK and STATUS: every key and prevResult */
	IPVLAN_LOAD_DEL,  /* DEL: only ipam.type, so a node can always be cleaned */
};

/* Everything the ipvlan plugin reads from its config. */
struct ipvlan_conf {
	char *cni_version;	 /* config cniVersion */
	char *master;		 /* master, "" when not given (resolved per verb) */
	uint16_t mode;		 /* IPVLAN_MODE_L2 (default), _L3 or _L3S */
	int mtu;		 /* mtu as given, 0 = the master's (checked against it per verb) */
	bool link_in_container;	 /* linkInContainer: the master is in the container netns */
	bool accept_ra;		 /* acceptRA: keep IPv6 autoconf on the link */
	char *ipam_type;	 /* ipam.type, "" when none */
	struct cni_dns dns;	 /* dns of the config */
	bool has_dns;		 /* dns has any field set */
	struct cni_result *prev; /* prevResult, NULL when absent (or on DEL) */
};

/* The name of an IPVLAN_MODE_* value ("l2", "l3", "l3s"), NULL for another value. */
const char *ipvlan_mode_name(int mode);

/*
 * Parse args->stdin_data. FULL: master, mode ("" or "l2", "l3", "l3s"; else code 7
 * "unknown ipvlan mode: \"x\""), mtu (an int32; its range is checked against the master
 * by the verbs), linkInContainer, acceptRA, dns, ipam.type and prevResult ("could not parse
 * prevResult: ..."); wrong types are code 7 naming the key.
 * DEL: only ipam.type.
 */
int ipvlan_conf_load(const struct cni_cmd_args *args, enum ipvlan_load_mode mode,
		     struct ipvlan_conf **ret, struct cni_err *err) CNI_MUST_USE;

/* Free a config (accepts NULL). */
void ipvlan_conf_free(struct ipvlan_conf *c);

/* For _cleanup_(ipvlan_conf_freep). */
static inline void ipvlan_conf_freep(struct ipvlan_conf **c)
{
	ipvlan_conf_free(*c);
}

#endif
