/* SPDX-License-Identifier: Apache-2.0 */
/* Chaining a list's plugins like libcni (libcni/api.go): ADD, CHECK, DEL, STATUS, GC. */
#include "cnitool/runtime.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cnitool/cache.h"
#include "cleanup.h"
#include "cni/cni.h"
#include "cni/conf.h"
#include "cni/delegate.h"
#include "cni/result.h"

/* ---- request config ---------------------------------------------------------- */

/* Insert item under key into an object whose keys are sorted, keeping them sorted. */
static void insert_sorted(cJSON *obj, const char *key, cJSON *item)
{
	cJSON *c, *after = NULL;

	if (!item)
		return;
	cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
	if (!(item->type & cJSON_StringIsConst))
		free(item->string);
	item->string = strdup(key);
	item->type &= ~cJSON_StringIsConst;
	if (!item->string) {
		cJSON_Delete(item);
		return;
	}
	cJSON_ArrayForEach (c, obj) {
		if (c->string && strcmp(c->string, key) > 0) {
			after = c;
			break;
		}
	}
	if (!after) {
		cJSON_AddItemToObject(obj, key, item); /* appends; item->string is replaced */
		return;
	}
	/* Link item in before `after` (child->prev is the last element in cJSON). */
	item->next = after;
	item->prev = after->prev;
	if (after == obj->child) {
		obj->child = item;
	} else {
		item->prev->next = item;
	}
	after->prev = item;
}

int cnitool_request_config(const struct cnitool_list *l, const struct cnitool_plugin *p,
			   const cJSON *prev, const struct cnitool_rt *rt, const cJSON *extra,
			   char **ret, struct cni_err *err)
{
	_cleanup_(cjson_freep) cJSON *c = cJSON_Duplicate(p->conf, true);
	_cleanup_(cjson_freep) cJSON *rc = NULL;
	const cJSON *caps, *e;

	if (!c)
		return cni_err_nomem(err);
	/* Go decodes the object into a map and marshals it back: sorted keys everywhere. */
	cnitool_json_dedupe_sort(c);
	insert_sorted(c, "name", cJSON_CreateString(l->name));
	insert_sorted(c, "cniVersion", cJSON_CreateString(l->cni_version));
	if (extra)
		cJSON_ArrayForEach (e, extra)
			insert_sorted(c, e->string, cJSON_Duplicate(e, true));
	if (rt && rt->cap_args) {
		rc = cJSON_CreateObject();
		if (!rc)
			return cni_err_nomem(err);
		caps = conf_get(c, "capabilities");
		cJSON_ArrayForEach (e, caps) {
			const cJSON *v;
			if (!cJSON_IsTrue(e) || !e->string)
				continue;
			v = cJSON_GetObjectItemCaseSensitive(rt->cap_args, e->string);
			if (v)
				cJSON_AddItemToObject(rc, e->string, cJSON_Duplicate(v, true));
		}
	}
	if (prev)
		insert_sorted(c, "prevResult", cJSON_Duplicate(prev, true));
	if (rc && rc->child) {
		/* A second InjectConf round-trips everything (prevResult too) through a map. */
		insert_sorted(c, "runtimeConfig", TAKE_PTR(rc));
		cni_json_sort_keys(c);
	}
	*ret = cni_json_print(c, false);
	return *ret ? 0 : cni_err_nomem(err);
}

/* ---- CNI_ARGS ------------------------------------------------------------------- */

char *cnitool_args_string(const cJSON *pairs)
{
	size_t cap = 1;
	char *s;
	const cJSON *p;

	cJSON_ArrayForEach (p, pairs) {
		const cJSON *k = cJSON_GetArrayItem(p, 0), *v = cJSON_GetArrayItem(p, 1);
		cap += (cJSON_IsString(k) ? strlen(k->valuestring) : 0) +
		       (cJSON_IsString(v) ? strlen(v->valuestring) : 0) + 2;
	}
	s = calloc(1, cap);
	if (!s)
		return NULL;
	cJSON_ArrayForEach (p, pairs) {
		const cJSON *k = cJSON_GetArrayItem(p, 0), *v = cJSON_GetArrayItem(p, 1);
		if (*s)
			strcat(s, ";");
		strcat(s, cJSON_IsString(k) ? k->valuestring : "");
		strcat(s, "=");
		strcat(s, cJSON_IsString(v) ? v->valuestring : "");
	}
	return s;
}

