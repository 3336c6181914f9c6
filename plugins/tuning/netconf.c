/* SPDX-License-Identifier: Apache-2.0 */
/* Parsing the tuning plugin's configuration with the reference's rules. */
#include "tuning/netconf.h"

#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "array.h"
#include "cleanup.h"
#include "fileio.h"
#include "gostr.h"
#include "cni/conf.h"
#include "cni/json.h"

/* Largest allowlist file read. */
#define ALLOWLIST_MAX (1024 * 1024)

static void sysctl_clear(struct tuning_conf *c)
{
	for (size_t i = 0; i < c->n_sysctls; i++) {
		free(c->sysctls[i].key);
		free(c->sysctls[i].value);
	}
	c->n_sysctls = 0;
}

void tuning_conf_free(struct tuning_conf *c)
{
	if (!c)
		return;
	sysctl_clear(c);
	free(c->sysctls);
	free(c->cni_version);
	free(c->data_dir);
	free(c->mac);
	cni_result_free(c->prev);
	free(c);
}

bool tuning_conf_changes_link(const struct tuning_conf *c)
{
	return c->mac || c->promisc || c->mtu || c->has_allmulti || c->has_txqlen;
}

/* ---- sysctl maps ------------------------------------------------------------------------ */

/* Set key to value like a Go map: replace an existing key's value, else append. */
static int sysctl_put(struct tuning_conf *c, const char *key, const char *value,
		      struct cni_err *err)
{
	struct tuning_sysctl *s = NULL;
	char *v = strdup(value);

	if (!v)
		return cni_err_nomem(err);
	for (size_t i = 0; i < c->n_sysctls && !s; i++)
		if (strcmp(c->sysctls[i].key, key) == 0)
			s = &c->sysctls[i];
	if (s) {
		free(s->value);
		s->value = v;
		return 0;
	}
	if (ARRAY_RESERVE(c->sysctls, c->cap_sysctls, c->n_sysctls + 1) < 0) {
		free(v);
		return cni_err_nomem(err);
	}
	s = &c->sysctls[c->n_sysctls];
	s->key = strdup(key);
	if (!s->key) {
		free(v);
		return cni_err_nomem(err);
	}
	s->value = v;
	c->n_sysctls++;
	return 0;
}

/*
 * Decode every member of obj named "sysctl" (any case, in order) into c the way
 * Go decodes a map field: the objects are merged, a later duplicate key wins, a
 * JSON null member empties the map and a null value is the empty string. what
 * names the member in errors ("sysctl", "args.cni.sysctl").
 */
static int sysctl_decode(const cJSON *obj, const char *what, struct tuning_conf *c,
			 struct cni_err *err)
{
	const cJSON *m, *e;
	int r;

	cJSON_ArrayForEach (m, obj) {
		if (!m->string || strcasecmp(m->string, "sysctl") != 0)
			continue;
		if (cJSON_IsNull(m)) {
			sysctl_clear(c);
			continue;
		}
		if (!cJSON_IsObject(m))
			return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
					   "invalid network config: '%s' must be an object, not %s",
					   what, conf_type_name(m, false));
		cJSON_ArrayForEach (e, m) {
			if (!cJSON_IsString(e) && !cJSON_IsNull(e))
				return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
						   "invalid network config: '%s' value of '%s' "
						   "must be a string, not %s",
						   what, e->string, conf_type_name(e, false));
			r = sysctl_put(c, e->string, cJSON_IsString(e) ? e->valuestring : "", err);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* The reference's duplicate check: one key twice among the "sysctl" objects (compared
 * exactly, as Go map keys are). */
static int sysctl_check_duplicates(const cJSON *root, struct cni_err *err)
{
	const cJSON *m, *e, *m2, *e2;

	cJSON_ArrayForEach (m, root) {
		if (!m->string || strcasecmp(m->string, "sysctl") != 0 || !cJSON_IsObject(m))
			continue;
		cJSON_ArrayForEach (e, m) {
			/* Every earlier entry of this and the earlier "sysctl" objects. */
			for (m2 = root->child; m2; m2 = m2->next) {
				if (!m2->string || strcasecmp(m2->string, "sysctl") != 0 ||
				    !cJSON_IsObject(m2))
					continue;
				for (e2 = m2->child; e2 && e2 != e; e2 = e2->next)
					if (strcmp(e2->string, e->string) == 0)
						return cni_err_set(
							err, CNI_ERR_INVALID_CONFIG,
							"duplicated sysctl keys are not allowed");
				if (m2 == m)
					break;
			}
		}
	}
	return 0;
}

