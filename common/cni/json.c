/* SPDX-License-Identifier: Apache-2.0 */
/* JSON printed the way Go's encoding/json prints it, and Go map key order. */
#include "cni/json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "cleanup.h"
#include "hex.h"

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

/* Length of a valid UTF-8 sequence at s (n bytes available, n >= 1), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	if (s[0] < 0x80)
		return 1;
	if (n >= 2 && (s[0] & 0xe0) == 0xc0 && s[0] >= 0xc2 && (s[1] & 0xc0) == 0x80)
		return 2;
	if (n >= 3 && (s[0] & 0xf0) == 0xe0 && (s[1] & 0xc0) == 0x80 && (s[2] & 0xc0) == 0x80) {
		if (s[0] == 0xe0 && s[1] < 0xa0)
			return 0;
		if (s[0] == 0xed && s[1] >= 0xa0)
			return 0;
		return 3;
	}
	if (n >= 4 && (s[0] & 0xf8) == 0xf0 && s[0] <= 0xf4 && (s[1] & 0xc0) == 0x80 &&
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

void cni_json_buf_string_n(struct cni_json_buf *b, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str, *end = s + len;
	char esc[8];

	cni_json_buf_add(b, "\"", 1);
	while (s < end) {
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
		n = utf8_len(s, (size_t)(end - s));
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

void cni_json_buf_string(struct cni_json_buf *b, const char *str)
{
	cni_json_buf_string_n(b, str, strlen(str));
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
	} else if (cJSON_IsRaw(v) && v->valuestring) {
		/* A string holding a NUL, kept as its JSON text by cni_json_parse. */
		sb_puts(b, v->valuestring);
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

/* ---- parsing -------------------------------------------------------------- */

/* Deepest nesting of objects and arrays accepted (cJSON's own limit). */
#define JSON_MAX_DEPTH 1000

/* State of one cni_json_parse run. */
struct json_parser {
	const unsigned char *p;	  /* next byte */
	const unsigned char *end; /* end of the input */
	struct cni_json_buf str;  /* the string being decoded */
	bool has_nul;		  /* it holds a NUL */
	struct cni_err *err;	  /* where the first failure goes */
};

/* Go's quoteChar: how encoding/json names an unexpected byte ('x', '\x00', 'ï'). */
static void quote_char(unsigned char c, char *buf, size_t len)
{
	static const char short_names[] = "\a\b\t\n\v\f\r";
	static const char short_letters[] = "abtnvfr";
	const char *p;

	if (c == '\'') {
		snprintf(buf, len, "'\\''");
	} else if (c != 0 && (p = strchr(short_names, c))) {
		snprintf(buf, len, "'\\%c'", short_letters[p - short_names]);
	} else if (c < 0x20 || c == 0x7f) {
		snprintf(buf, len, "'\\x%02x'", c);
	} else if ((c >= 0x80 && c <= 0xa0) || c == 0xad) {
		/* Go quotes the byte as the rune U+00XX: these are not printable. */
		snprintf(buf, len, "'\\u%04x'", c);
	} else if (c >= 0x80) {
		snprintf(buf, len, "'%c%c'", 0xc0 | (c >> 6), 0x80 | (c & 0x3f));
	} else {
		snprintf(buf, len, "'%c'", c);
	}
}

static int syntax_error(struct json_parser *ps, const char *context)
{
	char q[16];

	if (ps->p >= ps->end)
		return cni_err_set(ps->err, CNI_ERR_DECODE, "unexpected end of JSON input");
	quote_char(*ps->p, q, sizeof(q));
	return cni_err_set(ps->err, CNI_ERR_DECODE, "invalid character %s %s", q, context);
}

static int nomem(struct json_parser *ps)
{
	return cni_err_nomem(ps->err);
}

