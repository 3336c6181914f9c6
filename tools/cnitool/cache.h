/* SPDX-License-Identifier: Apache-2.0 */
/* libcni's result cache: <cachedir>/results/<network>-<containerID>-<ifname>. */
#ifndef CNITOOL_CACHE_H
#define CNITOOL_CACHE_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "err.h"

/* libcni's default cache directory (results live in its "results" subdirectory). */
#define CNITOOL_DEFAULT_CACHE_DIR "/var/lib/cni"

/* One cached attachment (libcni cachedInfo, kind "cniCacheV1"). */
struct cnitool_cache_entry {
	char *container_id;	/* "containerId" */
	char *ifname;		/* "ifName" */
	char *network;		/* "networkName" */
	char *netns;		/* "netns" ("" when absent) */
	char *config;		/* "config", base64-decoded (NUL-terminated), NULL if absent */
	size_t config_len;	/* its length */
	cJSON *cni_args;	/* "cniArgs": array of [key, value] or NULL */
	cJSON *capability_args; /* "capabilityArgs": object or NULL */
	cJSON *result;		/* "result": object or NULL */
};

/* Free the members of an entry. */
void cnitool_cache_entry_clear(struct cnitool_cache_entry *e);

/* Standard base64 with padding (Go's encoding of []byte in JSON). malloc'd. */
char *cnitool_base64_encode(const void *data, size_t len);

/* Decode standard base64 (padding required); -1 on malformed input. */
int cnitool_base64_decode(const char *s, char **ret, size_t *ret_len);

/*
 * The cache file path, or an error naming the empty part ("cache file path
 * requires network name (...), container ID (...), and interface name (...)").
 * A path of PATH_MAX bytes or more is code 5 (-ENAMETOOLONG) naming it.
 */
int cnitool_cache_path(const char *dir, const char *net, const char *cid, const char *ifname,
		       char **ret, struct cni_err *err);

/*
 * Render a cache file exactly as libcni's json.Marshal(cachedInfo) does:
 * compact, fields in struct order, empty netns/cniArgs/capabilityArgs/result
 * omitted, maps (capabilityArgs, result) with sorted keys.
 */
int cnitool_cache_encode(const struct cnitool_cache_entry *e, char **ret, struct cni_err *err);

/* Parse a cache file's text; code 6 when it is not a cniCacheV1 entry. */
int cnitool_cache_decode(const char *text, size_t len, struct cnitool_cache_entry *ret,
			 struct cni_err *err);

/* Write an entry (results dir 0700, file 0600, replaced atomically). */
int cnitool_cache_write(const char *dir, const struct cnitool_cache_entry *e, struct cni_err *err);

/*
 * The cached result of (net, cid, ifname) converted to `version`, as a JSON
 * tree in *ret; NULL when nothing is cached. Falls back to the legacy format
 * (a bare result) like libcni.
 */
int cnitool_cache_result(const char *dir, const char *net, const char *cid, const char *ifname,
			 const char *version, cJSON **ret, struct cni_err *err);

/* Remove an entry; a missing one is not an error. */
int cnitool_cache_del(const char *dir, const char *net, const char *cid, const char *ifname);

/*
 * Every valid cniCacheV1 entry of the results dir, sorted by file name
 * (libcni GetCachedAttachments("")). Unreadable or foreign files are skipped.
 */
int cnitool_cache_list(const char *dir, struct cnitool_cache_entry **ret, size_t *ret_n,
		       struct cni_err *err);

/* Free what cnitool_cache_list returned. */
void cnitool_cache_list_free(struct cnitool_cache_entry *v, size_t n);

#endif
