/* SPDX-License-Identifier: Apache-2.0 */
/* Network namespace handles: open and verify a netns path, and a
 * scoped enter/restore for the few operations that must run inside (sysctl writes). */
#ifndef CNI_NETNS_H
#define CNI_NETNS_H

#include <stdbool.h>

#include "err.h"

struct nl_sock;

/* f_type of an nsfs inode (/proc/<pid>/ns/net, bind mounts under /run/netns). */
#define NETNS_NSFS_MAGIC 0x6e736673
/* f_type of procfs (old kernels report ns files as procfs). */
#define NETNS_PROC_SUPER_MAGIC 0x9fa0

/* Open a netns path (O_RDONLY|O_CLOEXEC) and check with fstatfs that it is nsfs or procfs.
 * -ENOENT when the path does not exist ("gone" for DEL); -EINVAL with the message
 * "unknown FS magic on '<path>': <hex>" when it exists but is not a namespace; other
 * -errno for other failures. */
int netns_open(const char *path, int *ret_fd, struct cni_err *err);

/* Switch the calling thread into the network namespace fd. *ret_saved_fd is an fd of the
 * namespace we came from, to pass to netns_restore(). -errno of open() ("failed to open the
 * current netns") or setns() ("failed to enter netns"; -EINVAL for an fd that is not a
 * network namespace, -EPERM without CAP_SYS_ADMIN). */
int netns_enter(int fd, int *ret_saved_fd, struct cni_err *err);

/* Return to the namespace saved by netns_enter() and close saved_fd (always closed).
 * -errno of setns() ("failed to return to the original netns"). */
int netns_restore(int saved_fd, struct cni_err *err);

/*
 * Cleanup guard for a saved fd from netns_enter(): on scope exit, when *saved_fd
 * is still >= 0, return to that namespace. Failing to return is fatal: the
 * message goes to stderr and the process aborts, because anything it did next
 * would change the wrong namespace. To see the error instead, hand the fd to
 * netns_restore(TAKE_FD(saved), err).
 *
 *	_cleanup_(netns_restorep) int saved = -1;
 */
void netns_restorep(int *saved_fd);

/* Flags of netns_open_container(). */
enum {
	/* A path that does not exist or is no longer a namespace (DEL): return 1, err clear. */
	NETNS_GONE_OK = 1 << 0,
	/* The reference's bare wording of ns.GetNS (loopback): "failed to Statfs \"<path>\": no
	 * such file or directory" for a missing path and no "failed to open netns" prefix. */
	NETNS_BARE = 1 << 1,
};

/*
 * Open the container's namespace (CNI_NETNS) as the reference plugins do: *ret_fd (closed
 * again when ret_fd is NULL), and when ret_sock is non-NULL a rtnetlink socket inside it. Failures read "failed to open
 * netns \"<path>\": <why>" (details folded into the message; see NETNS_BARE), code 999.
 * Returns 0, 1 for a gone namespace with NETNS_GONE_OK (nothing opened), or -errno
 * (-ENOENT missing, -EINVAL not a namespace, as netns_open()).
 */
int netns_open_container(const char *path, unsigned int flags, int *ret_fd,
			 struct nl_sock **ret_sock, struct cni_err *err) CNI_MUST_USE;

/*
 * A rtnetlink socket inside the already opened container namespace netns_fd (the one at
 * path, which the message names): "failed to open netns \"<path>\": <why>" on failure.
 */
int netns_open_container_nl(const char *path, int netns_fd, struct nl_sock **ret_sock,
			    struct cni_err *err) CNI_MUST_USE;

#endif
