/* SPDX-License-Identifier: Apache-2.0 */
/* Typed JSON access with Go encoding/json's rules, and CNI_ARGS. */
#include "cni/conf.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "cni/cni.h"
#include "cni/json.h"

int conf_parse_object(const char *data, size_t len, const char *what, cJSON **ret,
		      struct cni_err *err)
{
	cJSON *root = NULL;

	if (cni_json_parse(data, len, &root, err) < 0)
		return cni_err_prefix(err, "%s", what);
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return cni_err_set(err, CNI_ERR_DECODE, "%s: expected a JSON object", what);
	}
	*ret = root;
	return 0;
}

int conf_parse_stdin(const struct cni_cmd_args *args, const char *what, cJSON **ret_root,
		     char **ret_version, struct cni_err *err)
{
	_cleanup_(cjson_freep) cJSON *root = NULL;
	char *version;
	int r;

	r = conf_parse_object(args->stdin_data, args->stdin_len, what, &root, err);
	if (r < 0)
		return r;
	version = strdup(args->cni_version ? args->cni_version : "0.1.0");
	if (!version)
		return cni_err_nomem(err);
	*ret_root = TAKE_PTR(root);
	*ret_version = version;
	return 0;
}

bool conf_is_nul_string(const cJSON *v)
{
	return cJSON_IsRaw(v);
}

/* A string that a C string cannot hold: code 7 naming the key. */
static int nul_error(const char *key, struct cni_err *err)
{
	return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
			   "invalid network config: '%s' must not contain a NUL character", key);
}

const cJSON *conf_get(const cJSON *obj, const char *key)
{
	const cJSON *found = NULL, *it;

	if (!cJSON_IsObject(obj))
		return NULL;
	cJSON_ArrayForEach (it, obj) {
		if (it->string && strcasecmp(it->string, key) == 0)
			found = it;
	}
	if (found && cJSON_IsNull(found))
		return NULL;
	return found;
}

const char *conf_type_name(const cJSON *v, bool go_names)
{
	static const struct {
		cJSON_bool (*is)(const cJSON *); /* cJSON's type predicate */
		const char *json;		 /* JSON's name of the type */
		const char *go;			 /* Go's name of the decoded value */
	} types[] = {
		{cJSON_IsBool, "bool", "bool"},
		{cJSON_IsNumber, "number", "float64"},
		{cJSON_IsString, "string", "string"},
		{cJSON_IsRaw, "string", "string"}, /* one holding a NUL (conf_is_nul_string) */
		{cJSON_IsArray, "array", "[]interface {}"},
		{cJSON_IsObject, "object", "map[string]interface {}"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(types); i++)
		if (types[i].is(v))
			return go_names ? types[i].go : types[i].json;
	return go_names ? "<nil>" : "null";
}

static int type_error(const cJSON *v, const char *key, const char *want, struct cni_err *err)
{
	return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
			   "invalid network config: '%s' must be %s, not %s", key, want,
			   conf_type_name(v, false));
}

/* A member that must pass is_type (a cJSON_Is* predicate), into *ret (NULL when absent);
 * the type error names it name and says it must be want. */
static int conf_typed(const cJSON *obj, const char *key, const char *name,
		      cJSON_bool (*is_type)(const cJSON *), const char *want, const cJSON **ret,
		      struct cni_err *err)
{
	const cJSON *v = conf_get(obj, key);

	*ret = NULL;
	if (!v)
		return 0;
	if (!is_type(v))
		return type_error(v, name, want, err);
	*ret = v;
	return 0;
}

int conf_string(const cJSON *obj, const char *key, const char **ret, struct cni_err *err)
{
	const cJSON *v;

	if (conf_is_nul_string(conf_get(obj, key)))
		return nul_error(key, err);
	if (conf_typed(obj, key, key, cJSON_IsString, "a string", &v, err) < 0)
		return cni_err_ret(err);
	if (v)
		*ret = v->valuestring;
	return 0;
}

int conf_strdup(const cJSON *obj, const char *key, char **ret, struct cni_err *err)
{
	const char *s = NULL;
	char *copy;

	if (conf_string(obj, key, &s, err) < 0)
		return cni_err_ret(err);
	if (!s)
		return 0;
	copy = strdup(s);
	if (!copy)
		return cni_err_nomem(err);
	free(*ret);
	*ret = copy;
	return 0;
}

