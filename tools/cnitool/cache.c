/* SPDX-License-Identifier: Apache-2.0 */
/* libcni's result cache (libcni/api.go cacheAdd, getCachedResult, GetCachedAttachments). */
#include "cnitool/cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "array.h"
#include "cleanup.h"
#include "cni/conf.h"
#include "cni/json.h"
#include "cnitool/conflist.h"
#include "cni/result.h"
#include "fileio.h"
#include "strv.h"

#define CACHE_KIND "cniCacheV1"

void cnitool_cache_entry_clear(struct cnitool_cache_entry *e)
{
	free(e->container_id);
	free(e->ifname);
	free(e->network);
	free(e->netns);
	free(e->config);
	cJSON_Delete(e->cni_args);
	cJSON_Delete(e->capability_args);
	cJSON_Delete(e->result);
	memset(e, 0, sizeof(*e));
}

/* ---- base64 ---------------------------------------------------------------- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *cnitool_base64_encode(const void *data, size_t len)
{
	const unsigned char *p = data;
	char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)p[i] << 16;
		if (i + 1 < len)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		*o++ = b64[(v >> 18) & 63];
		*o++ = b64[(v >> 12) & 63];
		*o++ = i + 1 < len ? b64[(v >> 6) & 63] : '=';
		*o++ = i + 2 < len ? b64[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

static int b64_val(char c)
{
	const char *p = c ? strchr(b64, c) : NULL;
	return p ? (int)(p - b64) : -1;
}

int cnitool_base64_decode(const char *s, char **ret, size_t *ret_len)
{
	size_t n = strlen(s), len = 0;
	_cleanup_free_ char *out = NULL;

	/* Go's StdEncoding ignores \r and \n; nothing else may appear. */
	_cleanup_free_ char *clean = malloc(n + 1);
	size_t m = 0;
	if (!clean)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (s[i] != '\r' && s[i] != '\n')
			clean[m++] = s[i];
	clean[m] = '\0';
	if (m % 4)
		return -1;
	out = malloc(m / 4 * 3 + 1);
	if (!out)
		return -1;
	for (size_t i = 0; i < m; i += 4) {
		int a = b64_val(clean[i]), b = b64_val(clean[i + 1]);
		int c = clean[i + 2] == '=' ? -2 : b64_val(clean[i + 2]);
		int d = clean[i + 3] == '=' ? -2 : b64_val(clean[i + 3]);
		bool last = i + 4 == m;
		if (a < 0 || b < 0 || c == -1 || d == -1 || (c == -2 && d != -2) ||
		    ((c == -2 || d == -2) && !last))
			return -1;
		out[len++] = (char)((a << 2) | (b >> 4));
		if (c >= 0)
			out[len++] = (char)(((b & 15) << 4) | (c >> 2));
		if (d >= 0)
			out[len++] = (char)(((c & 3) << 6) | d);
	}
	out[len] = '\0';
	*ret = TAKE_PTR(out);
	*ret_len = len;
	return 0;
}

/* ---- paths ------------------------------------------------------------------- */

static char *path_printf(const char *fmt, ...) CNI_PRINTF(1, 2);

/* asprintf() that returns the malloc'd text, or NULL (never an undefined pointer). */
static char *path_printf(const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&p, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : p;
}

int cnitool_cache_path(const char *dir, const char *net, const char *cid, const char *ifname,
		       char **ret, struct cni_err *err)
{
	_cleanup_free_ char *path = NULL;

	if (!net || !*net || !cid || !*cid || !ifname || !*ifname)
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "cache file path requires network name (\"%s\"), container ID "
				   "(\"%s\"), and interface name (\"%s\")",
				   net ? net : "", cid ? cid : "", ifname ? ifname : "");
	path = path_printf("%s/results/%s-%s-%s", dir, net, cid, ifname);
	if (!path)
		return cni_err_nomem(err);
	/* Refused before any directory is made for it. */
	if (strlen(path) >= PATH_MAX)
		return cni_err_errno(err, CNI_ERR_IO, ENAMETOOLONG,
				     "cache file path is too long: '%s'", path);
	*ret = TAKE_PTR(path);
	return 0;
}

/* ---- encode / decode ------------------------------------------------------------ */

/* Add a copy of v under key unless it is NULL or empty (omitempty); sort: re-marshalled
 * as a Go map (deduplicated, sorted keys). False when out of memory. */
static bool add_copy(cJSON *o, const char *key, const cJSON *v, bool sort)
{
	cJSON *c;

	if (!v || cJSON_GetArraySize(v) == 0)
		return true;
	c = cJSON_Duplicate(v, true);
	if (!c)
		return false;
	if (sort)
		cnitool_json_dedupe_sort(c);
	if (!cJSON_AddItemToObject(o, key, c)) {
		cJSON_Delete(c);
		return false;
	}
	return true;
}

