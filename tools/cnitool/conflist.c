/* SPDX-License-Identifier: Apache-2.0 */
/* Loading network configuration lists with libcni's rules (libcni/conf.go). */
#include "cnitool/conflist.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "array.h"
#include "cleanup.h"
#include "cni/conf.h"
#include "cni/json.h"
#include "fileio.h"
#include "strv.h"

void cnitool_list_free(struct cnitool_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n_plugins; i++) {
		cJSON_Delete(l->plugins[i].conf);
		free(l->plugins[i].type);
	}
	free(l->plugins);
	free(l->name);
	free(l->cni_version);
	free(l->bytes);
	free(l);
}

/* ---- versions ------------------------------------------------------------ */

/* One numeric version part (n bytes at s); -1 when it is not one (no err: the caller
 * words the error). */
static int parse_part(const char *s, size_t n, int *ret)
{
	long v = 0;
	size_t i = 0;

	/* strconv.Atoi: optional sign, decimal digits only. */
	if (n > 0 && (s[0] == '+' || s[0] == '-'))
		i = 1;
	if (i >= n || n - i > 9)
		return -1;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*ret = s[0] == '-' ? (int)-v : (int)v;
	return 0;
}

int cnitool_version_parse(const char *v, int out[3], struct cni_err *err)
{
	const char *p = v;
	int parts[3] = {0, 0, 0}, n = 0;

	if (!v || !*v) {
		out[0] = 0, out[1] = 1, out[2] = 0;
		return 0;
	}
	for (;;) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);
		if (n == 3)
			return cni_err_set(err, CNI_ERR_DECODE,
					   "invalid version \"%s\": too many parts", v);
		if (parse_part(p, len, &parts[n]) < 0)
			return cni_err_set(err, CNI_ERR_DECODE,
					   "failed to convert %s version part \"%.*s\"",
					   n == 0   ? "major"
					   : n == 1 ? "minor"
						    : "micro",
					   (int)len, p);
		n++;
		if (!dot)
			break;
		p = dot + 1;
	}
	memcpy(out, parts, sizeof(parts));
	return 0;
}

int cnitool_version_cmp(const char *a, const char *b, int *ret, struct cni_err *err)
{
	int x[3], y[3];

	if (cnitool_version_parse(a, x, err) < 0 || cnitool_version_parse(b, y, err) < 0)
		return cni_err_ret(err);
	for (int i = 0; i < 3; i++) {
		if (x[i] != y[i]) {
			*ret = x[i] < y[i] ? -1 : 1;
			return 0;
		}
	}
	*ret = 0;
	return 0;
}

bool cnitool_version_at_least(const char *v, const char *min)
{
	struct cni_err err = {0};
	int c;

	return cnitool_version_cmp(v, min, &c, &err) == 0 && c >= 0;
}

/* ---- JSON helpers --------------------------------------------------------- */

void cnitool_json_dedupe(cJSON *item)
{
	cJSON *c, *next;

	if (!cJSON_IsObject(item) && !cJSON_IsArray(item))
		return;
	for (c = item->child; c; c = next) {
		next = c->next;
		if (cJSON_IsObject(item)) {
			bool later = false;
			for (cJSON *d = c->next; d; d = d->next)
				if (d->string && c->string && strcmp(d->string, c->string) == 0) {
					later = true;
					break;
				}
			if (later) {
				cJSON_Delete(cJSON_DetachItemViaPointer(item, c));
				continue;
			}
		}
		cnitool_json_dedupe(c);
	}
}

void cnitool_json_dedupe_sort(cJSON *item)
{
	cnitool_json_dedupe(item);
	cni_json_sort_keys(item);
}

/* Exact-case member (after dedupe there is at most one). */
static cJSON *member(const cJSON *obj, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(obj, key);
}

