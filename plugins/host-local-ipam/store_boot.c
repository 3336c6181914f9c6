/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The host-local store's boot record.
 *
 * A boot record (IPAM_BOOT_NAME) holds the boot ID of the last boot the
 * store was used in; the first locked session of a later boot releases every
 * reservation made before the machine booted (network namespaces never
 * survive a reboot).
 */
#include "host-local-ipam/store_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cleanup.h"
#include "fileio.h"

/* Content of the boot record: this prefix, the boot ID, a newline. */
#define BOOT_RECORD_PREFIX "boot_id "

/* The current boot ID into buf; 0 or a negative errno (-EINVAL: not an ID). */
static int boot_id_read(char *buf, size_t size)
{
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	char *t;
	int r;

	r = fileio_read_path(IPAM_BOOT_ID_PATH, 256, &data, &len);
	if (r < 0)
		return r;
	t = store_trim(data, &len);
	if (!len || len >= size || strpbrk(t, " \t\r\n"))
		return -EINVAL;
	memcpy(buf, t, len + 1);
	return 0;
}

/*
 * The boot ID in the store's boot record into buf: 0, -ENOENT when there is
 * no record, -EINVAL when the file is not one, another negative errno when
 * it cannot be read.
 */
static int boot_record_read(struct ipam_store *s, char *buf, size_t size)
{
	_cleanup_free_ char *data = NULL;
	_cleanup_close_ int fd = -1;
	size_t len = 0, plen = strlen(BOOT_RECORD_PREFIX);
	char *t;
	int r;

	fd = openat(s->dir_fd, IPAM_BOOT_NAME, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	r = fileio_read_fd(fd, 256, &data, &len);
	if (r < 0)
		return r == -EFBIG ? -EINVAL : r;
	if (len < plen || strncmp(data, BOOT_RECORD_PREFIX, plen) != 0)
		return -EINVAL;
	len -= plen;
	t = store_trim(data + plen, &len);
	if (!len || len >= size || strlen(t) != len)
		return -EINVAL;
	memcpy(buf, t, len + 1);
	return 0;
}

/* True when a is before b. */
static bool ts_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/*
 * Release every reservation made before the machine booted: files whose
 * ctime (set by the kernel on creation, link and every later change, never
 * by utimes) is before the boot's wall-clock start. Reservations made in
 * this boot by a plugin that keeps no boot record stay.
 */
static int release_earlier_boots(struct ipam_store *s, struct cni_err *err)
{
	struct timespec now, up, booted;

	if (clock_gettime(CLOCK_REALTIME, &now) < 0 || clock_gettime(CLOCK_BOOTTIME, &up) < 0)
		return cni_err_syscall(err, CNI_ERR_INTERNAL, errno, "clock_gettime");
	booted.tv_sec = now.tv_sec - up.tv_sec;
	booted.tv_nsec = now.tv_nsec - up.tv_nsec;
	if (booted.tv_nsec < 0) {
		booted.tv_sec--;
		booted.tv_nsec += 1000000000L;
	}
	for (size_t i = 0; i < s->tab.n; i++) {
		struct store_entry *e = &s->tab.e[i];
		struct stat st;
		int r;

		if (e->gone)
			continue;
		if (fstatat(s->dir_fd, e->name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno != ENOENT)
				return store_path_err(err, errno, "stat", s->dir, e->name);
			e->gone = true;
			s->stale = true;
			continue;
		}
		if (!ts_before(&st.st_ctim, &booted))
			continue;
		r = store_entry_remove(s, e, err);
		if (r < 0)
			return r;
		s->report.reboot_released++;
	}
	return 0;
}

/*
 * Compare the boot record with the current boot (see ipam_store_lock()).
 * Only failing to remove a reservation is an error; the record is written
 * after the release, so a process killed in between redoes it next time.
 */
int store_boot_check(struct ipam_store *s, struct cni_err *err)
{
	char cur[128], rec[128], line[sizeof(cur) + sizeof(BOOT_RECORD_PREFIX) + 1];
	struct cni_err werr = {0}; /* a record not written only costs a repeat */
	int r;

	r = boot_id_read(cur, sizeof(cur));
	if (r < 0) {
		s->report.boot_errno = -r;
		s->report.boot_what = "read " IPAM_BOOT_ID_PATH;
		return 0;
	}
	r = boot_record_read(s, rec, sizeof(rec));
	if (r == 0 && strcmp(rec, cur) == 0)
		return 0;
	if (r == -ENOENT || r == -EINVAL) {
		/* Nothing tells which boot these reservations come from: keep them. */
		s->report.boot_adopted = true;
	} else if (r < 0) {
		s->report.boot_errno = -r;
		s->report.boot_what = "read " IPAM_BOOT_NAME;
		return 0;
	} else {
		s->report.boot_changed = true;
		r = release_earlier_boots(s, err);
		if (r < 0)
			return r;
	}
	snprintf(line, sizeof(line), "%s%s\n", BOOT_RECORD_PREFIX, cur);
	if (store_write_atomic(s, IPAM_BOOT_NAME, line, &werr) < 0) {
		s->report.boot_errno = werr.sys_errno ? werr.sys_errno : EIO;
		s->report.boot_what = "write " IPAM_BOOT_NAME;
	}
	return 0;
}

/*
 * True when the record's boot is the current one (false when either cannot
 * be read: the listing path then reports why).
 */
bool store_boot_same(struct ipam_store *s)
{
	char cur[128], rec[128];

	return boot_id_read(cur, sizeof(cur)) == 0 && boot_record_read(s, rec, sizeof(rec)) == 0 &&
	       strcmp(cur, rec) == 0;
}
