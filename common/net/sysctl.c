/* SPDX-License-Identifier: Apache-2.0 */
/* /proc/sys reads and writes. */
#include "net/sysctl.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"

/* Turn a sysctl name into a full /proc/sys path in buf (PATH_MAX bytes). */
static int sysctl_path(const char *name, char *buf, struct cni_err *err)
{
	const char *rel = name;
	char *p;
	int n;

	if (strncmp(rel, "/proc/sys/", 10) == 0)
		rel += 10;
	while (*rel == '/')
		rel++;
	if (!*rel)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL, "invalid sysctl name '%s'",
					 name);
	n = snprintf(buf, PATH_MAX, "/proc/sys/%s", rel);
	if (n < 0 || n >= PATH_MAX)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, ENAMETOOLONG,
					 "sysctl name '%s' is too long", name);
	p = buf + 10;
	if (!strchr(rel, '/')) {
		for (; *p; p++)
			if (*p == '.')
				*p = '/';
		p = buf + 10;
	}
	/* Refuse ".." components so a name cannot escape /proc/sys. */
	for (;;) {
		size_t len = strcspn(p, "/");

		if (len == 2 && p[0] == '.' && p[1] == '.')
			return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL,
						 "invalid sysctl name '%s'", name);
		if (!p[len])
			break;
		p += len + 1;
	}
	return 0;
}

int sysctl_read(const char *path, char *buf, size_t size, struct cni_err *err)
{
	char full[PATH_MAX];
	_cleanup_close_ int fd = -1;
	ssize_t n;
	int r, e;

	r = sysctl_path(path, full, err);
	if (r < 0)
		return r;
	if (size == 0)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL,
					 "no room to read sysctl '%s'", path);
	fd = open(full, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		cni_err_errno(err, CNI_ERR_INTERNAL, e, "failed to open sysctl '%s'", full);
		return -e;
	}
	do
		n = read(fd, buf, size - 1);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		e = errno;
		cni_err_errno(err, CNI_ERR_INTERNAL, e, "failed to read sysctl '%s'", full);
		return -e;
	}
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

int sysctl_write(const char *path, const char *value, struct cni_err *err)
{
	char full[PATH_MAX];
	_cleanup_close_ int fd = -1;
	size_t len = strlen(value);
	ssize_t n;
	int r, e;

	r = sysctl_path(path, full, err);
	if (r < 0)
		return r;
	fd = open(full, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		cni_err_errno(err, CNI_ERR_INTERNAL, e, "failed to open sysctl '%s'", full);
		return -e;
	}
	do
		n = write(fd, value, len);
	while (n < 0 && errno == EINTR);
	if (n < 0 || (size_t)n != len) {
		e = n < 0 ? errno : EIO;
		cni_err_errno(err, CNI_ERR_INTERNAL, e, "failed to write '%s' to sysctl '%s'",
			      value, full);
		return -e;
	}
	return 0;
}

int sysctl_write_if_changed(const char *path, const char *value, bool *ret_changed,
			    struct cni_err *err)
{
	char cur[256];
	int r;

	r = sysctl_read(path, cur, sizeof(cur), err);
	if (r < 0)
		return r;
	if (strcmp(cur, value) == 0) {
		if (ret_changed)
			*ret_changed = false;
		return 0;
	}
	r = sysctl_write(path, value, err);
	if (r < 0)
		return r;
	if (ret_changed)
		*ret_changed = true;
	return 0;
}
