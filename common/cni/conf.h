/* SPDX-License-Identifier: Apache-2.0 */
/* Typed access to parsed JSON with Go encoding/json's rules, and CNI_ARGS. */
#ifndef CNI_CONF_H
#define CNI_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "err.h"
#include "ipnet.h"
#include "cni/json.h"
#include "strv.h"

struct cni_cmd_args;

/*
 * Parse a JSON document that must be an object, with Go encoding/json's
 * grammar (cni_json_parse). A syntax error or a non-object gives code 6 with
 * msg "<what>: <reason>", the reason worded as Go's ("invalid character
 * '\x00' looking for beginning of value").
 */
int conf_parse_object(const char *data, size_t len, const char *what, cJSON **ret,
		      struct cni_err *err) CNI_MUST_USE;

/*
 * True when v is a JSON string that decoded to text holding a NUL ("\u0000"):
 * cni_json_parse keeps it as its JSON text (cJSON_Raw), so cJSON_IsString is
 * false for it. The string getters refuse it with code 7 naming the key.
 */
bool conf_is_nul_string(const cJSON *v);

/*
 * The member of obj named key, matched case-insensitively; the last match
 * wins. JSON null counts as absent. NULL when absent or obj is not an object.
 */
const cJSON *conf_get(const cJSON *obj, const char *key);

/*
 * The name of v's JSON type ("string", "number", "bool", "array", "object",
 * "null"), or with go_names the Go type of the decoded value ("float64",
 * "[]interface {}", "map[string]interface {}", "<nil>"), for messages that
 * mirror Go's.
 */
const char *conf_type_name(const cJSON *v, bool go_names);

/*
 * String member; absent leaves *ret untouched. Wrong type, or a string
 * holding a NUL (which would otherwise be read cut short): code 7 naming key.
 */
int conf_string(const cJSON *obj, const char *key, const char **ret,
		struct cni_err *err) CNI_MUST_USE;

/* Like conf_string but returns a malloc'd copy in *ret (freeing the old value). */
int conf_strdup(const cJSON *obj, const char *key, char **ret, struct cni_err *err) CNI_MUST_USE;

/* Boolean member; absent leaves *ret untouched. Wrong type: code 7 naming key. */
int conf_bool(const cJSON *obj, const char *key, bool *ret, struct cni_err *err) CNI_MUST_USE;

/*
 * Integer member (a JSON number without fraction, within [min, max]);
 * absent leaves *ret untouched. Otherwise code 7 naming the key.
 */
int conf_int(const cJSON *obj, const char *key, long long min, long long max, long long *ret,
	     struct cni_err *err) CNI_MUST_USE;

/*
 * Unsigned 64-bit member as Go decodes a uint64: a JSON number without
 * fraction in [0, 2^64 - 1]; absent leaves *ret untouched. Otherwise code 7
 * naming name (the key, or the path to it for messages, e.g.
 * "runtimeConfig.bandwidth.ingressRate"): "'<name>' must be an integer, not
 * <type>" or "'<name>' must be an integer between 0 and 18446744073709551615,
 * not <value>".
 */
int conf_uint64(const cJSON *obj, const char *key, const char *name, uint64_t *ret,
		struct cni_err *err) CNI_MUST_USE;

/*
 * conf_int() into an int (min and max within int's range); *ret_present (may be
 * NULL) says whether key is there, null counting as absent.
 */
int conf_int32(const cJSON *obj, const char *key, long long min, long long max, bool *ret_present,
	       int *ret, struct cni_err *err) CNI_MUST_USE;

/*
 * Parse the plugin's config (args->stdin_data) as conf_parse_object() does,
 * what naming it in messages, and copy args->cni_version ("0.1.0" when
 * absent) into *ret_version (malloc'd).
 */
int conf_parse_stdin(const struct cni_cmd_args *args, const char *what, cJSON **ret_root,
		     char **ret_version, struct cni_err *err) CNI_MUST_USE;

/* Object member; absent sets *ret = NULL. Wrong type: code 7 naming key. */
int conf_object(const cJSON *obj, const char *key, const cJSON **ret,
		struct cni_err *err) CNI_MUST_USE;

/* Array member; absent sets *ret = NULL. Wrong type: code 7 naming key. */
int conf_array(const cJSON *obj, const char *key, const cJSON **ret,
	       struct cni_err *err) CNI_MUST_USE;

/*
 * A NULL-terminated array of malloc'd strings from a JSON string array;
 * elements that are not strings, or hold a NUL, are code 7 naming key.
 */
int conf_string_list(const cJSON *obj, const char *key, char ***ret, size_t *ret_n,
		     struct cni_err *err) CNI_MUST_USE;

/* Parse an IP member ("key" must be a string holding an address). Code 7 on failure. */
int conf_ip(const cJSON *obj, const char *key, struct ip_addr *ret, bool *ret_present,
	    struct cni_err *err) CNI_MUST_USE;

/* Parse a CIDR member. Code 7 on failure. */
int conf_ipnet(const cJSON *obj, const char *key, struct ip_net *ret, bool *ret_present,
	       struct cni_err *err) CNI_MUST_USE;

/* One (key, value) of CNI_ARGS. */
struct cni_arg {
	const char *key; /* a field name the caller knows, e.g. "IP" */
	char *value;	 /* malloc'd value, NULL when not given */
};

/*
 * Parse CNI_ARGS ("K=V;K2=V2") like Go's types.LoadArgs: every pair must
 * split into exactly two parts ("ARGS: invalid pair \"x\""); keys are matched
 * case-sensitively against fields[i].key and stored in fields[i].value;
 * unknown keys fail ("ARGS: unknown args [\"K=V\"]") unless IgnoreUnknown is
 * 1/true. Errors are code 999 like the reference's. Free values with
 * cni_args_free().
 */
int cni_args_load(const char *args, struct cni_arg *fields, size_t n,
		  struct cni_err *err) CNI_MUST_USE;

/* Free the values filled in by cni_args_load. */
void cni_args_free(struct cni_arg *fields, size_t n);

#endif
