/* SPDX-License-Identifier: Apache-2.0 */
/* The host-local file store (reference: backend/disk/backend.go, lock.go) plus our index. */
#include "host-local-ipam/store.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <sys/utsname.h>
#include <time.h>
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
/*
 * First line of the index; the stamp field is written last, in place (see
 * index_save()). v1 indexes (which recorded owners of more than 4 KiB as
 * OWNER_OVERSIZE) are rebuilt from the files.
 */
#define INDEX_MAGIC "host-local-index v2 dirstamp="
/* Content of the boot record: this prefix, the boot ID, a newline. */
#define BOOT_RECORD_PREFIX "boot_id "
/* Suffix mkostemp() fills in. */
#define TEMP_SUFFIX ".XXXXXX"
/* Width of the "<sec>.<nsec>" stamp field. */
#define STAMP_WIDTH 30
/* Size of the buffer directory listings and index writes go through (glibc's readdir's). */
#define SCRATCH_SIZE (32u << 10)
/*
 * Room for a reservation file name: the longest text inet_pton() accepts is
 * 45 bytes ("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255").
 */
#define ENTRY_NAME_SIZE 48
/*
 * After "end N", a line old versions do not read (their loader stops at the
 * trailer): "unlisted NN", the number of sessions since the last one that
 * listed the directory, two digits so that it is rewritten in place.
 */
#define INDEX_UNLISTED "unlisted "
/* A session lists the directory when this many sessions in a row did not. */
#define UNLISTED_MAX 63
/*
 * Index entries an unlisted session checks with a stat before it lists the
 * directory instead (a listing is worth about this many stats).
 */
#define HAS_CHECKS_MAX 32

/* One reservation file as last seen. */
struct store_entry {
	char name[ENTRY_NAME_SIZE]; /* file name: an IP address in text form */
	unsigned long long ino;	    /* inode number */
	long long ctime_sec;	    /* st_ctim seconds when it was read */
	long ctime_nsec;	    /* st_ctim nanoseconds */
	char *owner;		    /* file content with surrounding whitespace trimmed */
	bool borrowed;		    /* owner points into the table's arena (not malloc'd) */
	bool seen;		    /* found by the current reconciliation */
	bool gone;		    /* removed during this session, to be compacted */
};

/* A growable table of entries; each entry owns its owner string unless borrowed. */
struct entry_table {
	struct store_entry *e; /* the entries */
	size_t n;	       /* entries used */
	size_t cap;	       /* entries allocated */
	char *arena;	       /* the loaded index, which borrowed owners point into */
};

struct ipam_store {
	char *dir;		/* <dataDir>/<network> */
	int dir_fd;		/* O_DIRECTORY fd of dir */
	int lock_fd;		/* fd of the lock file */
	bool locked;		/* the flock is held */
	bool use_index;		/* persist and reuse the index */
	bool reclaim_on_reboot; /* release reservations of earlier boots */
	struct entry_table tab; /* known reservation files, sorted by name */
	bool dirty;		/* index content changed this session */
	bool stale;		/* files of index entries removed (or found gone) this session */
	bool coarse;		/* directory mtimes may be coarse (see mtime_coarse()) */
	bool listed;		/* this session listed the directory */
	unsigned unlisted;	/* sessions since the last listing, as loaded */
	off_t unlisted_off;	/* offset of its digits in the index file, or -1 */
	size_t has_checks;	/* index entries ipam_store_has() stat'ed this session */
	long long stamp_sec;	/* directory mtime the loaded index was stamped with */
	long stamp_nsec;	/* its nanoseconds */
	struct ipam_store_report report; /* what the last lock cleaned up */
	char *scratch; /* SCRATCH_SIZE bytes: the listing, then the index writes */
};

/* Record "<op> <path>: <errno text>" like Go's *os.PathError; returns -e. */
static int path_err(struct cni_err *err, int e, const char *op, const char *dir, const char *name)
{
	if (name)
		return cni_err_syscall(err, CNI_ERR_INTERNAL, e, "%s %s/%s", op, dir, name);
	return cni_err_syscall(err, CNI_ERR_INTERNAL, e, "%s %s", op, dir);
}

/*
 * The malloc'd path "<dir>/<name>" (name from fmt) of a file the store writes
 * by path (temp files and what they are renamed to). One that cannot be a
 * path (PATH_MAX or more) is refused with -ENAMETOOLONG and the message
 * opening it would give, so nothing ever works on a different, truncated path.
 */
static int store_path(const struct ipam_store *s, char **ret, struct cni_err *err, const char *fmt,
		      ...) CNI_PRINTF(4, 5);
static int store_path(const struct ipam_store *s, char **ret, struct cni_err *err, const char *fmt,
		      ...)
{
	_cleanup_free_ char *name = NULL;
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&name, fmt, ap);
	va_end(ap);
	if (n < 0) {
		name = NULL;
		return cni_err_nomem(err);
	}
	if (strlen(s->dir) + 1 + (size_t)n >= PATH_MAX)
		return path_err(err, ENAMETOOLONG, "open", s->dir, name);
	if (asprintf(&p, "%s/%s", s->dir, name) < 0)
		return cni_err_nomem(err);
	*ret = p;
	return 0;
}

/*
 * The malloc'd path of the temp file that name is written through:
 * "<dir>/.<name>.XXXXXX" (no second dot when name is a dot-file already).
 * Errors as store_path().
 */
static int temp_path(const struct ipam_store *s, const char *name, char **ret, struct cni_err *err)
{
	return store_path(s, ret, err, "%s%s" TEMP_SUFFIX, name[0] == '.' ? "" : ".", name);
}

