/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The host-local file store, on-disk compatible with the reference plugin:
 * <dataDir>/<network>/<ip> files holding "containerID\r\nifname",
 * last_reserved_ip.<set> and an flock'ed "lock" file, plus our index and
 * boot record. How a session works: the comment at the top of store.c.
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
 * store.c); when listing, remove temp files and empty reservation files left
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
