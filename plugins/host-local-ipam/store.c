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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
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
 * First line of the index; the stamp field is rewritten in place after the
 * rename. v1 indexes (which recorded owners of more than 4 KiB as
 * OWNER_OVERSIZE) are rebuilt from the files.
 */
#define INDEX_MAGIC "host-local-index v2 dirstamp="
/* Content of the boot record: this prefix, the boot ID, a newline. */
#define BOOT_RECORD_PREFIX "boot_id "
/* Suffix mkostemp() fills in. */
#define TEMP_SUFFIX ".XXXXXX"
/* Width of the "<sec>.<nsec>" stamp field. */
#define STAMP_WIDTH 30

/* One reservation file as last seen. */
struct store_entry {
	char name[IP_STRLEN];	/* file name: an IP address in text form */
	unsigned long long ino; /* inode number */
	long long ctime_sec;	/* st_ctim seconds when it was read */
	long ctime_nsec;	/* st_ctim nanoseconds */
	char *owner;		/* file content with surrounding whitespace trimmed */
	bool seen;		/* found by the current reconciliation */
	bool gone;		/* removed during this session, to be compacted */
};

/* A growable table of entries; each entry owns its owner string. */
struct entry_table {
	struct store_entry *e; /* the entries */
	size_t n;	       /* entries used */
	size_t cap;	       /* entries allocated */
};

struct ipam_store {
	char *dir;			 /* <dataDir>/<network> */
	int dir_fd;			 /* O_DIRECTORY fd of dir */
	int lock_fd;			 /* fd of the lock file */
	bool locked;			 /* the flock is held */
	bool use_index;			 /* persist and reuse the index */
	bool reclaim_on_reboot;		 /* release reservations of earlier boots */
	struct entry_table tab;		 /* known reservation files, sorted by name */
	bool dirty;			 /* index content changed this session */
	long long stamp_sec;		 /* directory mtime the loaded index was stamped with */
	long stamp_nsec;		 /* its nanoseconds */
	struct ipam_store_report report; /* what the last lock cleaned up */
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
	*ret = TAKE_PTR(s);
	return 0;
}

/* Free every entry's owner and empty the table. */
static void table_clear(struct entry_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->e[i].owner);
	free(t->e);
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

bool ipam_store_has(struct ipam_store *s, const struct ip_addr *ip)
{
	char name[IP_STRLEN];

	return entry_find(s, ip_format(ip, name, sizeof(name))) != NULL;
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct store_entry *)a)->name, ((const struct store_entry *)b)->name);
}

/* The live entry named name, or NULL (the table must be sorted). */
static struct store_entry *entry_find(struct ipam_store *s, const char *name)
{
	struct store_entry key;
	struct store_entry *e;

	if (!s->tab.n)
		return NULL;
	snprintf(key.name, sizeof(key.name), "%s", name);
	e = bsearch(&key, s->tab.e, s->tab.n, sizeof(*s->tab.e), entry_cmp);
	return e && !e->gone ? e : NULL;
}

