/* SPDX-License-Identifier: Apache-2.0 */
/* JSON printed the way Go's encoding/json prints it, and Go map key order. */
#include "cni/json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "cleanup.h"

void cni_json_buf_add(struct cni_json_buf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (array_reserve(&b->p, &b->cap, b->len + n + 1, 1) < 0) {
		b->failed = true;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_puts(struct cni_json_buf *b, const char *s)
{
	cni_json_buf_add(b, s, strlen(s));
}

static void sb_indent(struct cni_json_buf *b, int depth)
{
	cni_json_buf_add(b, "\n", 1);
	for (int i = 0; i < depth; i++)
		cni_json_buf_add(b, "    ", 4);
}

/* Length of a valid UTF-8 sequence at s, 0 if invalid. */
static size_t utf8_len(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0 && s[0] >= 0xc2 && (s[1] & 0xc0) == 0x80)
		return 2;
	if ((s[0] & 0xf0) == 0xe0 && (s[1] & 0xc0) == 0x80 && (s[2] & 0xc0) == 0x80) {
		if (s[0] == 0xe0 && s[1] < 0xa0)
			return 0;
		if (s[0] == 0xed && s[1] >= 0xa0)
			return 0;
		return 3;
	}
	if ((s[0] & 0xf8) == 0xf0 && s[0] <= 0xf4 && (s[1] & 0xc0) == 0x80 &&
	    (s[2] & 0xc0) == 0x80 && (s[3] & 0xc0) == 0x80) {
		if (s[0] == 0xf0 && s[1] < 0x90)
			return 0;
		if (s[0] == 0xf4 && s[1] >= 0x90)
			return 0;
		return 4;
	}
	return 0;
}

/* Go's short escape for c ("\\n" for a newline), or NULL when it has none. */
static const char *short_escape(unsigned char c)
{
	switch (c) {
	case '"':
		return "\\\"";
	case '\\':
		return "\\\\";
	case '\n':
		return "\\n";
	case '\r':
		return "\\r";
	case '\t':
		return "\\t";
	default:
		return NULL;
	}
}

void cni_json_buf_string(struct cni_json_buf *b, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	char esc[8];

	cni_json_buf_add(b, "\"", 1);
	while (*s) {
		const char *short_esc = short_escape(*s);
		size_t n;

		if (short_esc) {
			cni_json_buf_add(b, short_esc, 2);
			s++;
			continue;
		}
		/* HTML-sensitive characters and controls as \u00XX, as Go does. */
		if (*s < 0x20 || *s == '<' || *s == '>' || *s == '&') {
			snprintf(esc, sizeof(esc), "\\u%04x", *s);
			sb_puts(b, esc);
			s++;
			continue;
		}
		n = utf8_len(s);
		if (n == 0) {
			sb_puts(b, "\\ufffd");
			s++;
			continue;
		}
		/* U+2028 and U+2029 are escaped by Go. */
		if (n == 3 && s[0] == 0xe2 && s[1] == 0x80 && (s[2] == 0xa8 || s[2] == 0xa9)) {
			sb_puts(b, s[2] == 0xa8 ? "\\u2028" : "\\u2029");
			s += 3;
			continue;
		}
		cni_json_buf_add(b, (const char *)s, n);
		s += n;
	}
	cni_json_buf_add(b, "\"", 1);
}

static void sb_json_number(struct cni_json_buf *b, double d)
{
	char num[64];

	if (d == floor(d) && fabs(d) < 1e15)
		snprintf(num, sizeof(num), "%lld", (long long)d);
	else
		snprintf(num, sizeof(num), "%.17g", d);
	sb_puts(b, num);
}

static void sb_json(struct cni_json_buf *b, const cJSON *v, bool indent, int depth)
{
	const cJSON *c;
	bool first = true;

	if (cJSON_IsObject(v) || cJSON_IsArray(v)) {
		bool obj = cJSON_IsObject(v);
		cni_json_buf_add(b, obj ? "{" : "[", 1);
		cJSON_ArrayForEach (c, v) {
			if (!first)
				cni_json_buf_add(b, ",", 1);
			first = false;
			if (indent)
				sb_indent(b, depth + 1);
			if (obj) {
				cni_json_buf_string(b, c->string ? c->string : "");
				cni_json_buf_add(b, indent ? ": " : ":", indent ? 2 : 1);
			}
			sb_json(b, c, indent, depth + 1);
		}
		if (!first && indent)
			sb_indent(b, depth);
		cni_json_buf_add(b, obj ? "}" : "]", 1);
	} else if (cJSON_IsString(v)) {
		cni_json_buf_string(b, v->valuestring ? v->valuestring : "");
	} else if (cJSON_IsNumber(v)) {
		sb_json_number(b, v->valuedouble);
	} else if (cJSON_IsTrue(v)) {
		sb_puts(b, "true");
	} else if (cJSON_IsFalse(v)) {
		sb_puts(b, "false");
	} else {
		sb_puts(b, "null");
	}
}

char *cni_json_print(const cJSON *item, bool indent)
{
	struct cni_json_buf b = {0};

	sb_json(&b, item, indent, 0);
	if (b.failed) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

static int key_cmp(const void *x, const void *y)
{
	const cJSON *a = *(const cJSON *const *)x, *b = *(const cJSON *const *)y;

	return strcmp(a->string ? a->string : "", b->string ? b->string : "");
}

void cni_json_sort_keys(cJSON *item)
{
	cJSON *c;
	size_t n = 0, i = 0;

	if (!cJSON_IsObject(item) && !cJSON_IsArray(item))
		return;
	cJSON_ArrayForEach (c, item) {
		cni_json_sort_keys(c);
		n++;
	}
	if (!cJSON_IsObject(item) || n < 2)
		return;
	_cleanup_free_ cJSON **v = calloc(n, sizeof(*v));
	if (!v)
		return;
	cJSON_ArrayForEach (c, item)
		v[i++] = c;
	qsort(v, n, sizeof(*v), key_cmp);
	for (i = 0; i < n; i++) {
		v[i]->prev = i ? v[i - 1] : v[n - 1];
		v[i]->next = i + 1 < n ? v[i + 1] : NULL;
	}
	item->child = v[0];
}
