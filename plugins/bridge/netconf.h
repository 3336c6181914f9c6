/* SPDX-License-Identifier: Apache-2.0 */
/* The bridge plugin's configuration, parsed once into typed fields. */
#ifndef BRIDGE_NETCONF_H
#define BRIDGE_NETCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cni/cni.h"
#include "err.h"
#include "cni/result.h"
#include "ipmasq/ipmasq.h"

/* Everything the bridge plugin reads from its config, CNI_ARGS and runtimeConfig. */
struct bridge_conf {
	char *name;			/* network name */
	char *cni_version;		/* config cniVersion ("0.1.0" if absent) */
	char *bridge;			/* bridge name, default "cni0" */
	bool is_gw;			/* isGateway (forced on by isDefaultGateway) */
	bool is_default_gw;		/* isDefaultGateway */
	bool force_address;		/* forceAddress */
	bool ip_masq;			/* ipMasq */
	enum masq_backend masq_backend; /* ipMasqBackend */
	int mtu;			/* mtu, 0 = kernel default */
	bool hairpin;			/* hairpinMode */
	bool promisc;			/* promiscMode (also hairpin on the port) */
	int vlan;			/* vlan (access or native VLAN), 0 = none */
	uint16_t *trunk;		/* vlanTrunk VIDs, sorted, unique */
	size_t n_trunk;			/* number of trunk VIDs */
	bool has_trunk;			/* vlanTrunk given (even []): VLAN filtering */
	bool preserve_default_vlan;	/* preserveDefaultVlan */
	bool macspoofchk;		/* macspoofchk */
	bool enable_dad;		/* enabledad */
	bool disable_container_iface;	/* disableContainerInterface */
	bool port_isolation;		/* portIsolation */
	char *ipam_type;		/* ipam.type, NULL = L2 mode */
	bool has_dns;			/* the config's dns has any field set */
	struct cni_dns dns;		/* config dns (replaces IPAM's when has_dns) */
	char *mac;		 /* container MAC (CNI_ARGS < args.cni.mac < runtimeConfig.mac) */
	struct cni_result *prev; /* prevResult, NULL if absent */
};

/* Largest VLAN ID. */
#define BRIDGE_VLAN_MAX 4094

/*
 * Parse the config in args->stdin_data plus CNI_ARGS. Validation follows the
 * reference (VLAN ranges, trunk shapes, hairpin with promisc, IPAM with
 * disableContainerInterface, MAC syntax); vlan with vlanTrunk is a trunk port
 * whose native VLAN is vlan, as since reference v1.8; config errors
 * are code 7, CNI_ARGS errors code 999.
 */
int bridge_conf_load(const struct cni_cmd_args *args, struct bridge_conf **ret,
		     struct cni_err *err) CNI_MUST_USE;

/*
 * bridge_conf_load() for DEL: a prevResult that cannot be used (another version family,
 * malformed) is dropped instead of failing, since DEL must complete whatever it gets; the
 * reference does not parse prevResult on DEL at all.
 */
int bridge_conf_load_for_del(const struct cni_cmd_args *args, struct bridge_conf **ret,
			     struct cni_err *err) CNI_MUST_USE;

/* Free a config (accepts NULL). */
void bridge_conf_free(struct bridge_conf *c);

/* For _cleanup_(bridge_conf_freep). */
static inline void bridge_conf_freep(struct bridge_conf **c)
{
	bridge_conf_free(*c);
}

/* True when the config delegates IPAM (L3 mode). */
static inline bool bridge_conf_is_l3(const struct bridge_conf *c)
{
	return c->ipam_type && c->ipam_type[0];
}

/* Parse a MAC in the forms Go's net.ParseMAC accepts for 6-byte addresses: 0, or -1 when
 * s is not one (a pure parse, no errno). */
int bridge_parse_mac(const char *s, uint8_t mac[6]);

#endif
