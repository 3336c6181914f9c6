/* SPDX-License-Identifier: Apache-2.0 */
/* The tap plugin's configuration: its keys, CNI_ARGS MAC and runtimeConfig.mac. */
#ifndef TAP_NETCONF_H
#define TAP_NETCONF_H

#include <stdbool.h>
#include <stdint.h>

#include "cni/cni.h"
#include "cni/result.h"
#include "err.h"

/* Everything the tap plugin reads from its config, CNI_ARGS and runtimeConfig. */
struct tap_conf {
	char *cni_version;	 /* config cniVersion ("0.1.0" if absent) */
	bool has_mac;		 /* a MAC is asked for (mac, CNI_ARGS MAC, runtimeConfig.mac) */
	uint8_t mac[6];		 /* that MAC */
	unsigned int mtu;	 /* mtu, 0 = the kernel's default */
	char *selinux_context;	 /* selinuxContext, NULL when absent or empty */
	bool multi_queue;	 /* multiQueue */
	bool has_owner;		 /* owner given */
	uint32_t owner;		 /* owner: uid that may attach */
	bool has_group;		 /* group given */
	uint32_t group;		 /* group: gid that may attach */
	char *bridge;		 /* bridge in the container to enslave the tap to, NULL = none */
	char *ipam_type;	 /* ipam.type, NULL = L2 only */
	bool accept_ra;		 /* acceptRA: keep router advertisements on with IPAM */
	bool has_dns;		 /* the config's dns has any field set */
	struct cni_dns dns;	 /* config dns (replaces IPAM's when has_dns) */
	struct cni_result *prev; /* prevResult, NULL if absent */
};

/* How much of the config tap_conf_load() reads. */
enum tap_load_mode {
	TAP_LOAD_FULL, /* ADD, CHECK, STATUS: every key, CNI_ARGS, prevResult */
	TAP_LOAD_DEL,  /* DEL: only ipam.type, so an attachment can always be removed */
};

/*
 * Parse args->stdin_data (and, in full mode, CNI_ARGS). Wrong types and values are code 7
 * naming the key ("args" must be an object, "mtu" 0..65535, "owner"/"group" 0..4294967295, a
 * MAC of six bytes: "invalid args <mac> for MAC addr: ..."); CNI_ARGS errors are code 999 as
 * the reference's. MAC precedence, lowest first: "mac", CNI_ARGS MAC, runtimeConfig.mac.
 */
int tap_conf_load(const struct cni_cmd_args *args, enum tap_load_mode mode, struct tap_conf **ret,
		  struct cni_err *err) CNI_MUST_USE;

/* Free a config (accepts NULL). */
void tap_conf_free(struct tap_conf *c);

/* For _cleanup_(tap_conf_freep). */
static inline void tap_conf_freep(struct tap_conf **c)
{
	tap_conf_free(*c);
}

#endif