int cnitool_cache_encode(const struct cnitool_cache_entry *e, char **ret, struct cni_err *err)
{
	_cleanup_(cjson_freep) cJSON *o = cJSON_CreateObject();
	_cleanup_free_ char *cfg = NULL;
	bool ok;

	if (!o)
		return cni_err_nomem(err);
	if (e->config) {
		cfg = cnitool_base64_encode(e->config, e->config_len);
		if (!cfg)
			return cni_err_nomem(err);
	}
	ok = cJSON_AddStringToObject(o, "kind", CACHE_KIND) &&
	     cJSON_AddStringToObject(o, "containerId", e->container_id ? e->container_id : "") &&
	     (cfg ? cJSON_AddStringToObject(o, "config", cfg) != NULL
		  : cJSON_AddNullToObject(o, "config") != NULL) &&
	     cJSON_AddStringToObject(o, "ifName", e->ifname ? e->ifname : "") &&
	     cJSON_AddStringToObject(o, "networkName", e->network ? e->network : "");
	if (ok && e->netns && *e->netns)
		ok = cJSON_AddStringToObject(o, "netns", e->netns) != NULL;
	ok = ok && add_copy(o, "cniArgs", e->cni_args, false) &&
	     add_copy(o, "capabilityArgs", e->capability_args, true) &&
	     add_copy(o, "result", e->result, true);
	if (!ok)
		return cni_err_nomem(err);
	*ret = cni_json_print(o, false);
	return *ret ? 0 : cni_err_nomem(err);
}

static int dup_string(const cJSON *o, const char *key, char **ret, struct cni_err *err)
{
	const cJSON *v = conf_get(o, key);

	if (v && !cJSON_IsString(v))
		return cni_err_set(err, CNI_ERR_DECODE,
				   "json: cannot unmarshal into Go struct field cachedInfo.%s of "
				   "type string",
				   key);
	*ret = strdup(v ? v->valuestring : "");
	return *ret ? 0 : cni_err_nomem(err);
}

/* "config": base64 of the list's bytes, or absent. */
static int decode_config(const cJSON *o, struct cnitool_cache_entry *e, struct cni_err *err)
{
	const cJSON *v = conf_get(o, "config");

	if (v && (!cJSON_IsString(v) ||
		  cnitool_base64_decode(v->valuestring, &e->config, &e->config_len) < 0))
		return cni_err_set(err, CNI_ERR_DECODE, "cache entry: malformed 'config'");
	return 0;
}

/* A copy of member key of o (NULL when absent), which must pass is_valid. */
static int dup_member(const cJSON *o, const char *key, bool (*is_valid)(const cJSON *v),
		      cJSON **ret, struct cni_err *err)
{
	const cJSON *v = conf_get(o, key);

	if (!v)
		return 0;
	if (!is_valid(v))
		return cni_err_set(err, CNI_ERR_DECODE, "cache entry: malformed '%s'", key);
	*ret = cJSON_Duplicate(v, true);
	return *ret ? 0 : cni_err_nomem(err);
}

static bool is_object(const cJSON *v)
{
	return cJSON_IsObject(v);
}

/* "cniArgs": a list of lists of strings (or nulls). */
static bool is_args(const cJSON *v)
{
	const cJSON *pair, *s;

	if (!cJSON_IsArray(v))
		return false;
	cJSON_ArrayForEach (pair, v) {
		if (!cJSON_IsArray(pair))
			return false;
		cJSON_ArrayForEach (s, pair)
			if (!cJSON_IsString(s) && !cJSON_IsNull(s))
				return false;
	}
	return true;
}

int cnitool_cache_decode(const char *text, size_t len, struct cnitool_cache_entry *ret,
			 struct cni_err *err)
{
	_cleanup_(cjson_freep) cJSON *o = NULL;
	_cleanup_(cnitool_cache_entry_clear) struct cnitool_cache_entry e = {0};
	_cleanup_free_ char *kind = NULL;
	int r;

	r = cni_json_parse(text, len, &o, err);
	if (r < 0)
		return cni_err_prefix(err, "cache entry");
	if (!cJSON_IsObject(o))
		return cni_err_set(err, CNI_ERR_DECODE, "cache entry is not a JSON object");
	r = dup_string(o, "kind", &kind, err);
	if (r < 0)
		return r;
	if (strcmp(kind, CACHE_KIND) != 0)
		return cni_err_set(err, CNI_ERR_DECODE, "cache entry has wrong kind: %s", kind);
	if (dup_string(o, "containerId", &e.container_id, err) < 0 ||
	    dup_string(o, "ifName", &e.ifname, err) < 0 ||
	    dup_string(o, "networkName", &e.network, err) < 0 ||
	    dup_string(o, "netns", &e.netns, err) < 0 || decode_config(o, &e, err) < 0 ||
	    dup_member(o, "cniArgs", is_args, &e.cni_args, err) < 0 ||
	    dup_member(o, "capabilityArgs", is_object, &e.capability_args, err) < 0 ||
	    dup_member(o, "result", is_object, &e.result, err) < 0)
		return cni_err_ret(err);
	*ret = e;
	memset(&e, 0, sizeof(e));
	return 0;
}

