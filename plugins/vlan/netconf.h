/* SPDX-License-Identifier: Apache-2.0 */
/* The vlan plugin's configuration: master, vlanId, mtu, linkInContainer, acceptRA, dns, ipam
 * and prevResult. */
#ifndef VLAN_NETCONF_H
#define VLAN_NETCONF_H

#include <stdbool.h>
#include <stdint.h>

#include "cni/cni.h"
#include "cni/result.h"
#include "err.h"

/* The highest VLAN id a link may have (4095 is reserved). */
#define VLAN_ID_MAX 4094

/* The reference's words for a config without a master (and here without a prevResult
 * naming one). */
#define VLAN_MASTER_REQUIRED                                                                     \
	"\"master\" field is required. It specifies the host interface name to create the VLAN " \
	"for"

/* How much of the config vlan_conf_load() reads. */
enum vlan_load_mode {
	VLAN_LOAD_ADD,	/* ADD: every key and prevResult, a master or a prevResult required */
	VLAN_LOAD_FULL, /* CHECK and STATUS: every key and prevResult */
	VLAN_LOAD_DEL,	/* DEL: only ipam.type, so a node can always be cleaned */
};

/* Everything the vlan plugin reads from its config. */
struct vlan_conf {
	char *cni_version;	 /* config cniVersion */
	char *master;		 /* master, "" when not given (then taken from prevResult) */
	int vlan_id;		 /* vlanId, 0..VLAN_ID_MAX */
	int mtu;		 /* mtu as given, 0 = the master's (checked against it per verb) */
	bool link_in_container;	 /* linkInContainer: the master is in the container netns */
	bool accept_ra;		 /* acceptRA: keep IPv6 autoconf on the link */
	char *ipam_type;	 /* ipam.type, "" when none */
	struct cni_dns dns;	 /* dns of the config */
	bool has_dns;		 /* dns has any field set */
	struct cni_result *prev; /* prevResult, NULL when absent (or on DEL) */
};

/*
 * Parse args->stdin_data. ADD and FULL: master (ADD: code 7 "\"master\" field is required.
 * It specifies the host interface name to create the VLAN for" when it is empty and there is
 * no prevResult to take it from, checked first as the reference does), vlanId (code 7 "invalid VLAN ID %d (must be between
 * 0 and 4095 inclusive)" outside 0..4094, the reference's words), mtu (an int32; its range is
 * checked against the master by the verbs), linkInContainer, acceptRA, dns, ipam.type and
 * prevResult ("could not parse prevResult: ..."); wrong types are code 7 naming the key.
 * DEL: only ipam.type.
 */
int vlan_conf_load(const struct cni_cmd_args *args, enum vlan_load_mode mode,
		   struct vlan_conf **ret, struct cni_err *err) CNI_MUST_USE;

/* Free a config (accepts NULL). */
void vlan_conf_free(struct vlan_conf *c);

/* For _cleanup_(vlan_conf_freep). */
static inline void vlan_conf_freep(struct vlan_conf **c)
{
	vlan_conf_free(*c);
}

#endif
