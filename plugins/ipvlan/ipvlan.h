/* SPDX-License-Identifier: Apache-2.0 */
/* The ipvlan plugin's verbs. */
#ifndef IPVLAN_IPVLAN_H
#define IPVLAN_IPVLAN_H

#include "cni/cni.h"

/*
 * ADD: resolve the master (config, else prevResult's one named interface, else the default
 * route's interface), create an ipvlan on it in the container as CNI_IFNAME, take the
 * addresses from IPAM (or from prevResult when chained without IPAM), configure them and
 * print the result. A failure leaves no link and no reservation.
 */
int ipvlan_add(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err);

/* DEL: IPAM DEL (when ipam.type is set), then remove CNI_IFNAME from the container. A gone
 * netns or link is success; the master and the default route are never looked at. */
int ipvlan_del(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err);

/* CHECK: the link in the container is an ipvlan of the configured mode with the result's
 * MAC, the master exists, and prevResult's addresses and routes are there. */
int ipvlan_check(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err);

/* STATUS: a configured master must exist in the node namespace (code 50), then IPAM
 * STATUS when ipam.type is set. */
int ipvlan_status(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err);

/* The plugin as cni_main() runs it (GC: nothing kept, success). */
extern const struct cni_plugin ipvlan_plugin;

#endif