static void skip_space(struct json_parser *ps)
{
	while (ps->p < ps->end &&
	       (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

/* The next byte is c: consume it. */
static bool accept(struct json_parser *ps, unsigned char c)
{
	if (ps->p < ps->end && *ps->p == c) {
		ps->p++;
		return true;
	}
	return false;
}

/* Four hex digits after "\u"; the syntax of all of them is checked. */
static int read_u4(struct json_parser *ps, unsigned int *ret)
{
	unsigned int v = 0;

	for (int i = 0; i < 4; i++) {
		int h = ps->p < ps->end ? hex_digit(*ps->p) : -1;
		if (h < 0)
			return syntax_error(ps, "in \\u hexadecimal character escape");
		v = v << 4 | (unsigned int)h;
		ps->p++;
	}
	*ret = v;
	return 0;
}

/* "\uXXXX" follows at p (a low surrogate candidate): its value, or -1. */
static long peek_u4(const struct json_parser *ps)
{
	const unsigned char *q = ps->p;
	long v = 0;

	if (ps->end - q < 6 || q[0] != '\\' || q[1] != 'u')
		return -1;
	for (int i = 2; i < 6; i++) {
		int h = hex_digit(q[i]);
		if (h < 0)
			return -1;
		v = v << 4 | h;
	}
	return v;
}

static void put_rune(struct cni_json_buf *b, unsigned int r)
{
	char u[4];
	size_t n;

	if (r < 0x80) {
		u[0] = (char)r;
		n = 1;
	} else if (r < 0x800) {
		u[0] = (char)(0xc0 | r >> 6);
		u[1] = (char)(0x80 | (r & 0x3f));
		n = 2;
	} else if (r < 0x10000) {
		u[0] = (char)(0xe0 | r >> 12);
		u[1] = (char)(0x80 | (r >> 6 & 0x3f));
		u[2] = (char)(0x80 | (r & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | r >> 18);
		u[1] = (char)(0x80 | (r >> 12 & 0x3f));
		u[2] = (char)(0x80 | (r >> 6 & 0x3f));
		u[3] = (char)(0x80 | (r & 0x3f));
		n = 4;
	}
	cni_json_buf_add(b, u, n);
}

/* One escape after the backslash, decoded into ps->str as Go's unquote does. */
static int parse_escape(struct json_parser *ps)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *e;
	unsigned int r = 0;

	if (ps->p >= ps->end)
		return syntax_error(ps, "");
	if (*ps->p != 'u') {
		e = *ps->p ? strchr(from, *ps->p) : NULL;
		if (!e)
			return syntax_error(ps, "in string escape code");
		cni_json_buf_add(&ps->str, &to[e - from], 1);
		ps->p++;
		return 0;
	}
	ps->p++;
	if (read_u4(ps, &r) < 0)
		return cni_err_ret(ps->err);
	if (r >= 0xd800 && r < 0xe000) {
		/* A high surrogate pairs with a following low one; anything else is U+FFFD. */
		long lo = peek_u4(ps);
		if (r < 0xdc00 && lo >= 0xdc00 && lo < 0xe000) {
			r = 0x10000 + ((r - 0xd800) << 10) + ((unsigned int)lo - 0xdc00);
			ps->p += 6;
		} else {
			r = 0xfffd;
		}
	}
	if (r == 0)
		ps->has_nul = true;
	put_rune(&ps->str, r);
	return 0;
}

/* A string after its opening quote, decoded into ps->str (bytes, NULs included). */
static int parse_string_body(struct json_parser *ps)
{
	ps->str.len = 0;
	ps->has_nul = false;
	cni_json_buf_add(&ps->str, "", 0);
	for (;;) {
		unsigned char c;
		size_t n;

		if (ps->p >= ps->end)
			return syntax_error(ps, "");
		c = *ps->p;
		if (c == '"') {
			ps->p++;
			break;
		}
		if (c == '\\') {
			ps->p++;
			if (parse_escape(ps) < 0)
				return cni_err_ret(ps->err);
			continue;
		}
		if (c < 0x20)
			return syntax_error(ps, "in string literal");
		n = utf8_len(ps->p, (size_t)(ps->end - ps->p));
		if (n == 0) {
			/* Go replaces each byte of invalid UTF-8 by U+FFFD. */
			put_rune(&ps->str, 0xfffd);
			ps->p++;
			continue;
		}
		cni_json_buf_add(&ps->str, (const char *)ps->p, n);
		ps->p += n;
	}
	if (ps->str.failed)
		return nomem(ps);
	return 0;
}

/* The decoded string as a node: a string, or its JSON text when it holds a NUL. */
static int string_node(struct json_parser *ps, cJSON **ret)
{
	struct cni_json_buf text = {0};

	if (!ps->has_nul) {
		*ret = cJSON_CreateString(ps->str.p);
		return *ret ? 0 : nomem(ps);
	}
	cni_json_buf_string_n(&text, ps->str.p, ps->str.len);
	*ret = text.failed ? NULL : cJSON_CreateRaw(text.p);
	free(text.p);
	return *ret ? 0 : nomem(ps);
}

/* An object key as a C string: holding a NUL, its escaped text without quotes. */
static int key_text(struct json_parser *ps, char **ret)
{
	struct cni_json_buf text = {0};

	if (!ps->has_nul) {
		*ret = strdup(ps->str.p);
		return *ret ? 0 : nomem(ps);
	}
	cni_json_buf_string_n(&text, ps->str.p, ps->str.len);
	if (text.failed) {
		free(text.p);
		return nomem(ps);
	}
	text.p[text.len - 1] = '\0';
	memmove(text.p, text.p + 1, text.len - 1);
	*ret = text.p;
	return 0;
}

static bool is_digit(const struct json_parser *ps)
{
	return ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9';
}

static int parse_number(struct json_parser *ps, cJSON **ret)
{
	const unsigned char *start = ps->p;
	char small[64], *text = small;
	size_t len;
	double d;

	accept(ps, '-');
	if (!is_digit(ps))
		return syntax_error(ps, "in numeric literal");
	if (!accept(ps, '0'))
		while (is_digit(ps))
			ps->p++;
	if (accept(ps, '.')) {
		if (!is_digit(ps))
			return syntax_error(ps, "after decimal point in numeric literal");
		while (is_digit(ps))
			ps->p++;
	}
	if (accept(ps, 'e') || accept(ps, 'E')) {
		if (!accept(ps, '+'))
			accept(ps, '-');
		if (!is_digit(ps))
			return syntax_error(ps, "in exponent of numeric literal");
		while (is_digit(ps))
			ps->p++;
	}
	len = (size_t)(ps->p - start);
	if (len >= sizeof(small) && !(text = malloc(len + 1)))
		return nomem(ps);
	memcpy(text, start, len);
	text[len] = '\0';
	/* Out of range is +-inf or 0 here, as cJSON gives; the getters refuse inf. */
	d = strtod(text, NULL);
	if (text != small)
		free(text);
	*ret = cJSON_CreateNumber(d);
	return *ret ? 0 : nomem(ps);
}

static int parse_literal(struct json_parser *ps, cJSON **ret)
{
	static const struct {
		const char *word; /* the literal */
		int type;	  /* its cJSON type */
	} words[] = {{"true", cJSON_True}, {"false", cJSON_False}, {"null", cJSON_NULL}};
	char context[64];

	for (size_t i = 0; i < ARRAY_SIZE(words); i++) {
		const char *w = words[i].word;
		if (*ps->p != (unsigned char)w[0])
			continue;
		ps->p++;
		for (const char *c = w + 1; *c; c++) {
			if (!accept(ps, (unsigned char)*c)) {
				snprintf(context, sizeof(context), "in literal %s (expecting '%c')",
					 w, *c);
				return syntax_error(ps, context);
			}
		}
		*ret = words[i].type == cJSON_True    ? cJSON_CreateTrue()
		       : words[i].type == cJSON_False ? cJSON_CreateFalse()
						      : cJSON_CreateNull();
		return *ret ? 0 : nomem(ps);
	}
	return syntax_error(ps, "looking for beginning of value");
}

static int parse_value(struct json_parser *ps, int depth, cJSON **ret);

static int parse_object(struct json_parser *ps, int depth, cJSON **ret)
{
	_cleanup_(cjson_freep) cJSON *obj = cJSON_CreateObject();

	if (!obj)
		return nomem(ps);
	skip_space(ps);
	if (accept(ps, '}'))
		goto done;
	for (;;) {
		_cleanup_free_ char *key = NULL;
		cJSON *item = NULL;

		if (!accept(ps, '"'))
			return syntax_error(ps, "looking for beginning of object key string");
		if (parse_string_body(ps) < 0 || key_text(ps, &key) < 0)
			return cni_err_ret(ps->err);
		skip_space(ps);
		if (!accept(ps, ':'))
			return syntax_error(ps, "after object key");
		if (parse_value(ps, depth, &item) < 0)
			return cni_err_ret(ps->err);
		if (!cJSON_AddItemToObject(obj, key, item)) {
			cJSON_Delete(item);
			return nomem(ps);
		}
		skip_space(ps);
		if (accept(ps, '}'))
			break;
		if (!accept(ps, ','))
			return syntax_error(ps, "after object key:value pair");
		skip_space(ps);
	}
done:
	*ret = TAKE_PTR(obj);
	return 0;
}

static int parse_array(struct json_parser *ps, int depth, cJSON **ret)
{
	_cleanup_(cjson_freep) cJSON *arr = cJSON_CreateArray();

	if (!arr)
		return nomem(ps);
	skip_space(ps);
	if (accept(ps, ']'))
		goto done;
	for (;;) {
		cJSON *item = NULL;

		if (parse_value(ps, depth, &item) < 0)
			return cni_err_ret(ps->err);
		if (!cJSON_AddItemToArray(arr, item)) {
			cJSON_Delete(item);
			return nomem(ps);
		}
		skip_space(ps);
		if (accept(ps, ']'))
			break;
		if (!accept(ps, ','))
			return syntax_error(ps, "after array element");
	}
done:
	*ret = TAKE_PTR(arr);
	return 0;
}

static int parse_value(struct json_parser *ps, int depth, cJSON **ret)
{
	unsigned char c;

	skip_space(ps);
	if (ps->p >= ps->end)
		return syntax_error(ps, "");
	c = *ps->p;
	if (c == '{' || c == '[') {
		if (depth >= JSON_MAX_DEPTH)
			return syntax_error(ps, "exceeded max depth");
		ps->p++;
		return c == '{' ? parse_object(ps, depth + 1, ret)
				: parse_array(ps, depth + 1, ret);
	}
	if (c == '"') {
		ps->p++;
		if (parse_string_body(ps) < 0)
			return cni_err_ret(ps->err);
		return string_node(ps, ret);
	}
	if (c == '-' || (c >= '0' && c <= '9'))
		return parse_number(ps, ret);
	return parse_literal(ps, ret);
}

int cni_json_parse(const char *data, size_t len, cJSON **ret, struct cni_err *err)
{
	struct json_parser ps = {.p = (const unsigned char *)data,
				 .end = (const unsigned char *)data + len,
				 .err = err};
	cJSON *root = NULL;
	int r;

	if (!data)
		ps.p = ps.end = (const unsigned char *)"";
	r = parse_value(&ps, 0, &root);
	free(ps.str.p);
	if (r < 0)
		return r;
	skip_space(&ps);
	if (ps.p < ps.end) {
		cJSON_Delete(root);
		return syntax_error(&ps, "after top-level value");
	}
	*ret = root;
	return 0;
}
