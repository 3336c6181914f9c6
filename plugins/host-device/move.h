/* SPDX-License-Identifier: Apache-2.0 */
/* Moving a device between the node and a container in one request each way (moved,
 * renamed and aliased at once), so that a kill leaves it in one of them, named there. */
#ifndef HOSTDEV_MOVE_H
#define HOSTDEV_MOVE_H

#include <stdbool.h>

#include "cni/cni.h"
#include "err.h"
#include "net/nl.h"
#include "net/rtnl.h"

/*
 * Prefix of the alternative name that marks a device this plugin moved into a container:
 * it is followed by the device's node name (the alias holds that name too, as the
 * reference keeps it). The node name itself cannot be an alternative name: a rename back
 * to it, as the reference's DEL does, would collide with it.
 */
#define HOSTDEV_ALTNAME_PREFIX "cni-hostdev-"

/* The two namespaces a move joins. */
struct hostdev_ns {
	struct nl_sock *host; /* rtnetlink in the plugin's (the node's) namespace */
	int host_fd;	      /* the node's namespace */
	struct nl_sock *cont; /* rtnetlink in the container's namespace */
	int cont_fd;	      /* the container's namespace */
};

/* The marker alternative name of a device whose node name is orig, into buf. */
void hostdev_marker(const char *orig, char buf[NL_ALTNAME_MAX]);

/*
 * Move dev (a link in from's namespace, from_fd) into to's namespace (to_fd), named name
 * and with alias there, in one request (so that a kill leaves it on one side, named
 * there). When the request fails after the kernel moved the device (the rename refused:
 * name is taken in the target), the device is moved back under its name and alias.
 * *ret_back tells whether the device is in from's namespace after a failure.
 */
int hostdev_move_link(struct nl_sock *from, int from_fd, struct nl_sock *to, int to_fd,
		      const struct nl_link *dev, const char *name, const char *alias,
		      const struct cni_log *log, bool *ret_back, struct cni_err *err) CNI_MUST_USE;

/*
 * The reference's moveLinkIn in one request: move dev (a node link) into the container,
 * renamed ifname there, its alias set to its node name; mark it with the marker
 * alternative name (best effort) and, with up, set it up; *ret is the link in the
 * container. ifname taken in the container is refused before anything moves. Every
 * failure puts back what was done (the device in the node under its name and alias, up
 * again when it was up) and reads "failed to move link <reason>" with the reference's
 * reasons.
 */
int hostdev_move_in(const struct hostdev_ns *ns, const struct nl_link *dev, const char *ifname,
		    bool up, const struct cni_log *log, struct nl_link *ret,
		    struct cni_err *err) CNI_MUST_USE;

/*
 * The reference's moveLinkOut for dev (a link in the container) in one request: set its
 * alias to orig when it differs (a pod may have rewritten it), drop the marker, then move
 * it into the node, renamed orig and its alias cleared; there it is set up when up is
 * true (else left down, as the reference leaves it). orig taken in the node is refused
 * before the move (-EEXIST). A failure puts the device back into the container as it was.
 */
int hostdev_move_out(const struct hostdev_ns *ns, const struct nl_link *dev, const char *orig,
		     bool up, const struct cni_log *log, struct cni_err *err) CNI_MUST_USE;

/*
 * A device the kernel gave back to the node while it carried its container name (its
 * namespace was destroyed): set it down, rename it to orig (its node name), clear the alias
 * and drop the marker.
 */
int hostdev_restore_name(struct nl_sock *host, const struct nl_link *dev, const char *orig,
			 struct cni_err *err) CNI_MUST_USE;

#endif
