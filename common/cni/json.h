/* SPDX-License-Identifier: Apache-2.0 */
/* JSON printed the way Go's encoding/json prints it, and Go map key order. */
#ifndef CNI_JSON_H
#define CNI_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

#include "err.h"

/* Free a cJSON tree; for _cleanup_(cjson_freep). */
static inline void cjson_freep(cJSON **p)
{
	if (*p)
		cJSON_Delete(*p);
}

/*
 * Parse data[0..len) with Go encoding/json's grammar into a cJSON tree:
 * whitespace is space, tab, CR and LF only (no BOM, no other control
 * characters, no NUL before or after the value); strings hold no raw control
 * characters; numbers follow the JSON grammar (no "01", "+1", ".5", "1.");
 * invalid UTF-8 and lone surrogates decode to U+FFFD as Go decodes them.
 * A string value that decodes to text holding a NUL (from "\u0000"), which
 * a C string cannot carry, is kept as its JSON text (a cJSON_Raw node, with
 * the quotes), so no reader ever sees it truncated: cJSON_IsString is false
 * for it, conf getters refuse it naming the key, cni_json_print prints it
 * unchanged. An object key holding a NUL keeps its JSON-escaped text
 * ("a\u0000b"), which no lookup matches. Nesting deeper than 1000 is
 * refused. Errors are code 6 with Go's message ("invalid character 'x'
 * looking for beginning of value", "unexpected end of JSON input"); -ENOMEM
 * when out of memory.
 */
int cni_json_parse(const char *data, size_t len, cJSON **ret, struct cni_err *err) CNI_MUST_USE;

/*
 * Print a JSON tree the way Go's json.MarshalIndent(v, "", "    ") does:
 * 4-space indent, "key": value, [] and {} for empty containers, <, > and &
 * escaped as \u003c \u003e \u0026. With indent=false, compact like
 * json.Marshal. Returns a malloc'd string or NULL on allocation failure.
 */
char *cni_json_print(const cJSON *item, bool indent);

/* Sort every object's keys alphabetically, recursively (Go map marshalling). */
void cni_json_sort_keys(cJSON *item);

/* A growable text buffer for building JSON (and messages quoting it). */
struct cni_json_buf {
	char *p;     /* text, NUL-terminated; malloc'd, the caller frees it */
	size_t len;  /* bytes used */
	size_t cap;  /* bytes allocated */
	bool failed; /* an allocation failed: p is incomplete */
};

/* Append n bytes of s. */
void cni_json_buf_add(struct cni_json_buf *b, const char *s, size_t n);

/* Append str as a JSON string literal with Go's escaping. */
void cni_json_buf_string(struct cni_json_buf *b, const char *str);

/* Append the n bytes of s (NULs included) as a JSON string literal with Go's escaping. */
void cni_json_buf_string_n(struct cni_json_buf *b, const char *s, size_t n);

#endif
