/* Typed JSON access with Go encoding/json's rules, Go-style printing, CNI_ARGS. */
#include "conf.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"

int conf_parse_object(const char *data, size_t len, const char *what, cJSON **ret,
		      struct cni_err *err)
{
	const char *end = NULL;
	cJSON *root;

	if (!data || len == 0)
		return cni_err_set(err, CNI_ERR_DECODE, "%s: unexpected end of JSON input", what);
	root = cJSON_ParseWithLengthOpts(data, len, &end, false);
	if (!root) {
		const char *pos = cJSON_GetErrorPtr();
		long off = pos && pos >= data && pos <= data + len ? (long)(pos - data) : -1;
		return cni_err_set(err, CNI_ERR_DECODE, "%s: invalid JSON near offset %ld", what,
				   off);
	}
	/* Like Go, allow trailing whitespace only. */
	for (; end && end < data + len; end++) {
		if (*end != ' ' && *end != '\t' && *end != '\n' && *end != '\r' && *end != '\0') {
			cJSON_Delete(root);
			return cni_err_set(err, CNI_ERR_DECODE,
					   "%s: invalid character after top-level value", what);
		}
	}
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return cni_err_set(err, CNI_ERR_DECODE, "%s: expected a JSON object", what);
	}
	*ret = root;
	return 0;
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

static const char *json_type_name(const cJSON *v)
{
	if (cJSON_IsBool(v))
		return "bool";
	if (cJSON_IsNumber(v))
		return "number";
	if (cJSON_IsString(v))
		return "string";
	if (cJSON_IsArray(v))
		return "array";
	if (cJSON_IsObject(v))
		return "object";
	return "null";
}

static int type_error(const cJSON *v, const char *key, const char *want, struct cni_err *err)
{
	return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
			   "invalid network config: '%s' must be %s, not %s", key, want,
			   json_type_name(v));
}

int conf_string(const cJSON *obj, const char *key, const char **ret, struct cni_err *err)
{
	const cJSON *v = conf_get(obj, key);

	if (!v)
		return 0;
	if (!cJSON_IsString(v))
		return type_error(v, key, "a string", err);
	*ret = v->valuestring;
	return 0;
}

int conf_strdup(const cJSON *obj, const char *key, char **ret, struct cni_err *err)
{
	const char *s = NULL;
	char *copy;

	if (conf_string(obj, key, &s, err) < 0)
		return -1;
	if (!s)
		return 0;
	copy = strdup(s);
	if (!copy)
		return cni_err_set(err, CNI_ERR_INTERNAL, "out of memory");
	free(*ret);
	*ret = copy;
	return 0;
}

int conf_bool(const cJSON *obj, const char *key, bool *ret, struct cni_err *err)
{
	const cJSON *v = conf_get(obj, key);

	if (!v)
		return 0;
	if (!cJSON_IsBool(v))
		return type_error(v, key, "a boolean", err);
	*ret = cJSON_IsTrue(v);
	return 0;
}

int conf_int(const cJSON *obj, const char *key, long long min, long long max, long long *ret,
	     struct cni_err *err)
{
	const cJSON *v = conf_get(obj, key);
	double d;

	if (!v)
		return 0;
	if (!cJSON_IsNumber(v))
		return type_error(v, key, "an integer", err);
	d = v->valuedouble;
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

int conf_object(const cJSON *obj, const char *key, const cJSON **ret, struct cni_err *err)
{
	const cJSON *v = conf_get(obj, key);

	*ret = NULL;
	if (!v)
		return 0;
	if (!cJSON_IsObject(v))
		return type_error(v, key, "an object", err);
	*ret = v;
	return 0;
}

int conf_array(const cJSON *obj, const char *key, const cJSON **ret, struct cni_err *err)
{
	const cJSON *v = conf_get(obj, key);

	*ret = NULL;
	if (!v)
		return 0;
	if (!cJSON_IsArray(v))
		return type_error(v, key, "an array", err);
	*ret = v;
	return 0;
}

void strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

int conf_string_list(const cJSON *obj, const char *key, char ***ret, size_t *ret_n,
		     struct cni_err *err)
{
	const cJSON *arr, *it;
	char **v;
	size_t n = 0;

	if (conf_array(obj, key, &arr, err) < 0)
		return -1;
	if (!arr) {
		*ret = NULL;
		if (ret_n)
			*ret_n = 0;
		return 0;
	}
	v = calloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof(*v));
	if (!v)
		return cni_err_set(err, CNI_ERR_INTERNAL, "out of memory");
	cJSON_ArrayForEach (it, arr) {
		if (!cJSON_IsString(it)) {
			strv_free(v);
			return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
					   "invalid network config: '%s' must be a list of strings",
					   key);
		}
		v[n] = strdup(it->valuestring);
		if (!v[n]) {
			strv_free(v);
			return cni_err_set(err, CNI_ERR_INTERNAL, "out of memory");
		}
		n++;
	}
	*ret = v;
	if (ret_n)
		*ret_n = n;
	return 0;
}

int conf_ip(const cJSON *obj, const char *key, struct ip_addr *ret, bool *ret_present,
	    struct cni_err *err)
{
	const char *s = NULL;