/* ---- config ----------------------------------------------------------------------------- */

/* Replace *dst with a copy of s. */
static int set_str(char **dst, const char *s, struct cni_err *err)
{
	char *v = strdup(s);

	if (!v)
		return cni_err_nomem(err);
	free(*dst);
	*dst = v;
	return 0;
}

/* Set *dst to s, NULL when s is empty (no MAC to set). */
static int set_mac(char **dst, const char *s, struct cni_err *err)
{
	if (!*s) {
		free(*dst);
		*dst = NULL;
		return 0;
	}
	return set_str(dst, s, err);
}

/* The link keys shared by the top level and args.cni; present keys override. */
static int load_link_keys(const cJSON *obj, struct tuning_conf *c, struct cni_err *err)
{
	long long mtu = -1, txqlen = -1;
	const char *mac = NULL;
	int r;

	if (conf_string(obj, "mac", &mac, err) < 0 ||
	    conf_bool(obj, "promisc", &c->promisc, err) < 0 ||
	    conf_int(obj, "mtu", 0, 2147483647, &mtu, err) < 0 ||
	    conf_int(obj, "txQLen", 0, 4294967295LL, &txqlen, err) < 0)
		return cni_err_ret(err);
	if (conf_get(obj, "allmulti")) {
		r = conf_bool(obj, "allmulti", &c->allmulti, err);
		if (r < 0)
			return r;
		c->has_allmulti = true;
	}
	if (mac && (r = set_mac(&c->mac, mac, err)) < 0)
		return r;
	if (mtu >= 0)
		c->mtu = (unsigned int)mtu;
	if (txqlen >= 0) {
		c->has_txqlen = true;
		c->txqlen = (uint32_t)txqlen;
	}
	return 0;
}

/* CNI_ARGS MAC=, then runtimeConfig.mac, then everything of args.cni. */
static int load_overrides(const cJSON *root, const char *env_args, struct tuning_conf *c,
			  struct cni_err *err)
{
	struct cni_arg fields[] = {{.key = "MAC"}};
	const cJSON *rc, *args, *cni;
	const char *mac = NULL;
	int r;

	r = cni_args_load(env_args, fields, ARRAY_SIZE(fields), err);
	if (r < 0)
		return r;
	if (fields[0].value && fields[0].value[0])
		r = set_mac(&c->mac, fields[0].value, err);
	cni_args_free(fields, ARRAY_SIZE(fields));
	if (r < 0)
		return r;
	if (conf_object(root, "runtimeConfig", &rc, err) < 0 ||
	    conf_string(rc, "mac", &mac, err) < 0)
		return cni_err_ret(err);
	if (mac && *mac && (r = set_mac(&c->mac, mac, err)) < 0)
		return r;
	if (conf_object(root, "args", &args, err) < 0 || conf_object(args, "cni", &cni, err) < 0)
		return cni_err_ret(err);
	if (!cni)
		return 0;
	/* A present args.cni.mac wins even when empty (it then clears the MAC). */
	r = sysctl_decode(cni, "args.cni.sysctl", c, err);
	if (r == 0)
		r = load_link_keys(cni, c, err);
	return r;
}

int tuning_conf_load(const struct cni_cmd_args *args, enum tuning_load_mode mode,
		     struct tuning_conf **ret, struct cni_err *err)
{
	_cleanup_(tuning_conf_freep) struct tuning_conf *c = NULL;
	_cleanup_(cjson_freep) cJSON *root = NULL;
	const char *dir = NULL;
	int r;

	c = calloc(1, sizeof(*c));
	if (!c)
		return cni_err_nomem(err);
	r = conf_parse_stdin(args, "failed to load netconf", &root, &c->cni_version, err);
	if (r < 0)
		return r;
	if (mode == TUNING_LOAD_FULL && (r = sysctl_check_duplicates(root, err)) < 0)
		return r;
	r = conf_string(root, "dataDir", &dir, err);
	if (r < 0)
		return r;
	r = set_str(&c->data_dir, dir && *dir ? dir : TUNING_DATA_DIR, err);
	if (r < 0)
		return r;
	if (mode == TUNING_LOAD_DEL) {
		*ret = TAKE_PTR(c);
		return 0;
	}
	r = sysctl_decode(root, "sysctl", c, err);
	if (r == 0)
		r = load_link_keys(root, c, err);
	if (r == 0)
		r = load_overrides(root, args->args, c, err);
	if (r == 0)
		r = cni_prev_result(root, c->cni_version, &c->prev, err);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(c);
	return 0;
}