/* libcni readBool: JSON bool or "true"/"false" in any case. */
static int read_bool(const cJSON *obj, const char *key, bool *ret, struct cni_err *err)
{
	const cJSON *v = member(obj, key);
	char low[8];
	size_t n;

	*ret = false;
	if (!v)
		return 0;
	if (cJSON_IsBool(v)) {
		*ret = cJSON_IsTrue(v);
		return 0;
	}
	if (!cJSON_IsString(v))
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
				   "error parsing configuration list: invalid type %s for %s",
				   conf_type_name(v, true), key);
	n = strlen(v->valuestring);
	if (n < sizeof(low)) {
		for (size_t i = 0; i <= n; i++)
			low[i] = (char)(v->valuestring[i] >= 'A' && v->valuestring[i] <= 'Z'
						? v->valuestring[i] + 32
						: v->valuestring[i]);
		if (strcmp(low, "true") == 0 || strcmp(low, "false") == 0) {
			*ret = low[0] == 't';
			return 0;
		}
	}
	return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
			   "error parsing configuration list: invalid value \"%s\" for %s",
			   v->valuestring, key);
}

/* ---- plugins and lists ------------------------------------------------------ */

int cnitool_plugin_from_json(cJSON *obj, struct cnitool_plugin *ret, struct cni_err *err)
{
	_cleanup_(cjson_freep) cJSON *o = obj;
	const cJSON *v, *caps;
	const char *keys[] = {"cniVersion", "name", "type"};

	if (!cJSON_IsObject(o))
		return cni_err_set(err, CNI_ERR_DECODE,
				   "error parsing configuration: json: cannot unmarshal %s into Go "
				   "value of type types.PluginConf",
				   conf_type_name(o, true));
	cnitool_json_dedupe(o);
	/* types.PluginConf is decoded case-insensitively with strict types. */
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		v = conf_get(o, keys[i]);
		if (v && !cJSON_IsString(v))
			return cni_err_set(err, CNI_ERR_DECODE,
					   "error parsing configuration: json: cannot unmarshal %s "
					   "into Go struct field PluginConf.%s of type string",
					   conf_type_name(v, true), keys[i]);
	}
	caps = conf_get(o, "capabilities");
	if (caps) {
		const cJSON *c;
		if (!cJSON_IsObject(caps))
			return cni_err_set(err, CNI_ERR_DECODE,
					   "error parsing configuration: json: cannot unmarshal %s "
					   "into Go struct field PluginConf.capabilities of type "
					   "map[string]bool",
					   conf_type_name(caps, true));
		cJSON_ArrayForEach (c, caps)
			if (!cJSON_IsBool(c) && !cJSON_IsNull(c))
				return cni_err_set(err, CNI_ERR_DECODE,
						   "error parsing configuration: json: cannot "
						   "unmarshal %s into Go struct field "
						   "PluginConf.capabilities of type bool",
						   conf_type_name(c, true));
	}
	v = conf_get(o, "type");
	if (!v || !v->valuestring[0])
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
				   "error parsing configuration: missing 'type'");
	ret->type = strdup(v->valuestring);
	if (!ret->type)
		return cni_err_nomem(err);
	ret->conf = TAKE_PTR(o);
	return 0;
}

static int add_plugin(struct cnitool_list *l, cJSON *obj, struct cni_err *err)
{
	struct cnitool_plugin p = {0};
	int r;

	if (ARRAY_RESERVE(l->plugins, l->plugins_cap, l->n_plugins + 1) < 0) {
		cJSON_Delete(obj);
		return cni_err_nomem(err);
	}
	r = cnitool_plugin_from_json(obj, &p, err);
	if (r < 0)
		return r;
	l->plugins[l->n_plugins++] = p;
	return 0;
}

