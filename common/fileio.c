/* SPDX-License-Identifier: Apache-2.0 */
/* Reading whole files and pipes into memory; writing them whole, atomically; mkdir -p. */
#include "fileio.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "array.h"
#include "cleanup.h"
#include "strv.h"

int fileio_read_fd(int fd, size_t max, char **ret, size_t *ret_len)
{
	_cleanup_free_ char *buf = NULL;
	size_t cap = 0, len = 0;

	for (;;) {
		ssize_t n;

		/* Keep room for a read of 4 KiB and the terminating NUL. */
		if (array_reserve(&buf, &cap, len + 4096 + 1, 1) < 0)
			return -ENOMEM;
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max)
			return -EFBIG;
	}
	buf[len] = '\0';
	*ret = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

int fileio_read_path(const char *path, size_t max, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	return fileio_read_fd(fd, max, ret, ret_len);
}

int fileio_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int fileio_mkdir_p(const char *path, mode_t mode, char ***ret_created, size_t *ret_fail_len)
{
	_cleanup_free_ char *p = strdup(path);
	size_t len;

	struct stat st;

	if (!p)
		return -ENOMEM;
	len = strlen(p);
	/* The common case first: only the last element missing, or nothing. Other failures
	 * are left to the walk, which finds the prefix that fails. */
	if (mkdir(p, mode) == 0) {
		char *copy = ret_created ? strdup(p) : NULL;

		if (ret_created && (!copy || strv_push(ret_created, copy) < 0)) {
			free(copy);
			return -ENOMEM;
		}
		return 0;
	}
	if (errno == EEXIST && stat(p, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	/* Each prefix ending before a '/', then the whole path. */
	for (size_t i = 1; i <= len; i++) {
		int e;

		if (p[i] != '/' && p[i] != '\0')
			continue;
		p[i] = '\0';
		if (mkdir(p, mode) == 0) {
			char *copy = ret_created ? strdup(p) : NULL;

			if (ret_created && (!copy || strv_push(ret_created, copy) < 0)) {
				free(copy);
				return -ENOMEM;
			}
		} else if (errno != EEXIST || stat(p, &st) < 0 || !S_ISDIR(st.st_mode)) {
			e = errno == EEXIST ? ENOTDIR : errno;
			if (ret_fail_len)
				*ret_fail_len = i;
			return -e;
		}
		if (i < len)
			p[i] = '/';
	}
	return 0;
}

void fileio_rmdirs(char **created)
{
	for (size_t n = strv_length(created); n > 0; n--)
		(void)rmdir(created[n - 1]);
}

/* The inode of our pid namespace, 0 when it cannot be told (no /proc). */
static unsigned long long pidns_id(void)
{
	struct stat st;

	return stat("/proc/self/ns/pid", &st) == 0 ? (unsigned long long)st.st_ino : 0;
}

/* Split path into its directory ("." when none) and the temp-name prefix of its base. */
static int temp_prefix(const char *path, char **ret_dir, char **ret_prefix)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;

	if (!*base)
		return -EISDIR;
	if (slash == path)
		*ret_dir = strdup("/");
	else if (slash)
		*ret_dir = strndup(path, (size_t)(slash - path));
	else
		*ret_dir = strdup(".");
	if (!*ret_dir || asprintf(ret_prefix, ".%s.tmp-", base) < 0) {
		free(*ret_dir);
		*ret_dir = NULL;
		return -ENOMEM;
	}
	return 0;
}

/*
 * Whether the temp file name (rest: what follows the prefix, "<pidns>-<pid>-XXXXXX") was
 * left by a writer that cannot still be writing it; see fileio.h.
 */
static bool temp_is_stale(int dir_fd, const char *name, const char *rest, unsigned long long ns)
{
	unsigned long long file_ns, pid;
	struct stat st;
	char *end;

	if (!isdigit((unsigned char)*rest))
		return false;
	errno = 0;
	file_ns = strtoull(rest, &end, 10);
	if (errno || *end != '-' || !isdigit((unsigned char)end[1]))
		return false;
	pid = strtoull(end + 1, &end, 10);
	if (errno || *end != '-' || strlen(end + 1) != 6 || pid == 0 || pid > INT_MAX)
		return false;
	if (ns && file_ns == ns)
		return kill((pid_t)pid, 0) < 0 && errno == ESRCH;
	if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return false;
	return time(NULL) - st.st_mtime > FILEIO_TEMP_FOREIGN_AGE;
}

static int sweep(const char *dir, const char *prefix, unsigned long long ns)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	size_t plen = strlen(prefix);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, prefix, plen) != 0 ||
		    !temp_is_stale(dirfd(d), de->d_name, de->d_name + plen, ns))
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0)
			n++;
	}
	return n;
}

int fileio_sweep_temps(const char *path)
{
	_cleanup_free_ char *dir = NULL, *prefix = NULL;
	int r = temp_prefix(path, &dir, &prefix);

	if (r < 0)
		return r;
	return sweep(dir, prefix, pidns_id());
}

int fileio_write_via_temp(char *tmpl, const char *path, const void *data, size_t len,
			  const char **ret_op)
{
	_cleanup_close_ int fd = -1;
	const char *op = "open";
	int r = 0;

	/* mkostemp() creates the file with mode 0600. */
	fd = mkostemp(tmpl, O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		goto fail;
	}
	op = "write";
	r = fileio_write_all(fd, data, len);
	if (r == 0 && close(TAKE_FD(fd)) < 0)
		r = -errno;
	if (r == 0) {
		op = "rename";
		if (rename(tmpl, path) < 0)
			r = -errno;
	}
	if (r < 0)
		(void)unlink(tmpl);
fail:
	if (r < 0 && ret_op)
		*ret_op = op;
	return r;
}

int fileio_write_atomic(const char *path, const void *data, size_t len, const char **ret_op)
{
	_cleanup_free_ char *dir = NULL, *prefix = NULL, *tmp = NULL;
	unsigned long long ns = pidns_id();
	int r;

	r = temp_prefix(path, &dir, &prefix);
	if (r == 0) {
		(void)sweep(dir, prefix, ns);
		if (asprintf(&tmp, "%s/%s%llu-%d-XXXXXX", dir, prefix, ns, (int)getpid()) < 0) {
			tmp = NULL;
			r = -ENOMEM;
		}
	}
	if (r < 0) {
		if (ret_op)
			*ret_op = "open";
		return r;
	}
	return fileio_write_via_temp(tmp, path, data, len, ret_op);
}

int fileio_remove_atomic(const char *path)
{
	int r = unlink(path) < 0 && errno != ENOENT ? -errno : 0;

	(void)fileio_sweep_temps(path);
	return r;
}
