/* SPDX-License-Identifier: Apache-2.0 */
/* Reading whole files and pipes into memory. */
#ifndef CNI_FILEIO_H
#define CNI_FILEIO_H

#include <stddef.h>

/*
 * Read fd to EOF into a malloc'd, NUL-terminated buffer (*ret, length
 * *ret_len), retrying EINTR. More than max bytes is -EFBIG; otherwise 0,
 * -ENOMEM or the read's -errno. Outputs are written only on success.
 */
int fileio_read_fd(int fd, size_t max, char **ret, size_t *ret_len)
	__attribute__((warn_unused_result));

/* The same for the file at path (opened O_RDONLY|O_CLOEXEC; -errno of open). */
int fileio_read_path(const char *path, size_t max, char **ret, size_t *ret_len)
	__attribute__((warn_unused_result));

#endif