	if (conf_string(obj, key, &s, err) < 0)
		return -1;
	if (ret_present)
		*ret_present = s != NULL;
	if (!s)
		return 0;
	if (ip_parse(s, ret) < 0)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
				   "invalid network config: '%s': invalid IP address '%s'", key, s);
	return 0;
}

int conf_ipnet(const cJSON *obj, const char *key, struct ip_net *ret, bool *ret_present,
	       struct cni_err *err)
{
	const char *s = NULL;

	if (conf_string(obj, key, &s, err) < 0)
		return -1;
	if (ret_present)
		*ret_present = s != NULL;
	if (!s)
		return 0;
	if (ipnet_parse(s, ret) < 0)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
				   "invalid network config: '%s': invalid CIDR address '%s'", key,
				   s);
	return 0;
}

/* ---- Go-style printing ---------------------------------------------------- */

/* A growable text buffer. */
struct sbuf {
	char *p;     /* text, NUL-terminated */
	size_t len;  /* bytes used */
	size_t cap;  /* bytes allocated */
	bool failed; /* an allocation failed */
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *np;
		while (cap < b->len + n + 1)
			cap *= 2;
		np = realloc(b->p, cap);
		if (!np) {
			b->failed = true;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_puts(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void sb_indent(struct sbuf *b, int depth)
{
	sb_add(b, "\n", 1);
	for (int i = 0; i < depth; i++)
		sb_add(b, "    ", 4);
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

static void sb_json_string(struct sbuf *b, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	char esc[8];

	sb_add(b, "\"", 1);
	while (*s) {
		size_t n;
		switch (*s) {
		case '"':
			sb_add(b, "\\\"", 2);
			s++;
			continue;
		case '\\':
			sb_add(b, "\\\\", 2);
			s++;
			continue;
		case '\n':
			sb_add(b, "\\n", 2);
			s++;
			continue;
		case '\r':
			sb_add(b, "\\r", 2);
			s++;
			continue;
		case '\t':
			sb_add(b, "\\t", 2);
			s++;
			continue;
		case '<':
		case '>':
		case '&':
			snprintf(esc, sizeof(esc), "\\u%04x", *s);
			sb_puts(b, esc);
			s++;
			continue;
		default:
			break;
		}
		if (*s < 0x20) {
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
		sb_add(b, (const char *)s, n);
		s += n;
	}
	sb_add(b, "\"", 1);
}

static void sb_json_number(struct sbuf *b, double d)
{
	char num[64];

	if (d == floor(d) && fabs(d) < 1e15)
		snprintf(num, sizeof(num), "%lld", (long long)d);
	else
		snprintf(num, sizeof(num), "%.17g", d);
	sb_puts(b, num);
}

static void sb_json(struct sbuf *b, const cJSON *v, bool indent, int depth)
{
	const cJSON *c;
	bool first = true;

	if (cJSON_IsObject(v) || cJSON_IsArray(v)) {
		bool obj = cJSON_IsObject(v);
		sb_add(b, obj ? "{" : "[", 1);
		cJSON_ArrayForEach (c, v) {
			if (!first)
				sb_add(b, ",", 1);
			first = false;
			if (indent)
				sb_indent(b, depth + 1);
			if (obj) {
				sb_json_string(b, c->string ? c->string : "");
				sb_add(b, indent ? ": " : ":", indent ? 2 : 1);
			}
			sb_json(b, c, indent, depth + 1);
		}
		if (!first && indent)
			sb_indent(b, depth);
		sb_add(b, obj ? "}" : "]", 1);
	} else if (cJSON_IsString(v)) {
		sb_json_string(b, v->valuestring ? v->valuestring : "");
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

char *json_print_go(const cJSON *item, bool indent)
{
	struct sbuf b = {0};

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

void json_sort_keys(cJSON *item)
{
	cJSON *c;
	size_t n = 0, i = 0;

	if (!cJSON_IsObject(item) && !cJSON_IsArray(item))
		return;
	cJSON_ArrayForEach (c, item) {
		json_sort_keys(c);
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

static void append_quoted(struct sbuf *b, const char *s, size_t n)
{
	_cleanup_free_ char *tmp = strndup(s, n);

	if (!tmp) {
		b->failed = true;
		return;
	}
	sb_json_string(b, tmp);
}

int cni_args_load(const char *args, struct cni_arg *fields, size_t n, struct cni_err *err)
{
	struct sbuf unknown = {0};
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
			struct sbuf q = {0};
			append_quoted(&q, p, plen);
			cni_err_set(err, CNI_ERR_INTERNAL, "ARGS: invalid pair %s", q.p ? q.p : "");
			free(q.p);
			free(unknown.p);
			cni_args_free(fields, n);
			return -1;
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
				return -1;
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
			sb_add(&unknown, unknown.len ? " " : "[", 1);
			append_quoted(&unknown, p, plen);
		}
		if (!end)
			break;
		p = end + 1;
	}
	if (unknown.len && !ignore_unknown) {
		sb_add(&unknown, "]", 1);
		cni_err_set(err, CNI_ERR_INTERNAL, "ARGS: unknown args %s",
			    unknown.p ? unknown.p : "");
		free(unknown.p);
		cni_args_free(fields, n);
		return -1;
	}
	free(unknown.p);
	return 0;
}