/* ---- the sysctl key rule ---------------------------------------------------------------- */

int tuning_sysctl_path(const char *key, const char *ifname, char **ret, struct cni_err *err)
{
	static const char prefix[] = "/proc/sys/net/";
	_cleanup_free_ char *slashed = strdup(key), *full = NULL;
	const char *at;

	if (!slashed)
		return cni_err_nomem(err);
	for (char *p = slashed; *p; p++)
		if (*p == '.')
			*p = '/';
	at = strstr(slashed, "IFNAME");
	if (at) {
		char *sub;

		if (asprintf(&sub, "%.*s%s%s", (int)(at - slashed), slashed, ifname,
			     at + strlen("IFNAME")) < 0)
			return cni_err_nomem(err);
		free(slashed);
		slashed = sub;
	}
	if (asprintf(&full, "/proc/sys/%s", slashed) < 0)
		return cni_err_nomem(err);
	go_path_clean(full, full);
	if (strncmp(full, prefix, strlen(prefix)) != 0) {
		_cleanup_free_ char *q = go_quote_dup(slashed);

		if (!q)
			return cni_err_nomem(err);
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG, "invalid net sysctl key: %s", q);
	}
	*ret = TAKE_PTR(full);
	return 0;
}

/* ---- the allowlist ---------------------------------------------------------------------- */

/* Append s to a growing pattern. */
static void re_add(struct cni_json_buf *b, const char *s)
{
	cni_json_buf_add(b, s, strlen(s));
}

/* Translate the bracket expression starting at go[*i] ('['); *i ends after its ']'. A
 * bracket without its ']' is copied as it is, for regcomp() to refuse. */
static void re_bracket(struct cni_json_buf *b, const char *go, size_t *i)
{
	struct cni_json_buf body = {0};
	bool neg = false, rbracket = false, dash = false, caret = false;
	size_t j = *i + 1;

	if (go[j] == '^') {
		neg = true;
		j++;
	}
	if (go[j] == ']') {
		rbracket = true;
		j++;
	}
	for (; go[j] && go[j] != ']'; j++) {
		if (go[j] == '[' && go[j + 1] == ':') {
			/* A POSIX class such as [:digit:] is the same in both. */
			const char *end = strstr(go + j + 2, ":]");

			if (end) {
				cni_json_buf_add(&body, go + j, (size_t)(end + 2 - (go + j)));
				j = (size_t)(end + 1 - go);
				continue;
			}
		}
		if (go[j] != '\\' || !go[j + 1]) {
			cni_json_buf_add(&body, go + j, 1);
			continue;
		}
		j++;
		switch (go[j]) {
		case 'd':
			re_add(&body, "0-9");
			break;
		case 'w':
			re_add(&body, "0-9A-Za-z_");
			break;
		case 's':
			re_add(&body, "\t\n\f\r ");
			break;
		case ']':
			rbracket = true;
			break;
		case '-':
			dash = true;
			break;
		case '^':
			caret = true;
			break;
		default:
			/* \\, \. and friends: inside POSIX brackets every character is literal. */
			cni_json_buf_add(&body, go + j, 1);
			break;
		}
	}
	if (!go[j]) {
		/* Unterminated: leave it to regcomp(). */
		cni_json_buf_add(b, go + *i, j - *i);
		*i = j;
		free(body.p);
		return;
	}
	if (!neg && caret && !rbracket && !dash && body.len == 0) {
		re_add(b, "\\^");
	} else {
		re_add(b, neg ? "[^" : "[");
		if (rbracket)
			re_add(b, "]");
		if (body.len)
			cni_json_buf_add(b, body.p, body.len);
		if (caret)
			re_add(b, "^");
		if (dash)
			re_add(b, "-");
		re_add(b, "]");
	}
	b->failed |= body.failed;
	free(body.p);
	*i = j + 1;
}