/* Pick the version libcni would use from cniVersion and cniVersions. */
static int negotiate_version(const cJSON *raw, char **ret, struct cni_err *err)
{
	const cJSON *cv = member(raw, "cniVersion"), *cvs = member(raw, "cniVersions"), *e;
	const char *best = "";
	int i = 0, c;
	bool any = false;

	if (cv && !cJSON_IsString(cv))
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
				   "error parsing configuration list: invalid cniVersion type %s",
				   conf_type_name(cv, true));
	if (cv)
		best = cv->valuestring;
	if (cvs) {
		const char *max = NULL;
		if (!cJSON_IsArray(cvs))
			return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
					   "error parsing configuration list: invalid type for "
					   "cniVersions: %s",
					   conf_type_name(cvs, true));
		cJSON_ArrayForEach (e, cvs) {
			if (!cJSON_IsString(e))
				return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
						   "error parsing configuration list: invalid type "
						   "for cniVersions index %d: %s",
						   i, conf_type_name(e, true));
			if (cnitool_version_cmp(e->valuestring, CNITOOL_CURRENT_VERSION, &c, err) <
			    0)
				return cni_err_prefix(err,
						      "error parsing configuration list: invalid "
						      "cniVersions entry %s at index %d",
						      e->valuestring, i);
			if (c <= 0) {
				int d = 0;
				if (!any ||
				    (cnitool_version_cmp(e->valuestring, max, &d, err) == 0 &&
				     d >= 0))
					max = e->valuestring;
				any = true;
			}
			i++;
		}
		if (cv && *cv->valuestring) {
			if (cnitool_version_cmp(best, CNITOOL_CURRENT_VERSION, &c, err) < 0)
				return cni_err_prefix(err,
						      "error parsing configuration list: invalid "
						      "cniVersion %s",
						      best);
			if (c <= 0) {
				int d = 0;
				if (!any ||
				    (cnitool_version_cmp(best, max, &d, err) == 0 && d >= 0))
					max = best;
				any = true;
			}
		}
		if (any)
			best = max;
	}
	*ret = strdup(best);
	return *ret ? 0 : cni_err_nomem(err);
}

int cnitool_list_from_bytes(const char *data, size_t len, struct cnitool_list **ret,
			    struct cni_err *err)
{
	_cleanup_(cnitool_list_freep) struct cnitool_list *l = NULL;
	_cleanup_(cjson_freep) cJSON *raw = NULL;
	const cJSON *name, *plugins;
	cJSON *p;

	if (cni_json_parse(data, len, &raw, err) < 0)
		return cni_err_prefix(err, "error parsing configuration list");
	if (!cJSON_IsObject(raw))
		return cni_err_set(err, CNI_ERR_DECODE,
				   "error parsing configuration list: not a JSON object");
	cnitool_json_dedupe(raw);
	l = calloc(1, sizeof(*l));
	if (!l)
		return cni_err_nomem(err);
	name = member(raw, "name");
	if (!name)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
				   "error parsing configuration list: no name");
	if (conf_is_nul_string(name))
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
				   "error parsing configuration list: 'name' must not contain a "
				   "NUL character");
	if (!cJSON_IsString(name))
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
				   "error parsing configuration list: invalid name type %s",
				   conf_type_name(name, true));
	l->name = strdup(name->valuestring);
	l->bytes = malloc(len + 1);
	if (!l->name || !l->bytes)
		return cni_err_nomem(err);
	memcpy(l->bytes, data, len);
	l->bytes[len] = '\0';
	l->len = len;
	if (negotiate_version(raw, &l->cni_version, err) < 0 ||
	    read_bool(raw, "disableCheck", &l->disable_check, err) < 0 ||
	    read_bool(raw, "disableGC", &l->disable_gc, err) < 0 ||
	    read_bool(raw, "loadOnlyInlinedPlugins", &l->load_only_inlined, err) < 0)
		return cni_err_ret(err);
	plugins = member(raw, "plugins");
	if (!plugins) {
		if (l->load_only_inlined)
			return cni_err_set(
				err, CNI_ERR_INVALID_CONFIG,
				"error parsing configuration list: "
				"`loadOnlyInlinedPlugins` is true, and no 'plugins' key");
		*ret = TAKE_PTR(l);
		return 0;
	}
	if (!cJSON_IsArray(plugins))
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
				   "error parsing configuration list: invalid 'plugins' type %s",
				   conf_type_name(plugins, true));
	if (cJSON_GetArraySize(plugins) == 0)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
				   "error parsing configuration list: no plugins in list");
	int i = 0;
	cJSON_ArrayForEach (p, plugins) {
		cJSON *dup = cJSON_Duplicate(p, true);
		if (!dup)
			return cni_err_nomem(err);
		if (add_plugin(l, dup, err) < 0)
			return cni_err_prefix(err, "failed to parse plugin config %d", i);
		i++;
	}
	*ret = TAKE_PTR(l);
	return 0;
}

