/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The host-local file store: its API and the locked session (reference:
 * backend/disk/backend.go, lock.go), plus our index.
 *
 * The store is on-disk compatible with the reference plugin:
 * <dataDir>/<network>/<ip> files holding "containerID\r\nifname",
 * last_reserved_ip.<set> and an flock'ed "lock" file.
 *
 * On top of that, an index file (INDEX_NAME, not an IP, so the reference
 * plugin ignores it) caches file name -> (inode, ctime, owner) so that
 * lookups by container do not read every file. The IP files stay the source
 * of truth, and every index hit is re-read before it is trusted.
 *
 * A locked session reads the index (one read, parsed in place) and then:
 *  - when the directory's mtime equals the index's stamp (the mtime after
 *    the last session's last change; never the placeholder), the store was
 *    last used in this boot and fewer than 64 sessions in a row did so,
 *    takes the index as the directory's content without listing it;
 *  - otherwise lists it (raw getdents, each name looked up in a hash of the
 *    index; only names the index does not hold are parsed as addresses,
 *    only files that are new or whose inode changed, or, when the directory
 *    changed behind our back, whose ctime changed, are read), removing temp
 *    files and empty reservation files on the way, then checks the boot.
 * A session that added or changed entries rewrites the index in place; one
 * that only removed files writes the new stamp alone and keeps the lines of
 * the files it removed (stale entries are harmless, see below: every entry
 * is checked before it is trusted, and the next listing drops them); one
 * that changed nothing writes only the count of unlisted sessions.
 *
 * Why an unlisted session is safe: every writer, the reference plugin too,
 * changes the directory only under the flock, and each change (create, link,
 * unlink, rename) sets the directory's mtime. Where mtimes are fine-grained
 * for changes after a stat (Linux 6.13 and later, ext4, xfs, btrfs, tmpfs:
 * multigrain timestamps) no change after our stamp can leave it equal. Where
 * they are coarse, another writer's change within one clock tick of ours
 * can, so nothing relies on the index being complete:
 *  - an address the index calls free is taken by link(), which fails with
 *    EEXIST when it is not; that file is then read into the index;
 *  - an address the index calls taken is checked with a stat (after 32 of
 *    them, the directory is listed instead), so a range only looks full
 *    when each of its addresses was seen under the lock;
 *  - a look-up by container that finds nothing (DEL, CHECK, and, with
 *    coarse mtimes, ADD's look for an earlier allocation) lists the
 *    directory and looks again; GC always lists it;
 *  - an entry whose file is gone is found so by every use of it (each
 *    hit is re-read, each taken address checked), never trusted;
 *  - a new boot (the boot record differs) lists before releasing;
 *  - empty reservation files the index knows of are released as in a
 *    listing;
 *  - temp files and empty reservation files that others left unseen go at
 *    the latest with the 64th session (the index counts the sessions since
 *    the last listing in a line after its trailer, which older versions do
 *    not read, so the format stays v2 both ways); those our own killed
 *    processes leave changed the directory, so the next session lists.
 *
 * Every file is written so that a process killed at any point leaves no
 * reservation without its owner: a reservation is written to a temp file
 * (".<ip>.XXXXXX") and link()ed into place, which fails with EEXIST when the
 * address is taken; the boot record is written to a temp file and renamed.
 * The index is written in place, its stamp last (a torn index holds the
 * placeholder stamp and is never trusted), and cursors are written over in
 * place, as the reference writes them (a torn cursor only moves where
 * allocation starts); neither changes the directory. Temp files left by a
 * killed process are removed by the next listing, as are empty reservation
 * files (what a writer killed between create and write leaves: the
 * reference plugin, or older versions of this one). Temp and record names
 * start with a dot and are not IP addresses, so the reference plugin
 * neither allocates around them nor counts them as reservations (only its
 * CHECK, which reads every file, sees the owner in a killed ADD's temp
 * until the next listing removes it).
 *
 * The index format is in store_index.c, the directory listing in
 * store_scan.c and the boot record in store_boot.c.
 */
#include "host-local-ipam/store_priv.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "array.h"
#include "cleanup.h"
#include "fileio.h"
#include "gostr.h"

/*
 * Index entries an unlisted session checks with a stat before it lists the
 * directory instead (a listing is worth about this many stats).
 */
#define HAS_CHECKS_MAX 32

/* Record "<op> <path>: <errno text>" like Go's *os.PathError; returns -e. */
int store_path_err(struct cni_err *err, int e, const char *op, const char *dir, const char *name)
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
		return store_path_err(err, ENAMETOOLONG, "open", s->dir, name);
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
char *store_trim(char *s, size_t *len)
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
	go_path_clean(joined, out);
	*ret = out;
	return 0;
}

/* mkdir -p with mode 0755. */
static int mkdir_p(const char *path, struct cni_err *err)
{
	size_t fail = 0;
	int r = fileio_mkdir_p(path, 0755, NULL, &fail);

	if (r == -ENOMEM)
		return cni_err_nomem(err);
	if (r < 0)
		return cni_err_syscall(err, CNI_ERR_INTERNAL, -r, "mkdir %.*s", (int)fail, path);
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
		return store_path_err(err, errno, "open", s->dir, NULL);
	s->lock_fd = openat(s->dir_fd, IPAM_LOCK_NAME, O_RDONLY | O_CREAT | O_CLOEXEC, 0750);
	if (s->lock_fd < 0)
		return store_path_err(err, errno, "open", s->dir, IPAM_LOCK_NAME);
	s->coarse = (flags & IPAM_STORE_COARSE_MTIME) || mtime_coarse(s->dir_fd);
	*ret = TAKE_PTR(s);
	return 0;
}

/* Free e's owner unless it is borrowed from the arena. */
void store_entry_owner_free(struct store_entry *e)
{
	if (!e->borrowed)
		free(e->owner);
	e->owner = NULL;
	e->borrowed = false;
}

/* Free every entry's owner and the arena, and empty the table. */
void store_table_clear(struct entry_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		store_entry_owner_free(&t->e[i]);
	free(t->e);
	free(t->arena);
	*t = (struct entry_table){0};
}

void ipam_store_close(struct ipam_store *s)
{
	if (!s)
		return;
	if (s->locked)
		ipam_store_unlock(s);
	store_table_clear(&s->tab);
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

static int ensure_listed(struct ipam_store *s, struct cni_err *err);

bool ipam_store_has(struct ipam_store *s, const struct ip_addr *ip)
{
	char name[IP_STRLEN];
	struct store_entry *e;
	struct cni_err ign = {0}; /* a listing that failed: answer false, reserve() tells */
	struct stat st;

	e = store_entry_find(s, ip_format(ip, name, sizeof(name)));
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
		return store_entry_find(s, name) != NULL;
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
struct store_entry *store_entry_find(struct ipam_store *s, const char *name)
{
	bool found;
	size_t i = entry_pos(&s->tab, name, &found);

	return found && !s->tab.e[i].gone ? &s->tab.e[i] : NULL;
}

/* Drop entries marked gone, keeping the order. */
void store_entries_compact(struct ipam_store *s)
{
	size_t j = 0;

	for (size_t i = 0; i < s->tab.n; i++) {
		if (s->tab.e[i].gone) {
			store_entry_owner_free(&s->tab.e[i]);
			continue;
		}
		s->tab.e[j++] = s->tab.e[i];
	}
	s->tab.n = j;
}

/* The store's scratch buffer (SCRATCH_SIZE bytes), allocated on first use; NULL when out of memory. */
char *store_scratch(struct ipam_store *s)
{
	if (!s->scratch)
		s->scratch = malloc(SCRATCH_SIZE);
	return s->scratch;
}

void ipam_store_unlock(struct ipam_store *s)
{
	if (!s->locked)
		return;
	store_entries_compact(s);
	if (s->use_index && (s->dirty || (s->stale && s->unlisted_off < 0)))
		store_index_save(s);
	else if (s->use_index && s->stale)
		store_index_restamp(s);
	else if (s->use_index && s->unlisted_off >= 0 && store_unlisted_next(s) != s->unlisted)
		store_unlisted_save(s);
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

	if (store_read_file(s->dir_fd, e->name, &fresh) < 0) {
		e->gone = true;
		s->stale = true;
		return false;
	}
	if (fresh.ino != e->ino || fresh.ctime_sec != e->ctime_sec ||
	    fresh.ctime_nsec != e->ctime_nsec || strcmp(fresh.owner, e->owner) != 0)
		s->dirty = true;
	store_entry_owner_free(e);
	fresh.seen = e->seen;
	*e = fresh;
	return true;
}

/* Write a small file atomically: temp file in the same directory (0600) + rename. Its temp
 * name is temp_path()'s, which the directory scan removes under the lock (see fileio.h). */
int store_write_atomic(struct ipam_store *s, const char *name, const char *data,
		       struct cni_err *err)
{
	_cleanup_free_ char *tmp = NULL, *final = NULL;
	const char *op = "open";
	int r;

	r = temp_path(s, name, &tmp, err);
	if (r == 0)
		r = store_path(s, &final, err, "%s", name);
	if (r < 0)
		return r;
	r = fileio_write_via_temp(tmp, final, data, strlen(data), &op);
	if (r < 0 && strcmp(op, "open") == 0)
		return store_path_err(err, -r, "open", tmp, NULL);
	if (r < 0)
		return store_path_err(err, -r, "write", final, NULL);
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
 * store_write_atomic().
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
		return store_path_err(err, errno, "open", s->dir, name);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return store_write_atomic(s, name, ip, err);
	do
		w = pwrite(fd, ip, len, 0);
	while (w < 0 && errno == EINTR);
	if (w >= 0 && (size_t)w != len)
		errno = EIO; /* a short write of a few bytes: the disk is full */
	if (w < 0 || (size_t)w != len || ((off_t)len < st.st_size && ftruncate(fd, (off_t)len) < 0))
		return store_path_err(err, errno, "write", s->dir, name);
	if (close(TAKE_FD(fd)) < 0)
		return store_path_err(err, errno, "write", s->dir, name);
	return 0;
}

/* Remove e's file; a file already gone is fine. 0 or a negative errno recorded in err. */
int store_entry_remove(struct ipam_store *s, struct store_entry *e, struct cni_err *err)
{
	if (unlinkat(s->dir_fd, e->name, 0) < 0 && errno != ENOENT)
		return store_path_err(err, errno, "remove", s->dir, e->name);
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
		r = store_entry_remove(s, e, err);
		if (r < 0)
			return r;
		s->report.empty_released++;
	}
	return 0;
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
	return !s->reclaim_on_reboot || store_boot_same(s);
}

/*
 * List the directory (see store_reconcile(); suspect: check every entry's ctime)
 * and release the empty reservation files it finds.
 */
static int list_fully(struct ipam_store *s, bool suspect, struct cni_err *err)
{
	int r;

	/* store_reconcile() takes a table without entries marked gone. */
	store_entries_compact(s);
	r = store_reconcile(s, suspect, err);
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
			return store_path_err(err, errno, "lock", s->dir, IPAM_LOCK_NAME);
	}
	s->locked = true;
	s->dirty = false;
	s->stale = false;
	s->listed = false;
	s->has_checks = 0;
	s->unlisted = UNLISTED_MAX;
	s->unlisted_off = -1;
	s->report = (struct ipam_store_report){0};
	store_table_clear(&s->tab);
	if (s->use_index)
		store_index_load(s);
	if (!listing_skippable(s)) {
		r = list_fully(s, false, err);
		if (r == 0 && s->reclaim_on_reboot)
			r = store_boot_check(s, err);
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
		store_entry_owner_free(&s->tab.e[pos]);
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
		return store_path_err(err, errno, "open", s->dir, name);
	werr = -fileio_write_all(fd, content, clen);
	if (close(fd) < 0 && !werr)
		werr = errno;
	if (werr) {
		unlink(tmp);
		return store_path_err(err, werr, "write", s->dir, name);
	}
	/* link() fails with EEXIST when the address is taken, as O_EXCL would. */
	if (linkat(AT_FDCWD, tmp, s->dir_fd, name, 0) < 0) {
		int e2 = errno;

		unlink(tmp);
		if (e2 == EEXIST) {
			/* Taken behind the index's back (or not listed): known from now on. */
			if (store_read_file(s->dir_fd, name, &e) == 0) {
				e.seen = true;
				table_put(s, &e);
				s->dirty = true;
			}
			*ret_reserved = false;
			return 0;
		}
		return store_path_err(err, e2, "open", s->dir, name);
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
			char *t = store_trim(e.owner, &olen);

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
	store_trim(*ret_full, &len);
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
		return store_path_err(err, errno, "remove", s->dir, e->name);
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
	e = store_entry_find(s, ip_format(ip, name, sizeof(name)));
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
			int r = store_path_err(&one, errno, "remove", s->dir, e->name);

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