/* Drop entries marked gone, keeping the order. */
static void entries_compact(struct ipam_store *s)
{
	size_t j = 0;

	for (size_t i = 0; i < s->tab.n; i++) {
		if (s->tab.e[i].gone) {
			free(s->tab.e[i].owner);
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

/* True when name is a reservation file name (an IP address, as Go's net.ParseIP). */
static bool is_ip_name(const char *name)
{
	struct ip_addr a;

	return strlen(name) < IP_STRLEN && ip_parse(name, &a) == 0;
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

/* ---- index file ----------------------------------------------------------- */

/* Append s percent-escaped (bytes <= ' ', >= 0x7f and '%') to f. */
static void put_escaped(FILE *f, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p <= ' ' || *p >= 0x7f || *p == '%')
			fprintf(f, "%%%02X", *p);
		else
			fputc(*p, f);
	}
}

/* Undo put_escaped in place; -1 on a malformed escape (a parse failure, no errno). */
static int unescape(char *s)
{
	char *w = s;

	for (char *r = s; *r; r++) {
		if (*r == '%') {
			unsigned v;

			if (!isxdigit((unsigned char)r[1]) || !isxdigit((unsigned char)r[2]))
				return -1;
			if (sscanf(r + 1, "%2x", &v) != 1 || v == 0)
				return -1;
			*w++ = (char)v;
			r += 2;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
	return 0;
}

/* Parse one "name ino csec.cnsec owner" line into e; -1 when it is not one (or on
 * ENOMEM): either way the index is rebuilt. */
static int parse_index_line(char *line, struct store_entry *e)
{
	char *name = line, *ino, *ct, *owner, *end;

	ino = strchr(name, ' ');
	if (!ino)
		return -1;
	*ino++ = '\0';
	ct = strchr(ino, ' ');
	if (!ct)
		return -1;
	*ct++ = '\0';
	owner = strchr(ct, ' ');
	if (!owner)
		return -1;
	*owner++ = '\0';
	if (!is_ip_name(name) || unescape(owner) < 0)
		return -1;
	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "%s", name);
	errno = 0;
	e->ino = strtoull(ino, &end, 10);
	if (errno || *end)
		return -1;
	e->ctime_sec = strtoll(ct, &end, 10);
	if (errno || *end != '.')
		return -1;
	e->ctime_nsec = strtol(end + 1, &end, 10);
	if (errno || *end)
		return -1;
	e->owner = strdup(owner);
	return e->owner ? 0 : -1;
}

/* Load the index into s->tab.e; any problem leaves an empty table (full rebuild). */
static void index_load(struct ipam_store *s)
{
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *line = NULL;
	size_t cap = 0, count = 0;
	bool ended = false;
	int fd;

	s->stamp_sec = 0;
	s->stamp_nsec = 0;
	fd = openat(s->dir_fd, IPAM_INDEX_NAME, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return;
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return;
	}
	if (getline(&line, &cap, f) < 0 || strncmp(line, INDEX_MAGIC, strlen(INDEX_MAGIC)) != 0 ||
	    sscanf(line + strlen(INDEX_MAGIC), "%lld.%ld", &s->stamp_sec, &s->stamp_nsec) != 2)
		goto undo_load;
	for (;;) {
		ssize_t len = getline(&line, &cap, f);
		struct store_entry e = {0};
		unsigned long long want;

		if (len <= 0 || line[len - 1] != '\n')
			goto undo_load;
		line[len - 1] = '\0';
		if (sscanf(line, "end %llu", &want) == 1) {
			ended = want == count;
			break;
		}
		if (parse_index_line(line, &e) < 0 || table_append(&s->tab, &e) < 0) {
			free(e.owner);
			goto undo_load;
		}
		count++;
	}
	if (!ended)
		goto undo_load;
	/* We write it sorted; out of order or duplicate names mean a corrupt index. */
	for (size_t i = 1; i < s->tab.n; i++) {
		if (strcmp(s->tab.e[i - 1].name, s->tab.e[i].name) >= 0)
			goto undo_load;
	}
	return;
undo_load:
	table_clear(&s->tab);
	s->stamp_sec = 0;
	s->stamp_nsec = 0;
}

/* Write the index atomically (temp file + rename), then stamp it with the dir's mtime. */
static void index_save(struct ipam_store *s)
{
	_cleanup_free_ char *tmp = NULL, *final = NULL;
	_cleanup_fclose_ FILE *f = NULL;
	struct cni_err ign = {0}; /* the index is a cache: failing to write it costs a rebuild */
	char stamp[STAMP_WIDTH + 2];
	struct stat st;
	size_t count = 0;
	int fd;

	if (temp_path(s, IPAM_INDEX_NAME, &tmp, &ign) < 0 ||
	    store_path(s, &final, &ign, "%s", IPAM_INDEX_NAME) < 0)
		return;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return;
	f = fdopen(fd, "w+");
	if (!f) {
		close(fd);
		unlink(tmp);
		return;
	}
	/* Placeholder stamp: a crash before the final stamp forces a full check. */
	fprintf(f, "%s%0*d\n", INDEX_MAGIC, STAMP_WIDTH, 0);
	for (size_t i = 0; i < s->tab.n; i++) {
		const struct store_entry *e = &s->tab.e[i];

		if (e->gone)
			continue;
		fprintf(f, "%s %llu %lld.%09ld ", e->name, e->ino, e->ctime_sec, e->ctime_nsec);
		put_escaped(f, e->owner);
		fputc('\n', f);
		count++;
	}
	fprintf(f, "end %zu\n", count);
	if (fflush(f) != 0 || ferror(f) || rename(tmp, final) < 0)
		goto unlink_tmp;
	/* Nothing else changes the directory while we hold the lock. */
	if (fstat(s->dir_fd, &st) < 0)
		return;
	snprintf(stamp, sizeof(stamp), "%0*lld.%09ld", STAMP_WIDTH - 10,
		 (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	if (pwrite(fileno(f), stamp, strlen(stamp), (off_t)strlen(INDEX_MAGIC)) < 0)
		return;
	s->stamp_sec = (long long)st.st_mtim.tv_sec;
	s->stamp_nsec = st.st_mtim.tv_nsec;
	return;
unlink_tmp:
	unlink(tmp);
}

/*
 * Bring s->tab.e in line with the directory. Names missing from the table or
 * whose inode changed are read; entries whose file is gone are dropped;
 * when the directory's mtime differs from the index stamp (someone else
 * changed it), entries whose inode matches are also checked by ctime, which
 * catches a file deleted and recreated with a recycled inode number. Our
 * temp files are stale under the lock and removed on the way.
 */
static int reconcile(struct ipam_store *s, struct cni_err *err)
{
	_cleanup_(table_clear) struct entry_table added = {0};
	_cleanup_closedir_ DIR *d = NULL;
	_cleanup_close_ int fd = -1;
	struct stat dst;
	bool foreign;

	if (fstat(s->dir_fd, &dst) < 0)
		return path_err(err, errno, "stat", s->dir, NULL);
	foreign = !s->use_index || (long long)dst.st_mtim.tv_sec != s->stamp_sec ||
		  dst.st_mtim.tv_nsec != s->stamp_nsec;
	if (foreign)
		s->dirty = true;

	fd = openat(s->dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return path_err(err, errno, "open", s->dir, NULL);
	d = fdopendir(fd);
	if (!d)
		return path_err(err, errno, "open", s->dir, NULL);
	TAKE_FD(fd); /* d owns it now */
	for (size_t i = 0; i < s->tab.n; i++)
		s->tab.e[i].seen = false;
	for (;;) {
		struct store_entry *e, fresh;
		struct dirent *de;

		errno = 0;
		de = readdir(d);
		if (!de) {
			if (errno)
				return path_err(err, errno, "readdir", s->dir, NULL);
			break;
		}
		if (de->d_type != DT_REG && de->d_type != DT_UNKNOWN)
			continue;
		if (de->d_name[0] == '.' && is_temp_name(de->d_name)) {
			/* Best effort: one that stays is tried again next time. */
			if (unlinkat(s->dir_fd, de->d_name, 0) == 0)
				s->report.temps_removed++;
			continue;
		}
		if (!is_ip_name(de->d_name))
			continue;
		e = entry_find(s, de->d_name);
		if (e && e->ino == (unsigned long long)de->d_ino) {
			struct stat st;

			if (!foreign) {
				e->seen = true;
				continue;
			}
			if (fstatat(s->dir_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    (unsigned long long)st.st_ino == e->ino &&
			    (long long)st.st_ctim.tv_sec == e->ctime_sec &&
			    st.st_ctim.tv_nsec == e->ctime_nsec) {
				e->seen = true;
				continue;
			}
		}
		if (read_file(s->dir_fd, de->d_name, &fresh) < 0)
			continue; /* vanished or unreadable: skipped, as the reference does */
		s->dirty = true;
		fresh.seen = true;
		if (e) {
			free(e->owner);
			*e = fresh;
		} else if (table_append(&added, &fresh) < 0) {
			free(fresh.owner);
			return cni_err_nomem(err);
		}
	}
	for (size_t i = 0; i < s->tab.n; i++) {
		if (!s->tab.e[i].seen && !s->tab.e[i].gone) {
			s->tab.e[i].gone = true;
			s->dirty = true;
		}
	}
	entries_compact(s);
	/* Move the new entries over in one step: on failure each stays in one table. */
	if (ARRAY_RESERVE(s->tab.e, s->tab.cap, s->tab.n + added.n) < 0)
		return cni_err_nomem(err);
	if (added.n)
		memcpy(s->tab.e + s->tab.n, added.e, added.n * sizeof(*added.e));
	s->tab.n += added.n;
	added.n = 0;
	if (s->tab.n > 1)
		qsort(s->tab.e, s->tab.n, sizeof(*s->tab.e), entry_cmp);
	return 0;
}

void ipam_store_unlock(struct ipam_store *s)
{
	if (!s->locked)
		return;
	entries_compact(s);
	if (s->use_index && s->dirty)
		index_save(s);
	s->dirty = false;
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
		s->dirty = true;
		return false;
	}
	if (fresh.ino != e->ino || fresh.ctime_sec != e->ctime_sec ||
	    fresh.ctime_nsec != e->ctime_nsec || strcmp(fresh.owner, e->owner) != 0)
		s->dirty = true;
	free(e->owner);
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
	size_t len = strlen(data), off = 0;
	int r;

	r = temp_path(s, name, &tmp, err);
	if (r == 0)
		r = store_path(s, &final, err, "%s", name);
	if (r < 0)
		return r;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return path_err(err, errno, "open", tmp, NULL);
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			int e = errno;

			unlink(tmp);
			return path_err(err, e, "write", final, NULL);
		}
		off += (size_t)w;
	}
	if (close(TAKE_FD(fd)) < 0 || rename(tmp, final) < 0) {
		int e = errno;

		unlink(tmp);
		return path_err(err, e, "write", final, NULL);
	}
	return 0;
}

/* Remove e's file; a file already gone is fine. 0 or a negative errno recorded in err. */
static int entry_remove(struct ipam_store *s, struct store_entry *e, struct cni_err *err)
{
	if (unlinkat(s->dir_fd, e->name, 0) < 0 && errno != ENOENT)
		return path_err(err, errno, "remove", s->dir, e->name);
	e->gone = true;
	s->dirty = true;
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
			s->dirty = true;
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

int ipam_store_lock(struct ipam_store *s, struct cni_err *err)
{
	int r;

	while (flock(s->lock_fd, LOCK_EX) < 0) {
		if (errno != EINTR)
			return path_err(err, errno, "lock", s->dir, IPAM_LOCK_NAME);
	}
	s->locked = true;
	s->dirty = false;
	s->report = (struct ipam_store_report){0};
	table_clear(&s->tab);
	if (s->use_index)
		index_load(s);
	r = reconcile(s, err);
	if (r == 0)
		r = release_empty(s, err);
	if (r == 0 && s->reclaim_on_reboot)
		r = boot_check(s, err);
	if (r < 0)
		ipam_store_unlock(s);
	return r;
}

int ipam_store_reserve(struct ipam_store *s, const char *cid, const char *ifname,
		       const struct ip_addr *ip, int set_idx, bool *ret_reserved,
		       struct cni_err *err)
{
	_cleanup_free_ char *content = NULL, *tmp = NULL;
	char name[IP_STRLEN], lastname[64];
	struct store_entry e = {0};
	size_t clen, off = 0, idlen;
	struct stat st;
	const char *id = cid;
	bool has_st;
	int fd, r, werr = 0;

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
	while (off < clen) {
		ssize_t w = write(fd, content + off, clen - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			werr = errno;
			break;
		}
		off += (size_t)w;
	}
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
	r = write_atomic(s, lastname, name, err);
	if (r < 0) {
		unlinkat(s->dir_fd, name, 0);
		return r;
	}

	/*
	 * Record it; a stale entry of the same name (file vanished) is replaced.
	 * Without the stat it is left to the next reconciliation.
	 */
	s->dirty = true;
	*ret_reserved = true;
	if (!has_st) {
		struct store_entry *old = entry_find(s, name);

		if (old)
			old->gone = true;
		return 0;
	}
	snprintf(e.name, sizeof(e.name), "%s", name);
	e.ino = (unsigned long long)st.st_ino;
	e.ctime_sec = (long long)st.st_ctim.tv_sec;
	e.ctime_nsec = st.st_ctim.tv_nsec;
	/* Held trimmed, as read back from the file, so that owner matching agrees. */
	e.owner = strndup(content, clen);
	if (e.owner) {
		size_t olen = clen;
		char *t = trim(e.owner, &olen);

		memmove(e.owner, t, olen + 1);
	}
	e.seen = true;
	if (e.owner) {
		struct store_entry *old = entry_find(s, name);

		if (old) {
			free(old->owner);
			*old = e;
		} else if (table_append(&s->tab, &e) == 0) {
			qsort(s->tab.e, s->tab.n, sizeof(*s->tab.e), entry_cmp);
		} else {
			free(e.owner);
		}
	}
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
	for (size_t i = 0; i < s->tab.n; i++) {
		struct store_entry *e = &s->tab.e[i];

		if (e->gone || (strcmp(e->owner, full) != 0 && strcmp(e->owner, legacy) != 0))
			continue;
		if (!entry_refresh(s, e) ||
		    (strcmp(e->owner, full) != 0 && strcmp(e->owner, legacy) != 0))
			continue;
		if (ARRAY_RESERVE(out, cap, n + 1) < 0)
			return cni_err_nomem(err);
		if (ip_parse(e->name, &out[n]) == 0)
			n++;
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
	for (int pass = 0; pass < 2; pass++) {
		const char *key = pass == 0 ? full : legacy;

		for (size_t i = 0; i < s->tab.n; i++) {
			struct store_entry *e = &s->tab.e[i];

			if (e->gone || strcmp(e->owner, key) != 0)
				continue;
			if (entry_refresh(s, e) && strcmp(e->owner, key) == 0)
				return true;
		}
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
			s->dirty = true;
			return 0;
		}
		return path_err(err, errno, "remove", s->dir, e->name);
	}
	e->gone = true;
	s->dirty = true;
	return 1;
}

int ipam_store_release_by_id(struct ipam_store *s, const char *cid, const char *ifname,
			     size_t *ret_n, struct cni_err *err)
{
	_cleanup_free_ char *full = NULL, *legacy = NULL;
	size_t removed = 0;

	if (owner_keys(cid, ifname, &full, &legacy) < 0)
		return cni_err_nomem(err);
	for (int pass = 0; pass < 2 && removed == 0; pass++) {
		const char *key = pass == 0 ? full : legacy;

		for (size_t i = 0; i < s->tab.n; i++) {
			struct store_entry *e = &s->tab.e[i];
			int r;

			if (e->gone || strcmp(e->owner, key) != 0)
				continue;
			r = remove_if_owner(s, e, key, err);
			if (r < 0)
				return r;
			removed += (size_t)r;
		}
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
	int failed = 0; /* the first failure's negative errno */

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
		s->dirty = true;
		removed++;
	}
	if (ret_n)
		*ret_n = removed;
	return failed;
}
