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

/*
 * VLANs of a new bridge port, as the reference sets them: unless preserve_default, drop
 * every VLAN the port has (the default PVID 1) when vlan or a trunk is configured; vlan
 * becomes PVID + untagged; trunk VIDs are tagged; a trunk without vlan gets VID 1 as PVID +
 * untagged. port_name is for messages.
 */
int bridge_port_set_vlans(struct nl_sock *host, int ifindex, const char *port_name, int vlan,
			  const uint16_t *trunk, size_t n_trunk, bool preserve_default,
			  struct cni_err *err) CNI_MUST_USE;

/* Format a MAC as Go's net.HardwareAddr.String() does ("0a:1b:..."), into buf (3*len). */
char *bridge_mac_format(const uint8_t *mac, size_t len, char *buf, size_t size);

#endif
