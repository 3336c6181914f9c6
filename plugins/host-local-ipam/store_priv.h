/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the files of the host-local store share and nobody else needs: the
 * store's state, its table of reservation files, and the routines one file of
 * the store calls in another.
 */
#ifndef HOSTLOCAL_STORE_PRIV_H
#define HOSTLOCAL_STORE_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "host-local-ipam/store.h"

/* Suffix mkostemp() fills in. */
#define TEMP_SUFFIX ".XXXXXX"
/* Size of the buffer directory listings and index writes go through (glibc's readdir's). */
#define SCRATCH_SIZE (32u << 10)
/*
 * Room for a reservation file name: the longest text inet_pton() accepts is
 * 45 bytes ("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255").
 */
#define ENTRY_NAME_SIZE 48
/* A session lists the directory when this many sessions in a row did not. */
#define UNLISTED_MAX 63

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

/* store.c: errors, paths, the table, writes, the scratch buffer */

/* Record "<op> <path>: <errno text>" like Go's *os.PathError; returns -e. */
int store_path_err(struct cni_err *err, int e, const char *op, const char *dir, const char *name);
/* Trim ASCII whitespace in place; returns the start. */
char *store_trim(char *s, size_t *len);
/* Free every entry's owner and the arena, and empty the table. */
void store_table_clear(struct entry_table *t);
/* Free e's owner unless it is borrowed from the arena. */
void store_entry_owner_free(struct store_entry *e);
/* The live entry named name, or NULL. */
struct store_entry *store_entry_find(struct ipam_store *s, const char *name);
/* Drop entries marked gone, keeping the order. */
void store_entries_compact(struct ipam_store *s);
/* Remove e's file; 0 or a negative errno recorded in err. */
int store_entry_remove(struct ipam_store *s, struct store_entry *e, struct cni_err *err);
/* Write a small file atomically (temp file + rename). */
int store_write_atomic(struct ipam_store *s, const char *name, const char *data,
		       struct cni_err *err);
/* The store's scratch buffer (SCRATCH_SIZE bytes); NULL when out of memory. */
char *store_scratch(struct ipam_store *s);

/* store_index.c: the index file */

/* Read the index into s->tab and its stamp; any problem leaves an empty table. */
void store_index_load(struct ipam_store *s);
/* Write the index in place, its stamp last (best effort). */
void store_index_save(struct ipam_store *s);
/* Stamp the index with the directory's mtime, keeping its lines (best effort). */
void store_index_restamp(struct ipam_store *s);
/* Record the count of unlisted sessions in the index in place (best effort). */
void store_unlisted_save(struct ipam_store *s);
/* The count of sessions since the last listing to record, this one included. */
unsigned store_unlisted_next(const struct ipam_store *s);

/* store_scan.c: the directory listing */

/* Read one reservation file into ret; -ENOENT when it vanished. */
int store_read_file(int dir_fd, const char *name, struct store_entry *ret);
/* True when name is a reservation file name (an IP address). */
bool store_is_ip_name(const char *name);
/* Bring the table in line with the directory (suspect: check every ctime). */
int store_reconcile(struct ipam_store *s, bool suspect, struct cni_err *err);

/* store_boot.c: the boot record */

/* Compare the boot record with the current boot; release and record as needed. */
int store_boot_check(struct ipam_store *s, struct cni_err *err);
/* True when the record's boot is the current one. */
bool store_boot_same(struct ipam_store *s);

#endif
