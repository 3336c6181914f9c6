/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The host-local store's directory listing: which names are reservations and
 * our temp files, reading a reservation file, and reconciling a listing with the
 * table of known files.
 */
#include "host-local-ipam/store_priv.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "array.h"
#include "cleanup.h"
#include "fileio.h"

/*
 * Largest reservation file content we read. The spec sets no limit on a
 * container ID, but a plugin gets it (and the interface name) through its
 * environment, where one string is at most MAX_ARG_STRLEN (32 pages: 128 KiB,
 * 2 MiB with 64 KiB pages), so no plugin can write a reservation near this.
 * Larger files are not reservations and never match an owner.
 */
#define OWNER_MAX (16u << 20)
/* Owner recorded for files that are too large to be a reservation. */
#define OWNER_OVERSIZE "\x01oversize"

/* Append an entry (taking its owner on success); the caller re-sorts. 0 or -ENOMEM. */
static int table_append(struct entry_table *t, const struct store_entry *e)
{
	if (ARRAY_RESERVE(t->e, t->cap, t->n + 1) < 0)
		return -ENOMEM;
	t->e[t->n++] = *e;
	return 0;
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct store_entry *)a)->name, ((const struct store_entry *)b)->name);
}

/*
 * Read one reservation file: trimmed owner, inode and ctime. -ENOENT when it
 * vanished, another negative errno when unreadable.
 */
int store_read_file(int dir_fd, const char *name, struct store_entry *ret)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	struct stat st;
	char *owner;
	int r;

	fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	r = fileio_read_fd(fd, OWNER_MAX, &buf, &len);
	if (r == -EFBIG)
		owner = strdup(OWNER_OVERSIZE);
	else if (r < 0)
		return r;
	else
		owner = strdup(store_trim(buf, &len));
	if (!owner)
		return -ENOMEM;
	memset(ret, 0, sizeof(*ret));
	snprintf(ret->name, sizeof(ret->name), "%s", name);
	ret->ino = (unsigned long long)st.st_ino;
	ret->ctime_sec = (long long)st.st_ctim.tv_sec;
	ret->ctime_nsec = st.st_ctim.tv_nsec;
	ret->owner = owner;
	return 0;
}

/*
 * True for dotted-quad IPv4 text as ip_parse() accepts it without a ':'
 * (glibc's inet_pton, Go's rules): four decimal fields of 0-255 without
 * leading zeros, nothing else. The common case of store_is_ip_name(), done here
 * without a copy of the address.
 */
static bool is_ipv4_text(const char *s)
{
	unsigned v = 0, fields = 0;
	bool digit = false;

	for (; *s; s++) {
		if (*s >= '0' && *s <= '9') {
			if (digit && v == 0)
				return false; /* a leading zero */
			v = v * 10 + (unsigned)(*s - '0');
			if (v > 255)
				return false;
			if (!digit && ++fields > 4)
				return false;
			digit = true;
		} else if (*s == '.' && digit && fields < 4) {
			v = 0;
			digit = false;
		} else {
			return false;
		}
	}
	return fields == 4 && digit;
}

/* True when name is a reservation file name (an IP address, as Go's net.ParseIP). */
bool store_is_ip_name(const char *name)
{
	struct ip_addr a;

	if (is_ipv4_text(name))
		return true;
	return strchr(name, ':') && strlen(name) < ENTRY_NAME_SIZE && ip_parse(name, &a) == 0;
}

/* True for "last_reserved_ip.<digits>". */
static bool is_cursor_name(const char *name)
{
	const char *p = name + strlen(IPAM_LAST_RESERVED_PREFIX);

	if (strncmp(name, IPAM_LAST_RESERVED_PREFIX, strlen(IPAM_LAST_RESERVED_PREFIX)) != 0 || !*p)
		return false;
	for (; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return false;
	}
	return true;
}

/*
 * True when name is one of our temp files (temp_path() of a reservation, a
 * cursor, the index or the boot record): only a process killed while
 * holding the lock leaves one, so under the lock every one is stale.
 */
