/* SPDX-License-Identifier: Apache-2.0 */
/* Moving a link into another network namespace, renamed and aliased there, in one request. */
#ifndef CNI_NET_LINK_MOVE_H
#define CNI_NET_LINK_MOVE_H

#include "err.h"
#include "net/nl.h"

/*
 * Write into buf the RTM_NEWLINK that moves the link ifindex into the namespace netns_fd
 * and, there, names it name and sets its alias to alias ("" clears it). Checks the index,
 * the name and the alias length first.
 */
int nl_link_build_move(void *buf, int ifindex, int netns_fd, const char *name, const char *alias,
		       struct nlmsghdr **ret_nlh, struct cni_err *err);

/*
 * Move the link ifindex (in sock's namespace) into the namespace netns_fd, named name
 * and with alias there, in one request. The kernel moves the link first, under its
 * current name or, when that is taken in the target, under name; then renames it and
 * sets the alias. A failure after the move (name taken in the target while the current
 * name is not) leaves the link in the target under its current name without the alias:
 * callers check name in the target first and put the link back when the request fails.
 */
int nl_link_move(struct nl_sock *sock, int ifindex, int netns_fd, const char *name,
		 const char *alias, struct cni_err *err);

#endif