/* Trim ASCII whitespace (Go strings.TrimSpace for ASCII) in place; returns the start. */
static char *trim(char *s, size_t *len)
{
	size_t n = *len;

	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	while (n && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	s[n] = '\0';
	*len = n;
	return s;
}

/*
 * Go's filepath.Clean of p into out (room for strlen(p) + 2 bytes): repeated
 * slashes collapse, "." elements go, ".." removes the element before it (or
 * stays at the start of a relative path, or goes at the root), no trailing
 * slash, "." for an empty result. Purely lexical, like Go.
 */
static void path_clean(const char *p, char *out)
{
	size_t n = strlen(p), r = 0, w = 0, dotdot = 0;
	bool rooted = n > 0 && p[0] == '/';

	if (rooted) {
		out[w++] = '/';
		r = 1;
		dotdot = 1;
	}
	while (r < n) {
		if (p[r] == '/') {
			r++;
		} else if (p[r] == '.' && (r + 1 == n || p[r + 1] == '/')) {
			r++;
		} else if (p[r] == '.' && p[r + 1] == '.' && (r + 2 == n || p[r + 2] == '/')) {
			r += 2;
			if (w > dotdot) {
				/* Drop the last element. */
				w--;
				while (w > dotdot && out[w] != '/')
					w--;
			} else if (!rooted) {
				/* A leading ".." of a relative path stays. */
				if (w > 0)
					out[w++] = '/';
				out[w++] = '.';
				out[w++] = '.';
				dotdot = w;
			}
		} else {
			if ((rooted && w != 1) || (!rooted && w != 0))
				out[w++] = '/';
			while (r < n && p[r] != '/')
				out[w++] = p[r++];
		}
	}
	if (w == 0)
		out[w++] = '.';
	out[w] = '\0';
}

int ipam_store_net_dir(const char *data_dir, const char *network, char **ret)
{
	_cleanup_free_ char *joined = NULL;
	char *out;

	if (!data_dir || !*data_dir)
		data_dir = IPAM_DEFAULT_DATA_DIR;
	/* filepath.Join skips empty elements. */
	if (asprintf(&joined, "%s%s%s", data_dir, *network ? "/" : "", network) < 0) {
		joined = NULL;
		return -ENOMEM;
	}
	out = malloc(strlen(joined) + 2);
	if (!out)
		return -ENOMEM;
	path_clean(joined, out);
	*ret = out;
	return 0;
}

/* mkdir -p with mode 0755. */
static int mkdir_p(const char *path, struct cni_err *err)
{
	_cleanup_free_ char *p = strdup(path);

	if (!p)
		return cni_err_nomem(err);
	for (char *s = p + 1;; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;
			struct stat st;

			*s = '\0';
			if (mkdir(p, 0755) < 0 && errno != EEXIST)
				return path_err(err, errno, "mkdir", p, NULL);
			if (stat(p, &st) < 0)
				return path_err(err, errno, "stat", p, NULL);
			if (!S_ISDIR(st.st_mode))
				return path_err(err, ENOTDIR, "mkdir", p, NULL);
			*s = c;
			if (!c)
				break;
		}
	}
	return 0;
}

/*
 * False when the directory's mtime is known to change for every change made
 * after it was read: from Linux 6.13, ext4, xfs, btrfs and tmpfs have
 * multigrain timestamps (a change after a stat of the inode gets a newer
 * time than the stat saw). Elsewhere two changes within one clock tick can
 * leave the same mtime. (ext2 and ext3 share ext4's magic; Debian's kernels
 * mount them with the ext4 driver.)
 */
static bool mtime_coarse(int dir_fd)
{
	unsigned major = 0, minor = 0;
	struct utsname u;
	struct statfs f;

	if (uname(&u) < 0 || sscanf(u.release, "%u.%u", &major, &minor) != 2 ||
	    fstatfs(dir_fd, &f) < 0)
		return true;
	if (major < 6 || (major == 6 && minor < 13))
		return true;
	switch ((unsigned long)f.f_type) {
	case EXT4_SUPER_MAGIC:
	case XFS_SUPER_MAGIC:
	case BTRFS_SUPER_MAGIC:
	case TMPFS_MAGIC:
		return false;
	default:
		return true;
	}
}

int ipam_store_open(const char *data_dir, const char *network, unsigned flags,
		    struct ipam_store **ret, struct cni_err *err)
{
	_cleanup_(ipam_store_closep) struct ipam_store *s = NULL;
	int r;

	s = calloc(1, sizeof(*s));
	if (!s)
		return cni_err_nomem(err);
	s->dir_fd = -1;
	s->lock_fd = -1;
	s->use_index = flags & IPAM_STORE_INDEX;
	s->reclaim_on_reboot = flags & IPAM_STORE_RECLAIM_ON_REBOOT;
	s->unlisted_off = -1;
	if (ipam_store_net_dir(data_dir, network, &s->dir) < 0)
		return cni_err_nomem(err);
	r = mkdir_p(s->dir, err);
	if (r < 0)
		return r;
	s->dir_fd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dir_fd < 0)
		return path_err(err, errno, "open", s->dir, NULL);
	s->lock_fd = openat(s->dir_fd, IPAM_LOCK_NAME, O_RDONLY | O_CREAT | O_CLOEXEC, 0750);
	if (s->lock_fd < 0)
		return path_err(err, errno, "open", s->dir, IPAM_LOCK_NAME);
	s->coarse = (flags & IPAM_STORE_COARSE_MTIME) || mtime_coarse(s->dir_fd);
	*ret = TAKE_PTR(s);
	return 0;
}

/* Free e's owner unless it is borrowed from the arena. */
static void entry_owner_free(struct store_entry *e)
{
	if (!e->borrowed)
		free(e->owner);
	e->owner = NULL;
	e->borrowed = false;
}

/* Free every entry's owner and the arena, and empty the table. */
static void table_clear(struct entry_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		entry_owner_free(&t->e[i]);
	free(t->e);
	free(t->arena);
	*t = (struct entry_table){0};
}

/* Append an entry (taking its owner on success); the caller re-sorts. 0 or -ENOMEM. */
static int table_append(struct entry_table *t, const struct store_entry *e)
{
	if (ARRAY_RESERVE(t->e, t->cap, t->n + 1) < 0)
		return -ENOMEM;
	t->e[t->n++] = *e;
	return 0;
}

void ipam_store_close(struct ipam_store *s)
{
	if (!s)
		return;
	if (s->locked)
		ipam_store_unlock(s);
	table_clear(&s->tab);
	free(s->scratch);
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	if (s->dir_fd >= 0)
		close(s->dir_fd);
	free(s->dir);
	free(s);
}

const char *ipam_store_dir(const struct ipam_store *s)
{
	return s->dir;
}

const struct ipam_store_report *ipam_store_report(const struct ipam_store *s)
{
	return &s->report;
}

size_t ipam_store_count(const struct ipam_store *s)
{
	size_t n = 0;

	for (size_t i = 0; i < s->tab.n; i++)
		n += !s->tab.e[i].gone;
	return n;
}

static struct store_entry *entry_find(struct ipam_store *s, const char *name);
static int ensure_listed(struct ipam_store *s, struct cni_err *err);

bool ipam_store_has(struct ipam_store *s, const struct ip_addr *ip)
{
	char name[IP_STRLEN];
	struct store_entry *e;
	struct cni_err ign = {0}; /* a listing that failed: answer false, reserve() tells */
	struct stat st;

	e = entry_find(s, ip_format(ip, name, sizeof(name)));
	if (!e || s->listed)
		return e != NULL;
	/*
	 * Unlisted, the index may hold a file removed behind its back: check
	 * that it is there, and after HAS_CHECKS_MAX checks list the directory
	 * instead. So a range only looks full when each of its addresses was
	 * seen under the lock (stat, listing or link() failing with EEXIST).
	 */
	if (s->has_checks >= HAS_CHECKS_MAX) {
		if (ensure_listed(s, &ign) < 0)
			return false;
		return entry_find(s, name) != NULL;
	}
	s->has_checks++;
	if (fstatat(s->dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return true;
	if (errno == ENOENT) {
		e->gone = true;
		s->stale = true;
	}
	return false;
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct store_entry *)a)->name, ((const struct store_entry *)b)->name);
}

/*
 * Index of the entry named name in the sorted table (live or gone), or of
 * where it would be inserted; *ret_found tells which.
 */
