/* SPDX-License-Identifier: Apache-2.0 */
/* Reading whole files and pipes into memory; writing them whole, atomically; mkdir -p. */
#ifndef CNI_FILEIO_H
#define CNI_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

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

/* Write all of [buf, buf + len) to fd, retrying EINTR and short writes. 0 or -errno (-EIO
 * when write() returns 0). */
int fileio_write_all(int fd, const void *buf, size_t len);

/*
 * mkdir -p: create path and its missing parents with mode. An existing component must be a
 * directory (-ENOTDIR otherwise). The directories made are appended to *ret_created (when
 * not NULL; deepest last, for fileio_rmdirs()). On failure, -errno and *ret_fail_len (when
 * not NULL) the length of the prefix of path that failed.
 */
int fileio_mkdir_p(const char *path, mode_t mode, char ***ret_created, size_t *ret_fail_len)
	__attribute__((warn_unused_result));

/* Remove the directories fileio_mkdir_p() made, deepest first, where empty. */
void fileio_rmdirs(char **created);

/*
 * Atomic replacement and its stale temp files.
 *
 * fileio_write_atomic(path) writes through a temp file in path's directory named
 * ".<base>.tmp-<pidns>-<pid>-XXXXXX" (<base> the last element of path: the prefix names the
 * file it will replace, so it belongs to whoever owns that file; <pidns> the inode of the
 * writer's pid namespace, <pid> the writer's pid) and renames it over path. A writer
 * killed between creating and renaming it leaves the temp file behind; the next
 * fileio_write_atomic() or fileio_remove_atomic() of the same path removes it
 * (fileio_sweep_temps()). A temp file of that path is only removed when its writer
 * cannot still be writing it: its pid namespace is ours and no process has its pid
 * (kill(pid, 0) fails with ESRCH), or, for a writer of another pid namespace whose pids we
 * cannot check, it was last modified more than FILEIO_TEMP_FOREIGN_AGE seconds ago (a
 * write lasts microseconds). So concurrent writers of the same path never remove each
 * other's temp file, and a kill never leaves one for good.
 *
 * An owner whose writers all hold one lock (host-local's store) may name its temp files
 * itself and write through fileio_write_via_temp(): under that lock no write is in flight,
 * so every temp file of its is stale and its own scan removes them.
 */
#define FILEIO_TEMP_FOREIGN_AGE 3600

/*
 * Replace the file at path with [data, data + len) (mode 0600) atomically, after removing
 * the stale temp files of path. 0, or -errno with *ret_op (when not NULL) the step that
 * failed: "open" (creating the temp file), "write" (writing or closing it) or "rename";
 * the temp file is then removed.
 */
int fileio_write_atomic(const char *path, const void *data, size_t len, const char **ret_op)
	__attribute__((warn_unused_result));

/*
 * The steps of an atomic write through a temp file the caller names: mkostemp(tmpl) (the
 * name ends in "XXXXXX", in path's directory; mode 0600), write data, close, rename over
 * path; no sweep (see above). 0, or -errno with *ret_op as fileio_write_atomic(), the temp
 * file removed.
 */
int fileio_write_via_temp(char *tmpl, const char *path, const void *data, size_t len,
			  const char **ret_op) __attribute__((warn_unused_result));

/* Remove the file at path and the stale temp files of path. 0 (also when it did not
 * exist), or the -errno of unlink(). */
int fileio_remove_atomic(const char *path) __attribute__((warn_unused_result));

/* Remove the stale temp files of path (see above); returns how many, or -errno when the
 * directory cannot be read (-ENOENT when it does not exist). */
int fileio_sweep_temps(const char *path);

#endif