char *tuning_regex_from_go(const char *go, bool *ret_icase)
{
	struct cni_json_buf b = {0};
	size_t i = 0;

	*ret_icase = false;
	if (strncmp(go, "(?i)", 4) == 0) {
		*ret_icase = true;
		i = 4;
	}
	re_add(&b, "");
	while (go[i]) {
		char ch = go[i];

		if (ch == '\\' && go[i + 1]) {
			if (go[i + 1] == 'd')
				re_add(&b, "[0-9]");
			else if (go[i + 1] == 'D')
				re_add(&b, "[^0-9]");
			else
				cni_json_buf_add(&b, go + i, 2);
			i += 2;
		} else if (ch == '[') {
			re_bracket(&b, go, &i);
		} else if (ch == '(' && go[i + 1] == '?' && go[i + 2] == ':') {
			re_add(&b, "(");
			i += 3;
		} else if ((ch == '*' || ch == '+' || ch == '?' || ch == '}') && go[i + 1] == '?') {
			/* Non-greedy: the same matches for a yes/no question. */
			cni_json_buf_add(&b, &ch, 1);
			i += 2;
		} else {
			cni_json_buf_add(&b, &ch, 1);
			i++;
		}
	}
	if (b.failed) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

/* The allowlist's patterns, compiled on first use as Go's regexp.MatchString does. */
struct allowlist {
	char **lines;	  /* trimmed non-empty lines */
	size_t n;	  /* number of lines */
	regex_t *re;	  /* compiled patterns */
	bool *compiled;	  /* re[i] is valid */
	const char *path; /* the file, for messages */
};

static void allowlist_clear(struct allowlist *a)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->compiled[i])
			regfree(&a->re[i]);
	strv_free(a->lines);
	free(a->re);
	free(a->compiled);
}

/* Read the lines of path; 1 when the file exists, 0 when it does not. */
static int allowlist_read(struct allowlist *a, const char *path, struct cni_err *err)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	char *p, *line;
	int r;

	a->path = path;
	r = fileio_read_path(path, ALLOWLIST_MAX, &text, &len);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return cni_err_errno(err, CNI_ERR_INTERNAL, -r, "failed to read '%s'", path);
	for (p = text; (line = strsep(&p, "\n"));) {
		char *end = line + strlen(line), *copy;

		while (*line && isspace((unsigned char)*line))
			line++;
		while (end > line && isspace((unsigned char)end[-1]))
			*--end = '\0';
		if (!*line)
			continue;
		copy = strdup(line);
		if (!copy || strv_push(&a->lines, copy) < 0) {
			free(copy);
			return cni_err_nomem(err);
		}
	}
	a->n = strv_length(a->lines);
	a->re = calloc(a->n + 1, sizeof(*a->re));
	a->compiled = calloc(a->n + 1, sizeof(*a->compiled));
	if (!a->re || !a->compiled)
		return cni_err_nomem(err);
	return 1;
}

/* Whether line i matches key; compiles it first. */
static int allowlist_match(struct allowlist *a, size_t i, const char *key, bool *ret,
			   struct cni_err *err)
{
	if (!a->compiled[i]) {
		_cleanup_free_ char *pat = NULL;
		bool icase;
		char msg[256];
		int rc;

		pat = tuning_regex_from_go(a->lines[i], &icase);
		if (!pat)
			return cni_err_nomem(err);
		rc = regcomp(&a->re[i], pat, REG_EXTENDED | REG_NOSUB | (icase ? REG_ICASE : 0));
		if (rc != 0) {
			regerror(rc, &a->re[i], msg, sizeof(msg));
			return cni_err_set(err, CNI_ERR_INTERNAL,
					   "invalid sysctl allowlist pattern '%s' in '%s': %s",
					   a->lines[i], a->path, msg);
		}
		a->compiled[i] = true;
	}
	*ret = regexec(&a->re[i], key, 0, NULL, 0) == 0;
	return 0;
}

int tuning_allowlist_check(const struct tuning_conf *c, const char *path, struct cni_err *err)
{
	_cleanup_(allowlist_clear) struct allowlist a = {0};
	int r;

	r = allowlist_read(&a, path, err);
	if (r <= 0)
		return r;
	for (size_t k = 0; k < c->n_sysctls; k++) {
		const char *key = c->sysctls[k].key;
		struct cni_json_buf list = {0};
		bool match = false;

		for (size_t i = 0; i < a.n && !match; i++) {
			r = allowlist_match(&a, i, key, &match, err);
			if (r < 0)
				return r;
		}
		if (match)
			continue;
		re_add(&list, "[");
		for (size_t i = 0; i < a.n; i++) {
			if (i)
				re_add(&list, " ");
			re_add(&list, a.lines[i]);
		}
		re_add(&list, "]");
		if (list.failed) {
			free(list.p);
			return cni_err_nomem(err);
		}
		cni_err_set(err, CNI_ERR_INVALID_CONFIG,
			    "Sysctl %s is not allowed. Only the following sysctls are allowed: %s",
			    key, list.p);
		free(list.p);
		return cni_err_ret(err);
	}
	return 0;
}
