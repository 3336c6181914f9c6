/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The host-local store's index file: its format, loading, writing and
 * restamping (what it is for: the top of store.c).
 *
 * The index is "<INDEX_MAGIC><sec>.<nsec>\n", one line per entry sorted by
 * name, "<name> <ino> <ctime sec>.<ctime nsec, 9 digits> <escaped owner>\n",
 * then "end <number of entries>\n". It is read with one read and parsed in
 * place (owners are unescaped where they lie and borrowed from the buffer),
 * and formatted by hand into the scratch buffer, written each time it fills.
 * The parser takes numbers as the writer produces them (decimal digits, a
 * '-' on signed fields): anything else, a truncated file included, is a
 * corrupt index and rebuilt from the files.
 */
#include "host-local-ipam/store_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "array.h"
#include "cleanup.h"
#include "fileio.h"
#include "hex.h"

/*
 * First line of the index; the stamp field is written last, in place (see
 * store_index_save()). v1 indexes (which recorded owners of more than 4 KiB as
 * OWNER_OVERSIZE) are rebuilt from the files.
 */
#define INDEX_MAGIC "host-local-index v2 dirstamp="
/* Width of the "<sec>.<nsec>" stamp field. */
#define STAMP_WIDTH 30
/*
 * After "end N", a line old versions do not read (their loader stops at the
 * trailer): "unlisted NN", the number of sessions since the last one that
 * listed the directory, two digits so that it is rewritten in place.
 */
#define INDEX_UNLISTED "unlisted "

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
		b->err = fileio_write_all(b->fd, b->p, b->len);
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
				b->err = fileio_write_all(b->fd, p, n);
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

/*
 * "00" to "99", for formatting two digits at a time. By hand rather than
 * snprintf(): with one snprintf() per line, an ADD at 1,000 reservations
 * (which rewrites the index) took 7 to 9% more CPU time
 * (bench/hostlocal_occupancy.py).
 */
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
		w[1] = hex_upper(*p >> 4);
		w[2] = hex_upper(*p);
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
			int hi = hex_digit((unsigned char)p[1]), lo;

			lo = hi < 0 ? -1 : hex_digit((unsigned char)p[2]);
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
	if (!store_is_ip_name(e->name))
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
void store_index_load(struct ipam_store *s)
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
	store_table_clear(&s->tab);
	s->stamp_sec = 0;
	s->stamp_nsec = 0;
	s->unlisted = UNLISTED_MAX;
	s->unlisted_off = -1;
}

/* The count of sessions since the last listing to record, this one included. */
unsigned store_unlisted_next(const struct ipam_store *s)
{
	if (s->listed)
		return 0;
	return s->unlisted < UNLISTED_MAX ? s->unlisted + 1 : UNLISTED_MAX;
}

/*
 * Record store_unlisted_next() in the loaded index in place (a session that
 * changed nothing does not rewrite the index). Best effort: a count not
 * written only delays the next listing by one session.
 */
void store_unlisted_save(struct ipam_store *s)
{
	_cleanup_close_ int fd = -1;
	unsigned k = store_unlisted_next(s);
	char d[2] = {(char)('0' + k / 10), (char)('0' + k % 10)};

	fd = openat(s->dir_fd, IPAM_INDEX_NAME, O_WRONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd >= 0)
		(void)!pwrite(fd, d, sizeof(d), s->unlisted_off);
}

/*
 * Write the directory's mtime as the stamp of the index open on fd, and
 * remember it as the session's stamp; false when the directory could not be
 * read or the stamp not written.
 */
static bool write_stamp(struct ipam_store *s, int fd)
{
	char stamp[STAMP_WIDTH + 2];
	struct stat st;

	if (fstat(s->dir_fd, &st) < 0)
		return false;
	snprintf(stamp, sizeof(stamp), "%0*lld.%09ld", STAMP_WIDTH - 10,
		 (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	if (pwrite(fd, stamp, strlen(stamp), (off_t)strlen(INDEX_MAGIC)) != (ssize_t)strlen(stamp))
		return false;
	s->stamp_sec = (long long)st.st_mtim.tv_sec;
	s->stamp_nsec = st.st_mtim.tv_nsec;
	return true;
}

/*
 * A session whose only changes were removals keeps the index's lines (the
 * entries of the files removed stay, stale) and only stamps it with the
 * directory's new mtime, then records the count of unlisted sessions: a
 * stale entry is harmless, as every entry's file is checked before it is
 * trusted (see store.c), and goes with the next listing. Without the new
 * stamp, the next session lists.
 */
void store_index_restamp(struct ipam_store *s)
{
	_cleanup_close_ int fd = -1;

	fd = openat(s->dir_fd, IPAM_INDEX_NAME, O_WRONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0 || !write_stamp(s, fd))
		return;
	close(TAKE_FD(fd));
	store_unlisted_save(s);
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
void store_index_save(struct ipam_store *s)
{
	_cleanup_close_ int fd = -1;
	struct outbuf b = {.cap = SCRATCH_SIZE};
	struct stat st;
	size_t count = 0;
	off_t len;

	b.p = store_scratch(s);
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
	out_char(&b, (char)('0' + store_unlisted_next(s) / 10));
	out_char(&b, (char)('0' + store_unlisted_next(s) % 10));
	out_char(&b, '\n');
	out_flush(&b);
	if (b.err < 0)
		return;
	len = lseek(fd, 0, SEEK_CUR);
	if (len < 0 || ftruncate(fd, len) < 0)
		return;
	/* Nothing else changes the directory while we hold the lock. */
	write_stamp(s, fd);
}