static bool is_temp_name(const char *name)
{
	size_t len = strlen(name), slen = strlen(TEMP_SUFFIX);
	char base[64];

	if (name[0] != '.' || len <= slen + 1 || len - slen >= sizeof(base) ||
	    name[len - slen] != '.')
		return false;
	for (size_t i = len - slen + 1; i < len; i++) {
		if (!isalnum((unsigned char)name[i]))
			return false;
	}
	memcpy(base, name, len - slen);
	base[len - slen] = '\0';
	return strcmp(base, IPAM_INDEX_NAME) == 0 || strcmp(base, IPAM_BOOT_NAME) == 0 ||
	       store_is_ip_name(base + 1) || is_cursor_name(base + 1);
}

/* Entry indices by name (open addressing), for the lookups of one listing. */
struct name_hash {
	uint32_t *slot; /* index + 1 of an entry, 0 for an empty slot */
	size_t mask;	/* number of slots - 1 (a power of two) */
};

/* Hash of a NUL-terminated name: a rotate-xor per byte, mixed once at the end. */
static uint64_t name_hash_of(const char *name)
{
	uint64_t h = 0;

	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h << 7 | h >> 57) ^ *p;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	return h ^ h >> 32;
}

/* Hash the names of t (at most a half-full table); false when out of memory. */
static bool name_hash_build(struct name_hash *h, const struct entry_table *t)
{
	size_t size = 16;

	if (t->n >= UINT32_MAX / 2)
		return false;
	while (size < 2 * t->n)
		size *= 2;
	h->slot = calloc(size, sizeof(*h->slot));
	if (!h->slot)
		return false;
	h->mask = size - 1;
	for (size_t i = 0; i < t->n; i++) {
		size_t k = (size_t)name_hash_of(t->e[i].name) & h->mask;

		while (h->slot[k])
			k = (k + 1) & h->mask;
		h->slot[k] = (uint32_t)(i + 1);
	}
	return true;
}

/* The live entry of t named name through h, or NULL. */
static struct store_entry *name_hash_find(const struct name_hash *h, struct entry_table *t,
					  const char *name)
{
	for (size_t k = (size_t)name_hash_of(name) & h->mask; h->slot[k]; k = (k + 1) & h->mask) {
		struct store_entry *e = &t->e[h->slot[k] - 1];

		if (strcmp(e->name, name) == 0)
			return e->gone ? NULL : e;
	}
	return NULL;
}

/* What one listing compares against: the table, hashed when memory allowed. */
struct listing {
	struct name_hash h;	  /* the table's names (h.slot NULL: search the table) */
	bool foreign;		  /* the directory changed behind our back: check ctimes */
	struct entry_table added; /* names not in the table, read from their files */
};

/*
 * Reconcile one listed name with the table (see store_reconcile()); 0, or
 * -ENOMEM recorded in err.
 */