int cnitool_args_parse(const char *s, cJSON **ret, struct cni_err *err)
{
	_cleanup_(cjson_freep) cJSON *a = cJSON_CreateArray();
	_cleanup_free_ char *copy = strdup(s);
	char *pair = copy, *next;

	if (!a || !copy)
		return cni_err_nomem(err);
	for (; pair; pair = next) {
		char *eq;
		cJSON *kv;

		next = strchr(pair, ';');
		if (next)
			*next++ = '\0';
		eq = strchr(pair, '=');
		if (!eq || eq == pair || !eq[1] || strchr(eq + 1, '='))
			return cni_err_set(err, CNI_ERR_INVALID_ENV, "invalid CNI_ARGS pair \"%s\"",
					   pair);
		*eq = '\0';
		kv = cJSON_CreateArray();
		if (!kv)
			return cni_err_nomem(err);
		cJSON_AddItemToArray(kv, cJSON_CreateString(pair));
		cJSON_AddItemToArray(kv, cJSON_CreateString(eq + 1));
		cJSON_AddItemToArray(a, kv);
	}
	*ret = TAKE_PTR(a);
	return 0;
}

/* ---- executing one plugin --------------------------------------------------------- */

static void set_where(struct cnitool_ctx *ctx, const char *fmt, ...) CNI_PRINTF(2, 3);
static void set_where(struct cnitool_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ctx->where, sizeof(ctx->where), fmt, ap);
	va_end(ap);
}

/* libcni pluginDescription: type="x" plus name="y" when the plugin object has a name. */
static void describe(const struct cnitool_plugin *p, char *buf, size_t n)
{
	const cJSON *name = conf_get(p->conf, "name");

	if (cJSON_IsString(name) && *name->valuestring)
		snprintf(buf, n, "type=\"%s\" name=\"%s\"", p->type, name->valuestring);
	else
		snprintf(buf, n, "type=\"%s\"", p->type);
}

/* Run one plugin: delegate_exec() gives it the CNI_* environment of libcni's invoke.Args
 * from a. */
static int exec_plugin(const struct cnitool_ctx *ctx, const struct cnitool_plugin *p,
		       const char *command, const struct cnitool_rt *rt, const char *conf,
		       char **ret_out, struct cni_err *err)
{
	_cleanup_free_ char *args = NULL;
	struct cni_cmd_args a = {0};

	args = rt && rt->cni_args ? cnitool_args_string(rt->cni_args) : strdup("");
	if (!args)
		return cni_err_nomem(err);
	a.command = command;
	a.container_id = rt ? rt->container_id : "";
	a.netns = rt ? rt->netns : "";
	a.ifname = rt ? rt->ifname : "";
	a.args = args;
	a.path = ctx->cni_path;
	a.netns_override = "";
	return delegate_exec(p->type, command, &a, conf, strlen(conf), ret_out, err);
}

/* Build plugin p's request config (see cnitool_request_config) and run command on it. */
static int run_plugin(const struct cnitool_ctx *ctx, const struct cnitool_list *l,
		      const struct cnitool_plugin *p, const char *command, const cJSON *prev,
		      const struct cnitool_rt *rt, const cJSON *extra, char **ret_out,
		      struct cni_err *err)
{
	_cleanup_free_ char *conf = NULL;
	int r;

	r = cnitool_request_config(l, p, prev, rt, extra, &conf, err);
	if (r < 0)
		return r;
	return exec_plugin(ctx, p, command, rt, conf, ret_out, err);
}