/* ---- files ---------------------------------------------------------------- */

static int strp_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Files of dir (not directories) whose extension (from the last '.') is one
 * of exts, sorted, as "dir/name" (NULL when there are none). A missing dir has none.
 */
static int conf_files(const char *dir, const char *const *exts, size_t n_exts, char ***ret,
		      size_t *ret_n, struct cni_err *err)
{
	_cleanup_strv_free_ char **v = NULL;
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	size_t n = 0;

	d = opendir(dir);
	if (!d && errno != ENOENT)
		return cni_err_errno(err, CNI_ERR_IO, errno, "open %s", dir);
	while (d && (de = readdir(d))) {
		const char *dot = strrchr(de->d_name, '.');
		_cleanup_free_ char *full = NULL;
		struct stat st;
		bool match = false;

		if (!dot)
			continue;
		for (size_t i = 0; i < n_exts; i++)
			if (strcmp(dot, exts[i]) == 0)
				match = true;
		if (!match)
			continue;
		if (asprintf(&full, "%s/%s", dir, de->d_name) < 0) {
			full = NULL;
			return cni_err_nomem(err);
		}
		if (lstat(full, &st) == 0 && S_ISDIR(st.st_mode))
			continue;
		if (strv_push(&v, full) < 0)
			return cni_err_nomem(err);
		full = NULL;
		n++;
	}
	if (n)
		qsort(v, n, sizeof(char *), strp_cmp);
	*ret = TAKE_PTR(v);
	*ret_n = n;
	return 0;
}

/* The whole file at path; "error reading <path>" (code 5) when it cannot be read. */
static int read_file(const char *path, char **ret, size_t *ret_len, struct cni_err *err)
{
	int r = fileio_read_path(path, SIZE_MAX, ret, ret_len);

	if (r == -ENOMEM)
		return cni_err_nomem(err);
	if (r < 0)
		return cni_err_errno(err, CNI_ERR_IO, -r, "error reading %s", path);
	return 0;
}

/* NetworkConfFromFile: a conflist plus plugins from <dir>/<name>/ *.conf. */
static int list_from_file(const char *path, struct cnitool_list **ret, struct cni_err *err)
{
	_cleanup_(cnitool_list_freep) struct cnitool_list *l = NULL;
	_cleanup_free_ char *data = NULL, *dir = NULL, *pdir = NULL;
	size_t len;
	int r;

	if (read_file(path, &data, &len, err) < 0 ||
	    cnitool_list_from_bytes(data, len, &l, err) < 0)
		return cni_err_ret(err);
	if (!l->load_only_inlined) {
		static const char *const ext[] = {".conf"};
		_cleanup_strv_free_ char **files = NULL;
		size_t n = 0;
		char *slash;

		dir = strdup(path);
		if (!dir)
			return cni_err_nomem(err);
		slash = strrchr(dir, '/');
		if (slash)
			*slash = '\0';
		else
			strcpy(dir, ".");
		if (asprintf(&pdir, "%s/%s", dir, l->name) < 0) {
			pdir = NULL;
			return cni_err_nomem(err);
		}
		/* An empty name makes this the conf dir itself, as filepath.Join does. */
		if (!*l->name)
			strcpy(pdir, dir);
		if (conf_files(pdir, ext, 1, &files, &n, err) < 0)
			return cni_err_prefix(err, "failed to read plugin config files in %s",
					      pdir);
		for (size_t i = 0; i < n; i++) {
			_cleanup_free_ char *pdata = NULL;
			size_t plen;
			cJSON *obj;

			r = read_file(files[i], &pdata, &plen, err);
			if (r < 0)
				return r;
			r = cni_json_parse(pdata, plen, &obj, err);
			if (r < 0)
				return cni_err_prefix(err, "error parsing configuration in %s",
						      files[i]);
			r = add_plugin(l, obj, err);
			if (r < 0)
				return r;
		}
	}
	if (l->n_plugins == 0)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG, "no plugin configs found");
	*ret = TAKE_PTR(l);
	return 0;
}

