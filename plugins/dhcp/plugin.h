/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The dhcp IPAM plugin: a client of the dhcp daemon (ours or the reference's) over
 * its unix socket. ADD and CHECK call DHCP.Allocate, DEL DHCP.Release, GC DHCP.GC;
 * STATUS asks whether a daemon answers. When none answers, the plugin starts one (its
 * own binary as `dhcp daemon`, detached) unless told not to; a DEL that finds no daemon
 * leaves a release request for the daemon to carry out when it starts.
 */
#ifndef CNI_DHCP_PLUGIN_H
#define CNI_DHCP_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>

#include "cni/cni.h"
#include "err.h"

/* The socket the daemon listens on unless ipam.daemonSocketPath names another. */
#define DHCP_DEFAULT_SOCKET "/run/cni/dhcp.sock"
/* The daemon's state directory; release requests go into its "release" subdirectory. */
#define DHCP_STATE_DIR "/var/lib/cni/dhcp"
/* The environment variable that turns autostart off when it is "1". */
#define DHCP_NO_AUTOSTART_ENV "CNI_DHCP_NO_AUTOSTART"
/* Default bound of one call to the daemon, in seconds (ipam.daemonTimeout). */
#define DHCP_DEFAULT_TIMEOUT_S 240
/* Bound of STATUS's question to the daemon, in milliseconds. */
#define DHCP_STATUS_TIMEOUT_MS 5000
/* Bound of the wait for a started daemon's socket to answer, in milliseconds. */
#define DHCP_AUTOSTART_WAIT_MS 10000
/* Bound of the wait for the autostart lock, in seconds. */
#define DHCP_AUTOSTART_LOCK_S 20

/* The plugin's part of the network config. */
struct dhcp_plugin_conf {
	char *socket_path;     /* ipam.daemonSocketPath, or the default */
	bool autostart;	       /* ipam.daemonAutostart (default true) */
	int timeout_s;	       /* ipam.daemonTimeout: bound of one daemon call */
	int priority;	       /* ipam.priority: metric of every route */
	bool suppress_gateway; /* ipam.suppress holds "gateway" */
};

/*
 * Read and validate the config (the whole network config the plugin got, len bytes):
 * it must hold an "ipam" object; daemonSocketPath (string), daemonAutostart (bool),
 * daemonTimeout (seconds, 1..3600), priority (int) and suppress (list of "gateway")
 * are checked; with full also request and provide as the daemon will read them (their
 * option names and values, the provided values taken from cni_args, which may be NULL).
 * Errors are code 7 naming the key (code 6 for JSON that does not parse). Free *ret
 * with dhcp_plugin_conf_clear().
 */
int dhcp_plugin_conf_parse(const char *data, size_t len, const char *cni_args, bool full,
			   struct dhcp_plugin_conf *ret, struct cni_err *err) CNI_MUST_USE;

/* Free what a config holds. */
void dhcp_plugin_conf_clear(struct dhcp_plugin_conf *c);

/*
 * The release request DEL leaves when no daemon answers: a JSON object
 * {"ContainerID", "Netns", "IfName", "Args", "Path", "StdinData"} (skel.CmdArgs's
 * field names, StdinData as the config's text), written atomically into
 * "<state_dir>/release/<64 hex digits of SHA-512 of 'containerID/network/ifname'>.json".
 * 0 with the file's path in *ret_path (malloc'd, may be NULL), or a negative errno.
 */
int dhcp_release_request_write(const char *state_dir, const struct cni_cmd_args *args,
			       const char *netns, char **ret_path,
			       struct cni_err *err) CNI_MUST_USE;

/*
 * DEL without a daemon: send the DHCPRELEASE of the attachment's lease (container ID,
 * args->name, interface) from the leased address on the container's interface in netns,
 * to the server, built from the daemon's record of it: the JSON file in
 * "<state_dir>/leases" whose "key" is "containerID/network/ifname" and whose "lease"
 * member is lease.h's record. 0 when sent; -ENOENT (code 3) without such a record or when
 * the lease has run out; other negative errnos when the namespace, interface or address
 * is gone.
 */
int dhcp_release_direct(const char *state_dir, const struct cni_cmd_args *args, const char *netns,
			struct cni_err *err) CNI_MUST_USE;

/* The plugin's verbs. */
extern const struct cni_plugin dhcp_plugin;

#endif