static size_t entry_pos(const struct entry_table *t, const char *name, bool *ret_found)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, t->e[mid].name);

		if (c == 0) {
			*ret_found = true;
			return mid;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	*ret_found = false;
	return lo;
}

/* The live entry named name, or NULL (the table must be sorted). */
static struct store_entry *entry_find(struct ipam_store *s, const char *name)
{
	bool found;
	size_t i = entry_pos(&s->tab, name, &found);

	return found && !s->tab.e[i].gone ? &s->tab.e[i] : NULL;
}

/* Drop entries marked gone, keeping the order. */
static void entries_compact(struct ipam_store *s)
{
	size_t j = 0;

	for (size_t i = 0; i < s->tab.n; i++) {
		if (s->tab.e[i].gone) {
			entry_owner_free(&s->tab.e[i]);
			continue;
		}
		s->tab.e[j++] = s->tab.e[i];
	}
	s->tab.n = j;
}

/*
 * Read one reservation file: trimmed owner, inode and ctime. -ENOENT when it
 * vanished, another negative errno when unreadable.
 */
static int read_file(int dir_fd, const char *name, struct store_entry *ret)
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
		owner = strdup(trim(buf, &len));
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
 * leading zeros, nothing else. The common case of is_ip_name(), done here
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
static bool is_ip_name(const char *name)
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
	       is_ip_name(base + 1) || is_cursor_name(base + 1);
}