static int reconcile_one(struct ipam_store *s, struct listing *l, const char *name,
			 unsigned long long ino, unsigned char type, struct cni_err *err)
{
	struct store_entry *e, fresh;

	if (type != DT_REG && type != DT_UNKNOWN)
		return 0;
	if (name[0] == '.' && is_temp_name(name)) {
		/* Best effort: one that stays is tried again next time. */
		if (unlinkat(s->dir_fd, name, 0) == 0)
			s->report.temps_removed++;
		return 0;
	}
	/* Names in the table are reservation names already: parse only the others. */
	e = l->h.slot ? name_hash_find(&l->h, &s->tab, name) : store_entry_find(s, name);
	if (!e && !store_is_ip_name(name))
		return 0;
	if (e && e->ino == ino) {
		struct stat st;

		if (!l->foreign) {
			e->seen = true;
			return 0;
		}
		if (fstatat(s->dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    (unsigned long long)st.st_ino == e->ino &&
		    (long long)st.st_ctim.tv_sec == e->ctime_sec &&
		    st.st_ctim.tv_nsec == e->ctime_nsec) {
			e->seen = true;
			return 0;
		}
	}
	if (store_read_file(s->dir_fd, name, &fresh) < 0)
		return 0; /* vanished or unreadable: skipped, as the reference does */
	s->dirty = true;
	fresh.seen = true;
	if (e) {
		store_entry_owner_free(e);
		*e = fresh;
	} else if (table_append(&l->added, &fresh) < 0) {
		free(fresh.owner);
		return cni_err_nomem(err);
	}
	return 0;
}

/*
 * The end of a listing: entries not listed go, the names read from their
 * files join the table in order. 0 or -ENOMEM recorded in err.
 */
static int reconcile_finish(struct ipam_store *s, struct entry_table *added, struct cni_err *err)
{
	for (size_t i = 0; i < s->tab.n; i++) {
		if (!s->tab.e[i].seen && !s->tab.e[i].gone) {
			s->tab.e[i].gone = true;
			s->dirty = true;
		}
	}
	store_entries_compact(s);
	if (!added->n)
		return 0; /* still sorted */
	/* A name listed twice (the directory changed during the listing) is kept once. */
	if (added->n > 1) {
		size_t j = 1;

		qsort(added->e, added->n, sizeof(*added->e), entry_cmp);
		for (size_t i = 1; i < added->n; i++) {
			if (strcmp(added->e[i].name, added->e[j - 1].name) == 0)
				free(added->e[i].owner);
			else
				added->e[j++] = added->e[i];
		}
		added->n = j;
	}
	/* Move the new entries over in one step: on failure each stays in one table. */
	if (ARRAY_RESERVE(s->tab.e, s->tab.cap, s->tab.n + added->n) < 0)
		return cni_err_nomem(err);
	/* Merge from the back; the two tables are sorted and share no name. */
	for (size_t i = s->tab.n, j = added->n, k = s->tab.n + added->n; j > 0;) {
		if (i > 0 && strcmp(s->tab.e[i - 1].name, added->e[j - 1].name) > 0)
			s->tab.e[--k] = s->tab.e[--i];
		else
			s->tab.e[--k] = added->e[--j];
	}
	s->tab.n += added->n;
	added->n = 0;
	return 0;
}

/*
 * Bring s->tab.e in line with the directory. Names missing from the table or
 * whose inode changed are read; entries whose file is gone are dropped;
 * when the directory's mtime differs from the index stamp (someone else
 * changed it), entries whose inode matches are also checked by ctime, which
 * catches a file deleted and recreated with a recycled inode number (so
 * does suspect: the fallbacks of an unlisted session). Our temp files are
 * stale under the lock and removed on the way.
 */
int store_reconcile(struct ipam_store *s, bool suspect, struct cni_err *err)
{
	_cleanup_close_ int fd = -1;
	struct listing l = {0};
	struct stat dst;
	char *buf;
	int r = 0;

	if (fstat(s->dir_fd, &dst) < 0)
		return store_path_err(err, errno, "stat", s->dir, NULL);
	l.foreign = suspect || !s->use_index || (long long)dst.st_mtim.tv_sec != s->stamp_sec ||
		    dst.st_mtim.tv_nsec != s->stamp_nsec;
	if (l.foreign)
		s->dirty = true;

	buf = store_scratch(s);
	if (!buf)
		return cni_err_nomem(err);
	fd = openat(s->dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return store_path_err(err, errno, "open", s->dir, NULL);
	for (size_t i = 0; i < s->tab.n; i++)
		s->tab.e[i].seen = false;
	/* The listing is in hash order: look names up in a hash of the table (or search it). */
	if (s->tab.n && !name_hash_build(&l.h, &s->tab))
		l.h.slot = NULL;
	while (r == 0) {
		ssize_t got = getdents64(fd, buf, SCRATCH_SIZE);

		if (got < 0) {
			r = store_path_err(err, errno, "readdir", s->dir, NULL);
			break;
		}
		if (got == 0)
			break;
		for (size_t off = 0; r == 0 && off < (size_t)got;) {
			const struct dirent64 *de = (const struct dirent64 *)(buf + off);

			off += de->d_reclen;
			r = reconcile_one(s, &l, de->d_name, (unsigned long long)de->d_ino,
					  de->d_type, err);
		}
	}
	free(l.h.slot);
	if (r == 0)
		r = reconcile_finish(s, &l.added, err);
	store_table_clear(&l.added);
	return r;
}
