/* SPDX-License-Identifier: Apache-2.0 */
/* Network namespace handles and scoped enter/restore. */
#include "net/netns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "cleanup.h"
#include "net/nl.h"
#include "net/test_priv.h"

/* The calling thread's own netns file; /proc/self would name the main thread's. */
#define NETNS_SELF "/proc/thread-self/ns/net"

int netns_open(const char *path, int *ret_fd, struct cni_err *err)
{
	_cleanup_close_ int fd = -1;
	struct statfs sfs;
	int e;

	/* O_NONBLOCK: a FIFO at the path must not hang us. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		e = errno;
		cni_err_errno(err, CNI_ERR_INTERNAL, e, "failed to open '%s'", path);
		return -e;
	}
	if (fstatfs(fd, &sfs) < 0) {
		e = errno;
		cni_err_errno(err, CNI_ERR_INTERNAL, e, "failed to statfs '%s'", path);
		return -e;
	}
	if ((unsigned long)sfs.f_type != NETNS_NSFS_MAGIC &&
	    (unsigned long)sfs.f_type != NETNS_PROC_SUPER_MAGIC)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL,
					 "unknown FS magic on '%s': %lx", path,
					 (unsigned long)sfs.f_type);
	if (ret_fd)
		*ret_fd = TAKE_FD(fd);
	return 0;
}

int netns_is_current(int fd, bool *ret_is_current, struct cni_err *err)
{
	struct stat a, b;
	int e;

	if (fstat(fd, &a) < 0) {
		e = errno;
		cni_err_errno(err, CNI_ERR_INTERNAL, e, "failed to stat netns fd");
		return -e;
	}
	if (stat(NETNS_SELF, &b) < 0) {
		e = errno;
		cni_err_errno(err, CNI_ERR_INTERNAL, e, "failed to stat '%s'", NETNS_SELF);
		return -e;
	}
	*ret_is_current = a.st_dev == b.st_dev && a.st_ino == b.st_ino;
	return 0;
}

int netns_enter(int fd, int *ret_saved_fd, struct cni_err *err)
{
	_cleanup_close_ int saved = -1;
	int e;

	saved = open(NETNS_SELF, O_RDONLY | O_CLOEXEC);
	if (saved < 0) {
		e = errno;
		cni_err_errno(err, CNI_ERR_INTERNAL, e, "failed to open the current netns");
		return -e;
	}
	if (setns(fd, CLONE_NEWNET) < 0) {
		e = errno;
		cni_err_errno(err, CNI_ERR_INTERNAL, e, "failed to enter netns");
		return -e;
	}
	*ret_saved_fd = TAKE_FD(saved);
	return 0;
}

int netns_restore(int saved_fd, struct cni_err *err)
{
	_cleanup_close_ int fd = saved_fd;
	int e;

	if (setns(fd, CLONE_NEWNET) < 0) {
		e = errno;
		cni_err_errno(err, CNI_ERR_INTERNAL, e, "failed to return to the original netns");
		return -e;
	}
	return 0;
}

void netns_restorep(int *saved_fd)
{
	struct cni_err err = {0};

	if (*saved_fd < 0)
		return;
	if (netns_restore(TAKE_FD(*saved_fd), &err) < 0) {
		dprintf(STDERR_FILENO, "fatal: %s: %s\n", err.msg, err.details);
		abort();
	}
}

int netns_open_container_nl(const char *path, int netns_fd, struct nl_sock **ret_sock,
			    struct cni_err *err)
{
	int r = nl_open_in_netns(netns_fd, ret_sock, err);

	if (r < 0)
		return cni_err_prefix(err, "failed to open netns \"%s\"", path);
	return 0;
}

int netns_open_container(const char *path, unsigned int flags, int *ret_fd,
			 struct nl_sock **ret_sock, struct cni_err *err)
{
	_cleanup_close_ int fd = -1;
	int r;

	r = netns_open(path, &fd, err);
	if ((r == -ENOENT || r == -EINVAL) && (flags & NETNS_GONE_OK)) {
		cni_err_clear(err);
		return 1;
	}
	if (r == -ENOENT && (flags & NETNS_BARE))
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, ENOENT,
					 "failed to Statfs \"%s\": no such file or directory",
					 path);
	if (r < 0) {
		cni_err_flatten(err);
		if (flags & NETNS_BARE)
			return r;
		return cni_err_prefix(err, "failed to open netns \"%s\"", path);
	}
	if (ret_sock) {
		if (flags & NETNS_BARE)
			r = nl_open_in_netns(fd, ret_sock, err);
		else
			r = netns_open_container_nl(path, fd, ret_sock, err);
		if (r < 0)
			return r;
	}
	if (ret_fd)
		*ret_fd = TAKE_FD(fd);
	return 0;
}