/* Write all of [p, p + len) to fd, retrying EINTR and short writes; 0 or -errno. */
static int write_full(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/*
 * Read the regular file fd to EOF into a malloc'd, NUL-terminated buffer,
 * sized from fstat so that one read takes it all (and one more sees EOF).
 * 0, -EINVAL (not a regular file), -ENOMEM or the -errno of a read.
 */
static int index_read(int fd, char **ret, size_t *ret_len)
{
	_cleanup_free_ char *buf = NULL;
	size_t cap, len = 0;
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_size < 0 || (unsigned long long)st.st_size > SIZE_MAX / 2)
		return -EINVAL;
	cap = (size_t)st.st_size + 2;
	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (len + 1 == cap) {
			/* Grown since the fstat (not under our lock): keep reading. */
			if (ARRAY_RESERVE(buf, cap, cap * 2) < 0)
				return -ENOMEM;
		}
		n = read(fd, buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*ret = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

/* ---- index file ----------------------------------------------------------- */

/*
 * The index is "<INDEX_MAGIC><sec>.<nsec>\n", one line per entry sorted by
 * name, "<name> <ino> <ctime sec>.<ctime nsec, 9 digits> <escaped owner>\n",
 * then "end <number of entries>\n". It is read with one read and parsed in
 * place (owners are unescaped where they lie and borrowed from the buffer),
 * and formatted by hand into the scratch buffer, written each time it fills.
 * The parser takes numbers as the writer produces them (decimal digits, a
 * '-' on signed fields): anything else, a truncated file included, is a
 * corrupt index and rebuilt from the files.
 */

/* Bytes the index writes as "%XX": controls, space, '%' and 0x7f and up. */
static const bool index_escaped[256] = {
	[0 ... ' '] = true,
	['%'] = true,
	[0x7f ... 0xff] = true,
};

/* The index being written: bytes gathered in the scratch buffer, written when it fills. */
struct outbuf {
	char *p;    /* the buffer */
	size_t len; /* bytes gathered */
	size_t cap; /* its size */
	int fd;	    /* the file written */
	int err;    /* negative errno of the first failed write, or 0 */
};

/* Write out what was gathered. */
static void out_flush(struct outbuf *b)
{
	if (b->len && !b->err)
		b->err = write_full(b->fd, b->p, b->len);
	b->len = 0;
}

/* Room for n more bytes (n no more than the buffer's size) at b->p + b->len. */
static inline char *out_room(struct outbuf *b, size_t n)
{
	if (b->cap - b->len < n)
		out_flush(b);
	return b->p + b->len;
}

/* Append n bytes (more than the buffer holds are written through). */
static inline void out_mem(struct outbuf *b, const void *p, size_t n)
{
	if (b->cap - b->len < n) {
		out_flush(b);
		if (n > b->cap) {
			if (!b->err)
				b->err = write_full(b->fd, p, n);
			return;
		}
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

/* Append one byte. */
static inline void out_char(struct outbuf *b, char c)
{
	*out_room(b, 1) = c;
	b->len++;
}

/* "00" to "99", for formatting two digits at a time. */
static const char digit_pairs[] = "00010203040506070809101112131415161718192021222324252627282930"
				  "31323334353637383940414243444546474849505152535455565758596061"
				  "6263646566676869707172737475767778798081828384858687888990919293"
				  "949596979899";

/* Append v in decimal, as "%llu". */
static void out_u64(struct outbuf *b, unsigned long long v)
{
	char tmp[24];
	size_t i = sizeof(tmp);

	while (v >= 100) {
		unsigned d = (unsigned)(v % 100);

		v /= 100;
		i -= 2;
		memcpy(tmp + i, digit_pairs + 2 * d, 2);
	}
	if (v >= 10) {
		i -= 2;
		memcpy(tmp + i, digit_pairs + 2 * v, 2);
	} else {
		tmp[--i] = (char)('0' + v);
	}
	out_mem(b, tmp + i, sizeof(tmp) - i);
}

/* Append v in decimal, as "%lld". */
static void out_s64(struct outbuf *b, long long v)
{
	if (v < 0) {
		out_char(b, '-');
		out_u64(b, 0ULL - (unsigned long long)v);
	} else {
		out_u64(b, (unsigned long long)v);
	}
}

/* Append nanoseconds as "%09ld". */
static void out_nsec(struct outbuf *b, long v)
{
	char tmp[24];

	if (v >= 0 && v <= 999999999L) {
		for (int i = 7; i > 0; i -= 2) {
			memcpy(tmp + i, digit_pairs + 2 * (v % 100), 2);
			v /= 100;
		}
		tmp[0] = (char)('0' + v);
		out_mem(b, tmp, 9);
		return;
	}
	/* Never from stat(); kept in the writer's format all the same. */
	out_mem(b, tmp, (size_t)snprintf(tmp, sizeof(tmp), "%09ld", v));
}

/* Append s with the bytes of index_escaped as "%XX" (upper-case hex). */
static void out_escaped(struct outbuf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s;

	for (;;) {
		const unsigned char *run = p;
		char *w;

		/* NUL is in the table, so the run stops at the end too. */
		while (!index_escaped[*p])
			p++;
		out_mem(b, run, (size_t)(p - run));
		if (!*p)
			return;
		w = out_room(b, 3);
		w[0] = '%';
		w[1] = hex[*p >> 4];
		w[2] = hex[*p & 15];
		b->len += 3;
		p++;
	}
}

/* Append one entry's line. */
static void out_entry(struct outbuf *b, const struct store_entry *e)
{
	out_mem(b, e->name, strlen(e->name));
	out_char(b, ' ');
	out_u64(b, e->ino);
	out_char(b, ' ');
	out_s64(b, e->ctime_sec);
	out_char(b, '.');
	out_nsec(b, e->ctime_nsec);
	out_char(b, ' ');
	out_escaped(b, e->owner);
	out_char(b, '\n');
}

/* Value of a hex digit, or -1. */
static int hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * The parser works on the NUL-terminated buffer of the whole file: a NUL
 * byte before the end reads as the end, so a file holding one is truncated
 * and rejected like one cut short.
 */

/* Decimal digits at *p into *ret, *p moved past them; false on none or overflow. */
static bool parse_u64(const char **p, unsigned long long *ret)
{
	const char *q = *p;
	unsigned long long v = 0;

	if (*q < '0' || *q > '9')
		return false;
	for (; *q >= '0' && *q <= '9'; q++) {
		unsigned d = (unsigned)(*q - '0');

		if (v >= ULLONG_MAX / 10 && (v > ULLONG_MAX / 10 || d > ULLONG_MAX % 10))
			return false;
		v = v * 10 + d;
	}
	*p = q;
	*ret = v;
	return true;
}

/* An optional '-' and decimal digits into *ret, as parse_u64(), within [min, max]. */
static bool parse_s64(const char **p, long long min, long long max, long long *ret)
{
	const char *q = *p;
	bool neg = *q == '-';
	unsigned long long v;

	q += neg;
	if (!parse_u64(&q, &v))
		return false;
	if (neg ? v > 0ULL - (unsigned long long)min : v > (unsigned long long)max)
		return false;
	*ret = neg ? (long long)(0ULL - v) : (long long)v;
	*p = q;
	return true;
}

/*
 * Undo out_escaped() in place from p to the end of the line, NUL-terminate
 * the result and return the start of the next line; NULL on a malformed or
 * NUL escape, or when the line has no '\n'.
 */
static char *unescape_line(char *p)
{
	char *w = p;

	for (;; p++) {
		if (*p == '\n') {
			*w = '\0';
			return p + 1;
		} else if (*p == '%') {
			int hi = hex_value((unsigned char)p[1]), lo;

			lo = hi < 0 ? -1 : hex_value((unsigned char)p[2]);
			if (lo < 0 || (hi | lo) == 0)
				return NULL;
			*w++ = (char)(hi << 4 | lo);
			p += 2;
		} else if (!*p) {
			return NULL;
		} else {
			*w++ = *p;
		}
	}
}

/*
 * Parse the entry line at line into e, the owner unescaped in place and
 * borrowed from the buffer; the start of the next line, or NULL when it is
 * not an entry line.
 */
static char *parse_index_line(char *line, struct store_entry *e)
{
	const char *p = line;
	size_t nlen;
	long long v;

	while (*p && *p != ' ' && *p != '\n')
		p++;
	nlen = (size_t)(p - line);
	if (*p != ' ' || nlen >= sizeof(e->name))
		return NULL;
	memcpy(e->name, line, nlen);
	e->name[nlen] = '\0';
	if (!is_ip_name(e->name))
		return NULL;
	p++;
	if (!parse_u64(&p, &e->ino) || *p++ != ' ')
		return NULL;
	if (!parse_s64(&p, LLONG_MIN, LLONG_MAX, &e->ctime_sec) || *p++ != '.')
		return NULL;
	if (!parse_s64(&p, LONG_MIN, LONG_MAX, &v) || *p++ != ' ')
		return NULL;
	e->ctime_nsec = (long)v;
	e->owner = line + (p - line);
	e->borrowed = true;
	e->seen = false;
	e->gone = false;
	return unescape_line(e->owner);
}

/*
 * Read the index into s->tab (the file's buffer kept as s->tab.arena, which
 * the entries' owners point into) and its stamp; any problem leaves an empty
 * table (full rebuild).
 */
static void index_load(struct ipam_store *s)
{
	_cleanup_close_ int fd = -1;
	char *p;
	const char *q;
	size_t len = 0, mlen = strlen(INDEX_MAGIC);
	bool ended = false;
	long long v;

	s->stamp_sec = 0;
	s->stamp_nsec = 0;
	/* No count (an index of an older version): list this time. */
	s->unlisted = UNLISTED_MAX;
	s->unlisted_off = -1;
	fd = openat(s->dir_fd, IPAM_INDEX_NAME, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0 || index_read(fd, &s->tab.arena, &len) < 0)
		return;
	/* The header: magic and "<sec>.<nsec>" (the placeholder has no dot). */
	if (len < mlen || memcmp(s->tab.arena, INDEX_MAGIC, mlen) != 0)
		goto undo_load;
	q = s->tab.arena + mlen;
	if (!parse_s64(&q, LLONG_MIN, LLONG_MAX, &s->stamp_sec) || *q++ != '.' ||
	    !parse_s64(&q, LONG_MIN, LONG_MAX, &v) || *q++ != '\n')
		goto undo_load;
	s->stamp_nsec = (long)v;
	p = s->tab.arena + (q - s->tab.arena);
	/* Room for the entries of lines of a typical length; more grows the table. */
	if (ARRAY_RESERVE(s->tab.e, s->tab.cap, len / 48 + 8) < 0)
		goto undo_load;
	while (*p) {
		struct store_entry *e;

		if (strncmp(p, "end ", 4) == 0) {
			unsigned long long want;

			q = p + 4;
			ended = parse_u64(&q, &want) && *q == '\n' && want == s->tab.n;
			if (ended && strncmp(q + 1, INDEX_UNLISTED, strlen(INDEX_UNLISTED)) == 0) {
				unsigned long long k;
				const char *d = q + 1 + strlen(INDEX_UNLISTED);

				q = d;
				if (parse_u64(&q, &k) && q - d == 2 && *q == '\n' && !q[1] &&
				    k <= UNLISTED_MAX) {
					s->unlisted = (unsigned)k;
					s->unlisted_off = d - s->tab.arena;
				}
			}
			break;
		}
		if (ARRAY_RESERVE(s->tab.e, s->tab.cap, s->tab.n + 1) < 0)
			goto undo_load;
		e = &s->tab.e[s->tab.n];
		p = parse_index_line(p, e);
		if (!p)
			goto undo_load;
		/* We write it sorted; out of order or duplicate names mean a corrupt index. */
		if (s->tab.n && strcmp(s->tab.e[s->tab.n - 1].name, e->name) >= 0)
			goto undo_load;
		s->tab.n++;
	}
	if (ended)
		return;
undo_load:
	table_clear(&s->tab);
	s->stamp_sec = 0;
	s->stamp_nsec = 0;
	s->unlisted = UNLISTED_MAX;
	s->unlisted_off = -1;
}

/* The store's scratch buffer (SCRATCH_SIZE bytes), allocated on first use; NULL when out of memory. */
static char *scratch(struct ipam_store *s)
{
	if (!s->scratch)
		s->scratch = malloc(SCRATCH_SIZE);
	return s->scratch;
}

/* The count of sessions since the last listing to record, this one included. */
static unsigned unlisted_next(const struct ipam_store *s)
{
	if (s->listed)
		return 0;
	return s->unlisted < UNLISTED_MAX ? s->unlisted + 1 : UNLISTED_MAX;
}

/*
 * Record unlisted_next() in the loaded index in place (a session that
 * changed nothing does not rewrite the index). Best effort: a count not
 * written only delays the next listing by one session.
 */
static void unlisted_save(struct ipam_store *s)
{
	_cleanup_close_ int fd = -1;
	unsigned k = unlisted_next(s);
	char d[2] = {(char)('0' + k / 10), (char)('0' + k % 10)};

	fd = openat(s->dir_fd, IPAM_INDEX_NAME, O_WRONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd >= 0)
		(void)!pwrite(fd, d, sizeof(d), s->unlisted_off);
}

/*
 * A session whose only changes were removals keeps the index's lines (the
 * entries of the files removed stay, stale) and only stamps it with the
 * directory's new mtime, then records the count of unlisted sessions: a
 * stale entry is harmless, as every entry's file is checked before it is
 * trusted (see store.h), and goes with the next listing. Without the new
 * stamp, the next session lists.
 */
static void index_restamp(struct ipam_store *s)
{
	_cleanup_close_ int fd = -1;
	char stamp[STAMP_WIDTH + 2];
	struct stat st;

	fd = openat(s->dir_fd, IPAM_INDEX_NAME, O_WRONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0 || fstat(s->dir_fd, &st) < 0)
		return;
	snprintf(stamp, sizeof(stamp), "%0*lld.%09ld", STAMP_WIDTH - 10,
		 (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	if (pwrite(fd, stamp, strlen(stamp), (off_t)strlen(INDEX_MAGIC)) != (ssize_t)strlen(stamp))
		return;
	s->stamp_sec = (long long)st.st_mtim.tv_sec;
	s->stamp_nsec = st.st_mtim.tv_nsec;
	close(TAKE_FD(fd));
	unlisted_save(s);
}

/*
 * Write the index into its file in place (created when missing): the header
 * with the placeholder stamp first, then the entries and the trailer, the
 * file cut to the new length, and only then the real stamp, the directory's
 * mtime (writing the index's data does not change the directory). A process
 * killed before the last step leaves the placeholder, which never matches a
 * directory mtime and does not even parse as a stamp, so the next session
 * rebuilds from the files; the loader's checks (the trailer's count, sorted
 * names) reject a torn body in any case. No temp file and no rename: a
 * rename over the old index makes the filesystem write the new file's data
 * out and free the old one's blocks, which cost more than the write itself.
 * It is formatted into the scratch buffer, which the listing used before
 * (memory already touched), and written a buffer at a time.
 */
static void index_save(struct ipam_store *s)
{
	_cleanup_close_ int fd = -1;
	struct outbuf b = {.cap = SCRATCH_SIZE};
	char stamp[STAMP_WIDTH + 2];
	struct stat st;
	size_t count = 0;
	off_t len;

	b.p = scratch(s);
	if (!b.p)
		return;
	fd = openat(s->dir_fd, IPAM_INDEX_NAME, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return; /* a cache: failing to write it costs a rebuild */
	b.fd = fd;
	/* Placeholder stamp: a crash before the final stamp forces a full check. */
	b.len = (size_t)snprintf(b.p, b.cap, "%s%0*d\n", INDEX_MAGIC, STAMP_WIDTH, 0);
	for (size_t i = 0; i < s->tab.n; i++) {
		if (s->tab.e[i].gone)
			continue;
		out_entry(&b, &s->tab.e[i]);
		count++;
	}
	out_mem(&b, "end ", 4);
	out_u64(&b, count);
	out_char(&b, '\n');
	out_mem(&b, INDEX_UNLISTED, strlen(INDEX_UNLISTED));
	out_char(&b, (char)('0' + unlisted_next(s) / 10));
	out_char(&b, (char)('0' + unlisted_next(s) % 10));
	out_char(&b, '\n');
	out_flush(&b);
	if (b.err < 0)
		return;
	len = lseek(fd, 0, SEEK_CUR);
	if (len < 0 || ftruncate(fd, len) < 0)
		return;
	/* Nothing else changes the directory while we hold the lock. */
	if (fstat(s->dir_fd, &st) < 0)
		return;
	snprintf(stamp, sizeof(stamp), "%0*lld.%09ld", STAMP_WIDTH - 10,
		 (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	if (pwrite(fd, stamp, strlen(stamp), (off_t)strlen(INDEX_MAGIC)) != (ssize_t)strlen(stamp))
		return;
	s->stamp_sec = (long long)st.st_mtim.tv_sec;
	s->stamp_nsec = st.st_mtim.tv_nsec;
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
 * Reconcile one listed name with the table (see reconcile()); 0, or
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
	e = l->h.slot ? name_hash_find(&l->h, &s->tab, name) : entry_find(s, name);
	if (!e && !is_ip_name(name))
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
	if (read_file(s->dir_fd, name, &fresh) < 0)
		return 0; /* vanished or unreadable: skipped, as the reference does */
	s->dirty = true;
	fresh.seen = true;
	if (e) {
		entry_owner_free(e);
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
	entries_compact(s);
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
static int reconcile(struct ipam_store *s, bool suspect, struct cni_err *err)
{
	_cleanup_close_ int fd = -1;
	struct listing l = {0};
	struct stat dst;
	char *buf;
	int r = 0;

	if (fstat(s->dir_fd, &dst) < 0)
		return path_err(err, errno, "stat", s->dir, NULL);
	l.foreign = suspect || !s->use_index || (long long)dst.st_mtim.tv_sec != s->stamp_sec ||
		    dst.st_mtim.tv_nsec != s->stamp_nsec;
	if (l.foreign)
		s->dirty = true;

	buf = scratch(s);
	if (!buf)
		return cni_err_nomem(err);
	fd = openat(s->dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return path_err(err, errno, "open", s->dir, NULL);
	for (size_t i = 0; i < s->tab.n; i++)
		s->tab.e[i].seen = false;
	/* The listing is in hash order: look names up in a hash of the table (or search it). */
	if (s->tab.n && !name_hash_build(&l.h, &s->tab))
		l.h.slot = NULL;
	while (r == 0) {
		ssize_t got = getdents64(fd, buf, SCRATCH_SIZE);

		if (got < 0) {
			r = path_err(err, errno, "readdir", s->dir, NULL);
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
	table_clear(&l.added);
	return r;
}

void ipam_store_unlock(struct ipam_store *s)
{
	if (!s->locked)
		return;
	entries_compact(s);
	if (s->use_index && (s->dirty || (s->stale && s->unlisted_off < 0)))
		index_save(s);
	else if (s->use_index && s->stale)
		index_restamp(s);
	else if (s->use_index && s->unlisted_off >= 0 && unlisted_next(s) != s->unlisted)
		unlisted_save(s);
	s->dirty = false;
	s->stale = false;
	flock(s->lock_fd, LOCK_UN);
	s->locked = false;
}

/*
 * Re-read e's file before trusting it: returns true when the file still
 * exists (e updated from it), false when it is gone (e marked gone).
 */
static bool entry_refresh(struct ipam_store *s, struct store_entry *e)
{
	struct store_entry fresh;

	if (read_file(s->dir_fd, e->name, &fresh) < 0) {
		e->gone = true;
		s->stale = true;
		return false;
	}
	if (fresh.ino != e->ino || fresh.ctime_sec != e->ctime_sec ||
	    fresh.ctime_nsec != e->ctime_nsec || strcmp(fresh.owner, e->owner) != 0)
		s->dirty = true;
	entry_owner_free(e);
	fresh.seen = e->seen;
	*e = fresh;
	return true;
}

/* Write a small file atomically: temp file in the same directory (0600) + rename. */
static int write_atomic(struct ipam_store *s, const char *name, const char *data,
			struct cni_err *err)
{
	_cleanup_free_ char *tmp = NULL, *final = NULL;
	_cleanup_close_ int fd = -1;
	int r;

	r = temp_path(s, name, &tmp, err);
	if (r == 0)
		r = store_path(s, &final, err, "%s", name);
	if (r < 0)
		return r;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return path_err(err, errno, "open", tmp, NULL);
	r = write_full(fd, data, strlen(data));
	if (r < 0) {
		unlink(tmp);
		return path_err(err, -r, "write", final, NULL);
	}
	if (close(TAKE_FD(fd)) < 0 || rename(tmp, final) < 0) {
		int e = errno;

		unlink(tmp);
		return path_err(err, e, "write", final, NULL);
	}
	return 0;
}

/*
 * Record ip in the cursor file name in place, as the reference does (it
 * truncates, then writes): no temp file and no rename, so the directory
 * does not change. The address is written over the old one and the file then
 * cut to its length, rather than truncated to zero first: ext4 treats a
 * truncation to zero as a file about to be replaced and writes its data out
 * on close, which cost more than the rest of the write. A process killed in
 * between leaves the new address followed by the old one's tail, which does
 * not parse (or parses as another address of the range):
 * ipam_store_last_reserved() then reports no cursor or another one, so
 * allocation starts at the range start or elsewhere, and never fails. A
 * name that is not a regular file (a symlink, say) is replaced through
 * write_atomic().
 */
static int cursor_write(struct ipam_store *s, const char *name, const char *ip, struct cni_err *err)
{
	_cleanup_close_ int fd = -1;
	size_t len = strlen(ip);
	struct stat st;
	ssize_t w;

	fd = openat(s->dir_fd, name, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK,
		    0600);
	if (fd < 0 && errno != ELOOP && errno != EISDIR && errno != ENXIO)
		return path_err(err, errno, "open", s->dir, name);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return write_atomic(s, name, ip, err);
	do
		w = pwrite(fd, ip, len, 0);
	while (w < 0 && errno == EINTR);
	if (w >= 0 && (size_t)w != len)
		errno = EIO; /* a short write of a few bytes: the disk is full */
	if (w < 0 || (size_t)w != len || ((off_t)len < st.st_size && ftruncate(fd, (off_t)len) < 0))
		return path_err(err, errno, "write", s->dir, name);
	if (close(TAKE_FD(fd)) < 0)
		return path_err(err, errno, "write", s->dir, name);
	return 0;
}

/* Remove e's file; a file already gone is fine. 0 or a negative errno recorded in err. */
static int entry_remove(struct ipam_store *s, struct store_entry *e, struct cni_err *err)
{
	if (unlinkat(s->dir_fd, e->name, 0) < 0 && errno != ENOENT)
		return path_err(err, errno, "remove", s->dir, e->name);
	e->gone = true;
	s->stale = true;
	return 0;
}

/*
 * Release reservation files that hold no owner. Every writer (the reference
 * plugin too) creates and writes them under the lock, so one seen empty
 * under the lock is what a writer killed in between left, and nobody's DEL
 * could ever find it.
 */
static int release_empty(struct ipam_store *s, struct cni_err *err)
{
	for (size_t i = 0; i < s->tab.n; i++) {
		struct store_entry *e = &s->tab.e[i];
		int r;

		if (e->gone || *e->owner)
			continue;
		if (!entry_refresh(s, e) || *e->owner)
			continue;
		r = entry_remove(s, e, err);
		if (r < 0)
			return r;
		s->report.empty_released++;
	}
	return 0;
}

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
	t = trim(data, &len);
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
	t = trim(data + plen, &len);
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
				return path_err(err, errno, "stat", s->dir, e->name);
			e->gone = true;
			s->stale = true;
			continue;
		}
		if (!ts_before(&st.st_ctim, &booted))
			continue;
		r = entry_remove(s, e, err);
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
static int boot_check(struct ipam_store *s, struct cni_err *err)
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
	if (write_atomic(s, IPAM_BOOT_NAME, line, &werr) < 0) {
		s->report.boot_errno = werr.sys_errno ? werr.sys_errno : EIO;
		s->report.boot_what = "write " IPAM_BOOT_NAME;
	}
	return 0;
}

/*
 * True when the record's boot is the current one (false when either cannot
 * be read: the listing path then reports why).
 */
static bool boot_same(struct ipam_store *s)
{
	char cur[128], rec[128];

	return boot_id_read(cur, sizeof(cur)) == 0 && boot_record_read(s, rec, sizeof(rec)) == 0 &&
	       strcmp(cur, rec) == 0;
}

/*
 * True when this session may take the loaded index as the directory's
 * content without listing it: the index is stamped (never the placeholder)
 * with the directory's current mtime, the last UNLISTED_MAX sessions did
 * not all skip the listing, and the store was last used in this boot.
 */
static bool listing_skippable(struct ipam_store *s)
{
	struct stat st;

	if (!s->use_index || (s->stamp_sec == 0 && s->stamp_nsec == 0) ||
	    s->unlisted >= UNLISTED_MAX)
		return false;
	if (fstat(s->dir_fd, &st) < 0 || (long long)st.st_mtim.tv_sec != s->stamp_sec ||
	    st.st_mtim.tv_nsec != s->stamp_nsec)
		return false;
	return !s->reclaim_on_reboot || boot_same(s);
}

/*
 * List the directory (see reconcile(); suspect: check every entry's ctime)
 * and release the empty reservation files it finds.
 */
static int list_fully(struct ipam_store *s, bool suspect, struct cni_err *err)
{
	int r;

	/* reconcile() takes a table without entries marked gone. */
	entries_compact(s);
	r = reconcile(s, suspect, err);
	if (r == 0)
		r = release_empty(s, err);
	if (r == 0)
		s->listed = true;
	/* An index without the count (or none) is rewritten with one. */
	if (s->unlisted_off < 0)
		s->dirty = true;
	return r;
}

/*
 * The fallback of a session that did not list the directory: list it now,
 * as if it had changed behind our back. Callers hold no entry pointers.
 */
static int ensure_listed(struct ipam_store *s, struct cni_err *err)
{
	return s->listed ? 0 : list_fully(s, true, err);
}

int ipam_store_lock(struct ipam_store *s, struct cni_err *err)
{
	int r = 0;

	while (flock(s->lock_fd, LOCK_EX) < 0) {
		if (errno != EINTR)
			return path_err(err, errno, "lock", s->dir, IPAM_LOCK_NAME);
	}
	s->locked = true;
	s->dirty = false;
	s->stale = false;
	s->listed = false;
	s->has_checks = 0;
	s->unlisted = UNLISTED_MAX;
	s->unlisted_off = -1;
	s->report = (struct ipam_store_report){0};
	table_clear(&s->tab);
	if (s->use_index)
		index_load(s);
	if (!listing_skippable(s)) {
		r = list_fully(s, false, err);
		if (r == 0 && s->reclaim_on_reboot)
			r = boot_check(s, err);
	} else {
		/* Empty files the index knows of go now, as a listing would release them. */
		r = release_empty(s, err);
	}
	if (r < 0)
		ipam_store_unlock(s);
	return r;
}

/*
 * Put e (its owner taken) in its sorted place; an entry of the same name (a
 * stale one whose file vanished, or one released earlier in this session)
 * is replaced. Out of memory, it is left to the next reconciliation.
 */
static void table_put(struct ipam_store *s, struct store_entry *e)
{
	bool found;
	size_t pos = entry_pos(&s->tab, e->name, &found);

	if (found) {
		entry_owner_free(&s->tab.e[pos]);
		s->tab.e[pos] = *e;
	} else if (ARRAY_RESERVE(s->tab.e, s->tab.cap, s->tab.n + 1) == 0) {
		memmove(&s->tab.e[pos + 1], &s->tab.e[pos], (s->tab.n - pos) * sizeof(*e));
		s->tab.e[pos] = *e;
		s->tab.n++;
	} else {
		free(e->owner);
	}
	e->owner = NULL;
}

int ipam_store_reserve(struct ipam_store *s, const char *cid, const char *ifname,
		       const struct ip_addr *ip, int set_idx, bool *ret_reserved,
		       struct cni_err *err)
{
	_cleanup_free_ char *content = NULL, *tmp = NULL;
	char name[ENTRY_NAME_SIZE], lastname[64];
	struct store_entry e = {0};
	size_t clen, idlen, pos;
	struct stat st;
	const char *id = cid;
	bool has_st, found;
	int fd, r, werr;

	ip_format(ip, name, sizeof(name));
	/* strings.TrimSpace(id) */
	while (*id && isspace((unsigned char)*id))
		id++;
	idlen = strlen(id);
	while (idlen && isspace((unsigned char)id[idlen - 1]))
		idlen--;
	if (asprintf(&content, "%.*s\r\n%s", (int)idlen, id, ifname) < 0) {
		content = NULL;
		return cni_err_nomem(err);
	}
	clen = strlen(content);

	/* The owner goes into a temp file first (mode 0600, as the reference's). */
	r = temp_path(s, name, &tmp, err);
	if (r < 0)
		return r;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return path_err(err, errno, "open", s->dir, name);
	werr = -write_full(fd, content, clen);
	if (close(fd) < 0 && !werr)
		werr = errno;
	if (werr) {
		unlink(tmp);
		return path_err(err, werr, "write", s->dir, name);
	}
	/* link() fails with EEXIST when the address is taken, as O_EXCL would. */
	if (linkat(AT_FDCWD, tmp, s->dir_fd, name, 0) < 0) {
		int e2 = errno;

		unlink(tmp);
		if (e2 == EEXIST) {
			/* Taken behind the index's back (or not listed): known from now on. */
			if (read_file(s->dir_fd, name, &e) == 0) {
				e.seen = true;
				table_put(s, &e);
				s->dirty = true;
			}
			*ret_reserved = false;
			return 0;
		}
		return path_err(err, e2, "open", s->dir, name);
	}
	/* A temp name that stays (unlink failed) is removed by the next session. */
	unlink(tmp);
	/* Inode and ctime as they are now that the temp name is gone. */
	has_st = fstatat(s->dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;

	snprintf(lastname, sizeof(lastname), IPAM_LAST_RESERVED_PREFIX "%d", set_idx);
	r = cursor_write(s, lastname, name, err);
	if (r < 0) {
		unlinkat(s->dir_fd, name, 0);
		return r;
	}

	/*
	 * Record it in its sorted place; an entry of the same name (a stale one
	 * whose file vanished, or one released earlier in this session) is
	 * replaced. Without the stat it is left to the next reconciliation.
	 */
	s->dirty = true;
	*ret_reserved = true;
	if (has_st) {
		/* Held trimmed, as read back from the file, so that owner matching agrees. */
		e.owner = strndup(content, clen);
		if (e.owner) {
			size_t olen = clen;
			char *t = trim(e.owner, &olen);

			memmove(e.owner, t, olen + 1);
		}
	}
	if (!e.owner) {
		pos = entry_pos(&s->tab, name, &found);
		if (found)
			s->tab.e[pos].gone = true;
		return 0;
	}
	snprintf(e.name, sizeof(e.name), "%s", name);
	e.ino = (unsigned long long)st.st_ino;
	e.ctime_sec = (long long)st.st_ctim.tv_sec;
	e.ctime_nsec = st.st_ctim.tv_nsec;
	e.seen = true;
	table_put(s, &e);
	return 0;
}

bool ipam_store_last_reserved(struct ipam_store *s, int set_idx, struct ip_addr *ret)
{
	_cleanup_free_ char *buf = NULL;
	_cleanup_close_ int fd = -1;
	char name[64];
	size_t len;

	snprintf(name, sizeof(name), IPAM_LAST_RESERVED_PREFIX "%d", set_idx);
	fd = openat(s->dir_fd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fileio_read_fd(fd, IP_STRLEN - 1, &buf, &len) < 0 || len == 0)
		return false;
	/* net.ParseIP on the raw content: no trimming. */
	return ip_parse(buf, ret) == 0;
}

/* True when e's owner is key (the first byte compared inline: most entries differ there). */
static inline bool owner_is(const struct store_entry *e, const char *key)
{
	return e->owner[0] == key[0] && strcmp(e->owner, key) == 0;
}

/* Build the two owner strings the reference matches: "cid\r\nifname" and "cid".
 * 0 or -ENOMEM. */
static int owner_keys(const char *cid, const char *ifname, char **ret_full, char **ret_legacy)
{
	size_t len;

	while (*cid && isspace((unsigned char)*cid))
		cid++;
	len = strlen(cid);
	while (len && isspace((unsigned char)cid[len - 1]))
		len--;
	if (asprintf(ret_full, "%.*s\r\n%s", (int)len, cid, ifname) < 0)
		return -ENOMEM;
	*ret_legacy = strndup(cid, len);
	if (!*ret_legacy) {
		free(*ret_full);
		return -ENOMEM;
	}
	/* The full key is compared after trimming, like the file content. */
	len = strlen(*ret_full);
	trim(*ret_full, &len);
	return 0;
}

int ipam_store_get_by_id(struct ipam_store *s, const char *cid, const char *ifname,
			 struct ip_addr **ret, size_t *ret_n, struct cni_err *err)
{
	_cleanup_free_ char *full = NULL, *legacy = NULL;
	_cleanup_free_ struct ip_addr *out = NULL;
	size_t n = 0, cap = 0;

	if (owner_keys(cid, ifname, &full, &legacy) < 0)
		return cni_err_nomem(err);
	for (int pass = 0;; pass++) {
		int r;

		for (size_t i = 0; i < s->tab.n; i++) {
			struct store_entry *e = &s->tab.e[i];

			if (e->gone || (!owner_is(e, full) && !owner_is(e, legacy)))
				continue;
			if (!entry_refresh(s, e) ||
			    (strcmp(e->owner, full) != 0 && strcmp(e->owner, legacy) != 0))
				continue;
			if (ARRAY_RESERVE(out, cap, n + 1) < 0)
				return cni_err_nomem(err);
			if (ip_parse(e->name, &out[n]) == 0)
				n++;
		}
		/*
		 * None (ADD's usual case) and not listed: where a change can have
		 * been missed (coarse mtimes), confirm with a listing.
		 */
		if (n || pass || s->listed || !s->coarse)
			break;
		r = ensure_listed(s, err);
		if (r < 0)
			return r;
	}
	*ret = n ? TAKE_PTR(out) : NULL;
	*ret_n = n;
	return 0;
}

bool ipam_store_find_by_id(struct ipam_store *s, const char *cid, const char *ifname)
{
	_cleanup_free_ char *full = NULL, *legacy = NULL;

	if (owner_keys(cid, ifname, &full, &legacy) < 0)
		return false;
	for (int round = 0; round < 2; round++) {
		struct cni_err ign = {0}; /* a failed listing: not found, as before */

		for (int pass = 0; pass < 2; pass++) {
			const char *key = pass == 0 ? full : legacy;

			for (size_t i = 0; i < s->tab.n; i++) {
				struct store_entry *e = &s->tab.e[i];

				if (e->gone || !owner_is(e, key))
					continue;
				if (entry_refresh(s, e) && strcmp(e->owner, key) == 0)
					return true;
			}
		}
		/* Not in the index: list the directory (if not done) and look again. */
		if (s->listed || ensure_listed(s, &ign) < 0)
			break;
	}
	return false;
}

/* Remove e's file if, re-read, it still holds key: 1 removed, 0 not, or a negative errno. */
static int remove_if_owner(struct ipam_store *s, struct store_entry *e, const char *key,
			   struct cni_err *err)
{
	if (!entry_refresh(s, e) || strcmp(e->owner, key) != 0)
		return 0;
	if (unlinkat(s->dir_fd, e->name, 0) < 0) {
		if (errno == ENOENT) {
			e->gone = true;
			s->stale = true;
			return 0;
		}
		return path_err(err, errno, "remove", s->dir, e->name);
	}
	e->gone = true;
	s->stale = true;
	return 1;
}

int ipam_store_release_by_id(struct ipam_store *s, const char *cid, const char *ifname,
			     size_t *ret_n, struct cni_err *err)
{
	_cleanup_free_ char *full = NULL, *legacy = NULL;
	size_t removed = 0;

	if (owner_keys(cid, ifname, &full, &legacy) < 0)
		return cni_err_nomem(err);
	for (int round = 0; round < 2 && removed == 0; round++) {
		int r;

		for (int pass = 0; pass < 2 && removed == 0; pass++) {
			const char *key = pass == 0 ? full : legacy;

			for (size_t i = 0; i < s->tab.n; i++) {
				struct store_entry *e = &s->tab.e[i];

				if (e->gone || !owner_is(e, key))
					continue;
				r = remove_if_owner(s, e, key, err);
				if (r < 0)
					return r;
				removed += (size_t)r;
			}
		}
		/* Nothing in the index: list the directory (if not done) and look again. */
		if (removed || s->listed)
			break;
		r = ensure_listed(s, err);
		if (r < 0)
			return r;
	}
	if (ret_n)
		*ret_n = removed;
	return 0;
}

int ipam_store_release_ip(struct ipam_store *s, const struct ip_addr *ip, const char *cid,
			  const char *ifname, struct cni_err *err)
{
	_cleanup_free_ char *full = NULL, *legacy = NULL;
	char name[IP_STRLEN];
	struct store_entry *e;
	int r;

	if (owner_keys(cid, ifname, &full, &legacy) < 0)
		return cni_err_nomem(err);
	e = entry_find(s, ip_format(ip, name, sizeof(name)));
	if (!e)
		return 0;
	r = remove_if_owner(s, e, full, err);
	return r < 0 ? r : 0;
}

/* True when owner (file content) belongs to an attachment in valid. */
static bool owner_valid(const char *owner, const struct cni_attachment *valid, size_t n)
{
	const char *sep = strstr(owner, "\r\n");

	if (sep) {
		_cleanup_free_ char *cid = strndup(owner, (size_t)(sep - owner));

		/* Keep what we cannot judge when memory runs out. */
		return !cid || cni_attachment_valid(valid, n, cid, sep + 2);
	}
	for (size_t i = 0; i < n; i++) {
		if (valid[i].container_id && strcmp(valid[i].container_id, owner) == 0)
			return true;
	}
	return false;
}

int ipam_store_gc(struct ipam_store *s, const struct cni_attachment *valid, size_t n_valid,
		  size_t *ret_n, struct cni_err *err)
{
	size_t removed = 0;
	int failed = ensure_listed(s, err); /* the first failure's negative errno */

	if (failed < 0)
		return failed;
	for (size_t i = 0; i < s->tab.n; i++) {
		struct store_entry *e = &s->tab.e[i];
		struct cni_err one = {0};

		if (e->gone || owner_valid(e->owner, valid, n_valid))
			continue;
		/* Re-read: only remove what is still stale on disk. */
		if (!entry_refresh(s, e) || owner_valid(e->owner, valid, n_valid))
			continue;
		if (unlinkat(s->dir_fd, e->name, 0) < 0 && errno != ENOENT) {
			int r = path_err(&one, errno, "remove", s->dir, e->name);

			if (failed) {
				char prev[CNI_ERR_MSG_MAX];

				snprintf(prev, sizeof(prev), "%s", err->msg);
				cni_err_set(err, CNI_ERR_INTERNAL, "%s; %s", prev, one.msg);
				err->sys_errno =
					-failed; /* the joined error keeps the first cause */
			} else {
				*err = one;
				failed = r;
			}
			continue;
		}
		e->gone = true;
		s->stale = true;
		removed++;
	}
	if (ret_n)
		*ret_n = removed;
	return failed;
}
