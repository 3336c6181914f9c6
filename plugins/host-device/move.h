/* SPDX-License-Identifier: Apache-2.0 */
/* Moving a device between the node and a container through a temporary namespace, where
 * it is renamed, so that no name is ever taken twice in the node or the container. */
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
	const char *pin;      /* where a temporary namespace is pinned while the device is
			       * in it (a file under HOSTDEV_RUN_DIR), NULL for no pin */
};

/* The directory of the pins of temporary namespaces. */
#define HOSTDEV_RUN_DIR "/run/cni/host-device"

/* The marker alternative name of a device whose node name is orig, into buf. */
void hostdev_marker(const char *orig, char buf[NL_ALTNAME_MAX]);

/*
 * The reference's moveLinkIn: move dev (a node link) into a new temporary namespace (pinned
 * at ns->pin meanwhile), set its alias to its node name and rename it ifname there (in this
 * order, so that the alias names it at every step), move it into the container, mark
 * it with the marker alternative name (best effort) and, with up, set it up; *ret is the
 * link in the container. Every failure puts back what was done (the device in the node under its name,
 * no alias, up again when it was up) and reads "failed to move link <reason>" with the
 * reference's reasons.
 */
int hostdev_move_in(const struct hostdev_ns *ns, const struct nl_link *dev, const char *ifname,
		    bool up, const struct cni_log *log, struct nl_link *ret,
		    struct cni_err *err) CNI_MUST_USE;

/*
 * The reference's moveLinkOut for dev (a link in the container): set its alias to orig
 * when it differs (a pod may have rewritten it), drop the marker, move it
 * into a new temporary namespace (pinned at ns->pin meanwhile), rename it orig there, clear its alias and move it into
 * the node, where it is set up when up is true (else left down, as the reference leaves
 * it). A failure puts the device back into the container as it was. -EEXIST when orig is
 * taken in the node.
 */
int hostdev_move_out(const struct hostdev_ns *ns, const struct nl_link *dev, const char *orig,
		     bool up, const struct cni_log *log, struct cni_err *err) CNI_MUST_USE;

/*
 * Take back what a temporary namespace pinned at pin holds (a move killed half-way): every
 * device in it renamed to its alias (its node name), the alias cleared, moved into the node
 * (left down); then the pin is removed. Nothing pinned: 0.
 */
int hostdev_pin_recover(const struct hostdev_ns *ns, const char *pin, const struct cni_log *log,
			struct cni_err *err) CNI_MUST_USE;

/*
 * A device the kernel gave back to the node while it carried its container name (its
 * namespace was destroyed): set it down, rename it to orig (its node name), clear the alias
 * and drop the marker.
 */
int hostdev_restore_name(struct nl_sock *host, const struct nl_link *dev, const char *orig,
			 struct cni_err *err) CNI_MUST_USE;

#endif
