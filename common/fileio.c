/* SPDX-License-Identifier: Apache-2.0 */
/* Reading whole files and pipes into memory. */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "array.h"
#include "cleanup.h"

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