int conf_bool(const cJSON *obj, const char *key, bool *ret, struct cni_err *err)
{
	const cJSON *v;

	if (conf_typed(obj, key, key, cJSON_IsBool, "a boolean", &v, err) < 0)
		return cni_err_ret(err);
	if (v)
		*ret = cJSON_IsTrue(v);
	return 0;
}

/* A member that must be a JSON number, into *ret: 1, or 0 when absent; name says what the
 * type error calls it. */
static int number_member(const cJSON *obj, const char *key, const char *name, double *ret,
			 struct cni_err *err)
{
	const cJSON *v;

	if (conf_typed(obj, key, name, cJSON_IsNumber, "an integer", &v, err) < 0)
		return cni_err_ret(err);
	if (!v)
		return 0;
	*ret = v->valuedouble;
	return 1;
}

int conf_uint64(const cJSON *obj, const char *key, const char *name, uint64_t *ret,
		struct cni_err *err)
{
	double d = 0;
	int r = number_member(obj, key, name, &d, err);

	if (r <= 0)
		return r;
	if (!isfinite(d) || d != floor(d) || d < 0 || d >= 18446744073709551616.0)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
				   "invalid network config: '%s' must be an integer between 0 and "
				   "18446744073709551615, not %.17g",
				   name, d);
	*ret = (uint64_t)d;
	return 0;
}

int conf_int(const cJSON *obj, const char *key, long long min, long long max, long long *ret,
	     struct cni_err *err)
{
	double d = 0;
	int r = number_member(obj, key, key, &d, err);

	if (r <= 0)
		return r;
	if (!isfinite(d) || d != floor(d) || d < -9.2e18 || d > 9.2e18)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
				   "invalid network config: '%s' must be an integer", key);
	if ((long long)d < min || (long long)d > max)
		return cni_err_set(
			err, CNI_ERR_INVALID_CONFIG,
			"invalid network config: '%s' is %lld, must be between %lld and %lld", key,
			(long long)d, min, max);
	*ret = (long long)d;
	return 0;
}

int conf_int32(const cJSON *obj, const char *key, long long min, long long max, bool *ret_present,
	       int *ret, struct cni_err *err)
{
	long long v = *ret;

	if (ret_present)
		*ret_present = conf_get(obj, key) != NULL;
	if (conf_int(obj, key, min, max, &v, err) < 0)
		return cni_err_ret(err);
	*ret = (int)v;
	return 0;
}

int conf_object(const cJSON *obj, const char *key, const cJSON **ret, struct cni_err *err)
{
	return conf_typed(obj, key, key, cJSON_IsObject, "an object", ret, err);
}

int conf_array(const cJSON *obj, const char *key, const cJSON **ret, struct cni_err *err)
{
	return conf_typed(obj, key, key, cJSON_IsArray, "an array", ret, err);
}

int conf_string_list(const cJSON *obj, const char *key, char ***ret, size_t *ret_n,
		     struct cni_err *err)
{
	const cJSON *arr, *it;
	char **v;
	size_t n = 0;

	if (conf_array(obj, key, &arr, err) < 0)
		return cni_err_ret(err);
	if (!arr) {
		*ret = NULL;
		if (ret_n)
			*ret_n = 0;
		return 0;
	}
	v = calloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof(*v));
	if (!v)
		return cni_err_nomem(err);
	cJSON_ArrayForEach (it, arr) {
		if (conf_is_nul_string(it)) {
			strv_free(v);
			return nul_error(key, err);
		}
		if (!cJSON_IsString(it)) {
			strv_free(v);
			return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
					   "invalid network config: '%s' must be a list of strings",
					   key);
		}
		v[n] = strdup(it->valuestring);
		if (!v[n]) {
			strv_free(v);
			return cni_err_nomem(err);
		}
		n++;
	}
	*ret = v;
	if (ret_n)
		*ret_n = n;
	return 0;
}

static int parse_ip(const char *s, void *ret)
{
	return ip_parse(s, ret);
}

static int parse_ipnet(const char *s, void *ret)
{
	return ipnet_parse(s, ret);
}

