/* SPDX-License-Identifier: Apache-2.0 */
/* The macvlan plugin's configuration, parsed once into typed fields. */
#ifndef MACVLAN_NETCONF_H
#define MACVLAN_NETCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cni/cni.h"
#include "cni/result.h"
#include "err.h"

/* Everything the macvlan plugin reads from its config, CNI_ARGS and runtimeConfig. */
struct macvlan_conf {
	char *cni_version;	 /* config cniVersion ("0.1.0" if absent) */
	char *master;		 /* master, NULL when absent or empty (resolved on ADD) */
	char *mode_name;	 /* mode as written ("" when absent, meaning bridge) */
	uint32_t mode;		 /* IFLA_MACVLAN_MODE value (MACVLAN_MODE_*) */
	int mtu;		 /* mtu, 0 = the master's */
	char *mac;		 /* MAC text (mac < CNI_ARGS MAC < runtimeConfig.mac), NULL */
	uint8_t mac_bytes[6];	 /* mac parsed, when mac is set */
	bool link_in_container;	 /* linkInContainer: master lives in the container netns */
	uint32_t bcqueuelen;	 /* bcqueuelen, 0 = not sent (kernel default) */
	bool accept_ra;		 /* acceptRA: keep router advertisements in L3 mode */
	char *ipam_type;	 /* ipam.type, NULL or "" = L2 only */
	bool has_dns;		 /* the config's dns has any field set */
	struct cni_dns dns;	 /* config dns (replaces IPAM's when has_dns) */
	struct cni_result *prev; /* prevResult, NULL if absent */
};

/* How much of the config macvlan_conf_load() reads. */
enum macvlan_load_mode {
	/* ADD and CHECK: every key, CNI_ARGS, runtimeConfig, prevResult. */
	MACVLAN_LOAD_FULL,
	/* DEL: only ipam.type, so a node can always be cleaned (nothing else can fail). */
	MACVLAN_LOAD_DEL,
	/* STATUS: the keys without CNI_ARGS and prevResult (a runtime sends neither). */
	MACVLAN_LOAD_STATUS,
};

/*
 * Parse args->stdin_data. Wrong types and bad values are code 7 naming the key
 * ("unknown macvlan mode: \"x\"", "invalid args <mac> for MAC addr: ..."); CNI_ARGS
 * errors are code 999 as the reference's ("ARGS: unknown args [...]" unless
 * IgnoreUnknown). MAC precedence, lowest first: "mac", CNI_ARGS MAC, runtimeConfig.mac.
 * The MTU is checked against the master on ADD (macvlan_check_mtu()).
 */
int macvlan_conf_load(const struct cni_cmd_args *args, enum macvlan_load_mode mode,
		      struct macvlan_conf **ret, struct cni_err *err) CNI_MUST_USE;

/* Free a config (accepts NULL). */
void macvlan_conf_free(struct macvlan_conf *c);

/* For _cleanup_(macvlan_conf_freep). */
static inline void macvlan_conf_freep(struct macvlan_conf **c)
{
	macvlan_conf_free(*c);
}

/* True when the config delegates IPAM (L3 mode). */
static inline bool macvlan_conf_is_l3(const struct macvlan_conf *c)
{
	return c->ipam_type && c->ipam_type[0];
}

/* The MACVLAN_MODE_* value of a mode name ("" and "bridge", "private", "vepa",
 * "passthru"); code 7 "unknown macvlan mode: \"x\"" for any other. */
int macvlan_mode_parse(const char *name, uint32_t *ret, struct cni_err *err) CNI_MUST_USE;

/* The name of a MACVLAN_MODE_* value, or NULL for one the plugin does not create
 * (source mode, unknown bits). */
const char *macvlan_mode_name(uint32_t mode);

/* The config's MTU against the master's: code 7 "invalid MTU <mtu>, must be [0, master
 * MTU(<master_mtu>)]" unless 0 <= mtu <= master_mtu. */
int macvlan_check_mtu(const struct macvlan_conf *c, unsigned int master_mtu,
		      struct cni_err *err) CNI_MUST_USE;

#endif
