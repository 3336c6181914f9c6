/* SPDX-License-Identifier: Apache-2.0 */
/* The macvlan plugin's verbs: a macvlan link of a master put into the container. */
#ifndef MACVLAN_MACVLAN_H
#define MACVLAN_MACVLAN_H

#include "cni/cni.h"
#include "cni/result.h"
#include "macvlan/netconf.h"

struct nl_link;

/*
 * ADD's result: the one interface (ifname, link's MAC, sandbox), IPAM's addresses (all on
 * it), routes and DNS, or the config's dns when it has any field set. NULL when out of
 * memory.
 */
struct cni_result *macvlan_result(const struct macvlan_conf *conf, const char *ifname,
				  const struct nl_link *link, const char *sandbox,
				  const struct cni_result *ipam);

/*
 * ADD: resolve the master (config, prevResult's one interface, default route; in the node
 * or with linkInContainer in the container), create the macvlan under a temporary name and
 * rename it in the container, then IPAM and the addresses (L3) or just the link up (L2).
 * A failure leaves no link and no reservation.
 */
int macvlan_add(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err);

/* DEL: IPAM DEL (L3), then the link by CNI_IFNAME. Never looks at the master; a missing
 * netns or link is success. */
int macvlan_del(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err);

/* CHECK: IPAM CHECK (L3), the master, the link's kind, mode and MAC, its addresses and
 * routes, with the reference's messages. */
int macvlan_check(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err);

/* STATUS: code 50 when the configured master is missing from the node, then IPAM
 * STATUS (L3). */
int macvlan_status(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err);

/* The plugin as cni_main() runs it (GC: nothing of its own to collect, success). */
extern const struct cni_plugin macvlan_plugin;

#endif
