/* SPDX-License-Identifier: Apache-2.0 */
/* The bridge plugin: verbs and the helpers shared between its files. */
#ifndef BRIDGE_BRIDGE_H
#define BRIDGE_BRIDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cni/cni.h"
#include "err.h"

struct nl_sock;

/* The plugin as cni_main() runs it. */
extern const struct cni_plugin bridge_plugin;

/* The verbs. */
int bridge_cmd_add(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err);
int bridge_cmd_del(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err);
int bridge_cmd_check(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err);
int bridge_cmd_status(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err);
int bridge_cmd_gc(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err);

/* One step of a port's VLAN set-up: an add (with its BRIDGE_VLAN_INFO_* flags) or a delete
 * of one VID, always on the port itself (BRIDGE_FLAGS_MASTER). */
struct bridge_vlan_step {
	bool add;	  /* add the VID (else delete it) */
	uint16_t vid;	  /* VLAN id, 1..4094 */
	uint16_t flags;	  /* BRIDGE_VLAN_INFO_PVID | _UNTAGGED for adds, 0 = tagged */
	const char *what; /* the reference's error text for this step, "...on interface" */
};

/* Whether bridge_vlan_plan() deletes the port's existing VLANs, i.e. whether the caller must
 * list them first: vlan or a trunk is configured and preserve_default is not set. */
bool bridge_vlan_needs_flush(int vlan, size_t n_trunk, bool preserve_default);

/*
 * The VLAN steps of a new bridge port, as the reference (v1.8+) makes them: when
 * bridge_vlan_needs_flush(), delete every VLAN in existing[0..n_existing) (the default PVID
 * 1); vlan (when not 0) becomes PVID + untagged, the native VLAN; every trunk VID is added
 * tagged, after it; a trunk without vlan gets VID 1 as PVID + untagged, last. vlan and a
 * trunk together make a trunk port with vlan as its native VLAN. *ret_steps is malloc'ed
 * (NULL when there is nothing to do).
 */
int bridge_vlan_plan(int vlan, const uint16_t *trunk, size_t n_trunk, bool preserve_default,
		     const uint16_t *existing, size_t n_existing,
		     struct bridge_vlan_step **ret_steps, size_t *ret_n,
		     struct cni_err *err) CNI_MUST_USE;

/* Set up a new bridge port's VLANs: list them when needed, then run bridge_vlan_plan()'s
 * steps in order. port_name is for messages. */
int bridge_port_set_vlans(struct nl_sock *host, int ifindex, const char *port_name, int vlan,
			  const uint16_t *trunk, size_t n_trunk, bool preserve_default,
			  struct cni_err *err) CNI_MUST_USE;

#endif