/* ConfListFromConf: wrap a single plugin config into a list. */
static int list_from_single(const char *data, size_t len, const char *path, const char *want,
			    struct cnitool_list **ret, bool *ret_match, struct cni_err *err)
{
	_cleanup_(cjson_freep) cJSON *wrap = NULL;
	_cleanup_free_ char *text = NULL;
	struct cnitool_plugin p = {0};
	cJSON *raw, *plugins;
	const cJSON *name, *ver;
	int r;

	r = cni_json_parse(data, len, &raw, err);
	if (r < 0)
		return cni_err_prefix(err, "error parsing configuration in %s", path);
	r = cnitool_plugin_from_json(raw, &p, err); /* takes raw */
	if (r < 0)
		return r;
	name = conf_get(p.conf, "name");
	ver = conf_get(p.conf, "cniVersion");
	*ret_match = strcmp(name ? name->valuestring : "", want) == 0;
	if (!*ret_match) {
		cJSON_Delete(p.conf);
		free(p.type);
		return 0;
	}
	wrap = cJSON_CreateObject();
	plugins = wrap ? cJSON_AddArrayToObject(wrap, "plugins") : NULL;
	if (!plugins || !cJSON_AddStringToObject(wrap, "name", name ? name->valuestring : "") ||
	    !cJSON_AddStringToObject(wrap, "cniVersion", ver ? ver->valuestring : "")) {
		cJSON_Delete(p.conf);
		free(p.type);
		return cni_err_nomem(err);
	}
	cJSON_AddItemToArray(plugins, p.conf);
	free(p.type);
	cni_json_sort_keys(wrap);
	text = cni_json_print(wrap, false);
	if (!text)
		return cni_err_nomem(err);
	return cnitool_list_from_bytes(text, strlen(text), ret, err);
}

int cnitool_list_load(const char *dir, const char *name, struct cnitool_list **ret,
		      struct cni_err *err)
{
	static const char *const list_ext[] = {".conflist"};
	static const char *const conf_ext[] = {".conf", ".json"};
	_cleanup_strv_free_ char **lists = NULL, **confs = NULL;
	size_t n_lists = 0, n_confs = 0;
	int r;

	r = conf_files(dir, list_ext, 1, &lists, &n_lists, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n_lists; i++) {
		_cleanup_(cnitool_list_freep) struct cnitool_list *l = NULL;

		r = list_from_file(lists[i], &l, err);
		if (r < 0)
			return r;
		if (strcmp(l->name, name) == 0) {
			*ret = TAKE_PTR(l);
			return 0;
		}
	}
	/* Deprecated: single-plugin configs, up-converted. */
	r = conf_files(dir, conf_ext, 2, &confs, &n_confs, err);
	if (r < 0)
		return r;
	if (n_confs == 0) {
		if (n_lists)
			return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
					   "no net configuration with name \"%s\" in %s", name,
					   dir);
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG, "no net configurations found in %s",
				   dir);
	}
	for (size_t i = 0; i < n_confs; i++) {
		_cleanup_free_ char *data = NULL;
		size_t len;
		bool match = false;

		if (read_file(confs[i], &data, &len, err) < 0 ||
		    list_from_single(data, len, confs[i], name, ret, &match, err) < 0)
			return cni_err_ret(err);
		if (match)
			return 0;
	}
	return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
			   "no net configuration with name \"%s\" in %s", name, dir);
}