/* An address member: parse() fills *ret; what names the kind in the error ("IP address"). */
static int conf_address(const cJSON *obj, const char *key, int (*parse)(const char *, void *),
			const char *what, void *ret, bool *ret_present, struct cni_err *err)
{
	const char *s = NULL;
	int r = conf_string(obj, key, &s, err);

	if (r < 0)
		return r;
	if (ret_present)
		*ret_present = s != NULL;
	if (!s || parse(s, ret) == 0)
		return 0;
	return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
			   "invalid network config: '%s': invalid %s '%s'", key, what, s);
}

int conf_ip(const cJSON *obj, const char *key, struct ip_addr *ret, bool *ret_present,
	    struct cni_err *err)
{
	return conf_address(obj, key, parse_ip, "IP address", ret, ret_present, err);
}

int conf_ipnet(const cJSON *obj, const char *key, struct ip_net *ret, bool *ret_present,
	       struct cni_err *err)
{
	return conf_address(obj, key, parse_ipnet, "CIDR address", ret, ret_present, err);
}

/* ---- CNI_ARGS ------------------------------------------------------------- */

void cni_args_free(struct cni_arg *fields, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(fields[i].value);
		fields[i].value = NULL;
	}
}

/* Go's UnmarshallableBool: "1"/"true" and "0"/"false", case-insensitive. */
static int parse_go_bool(const char *s, bool *ret)
{
	if (strcasecmp(s, "1") == 0 || strcasecmp(s, "true") == 0)
		*ret = true;
	else if (strcasecmp(s, "0") == 0 || strcasecmp(s, "false") == 0)
		*ret = false;
	else
		return -1;
	return 0;
}

static void append_quoted(struct cni_json_buf *b, const char *s, size_t n)
{
	_cleanup_free_ char *tmp = strndup(s, n);

	if (!tmp) {
		b->failed = true;
		return;
	}
	cni_json_buf_string(b, tmp);
}

int cni_args_load(const char *args, struct cni_arg *fields, size_t n, struct cni_err *err)
{
	struct cni_json_buf unknown = {0};
	bool ignore_unknown = false;
	const char *p = args;

	if (!args || !*args)
		return 0;
	for (;;) {
		const char *end = strchr(p, ';');
		size_t plen = end ? (size_t)(end - p) : strlen(p);
		const char *eq = memchr(p, '=', plen);
		size_t klen;
		bool known = false;

		/* Exactly two parts: one '=' in the pair. */
		if (!eq || memchr(eq + 1, '=', plen - (size_t)(eq + 1 - p))) {
			struct cni_json_buf q = {0};
			append_quoted(&q, p, plen);
			cni_err_set(err, CNI_ERR_INTERNAL, "ARGS: invalid pair %s", q.p ? q.p : "");
			free(q.p);
			free(unknown.p);
			cni_args_free(fields, n);
			return cni_err_ret(err);
		}
		klen = (size_t)(eq - p);
		if (klen == strlen("IgnoreUnknown") && strncmp(p, "IgnoreUnknown", klen) == 0) {
			_cleanup_free_ char *v = strndup(eq + 1, plen - klen - 1);
			if (!v || parse_go_bool(v, &ignore_unknown) < 0) {
				cni_err_set(err, CNI_ERR_INTERNAL,
					    "ARGS: error parsing value of pair \"%.*s\": boolean "
					    "unmarshal error: invalid input %s",
					    (int)plen, p, v ? v : "");
				free(unknown.p);
				cni_args_free(fields, n);
				return cni_err_ret(err);
			}
			known = true;
		}
		for (size_t i = 0; i < n && !known; i++) {
			if (strlen(fields[i].key) == klen && strncmp(fields[i].key, p, klen) == 0) {
				free(fields[i].value);
				fields[i].value = strndup(eq + 1, plen - klen - 1);
				known = true;
			}
		}
		if (!known) {
			cni_json_buf_add(&unknown, unknown.len ? " " : "[", 1);
			append_quoted(&unknown, p, plen);
		}
		if (!end)
			break;
		p = end + 1;
	}
	if (unknown.len && !ignore_unknown) {
		cni_json_buf_add(&unknown, "]", 1);
		cni_err_set(err, CNI_ERR_INTERNAL, "ARGS: unknown args %s",
			    unknown.p ? unknown.p : "");
		free(unknown.p);
		cni_args_free(fields, n);
		return cni_err_ret(err);
	}
	free(unknown.p);
	return 0;
}