/* ---- files ----------------------------------------------------------------------- */

int cnitool_cache_write(const char *dir, const struct cnitool_cache_entry *e, struct cni_err *err)
{
	_cleanup_free_ char *path = NULL, *text = NULL, *resdir = NULL;
	const char *op = "open";
	int r;

	r = cnitool_cache_path(dir, e->network, e->container_id, e->ifname, &path, err);
	if (r == 0)
		r = cnitool_cache_encode(e, &text, err);
	if (r < 0)
		return r;
	resdir = path_printf("%s/results", dir);
	if (!resdir)
		return cni_err_nomem(err);
	r = fileio_mkdir_p(resdir, 0700, NULL, NULL);
	if (r < 0)
		return cni_err_errno(err, CNI_ERR_IO, -r, "mkdir %s", resdir);
	r = fileio_write_atomic(path, text, strlen(text), &op);
	if (r == -ENOMEM)
		return cni_err_nomem(err);
	if (r < 0)
		return cni_err_errno(err, CNI_ERR_IO, -r, "%s %s", op, path);
	return 0;
}

int cnitool_cache_result(const char *dir, const char *net, const char *cid, const char *ifname,
			 const char *version, cJSON **ret, struct cni_err *err)
{
	_cleanup_free_ char *path = NULL, *data = NULL;
	_cleanup_(cjson_freep) cJSON *legacy = NULL;
	_cleanup_(cni_result_freep) struct cni_result *r = NULL;
	struct cnitool_cache_entry e = {0};
	struct cni_err ignored = {0};
	const cJSON *res;
	size_t len;
	int rc;

	*ret = NULL;
	rc = cnitool_cache_path(dir, net, cid, ifname, &path, err);
	if (rc < 0)
		return rc;
	if (fileio_read_path(path, SIZE_MAX, &data, &len) < 0)
		return 0; /* nothing cached (or unreadable): no prevResult */
	if (cnitool_cache_decode(data, len, &e, &ignored) == 0) {
		res = e.result;
	} else {
		/* Legacy cache files hold the bare result. */
		if (cni_json_parse(data, len, &legacy, &ignored) < 0 || !cJSON_IsObject(legacy))
			return cni_err_set(err, CNI_ERR_DECODE,
					   "failed to unmarshal cached network \"%s\" result", net);
		res = legacy;
	}
	if (!res) {
		cnitool_cache_entry_clear(&e);
		return 0;
	}
	rc = cni_result_parse(res, "0.1.0", &r, err);
	cnitool_cache_entry_clear(&e);
	if (rc < 0)
		return rc;
	if (cni_result_to_json(r, version && *version ? version : "0.1.0", ret, err) < 0)
		return cni_err_prefix(
			err, "failed to convert cached result to config version \"%s\"", version);
	return 0;
}

int cnitool_cache_del(const char *dir, const char *net, const char *cid, const char *ifname)
{
	_cleanup_free_ char *path = NULL;
	struct cni_err ignored = {0};

	if (cnitool_cache_path(dir, net, cid, ifname, &path, &ignored) < 0)
		return 0;
	return fileio_remove_atomic(path);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void cnitool_cache_list_free(struct cnitool_cache_entry *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		cnitool_cache_entry_clear(&v[i]);
	free(v);
}

int cnitool_cache_list(const char *dir, struct cnitool_cache_entry **ret, size_t *ret_n,
		       struct cni_err *err)
{
	_cleanup_free_ char *resdir = NULL;
	_cleanup_strv_free_ char **names = NULL;
	_cleanup_closedir_ DIR *d = NULL;
	struct cnitool_cache_entry *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;

	resdir = path_printf("%s/results", dir);
	if (!resdir)
		return cni_err_nomem(err);
	/* libcni treats an unreadable cache as nothing to collect. */
	d = opendir(resdir);
	while (d && (de = readdir(d))) {
		char *name;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		name = strdup(de->d_name);
		if (!name || strv_push(&names, name) < 0) {
			free(name);
			return cni_err_nomem(err);
		}
	}
	if (names)
		qsort(names, strv_length(names), sizeof(*names), name_cmp);
	for (char **name = names; name && *name; name++) {
		_cleanup_free_ char *path = path_printf("%s/%s", resdir, *name), *data = NULL;
		struct cnitool_cache_entry e = {0};
		struct cni_err ignored = {0};
		size_t len;

		if (!path || ARRAY_RESERVE(v, cap, n + 1) < 0) {
			cnitool_cache_list_free(v, n);
			return cni_err_nomem(err);
		}
		if (fileio_read_path(path, SIZE_MAX, &data, &len) < 0 ||
		    cnitool_cache_decode(data, len, &e, &ignored) < 0)
			continue;
		if (!*e.ifname || !*e.network) {
			cnitool_cache_entry_clear(&e);
			continue;
		}
		v[n++] = e;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}
