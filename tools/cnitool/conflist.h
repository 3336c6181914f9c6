/* SPDX-License-Identifier: Apache-2.0 */
/* Loading network configuration lists the way libcni does. */
#ifndef CNITOOL_CONFLIST_H
#define CNITOOL_CONFLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

#include "err.h"

/* The newest CNI version cnitool implements (versions above it are dropped). */
#define CNITOOL_CURRENT_VERSION "1.1.0"

/* One plugin of a list. */
struct cnitool_plugin {
	cJSON *conf; /* the plugin object, duplicate keys collapsed (last wins); owned */
	char *type;  /* its "type" (never empty) */
};

/* A network configuration list, parsed. */
struct cnitool_list {
	char *name;			/* "name" */
	char *cni_version;		/* negotiated version ("" when none was given) */
	bool disable_check;		/* "disableCheck" */
	bool disable_gc;		/* "disableGC" */
	bool load_only_inlined;		/* "loadOnlyInlinedPlugins" */
	char *bytes;			/* the list as read (cached as "config"), NUL-terminated */
	size_t len;			/* its length */
	struct cnitool_plugin *plugins; /* plugins in order */
	size_t n_plugins;		/* number of plugins */
	size_t plugins_cap;		/* allocated entries of plugins */
};

/* Free a list (accepts NULL). */
void cnitool_list_free(struct cnitool_list *l);

static inline void cnitool_list_freep(struct cnitool_list **l)
{
	cnitool_list_free(*l);
}

/*
 * Parse a version with libcni's rules ("" = 0.1.0, one to three numeric
 * parts). Returns 0, or -EIO with err set (code 6).
 */
int cnitool_version_parse(const char *v, int out[3], struct cni_err *err);

/* Compare two versions with libcni's rules: *ret < 0, 0, > 0. */
int cnitool_version_cmp(const char *a, const char *b, int *ret, struct cni_err *err);

/* True when v >= min; unparsable counts as false (libcni ignores the error there). */
bool cnitool_version_at_least(const char *v, const char *min);

/*
 * Parse a conflist from bytes (libcni NetworkConfFromBytes): name, version
 * negotiation over cniVersion and cniVersions, the three booleans (JSON bool
 * or "true"/"false"), the inlined plugins.
 */
int cnitool_list_from_bytes(const char *data, size_t len, struct cnitool_list **ret,
			    struct cni_err *err);

/* Parse one plugin object (libcni NetworkPluginConfFromBytes rules). Takes ownership of obj. */
int cnitool_plugin_from_json(cJSON *obj, struct cnitool_plugin *ret, struct cni_err *err);

/*
 * Find network `name` in dir: every *.conflist (sorted; plugins from
 * <dir>/<name>/ *.conf appended unless loadOnlyInlinedPlugins), then the
 * legacy single-plugin *.conf / *.json files, up-converted to a list.
 */
int cnitool_list_load(const char *dir, const char *name, struct cnitool_list **ret,
		      struct cni_err *err);

/* Recursively drop duplicate object keys, keeping the last (Go map decoding). */
void cnitool_json_dedupe(cJSON *item);

/* Dedupe, then sort keys at every level: how Go re-marshals a decoded map. */
void cnitool_json_dedupe_sort(cJSON *item);

#endif
