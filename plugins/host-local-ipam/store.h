/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The host-local file store, on-disk compatible with the reference plugin:
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
 * A boot record (IPAM_BOOT_NAME) holds the boot ID of the last boot the
 * store was used in; the first locked session of a later boot releases every
 * reservation made before the machine booted (network namespaces never
 * survive a reboot).
 */
#ifndef HOSTLOCAL_STORE_H
#define HOSTLOCAL_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "cni/cni.h"
#include "err.h"
#include "ipnet.h"

/* Default store root, as in the reference plugin. */
#define IPAM_DEFAULT_DATA_DIR "/var/lib/cni/networks"
/* Prefix of the per-range-set round-robin cursor files. */
#define IPAM_LAST_RESERVED_PREFIX "last_reserved_ip."
/* Name of the lock file. */
#define IPAM_LOCK_NAME "lock"
/* Name of our index file inside the network directory. */
#define IPAM_INDEX_NAME ".host-local.index"
/* Name of the boot record inside the network directory. */
#define IPAM_BOOT_NAME ".host-local.boot"
/* Where the kernel publishes the ID of the current boot. */
#define IPAM_BOOT_ID_PATH "/proc/sys/kernel/random/boot_id"

struct ipam_store;

/* Options of ipam_store_open(). */
enum ipam_store_flags {
	/* Keep and trust the index (without, every session reads all files, as the reference does). */
	IPAM_STORE_INDEX = 1 << 0,
	/* Release the reservations of earlier boots (see ipam_store_lock). */
	IPAM_STORE_RECLAIM_ON_REBOOT = 1 << 1,
	/* Take directory mtimes as coarse even where they are not (for tests). */
	IPAM_STORE_COARSE_MTIME = 1 << 2,
};

/* What the last ipam_store_lock() cleaned up on its own, for the log. */
struct ipam_store_report {
	size_t temps_removed;	/* temp files left by killed processes */
	size_t empty_released;	/* empty reservation files (writer killed before writing) */
	size_t reboot_released; /* reservations made before the machine booted */
	bool boot_adopted;	/* the store had no boot record; one was written */
	bool boot_changed;	/* the store was last used in an earlier boot */
	int boot_errno;		/* why the boot could not be checked or recorded, or 0 */
	const char *boot_what;	/* what failed when boot_errno is set */
};

/*
 * The malloc'd network directory <data_dir>/<network>, cleaned lexically as
 * Go's filepath.Join does (so "a/../b" never creates "a"). data_dir NULL or
 * "" means the default. 0 or -ENOMEM.
 */
int ipam_store_net_dir(const char *data_dir, const char *network, char **ret) CNI_MUST_USE;

/*
 * Open (creating with mode 0755 as needed) the network directory and its
 * lock file; flags are enum ipam_store_flags.
 */
int ipam_store_open(const char *data_dir, const char *network, unsigned flags,
		    struct ipam_store **ret, struct cni_err *err) CNI_MUST_USE;

/* Unlock if needed and free the store (accepts NULL). */
void ipam_store_close(struct ipam_store *s);

/* For _cleanup_(ipam_store_closep). */
static inline void ipam_store_closep(struct ipam_store **s)
{
	ipam_store_close(*s);
}

/* The network directory's path. */
const char *ipam_store_dir(const struct ipam_store *s);

/*
 * Take the exclusive flock and bring the in-memory view up to date (listing
 * the directory unless the index's stamp says it did not change, see
 * above); when listing, remove temp files and empty reservation files left
 * by killed processes. With IPAM_STORE_RECLAIM_ON_REBOOT, compare the boot
 * record with the current boot ID (a record that differs always makes the
 * session list): no record (a new store, or one only the reference plugin
 * used) gets one and nothing is released; a record of another boot makes every
 * reservation whose file changed last before the machine booted go, then
 * the record is updated. Failing to read the boot ID or to write the record
 * is not an error (see ipam_store_report()); failing to remove a file is.
 */
int ipam_store_lock(struct ipam_store *s, struct cni_err *err) CNI_MUST_USE;

/* What the last ipam_store_lock() cleaned up. */
const struct ipam_store_report *ipam_store_report(const struct ipam_store *s);

/* Persist the index (best effort; it is only a cache) and drop the flock. */
void ipam_store_unlock(struct ipam_store *s);

/*
 * Create the file of ip holding "cid\r\nifname" (written to a temp file and
 * linked into place, so it never exists without its owner), then record ip
 * in last_reserved_ip.<set_idx>. *ret_reserved is false when the file
 * existed.
 */
int ipam_store_reserve(struct ipam_store *s, const char *cid, const char *ifname,
		       const struct ip_addr *ip, int set_idx, bool *ret_reserved,
		       struct cni_err *err) CNI_MUST_USE;

/* The address in last_reserved_ip.<set_idx>; false when absent or unparsable. */
bool ipam_store_last_reserved(struct ipam_store *s, int set_idx, struct ip_addr *ret);

/*
 * Addresses whose files hold "cid\r\nifname" or the legacy "cid", as a
 * malloc'd array (NULL when none).
 */
int ipam_store_get_by_id(struct ipam_store *s, const char *cid, const char *ifname,
			 struct ip_addr **ret, size_t *ret_n, struct cni_err *err) CNI_MUST_USE;

/* True when any file holds "cid\r\nifname" or the legacy "cid". */
bool ipam_store_find_by_id(struct ipam_store *s, const char *cid, const char *ifname);

/*
 * Remove every file holding "cid\r\nifname"; when there is none, every file
 * holding the legacy "cid". *ret_n (may be NULL) gets the number removed.
 */
int ipam_store_release_by_id(struct ipam_store *s, const char *cid, const char *ifname,
			     size_t *ret_n, struct cni_err *err) CNI_MUST_USE;

/* Remove the file of ip if it holds "cid\r\nifname" (rollback of one reservation). */
int ipam_store_release_ip(struct ipam_store *s, const struct ip_addr *ip, const char *cid,
			  const char *ifname, struct cni_err *err) CNI_MUST_USE;

/*
 * Remove every reservation not owned by a valid attachment; legacy files
 * (containerID only) stay when that container has any valid attachment.
 * Continues past errors and reports them joined. *ret_n (may be NULL) gets
 * the number removed.
 */
int ipam_store_gc(struct ipam_store *s, const struct cni_attachment *valid, size_t n_valid,
		  size_t *ret_n, struct cni_err *err) CNI_MUST_USE;

/*
 * True when the file of ip exists: seen by this session's listing, or, in a
 * session that did not list, held by the index and found by a stat (the
 * allocator skips such candidates without trying to create them).
 */
bool ipam_store_has(struct ipam_store *s, const struct ip_addr *ip);

/*
 * Number of reservation files known (for tests and benchmarks): in a
 * session that did not list the directory, what the index holds, which can
 * include files removed since.
 */
size_t ipam_store_count(const struct ipam_store *s);

#endif