/* Run command on every plugin of the list in order, stopping at the first failure. */
static int run_each(const struct cnitool_ctx *ctx, const struct cnitool_list *l,
		    const char *command, const cJSON *prev, const struct cnitool_rt *rt,
		    struct cni_err *err)
{
	for (size_t i = 0; i < l->n_plugins; i++) {
		int r = run_plugin(ctx, l, &l->plugins[i], command, prev, rt, NULL, NULL, err);

		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- ADD --------------------------------------------------------------------------- */

static const char *conf_version(const struct cnitool_list *l)
{
	return *l->cni_version ? l->cni_version : "0.1.0";
}

static int add_one(struct cnitool_ctx *ctx, const struct cnitool_list *l,
		   const struct cnitool_plugin *p, const struct cni_result *prev,
		   const struct cnitool_rt *rt, struct cni_result **ret, struct cni_err *err)
{
	_cleanup_(cjson_freep) cJSON *prev_json = NULL;
	_cleanup_free_ char *out = NULL, *exe = NULL;

	if (delegate_find(p->type, ctx->cni_path, &exe, err) < 0 ||
	    cni_validate_container_id(rt->container_id, err) < 0 ||
	    cni_validate_network_name(l->name, err) < 0 ||
	    cni_validate_ifname(rt->ifname, err) < 0 ||
	    (prev && cni_result_to_json(prev, prev->cni_version, &prev_json, err) < 0) ||
	    run_plugin(ctx, l, p, "ADD", prev_json, rt, NULL, &out, err) < 0)
		return cni_err_ret(err);
	/* A result without cniVersion is taken to be in the config's version. */
	return cni_result_parse_text(out, conf_version(l), ret, err);
}

int cnitool_add(struct cnitool_ctx *ctx, const struct cnitool_list *l, const struct cnitool_rt *rt,
		char **ret_out, struct cni_err *err)
{
	_cleanup_(cni_result_freep) struct cni_result *result = NULL;
	_cleanup_(cjson_freep) cJSON *rjson = NULL;
	struct cnitool_cache_entry e = {0};
	char desc[256];
	int r;

	ctx->where[0] = '\0';
	for (size_t i = 0; i < l->n_plugins; i++) {
		struct cni_result *next = NULL;

		r = add_one(ctx, l, &l->plugins[i], result, rt, &next, err);
		if (r < 0) {
			describe(&l->plugins[i], desc, sizeof(desc));
			set_where(ctx, "plugin %s failed (add)", desc);
			return r;
		}
		cni_result_free(result);
		result = next;
	}
	r = cni_result_to_json(result, result->cni_version, &rjson, err);
	if (r < 0)
		return r;
	e.container_id = (char *)rt->container_id;
	e.ifname = (char *)rt->ifname;
	e.network = l->name;
	e.netns = (char *)rt->netns;
	e.config = l->bytes;
	e.config_len = l->len;
	e.cni_args = (cJSON *)rt->cni_args;
	e.capability_args = (cJSON *)rt->cap_args;
	e.result = rjson;
	r = cnitool_cache_write(ctx->cache_dir, &e, err);
	if (r < 0) {
		set_where(ctx, "failed to set network \"%s\" cached result", l->name);
		return r;
	}
	return cni_result_print(result, result->cni_version, ret_out, err);
}

/* ---- CHECK -------------------------------------------------------------------------- */

int cnitool_check(struct cnitool_ctx *ctx, const struct cnitool_list *l,
		  const struct cnitool_rt *rt, struct cni_err *err)
{
	_cleanup_(cjson_freep) cJSON *cached = NULL;
	int c, r;

	ctx->where[0] = '\0';
	r = cnitool_version_cmp(l->cni_version, "0.4.0", &c, err);
	if (r < 0)
		return r;
	if (c < 0)
		return cni_err_set(
			err, CNI_ERR_INCOMPATIBLE_VERSION,
			"configuration version \"%s\" does not support the CHECK command",
			l->cni_version);
	if (l->disable_check)
		return 0;
	r = cnitool_cache_result(ctx->cache_dir, l->name, rt->container_id, rt->ifname,
				 l->cni_version, &cached, err);
	if (r < 0) {
		set_where(ctx, "failed to get network \"%s\" cached result", l->name);
		return r;
	}
	return run_each(ctx, l, "CHECK", cached, rt, err);
}

/* ---- DEL ------------------------------------------------------------------------------ */

int cnitool_del(struct cnitool_ctx *ctx, const struct cnitool_list *l, const struct cnitool_rt *rt,
		struct cni_err *err)
{
	_cleanup_(cjson_freep) cJSON *cached = NULL;
	char desc[256];
	int c, r;

	ctx->where[0] = '\0';
	r = cnitool_version_cmp(l->cni_version, "0.4.0", &c, err);
	if (r < 0)
		return r;
	if (c >= 0) {
		struct cni_err ignored = {0};
		if (cnitool_cache_result(ctx->cache_dir, l->name, rt->container_id, rt->ifname,
					 l->cni_version, &cached, &ignored) < 0) {
			/* An unusable cache entry is dropped; DEL goes on without prevResult. */
			cnitool_cache_del(ctx->cache_dir, l->name, rt->container_id, rt->ifname);
			cached = NULL;
		}
	}
	for (size_t i = l->n_plugins; i-- > 0;) {
		r = run_plugin(ctx, l, &l->plugins[i], "DEL", cached, rt, NULL, NULL, err);
		if (r < 0) {
			describe(&l->plugins[i], desc, sizeof(desc));
			set_where(ctx, "plugin %s failed (delete)", desc);
			return r;
		}
	}
	cnitool_cache_del(ctx->cache_dir, l->name, rt->container_id, rt->ifname);
	return 0;
}

/* ---- STATUS ----------------------------------------------------------------------------- */

int cnitool_status(struct cnitool_ctx *ctx, const struct cnitool_list *l, struct cni_err *err)
{
	ctx->where[0] = '\0';
	if (!cnitool_version_at_least(l->cni_version, "1.1.0"))
		return 0;
	return run_each(ctx, l, "STATUS", NULL, NULL, err);
}

/* ---- GC ------------------------------------------------------------------------------------ */

static bool attachment_valid(const cJSON *valid, const char *cid, const char *ifname)
{
	const cJSON *a;

	cJSON_ArrayForEach (a, valid) {
		const cJSON *c = conf_get(a, "containerID"), *i = conf_get(a, "ifname");
		if (cJSON_IsString(c) && cJSON_IsString(i) && strcmp(c->valuestring, cid) == 0 &&
		    strcmp(i->valuestring, ifname) == 0)
			return true;
	}
	return false;
}

/* Collected GC errors, joined by newlines like errors.Join. */
struct errs {
	int code;		    /* code of the first error */
	char text[CNI_ERR_MSG_MAX]; /* the joined messages */
};

static void errs_add(struct errs *es, const char *where, const struct cni_err *err)
{
	size_t l = strlen(es->text);

	if (!es->code)
		es->code = err->code ? err->code : CNI_ERR_INTERNAL;
	snprintf(es->text + l, sizeof(es->text) - l, "%s%s%s%s%s%s", l ? "\n" : "", where,
		 *where ? ": " : "", err->msg, err->details[0] ? "; " : "", err->details);
}

int cnitool_gc(struct cnitool_ctx *ctx, const struct cnitool_list *l, const cJSON *valid,
	       struct cni_err *err)
{
	struct cnitool_cache_entry *entries = NULL;
	struct errs es = {0};
	size_t n = 0;
	int r;

	ctx->where[0] = '\0';
	if (l->disable_gc)
		return 0;
	r = cnitool_cache_list(ctx->cache_dir, &entries, &n, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		struct cnitool_cache_entry *e = &entries[i];
		struct cnitool_rt rt = {
			.container_id = e->container_id,
			.netns = e->netns,
			.ifname = e->ifname,
			.cni_args = e->cni_args,
			.cap_args = e->capability_args,
		};
		struct cni_err derr = {0};
		char where[sizeof(ctx->where) + 256];

		if (strcmp(e->network, l->name) != 0 ||
		    attachment_valid(valid, e->container_id, e->ifname))
			continue;
		if (cnitool_del(ctx, l, &rt, &derr) < 0) {
			snprintf(where, sizeof(where),
				 "failed to delete stale attachment %s %s%s%s", e->container_id,
				 e->ifname, ctx->where[0] ? ": " : "", ctx->where);
			errs_add(&es, where, &derr);
		}
	}
	cnitool_cache_list_free(entries, n);
	ctx->where[0] = '\0';

	if (cnitool_version_at_least(l->cni_version, "1.1.0")) {
		_cleanup_(cjson_freep) cJSON *extra = cJSON_CreateObject();
		cJSON *va = valid ? cJSON_Duplicate(valid, true) : cJSON_CreateArray();

		if (!extra || !va) {
			cJSON_Delete(va);
			return cni_err_nomem(err);
		}
		cJSON_AddItemToObject(extra, "cni.dev/valid-attachments", va);
		/* cni#1101: the spec first named it "cni.dev/attachments"; libcni sends both. */
		cJSON_AddItemToObject(extra, "cni.dev/attachments", cJSON_Duplicate(va, true));
		for (size_t i = 0; i < l->n_plugins; i++) {
			struct cni_err gerr = {0};
			char where[128];

			if (run_plugin(ctx, l, &l->plugins[i], "GC", NULL, NULL, extra, NULL,
				       &gerr) < 0) {
				snprintf(where, sizeof(where), "failed to GC plugin %s",
					 l->plugins[i].type);
				errs_add(&es, where, &gerr);
			}
		}
	}
	if (es.code)
		return cni_err_set(err, es.code, "%s", es.text);
	return 0;
}
