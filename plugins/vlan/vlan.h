/* SPDX-License-Identifier: Apache-2.0 */
/* The vlan plugin's verbs. */
#ifndef VLAN_VLAN_H
#define VLAN_VLAN_H

#include "cni/cni.h"

/*
 * ADD: find the master (config, else prevResult's one named interface), create a VLAN link
 * with vlanId on it in the container as CNI_IFNAME, take its addresses from IPAM (required),
 * configure them and print the result. A failure leaves no link and no reservation.
 */
int vlan_add(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err);

/* DEL: IPAM DEL (when ipam.type is set), then remove CNI_IFNAME from the container. A gone
 * netns or link is success; the master is never looked at. */
int vlan_del(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err);

/* CHECK: the link in the container is a VLAN link with the configured id (and mtu, when
 * set) and the result's MAC, the master exists, prevResult's addresses and routes are there. */
int vlan_check(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err);

/* STATUS: a configured master must exist in the node namespace (code 50), then IPAM
 * STATUS (the reference's, which a config without ipam fails). */
int vlan_status(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err);

/* The plugin as cni_main() runs it (GC: nothing kept, success). */
extern const struct cni_plugin vlan_plugin;

#endif
