/* SPDX-License-Identifier: Apache-2.0 */
/* JSON printed the way Go's encoding/json prints it, and Go map key order. */
#ifndef CNI_JSON_H
#define CNI_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

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

#endif
