/* SPDX-License-Identifier: Apache-2.0 */
/* The runtime side of CNI: chaining a list's plugins the way libcni does. */
#ifndef CNITOOL_RUNTIME_H
#define CNITOOL_RUNTIME_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "cnitool/conflist.h"
#include "err.h"

/* One attachment's runtime parameters (libcni RuntimeConf). */
struct cnitool_rt {
	const char *container_id; /* CNI_CONTAINERID */
	const char *netns;	  /* CNI_NETNS ("" for none) */
	const char *ifname;	  /* CNI_IFNAME */
	const cJSON *cni_args;	  /* CNI_ARGS as [[key, value], ...], or NULL */
	const cJSON *cap_args;	  /* capability args (object), or NULL */
};

/* What every operation needs. */
struct cnitool_ctx {
	const char *cni_path;  /* CNI_PATH given to plugins and searched for them */
	const char *cache_dir; /* libcni cache dir (results in <cache_dir>/results) */
	char where[512];       /* on failure: what failed (libcni's wrapping text), or "" */
};

/*
 * The JSON a plugin gets on stdin (libcni buildOneConfig / InjectConf): the
 * plugin object with "name" and "cniVersion" of the list, "prevResult" when
 * prev is given, "runtimeConfig" = enabled capabilities ∩ rt->cap_args keys
 * (only when rt is given and the intersection is non-empty), and the keys of
 * `extra` (GC). Compact, keys sorted as Go's map marshalling prints them.
 */
int cnitool_request_config(const struct cnitool_list *l, const struct cnitool_plugin *p,
			   const cJSON *prev, const struct cnitool_rt *rt, const cJSON *extra,
			   char **ret, struct cni_err *err);

/* "K=V;K2=V2" from [[K, V], ...] (libcni's stringify). malloc'd. */
char *cnitool_args_string(const cJSON *pairs);

/*
 * CNI_ARGS text into [[K, V], ...] like cnitool's parseArgs: every ';'
 * separated pair must split on '=' into exactly two non-empty parts.
 */
int cnitool_args_parse(const char *s, cJSON **ret, struct cni_err *err);

/* ADD every plugin in order, cache the final result; *ret_out = result text to print. */
int cnitool_add(struct cnitool_ctx *ctx, const struct cnitool_list *l, const struct cnitool_rt *rt,
		char **ret_out, struct cni_err *err);

/* CHECK every plugin in order with the cached result (list version >= 0.4.0). */
int cnitool_check(struct cnitool_ctx *ctx, const struct cnitool_list *l,
		  const struct cnitool_rt *rt, struct cni_err *err);

/* DEL every plugin in reverse order, stopping at the first error; drop the cache entry. */
int cnitool_del(struct cnitool_ctx *ctx, const struct cnitool_list *l, const struct cnitool_rt *rt,
		struct cni_err *err);

/* STATUS every plugin (list version >= 1.1.0), stopping at the first failure. */
int cnitool_status(struct cnitool_ctx *ctx, const struct cnitool_list *l, struct cni_err *err);

/*
 * GC: DEL every cached attachment of this network that is not in `valid`
 * (array of {"containerID","ifname"}; NULL = none valid), then, for lists
 * >= 1.1.0, GC on every plugin with cni.dev/valid-attachments (and the
 * legacy cni.dev/attachments). Errors are collected, not fatal.
 */
int cnitool_gc(struct cnitool_ctx *ctx, const struct cnitool_list *l, const cJSON *valid,
	       struct cni_err *err);

#endif
