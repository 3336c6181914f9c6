/* SPDX-License-Identifier: Apache-2.0 */
/* /proc/sys reads and writes (of the calling thread's network namespace). */
#ifndef CNI_SYSCTL_H
#define CNI_SYSCTL_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/* Paths are relative to /proc/sys. A path containing '/' is used as is (interface names may
 * contain dots: "net/ipv6/conf/eth0.100/accept_ra"); a path without '/' is dotted
 * ("net.ipv4.ip_forward") and has its dots turned into slashes. A leading "/proc/sys/" or "/"
 * is accepted; ".." components and an empty name are refused (-EINVAL), a name whose path
 * does not fit PATH_MAX is -ENAMETOOLONG ("sysctl name '<name>' is too long"). Failures of
 * open(), read() and write() are their -errno (-ENOENT for a sysctl that does not exist,
 * e.g. of a missing interface); a short write is -EIO. */

/* Read a sysctl into buf (size bytes, -EINVAL when 0), trailing newline removed. */
int sysctl_read(const char *path, char *buf, size_t size, struct cni_err *err);

/* Write value to a sysctl. */
int sysctl_write(const char *path, const char *value, struct cni_err *err);

/* Write value unless the sysctl already reads value; *ret_changed (may be NULL) tells
 * whether a write happened. */
int sysctl_write_if_changed(const char *path, const char *value, bool *ret_changed,
			    struct cni_err *err);

#endif
