/* SPDX-License-Identifier: Apache-2.0 */
/* The host-device plugin's verbs: move a device of the node into the container and back. */
#ifndef HOSTDEV_HOSTDEV_H
#define HOSTDEV_HOSTDEV_H

#include "cni/cni.h"

/* Where the plugin finds sysfs; tests pass their own. */
struct hostdev_paths {
	const char *sysfs; /* the sysfs mount (HOSTDEV_SYSFS) */
};

/* The node's paths. */
extern const struct hostdev_paths hostdev_node_paths;

/*
 * ADD with the paths of paths: find
 * the device, move it into the container as CNI_IFNAME (alias: its node name), run IPAM
 * and configure the addresses, print the result. In DPDK mode nothing moves. A failure
 * leaves the device in the node under its name and releases the IPAM reservation.
 */
int hostdev_add_at(const struct cni_cmd_args *args, const struct hostdev_paths *paths,
		   char **ret_out, struct cni_err *err);

/* ADD with the node's paths. */
int hostdev_add(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err);

/*
 * DEL with the paths of paths: IPAM DEL first (also without a netns), then the device
 * back to the node under its name (its alias), found in the container by CNI_IFNAME, or
 * when the pod renamed it by its alias, marker, hwaddr or prevResult MAC; without a
 * container (gone, or CNI_NETNS empty), a device the kernel gave back to the node under
 * its container name is renamed there.
 * Succeeds when there is nothing left to do.
 */
int hostdev_del_at(const struct cni_cmd_args *args, const struct hostdev_paths *paths,
		   char **ret_out, struct cni_err *err);

/* DEL with the node's paths. */
int hostdev_del(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err);

/* CHECK with the paths of paths: IPAM CHECK, the container interface of prevResult
 * (name, sandbox, MAC), its addresses and routes. */
int hostdev_check_at(const struct cni_cmd_args *args, const struct hostdev_paths *paths,
		     char **ret_out, struct cni_err *err);

/* CHECK with the node's paths. */
int hostdev_check(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err);

/* STATUS: IPAM STATUS when ipam.type is set, then code 50 when a configured "device" is
 * not in the node's namespace. */
int hostdev_status(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err);

/* The plugin as cni_main() runs it (GC: nothing kept, success). */
extern const struct cni_plugin hostdev_plugin;

#endif
