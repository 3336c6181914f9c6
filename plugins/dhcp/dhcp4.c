/* SPDX-License-Identifier: Apache-2.0 */
/* DHCPv4 messages: client options, building, parsing, the result of a lease. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "cleanup.h"
#include "gostr.h"
#include "strv.h"
#include "cni/conf.h"
#include "dhcp4.h"

static const uint8_t magic_cookie[4] = {99, 130, 83, 99};

/* The option names the reference accepts. */
static const struct {
	const char *name;
	uint8_t code;
} opt_names[] = {
	{"dhcp-client-identifier", DHCP4_OPT_CLIENT_ID},
	{"subnet-mask", DHCP4_OPT_SUBNET_MASK},
	{"routers", DHCP4_OPT_ROUTER},
	{"host-name", DHCP4_OPT_HOST_NAME},
	{"user-class", DHCP4_OPT_USER_CLASS},
	{"vendor-class-identifier", DHCP4_OPT_VENDOR_CLASS},
};

/* What option 55 asks for unless an entry has skipDefault. */
static const uint8_t default_prl[] = {
	DHCP4_OPT_ROUTER,	  DHCP4_OPT_SUBNET_MASK,   DHCP4_OPT_DNS,
	DHCP4_OPT_DOMAIN_NAME,	  DHCP4_OPT_DOMAIN_SEARCH, DHCP4_OPT_CLASSLESS_ROUTE,
	DHCP4_OPT_STATIC_ROUTE,	  DHCP4_OPT_LEASE_TIME,	   DHCP4_OPT_RENEWAL_TIME,
	DHCP4_OPT_REBINDING_TIME,
};

/* Go's %q of s into out (cut short when it does not fit). */
static const char *quote(const char *s, char *out, size_t size)
{
	size_t len = 0;

	out[0] = '\0';
	(void)go_quote(s, out, size, &len);
	return out;
}

int dhcp4_opt_parse(const char *name, uint8_t *ret_code, struct cni_err *err)
{
	char q[128];
	unsigned long v = 0;
	size_t i;
	bool range = false;

	for (i = 0; i < ARRAY_SIZE(opt_names); i++) {
		if (strcmp(name, opt_names[i].name) == 0) {
			*ret_code = opt_names[i].code;
			return 0;
		}
	}
	/* strconv.ParseUint(name, 10, 8): digits only, at least one. */
	if (name[0] == '\0')
		goto syntax;
	for (i = 0; name[i]; i++) {
		if (name[i] < '0' || name[i] > '9')
			goto syntax;
		if (!range) {
			v = v * 10 + (unsigned long)(name[i] - '0');
			if (v > 255)
				range = true;
		}
	}
	if (range) {
		quote(name, q, sizeof(q));
		return cni_err_set(
			err, CNI_ERR_INVALID_CONFIG,
			"Can not parse option %s: Can not parse option: strconv.ParseUint: "
			"parsing %s: value out of range",
			q, q);
	}
	*ret_code = (uint8_t)v;
	return 0;
syntax:
	quote(name, q, sizeof(q));
	return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
			   "Can not parse option %s: Can not parse option: strconv.ParseUint: "
			   "parsing %s: invalid syntax",
			   q, q);
}

/* Append code to the parameter request list unless it is there. */
static void prl_add(struct dhcp4_client_cfg *cfg, uint8_t code)
{
	size_t i;

	for (i = 0; i < cfg->prl_len; i++) {
		if (cfg->prl[i] == code)
			return;
	}
	if (cfg->prl_len < sizeof(cfg->prl))
		cfg->prl[cfg->prl_len++] = code;
}

/* Set a provided option (a later value for the same code replaces the earlier one). */
static int provide_set(struct dhcp4_client_cfg *cfg, uint8_t code, const char *value,
		       struct cni_err *err)
{
	struct dhcp4_opt *o = NULL;
	size_t i, len = strlen(value);

	for (i = 0; i < cfg->n_provide; i++) {
		if (cfg->provide[i].code == code)
			o = &cfg->provide[i];
	}
	if (!o) {
		if (cfg->n_provide >= DHCP4_MAX_PROVIDE)
			return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
					   "too many provided options (at most %d)",
					   DHCP4_MAX_PROVIDE);
		o = &cfg->provide[cfg->n_provide++];
	}
	o->code = code;
	o->len = (uint8_t)len;
	memcpy(o->data, value, len);
	return 0;
}

/*
 * The value of key in CNI_ARGS ("K=V;K2=V2", split as the reference does: pairs at ';', key
 * and value at the first '=', pairs without '=' ignored, the last of equal keys wins), or
 * NULL (also when out of memory).
 */
static char *cni_arg_get(const char *args, const char *key)
{
	const char *p = args, *val = NULL;
	size_t klen = strlen(key), vlen = 0;

	while (p && *p) {
		const char *end = strchr(p, ';');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		const char *eq = memchr(p, '=', n);

		if (eq && (size_t)(eq - p) == klen && memcmp(p, key, klen) == 0) {
			val = eq + 1;
			vlen = n - klen - 1;
		}
		p = end ? end + 1 : NULL;
	}
	return val ? strndup(val, vlen) : NULL;
}

/* The `request` list into option 55. */
static int parse_request(struct dhcp4_client_cfg *cfg, const cJSON *ipam, struct cni_err *err)
{
	const cJSON *list = NULL, *e;
	bool skip_default = false;
	int r;

	r = conf_array(ipam, "request", &list, err);
	if (r < 0)
		return r;
	cJSON_ArrayForEach (e, list) {
		const char *name = NULL;
		bool skip = false;
		uint8_t code;

		if (!cJSON_IsObject(e))
			return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
					   "'request' entries must be objects");
		r = conf_bool(e, "skipDefault", &skip, err);
		if (r < 0)
			return r;
		if (skip)
			skip_default = true;
		r = conf_string(e, "option", &name, err);
		if (r < 0)
			return r;
		if (!name || !name[0])
			continue; /* the newest reference skips entries without an option */
		r = dhcp4_opt_parse(name, &code, err);
		if (r < 0)
			return r;
		prl_add(cfg, code);
	}
	if (!skip_default) {
		for (size_t i = 0; i < ARRAY_SIZE(default_prl); i++)
			prl_add(cfg, default_prl[i]);
	}
	return 0;
}

/* The `provide` list, and option 12 from K8S_POD_NAME when none of them is host-name. */
static int parse_provide(struct dhcp4_client_cfg *cfg, const cJSON *ipam, const char *cni_args,
			 struct cni_err *err)
{
	const cJSON *list = NULL, *e;
	bool have_host_name = false;
	int r;

	r = conf_array(ipam, "provide", &list, err);
	if (r < 0)
		return r;
	cJSON_ArrayForEach (e, list) {
		const char *name = "", *value = NULL, *from = NULL;
		char q1[300], q2[300], q3[1200];
		uint8_t code;

		if (!cJSON_IsObject(e))
			return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
					   "'provide' entries must be objects");
		r = conf_string(e, "option", &name, err);
		if (r < 0)
			return r;
		r = conf_string(e, "value", &value, err);
		if (r < 0)
			return r;
		r = conf_string(e, "fromArg", &from, err);
		if (r < 0)
			return r;
		r = dhcp4_opt_parse(name, &code, err);
		if (r < 0)
			return r;
		if (code == DHCP4_OPT_HOST_NAME)
			have_host_name = true;
		if (value && value[0]) {
			if (strlen(value) > 255)
				return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
						   "value too long for option %s: %s",
						   quote(name, q1, sizeof(q1)),
						   quote(value, q3, sizeof(q3)));
			r = provide_set(cfg, code, value, err);
			if (r < 0)
				return r;
		}
		/* an absent fromArg is "" to the reference, which a pair "=v" matches */
		{
			_cleanup_free_ char *v = cni_arg_get(cni_args, from ? from : "");

			if (!v)
				continue;
			/* the reference quotes the literal value here, not the argument's */
			if (strlen(v) > 255)
				return cni_err_set(
					err, CNI_ERR_INVALID_CONFIG,
					"value too long for option %s from CNI_ARGS %s: %s",
					quote(name, q1, sizeof(q1)),
					quote(from ? from : "", q2, sizeof(q2)),
					quote(value ? value : "", q3, sizeof(q3)));
			r = provide_set(cfg, code, v, err);
			if (r < 0)
				return r;
		}
	}
	if (!have_host_name) {
		_cleanup_free_ char *pod = cni_arg_get(cni_args, "K8S_POD_NAME");

		if (pod && pod[0] && strlen(pod) <= 255) {
			r = provide_set(cfg, DHCP4_OPT_HOST_NAME, pod, err);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int dhcp4_client_cfg_init(struct dhcp4_client_cfg *cfg, const cJSON *ipam, const char *container_id,
			  const char *network, const char *ifname, const uint8_t mac[6],
			  const char *cni_args, struct cni_err *err)
{
	char key[1024];
	size_t n;
	int r;

	memset(cfg, 0, sizeof(*cfg));
	memcpy(cfg->chaddr, mac, 6);
	snprintf(key, sizeof(key), "%s/%s/%s", container_id, network, ifname);
	n = strlen(key);
	if (n > 254)
		n = 254;
	cfg->client_id[0] = 0;
	memcpy(cfg->client_id + 1, key, n);
	cfg->client_id_len = (uint8_t)(n + 1);
	r = parse_request(cfg, ipam, err);
	if (r < 0)
		return r;
	return parse_provide(cfg, ipam, cni_args, err);
}

/* A writer of options into a bounded buffer. */
struct wbuf {
	uint8_t *p;
	size_t len, cap;
	bool overflow;
};

static void put(struct wbuf *w, const void *data, size_t len)
{
	if (w->overflow || len > w->cap - w->len) {
		w->overflow = true;
		return;
	}
	memcpy(w->p + w->len, data, len);
	w->len += len;
}

static void put_opt(struct wbuf *w, uint8_t code, const void *data, size_t len)
{
	uint8_t hdr[2] = {code, (uint8_t)len};

	put(w, hdr, 2);
	put(w, data, len);
}

static bool ip_zero(const uint8_t a[4])
{
	return !(a[0] | a[1] | a[2] | a[3]);
}

int dhcp4_build(const struct dhcp4_client_cfg *cfg, const struct dhcp4_build *b, uint8_t *buf,
		size_t cap, size_t *ret_len, struct cni_err *err)
{
	struct wbuf w = {.p = buf, .cap = cap < DHCP4_MAX_SIZE ? cap : DHCP4_MAX_SIZE};
	const struct dhcp4_opt *cid = NULL;
	bool release = b->type == DHCP4_RELEASE;
	uint8_t fixed[DHCP4_FIXED_LEN] = {0};
	uint8_t maxsz[2] = {DHCP4_MAX_SIZE >> 8, DHCP4_MAX_SIZE & 0xff};
	size_t i;

	fixed[0] = 1; /* BOOTREQUEST */
	fixed[1] = 1; /* Ethernet */
	fixed[2] = 6;
	fixed[4] = (uint8_t)(b->xid >> 24);
	fixed[5] = (uint8_t)(b->xid >> 16);
	fixed[6] = (uint8_t)(b->xid >> 8);
	fixed[7] = (uint8_t)b->xid;
	if (!release) {
		fixed[8] = (uint8_t)(b->secs >> 8);
		fixed[9] = (uint8_t)b->secs;
		if (cfg->broadcast)
			fixed[10] = 0x80;
	}
	memcpy(fixed + 12, b->ciaddr, 4);
	memcpy(fixed + 28, cfg->chaddr, 6);
	put(&w, fixed, sizeof(fixed));
	put(&w, magic_cookie, 4);
	put_opt(&w, DHCP4_OPT_MSG_TYPE, &b->type, 1);
	for (i = 0; i < cfg->n_provide; i++) {
		if (cfg->provide[i].code == DHCP4_OPT_CLIENT_ID)
			cid = &cfg->provide[i];
	}
	/* a provided identifier names the lease at the server: RELEASE must carry it too */
	if (cid)
		put_opt(&w, DHCP4_OPT_CLIENT_ID, cid->data, cid->len);
	else
		put_opt(&w, DHCP4_OPT_CLIENT_ID, cfg->client_id, cfg->client_id_len);
	if (!release)
		put_opt(&w, DHCP4_OPT_MAX_SIZE, maxsz, 2);
	if (!release && !ip_zero(b->requested))
		put_opt(&w, DHCP4_OPT_REQUESTED_IP, b->requested, 4);
	if (!ip_zero(b->server_id))
		put_opt(&w, DHCP4_OPT_SERVER_ID, b->server_id, 4);
	if (!release) {
		if (cfg->prl_len)
			put_opt(&w, DHCP4_OPT_PARAM_REQ, cfg->prl, cfg->prl_len);
		for (i = 0; i < cfg->n_provide; i++) {
			const struct dhcp4_opt *o = &cfg->provide[i];

			if (o->code == DHCP4_OPT_CLIENT_ID || o->code == DHCP4_OPT_PAD ||
			    o->code == DHCP4_OPT_END || o->code == DHCP4_OPT_MSG_TYPE)
				continue;
			put_opt(&w, o->code, o->data, o->len);
		}
	}
	put(&w, &(uint8_t){DHCP4_OPT_END}, 1);
	while (!w.overflow && w.len < DHCP4_BOOTP_LEN)
		put(&w, &(uint8_t){0}, 1);
	if (w.overflow)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EMSGSIZE,
					 "DHCP message does not fit in %zu bytes", w.cap);
	*ret_len = w.len;
	return 0;
}

/* ---- parsing ---------------------------------------------------------------- */

/* The option areas of a message, in RFC 3396 order. */
struct areas {
	const uint8_t *p[3];
	size_t len[3];
	size_t n;
};

static int bad(struct cni_err *err, const char *what)
{
	return cni_err_set_errno(err, CNI_ERR_DECODE, EBADMSG, "malformed DHCP message: %s", what);
}

/* Walk one area; check every option's length. With code >= 0, append its data to out. */
static int area_walk(const uint8_t *p, size_t len, int code, uint8_t *out, size_t cap,
		     size_t *out_len, bool *found, struct cni_err *err)
{
	size_t i = 0;

	while (i < len) {
		uint8_t c = p[i], l;

		if (c == DHCP4_OPT_PAD) {
			i++;
			continue;
		}
		if (c == DHCP4_OPT_END)
			return 0;
		if (i + 1 >= len)
			return bad(err, "option length missing");
		l = p[i + 1];
		if ((size_t)l > len - i - 2)
			return bad(err, "option runs past its field");
		if (code == c) {
			if ((size_t)l > cap - *out_len)
				return cni_err_set_errno(
					err, CNI_ERR_DECODE, EBADMSG,
					"malformed DHCP message: option %d too long", code);
			memcpy(out + *out_len, p + i + 2, l);
			*out_len += l;
			*found = true;
		}
		i += 2 + (size_t)l;
	}
	return 0;
}

/* Option code's data concatenated over every area into out (cap bytes). */
static int opt_get(const struct areas *a, int code, uint8_t *out, size_t cap, size_t *ret_len,
		   bool *ret_found, struct cni_err *err)
{
	size_t i;
	int r;

	*ret_len = 0;
	*ret_found = false;
	for (i = 0; i < a->n; i++) {
		r = area_walk(a->p[i], a->len[i], code, out, cap, ret_len, ret_found, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static bool label_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

/*
 * One RFC 1035 name at *pos of data (len bytes) into out; *pos moves past it. A
 * compression pointer must point before the label holding it, so every jump goes back and
 * the walk ends; the number of jumps is bounded too.
 */
static int name_decode(const uint8_t *data, size_t len, size_t *pos, char *out, struct cni_err *err)
{
	size_t p = *pos, o = 0;
	bool jumped = false;
	int hops = 0;

	for (;;) {
		uint8_t l;

		if (p >= len)
			return bad(err, "domain name runs past option 119");
		l = data[p];
		if (l == 0) {
			if (!jumped)
				*pos = p + 1;
			break;
		}
		if ((l & 0xc0) == 0xc0) {
			size_t ptr;

			if (p + 1 >= len)
				return bad(err, "truncated compression pointer");
			ptr = (size_t)(l & 0x3f) << 8 | data[p + 1];
			if (ptr >= p || ++hops > 64)
				return bad(err, "compression pointer loops");
			if (!jumped)
				*pos = p + 2;
			jumped = true;
			p = ptr;
			continue;
		}
		if (l & 0xc0)
			return bad(err, "unknown label type");
		if ((size_t)l > len - p - 1)
			return bad(err, "label runs past option 119");
		if (o + (o ? 1 : 0) + l > DHCP4_NAME_MAX - 2)
			return bad(err, "domain name too long");
		if (o)
			out[o++] = '.';
		for (size_t i = 0; i < l; i++) {
			if (!label_char(data[p + 1 + i]))
				return bad(err, "invalid character in domain name");
			out[o++] = (char)data[p + 1 + i];
		}
		p += 1 + (size_t)l;
	}
	out[o] = '\0';
	return 0;
}

/* Option 33's classful prefix of dst; 0 for classes D and E (not routes). */
static uint8_t classful_prefix(const uint8_t dst[4])
{
	if (dst[0] < 128)
		return 8;
	if (dst[0] < 192)
		return 16;
	if (dst[0] < 224)
		return 24;
	return 0;
}

static int parse_addrs(const uint8_t *d, size_t len, uint8_t (*out)[4], size_t *n, const char *what,
		       struct cni_err *err)
{
	if (len == 0 || len % 4)
		return bad(err, what);
	for (size_t i = 0; i + 4 <= len && *n < DHCP4_MAX_ADDRS; i += 4)
		memcpy(out[(*n)++], d + i, 4);
	return 0;
}

static int parse_classless(const uint8_t *d, size_t len, struct dhcp4_msg *m, struct cni_err *err)
{
	size_t i = 0;

	while (i < len) {
		uint8_t w = d[i];
		size_t sig = ((size_t)w + 7) / 8;
		struct dhcp4_route rt = {.prefix = w};

		if (w > 32)
			return bad(err, "option 121 prefix longer than 32");
		if (sig + 4 > len - i - 1)
			return bad(err, "option 121 truncated");
		memcpy(rt.dst, d + i + 1, sig);
		if (w % 8)
			rt.dst[sig - 1] &= (uint8_t)(0xff << (8 - w % 8));
		memcpy(rt.gw, d + i + 1 + sig, 4);
		if (m->n_classless < DHCP4_MAX_ROUTES)
			m->classless[m->n_classless++] = rt;
		i += 1 + sig + 4;
	}
	m->has_classless = true;
	return 0;
}

static int parse_static(const uint8_t *d, size_t len, struct dhcp4_msg *m, struct cni_err *err)
{
	if (len % 8)
		return bad(err, "option 33 length not a multiple of 8");
	for (size_t i = 0; i < len; i += 8) {
		struct dhcp4_route rt;

		memcpy(rt.dst, d + i, 4);
		memcpy(rt.gw, d + i + 4, 4);
		rt.prefix = classful_prefix(rt.dst);
		/* 0.0.0.0 is not allowed here (RFC 2132 5.8); classes D, E are not unicast */
		if (!rt.prefix || ip_zero(rt.dst))
			continue;
		if (m->n_static < DHCP4_MAX_ROUTES)
			m->statics[m->n_static++] = rt;
	}
	return 0;
}

/* A fixed-size option: absent, or exactly len bytes. */
static int opt_fixed(const struct areas *a, int code, uint8_t *out, size_t len, bool *found,
		     struct cni_err *err)
{
	uint8_t tmp[256];
	size_t n;
	int r;

	r = opt_get(a, code, tmp, sizeof(tmp), &n, found, err);
	if (r < 0)
		return r;
	if (*found && n != len)
		return cni_err_set_errno(
			err, CNI_ERR_DECODE, EBADMSG,
			"malformed DHCP message: option %d has length %zu, not %zu", code, n, len);
	if (*found)
		memcpy(out, tmp, len);
	return 0;
}

int dhcp4_parse(const uint8_t *buf, size_t len, struct dhcp4_msg *m, struct cni_err *err)
{
	struct areas a = {0};
	uint8_t overload = 0, tmp4[4];
	_cleanup_free_ uint8_t *d = NULL;
	size_t dl, cap = 4096;
	bool found;
	int r;

	memset(m, 0, sizeof(*m));
	if (len < DHCP4_MIN_LEN)
		return bad(err, "shorter than 240 bytes");
	if (len > DHCP4_MAX_PARSE)
		return bad(err, "too long");
	if (memcmp(buf + DHCP4_FIXED_LEN, magic_cookie, 4) != 0)
		return bad(err, "no magic cookie");
	m->op = buf[0];
	m->xid = be32(buf + 4);
	m->flags = (uint16_t)(buf[10] << 8 | buf[11]);
	memcpy(m->ciaddr, buf + 12, 4);
	memcpy(m->yiaddr, buf + 16, 4);
	memcpy(m->chaddr, buf + 28, 6);

	a.p[0] = buf + DHCP4_MIN_LEN;
	a.len[0] = len - DHCP4_MIN_LEN;
	a.n = 1;
	/* option 52 lives in the options field only */
	r = opt_fixed(&a, DHCP4_OPT_OVERLOAD, &overload, 1, &found, err);
	if (r < 0)
		return r;
	if (found) {
		if (overload < 1 || overload > 3)
			return bad(err, "invalid option 52");
		if (overload & 1) {
			a.p[a.n] = buf + 108;
			a.len[a.n++] = 128;
		}
		if (overload & 2) {
			a.p[a.n] = buf + 44;
			a.len[a.n++] = 64;
		}
	}

	d = malloc(cap);
	if (!d)
		return cni_err_nomem(err);
	/* the structure of every area, once */
	r = opt_get(&a, -1, d, cap, &dl, &found, err);
	if (r < 0)
		return r;

	r = opt_fixed(&a, DHCP4_OPT_MSG_TYPE, &m->type, 1, &found, err);
	if (r < 0)
		return r;
	r = opt_fixed(&a, DHCP4_OPT_SERVER_ID, m->server_id, 4, &m->has_server_id, err);
	if (r < 0)
		return r;
	r = opt_fixed(&a, DHCP4_OPT_SUBNET_MASK, m->mask, 4, &m->has_mask, err);
	if (r < 0)
		return r;
	r = opt_fixed(&a, DHCP4_OPT_LEASE_TIME, tmp4, 4, &m->has_lease, err);
	if (r < 0)
		return r;
	m->lease = be32(tmp4);
	r = opt_fixed(&a, DHCP4_OPT_RENEWAL_TIME, tmp4, 4, &m->has_t1, err);
	if (r < 0)
		return r;
	m->t1 = be32(tmp4);
	r = opt_fixed(&a, DHCP4_OPT_REBINDING_TIME, tmp4, 4, &m->has_t2, err);
	if (r < 0)
		return r;
	m->t2 = be32(tmp4);

	r = opt_get(&a, DHCP4_OPT_ROUTER, d, cap, &dl, &found, err);
	if (r < 0)
		return r;
	if (found) {
		r = parse_addrs(d, dl, m->routers, &m->n_routers, "invalid option 3", err);
		if (r < 0)
			return r;
	}
	r = opt_get(&a, DHCP4_OPT_DNS, d, cap, &dl, &found, err);
	if (r < 0)
		return r;
	if (found) {
		r = parse_addrs(d, dl, m->dns, &m->n_dns, "invalid option 6", err);
		if (r < 0)
			return r;
	}

	r = opt_get(&a, DHCP4_OPT_DOMAIN_NAME, d, cap, &dl, &found, err);
	if (r < 0)
		return r;
	while (dl > 0 && d[dl - 1] == 0)
		dl--; /* some servers send a trailing NUL */
	if (dl >= DHCP4_NAME_MAX)
		return bad(err, "option 15 too long");
	for (size_t i = 0; i < dl; i++) {
		if (!label_char(d[i]) && d[i] != '.')
			return bad(err, "invalid character in option 15");
	}
	memcpy(m->domain, d, dl);
	m->domain[dl] = '\0';

	r = opt_get(&a, DHCP4_OPT_DOMAIN_SEARCH, d, cap, &dl, &found, err);
	if (r < 0)
		return r;
	for (size_t pos = 0; pos < dl;) {
		char name[DHCP4_NAME_MAX];

		r = name_decode(d, dl, &pos, name, err);
		if (r < 0)
			return r;
		if (name[0] && m->n_search < DHCP4_MAX_SEARCH)
			memcpy(m->search[m->n_search++], name, sizeof(name));
	}

	r = opt_get(&a, DHCP4_OPT_CLASSLESS_ROUTE, d, cap, &dl, &found, err);
	if (r < 0)
		return r;
	if (found) {
		r = parse_classless(d, dl, m, err);
		if (r < 0)
			return r;
	}
	r = opt_get(&a, DHCP4_OPT_STATIC_ROUTE, d, cap, &dl, &found, err);
	if (r < 0)
		return r;
	if (found) {
		r = parse_static(d, dl, m, err);
		if (r < 0)
			return r;
	}

	r = opt_get(&a, DHCP4_OPT_MESSAGE, d, cap, &dl, &found, err);
	if (r < 0)
		return r;
	if (dl >= sizeof(m->message))
		dl = sizeof(m->message) - 1;
	for (size_t i = 0; i < dl; i++)
		m->message[i] = (d[i] >= 0x20 && d[i] < 0x7f) ? (char)d[i] : '?';
	m->message[dl] = '\0';
	return 0;
}

void dhcp4_lease_times(const struct dhcp4_msg *m, uint32_t *ret_lease, uint32_t *ret_t1,
		       uint32_t *ret_t2)
{
	uint32_t t = m->has_lease ? m->lease : 3600;
	uint32_t t2 = m->has_t2 ? m->t2 : (uint32_t)((uint64_t)t * 85 / 100);
	uint32_t t1 = m->has_t1 ? m->t1 : t / 2;

	/* RFC 2131 4.4.5: T1 < T2 < T; otherwise fall back to the defaults */
	if (t2 > t)
		t2 = (uint32_t)((uint64_t)t * 85 / 100);
	if (t1 > t2)
		t1 = t / 2 <= t2 ? t / 2 : t2;
	*ret_lease = t;
	*ret_t1 = t1;
	*ret_t2 = t2;
}

/* The prefix length of a contiguous mask, or -1. */
static int mask_prefix(const uint8_t mask[4])
{
	uint32_t v = be32(mask);
	int n = 0;

	while (n < 32 && (v & (1u << (31 - n))))
		n++;
	if (n < 32 && (v << n) != 0)
		return -1;
	return n;
}

static struct ip_addr v4(const uint8_t a[4])
{
	struct ip_addr ip = {.family = AF_INET};

	memcpy(ip.a, a, 4);
	return ip;
}

static int push_ip(char ***v, const uint8_t a[4])
{
	char buf[IP_STRLEN];
	struct ip_addr ip = v4(a);
	char *s = strdup(ip_format(&ip, buf, sizeof(buf)));

	if (!s)
		return -ENOMEM;
	if (strv_push(v, s) < 0) {
		free(s);
		return -ENOMEM;
	}
	return 0;
}

int dhcp4_result_build(const struct dhcp4_msg *ack, int priority, struct cni_result **ret,
		       struct cni_err *err)
{
	_cleanup_(cni_result_freep) struct cni_result *res = NULL;
	struct cni_ip ip = {.iface = -1};
	int prefix;
	size_t i;

	if (!ack->has_mask)
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "DHCP option Subnet Mask not found in DHCPACK");
	prefix = mask_prefix(ack->mask);
	if (prefix < 0)
		return cni_err_set_errno(err, CNI_ERR_DECODE, EBADMSG,
					 "DHCP option Subnet Mask %u.%u.%u.%u is not contiguous",
					 ack->mask[0], ack->mask[1], ack->mask[2], ack->mask[3]);
	res = cni_result_new();
	if (!res)
		return cni_err_nomem(err);
	ip.address.ip = v4(ack->yiaddr);
	ip.address.prefix = prefix;
	if (ack->n_routers)
		ip.gateway = v4(ack->routers[0]);
	if (cni_result_add_ip(res, &ip) < 0)
		return cni_err_nomem(err);

	if (ack->has_classless) {
		for (i = 0; i < ack->n_classless; i++) {
			const struct dhcp4_route *c = &ack->classless[i];
			struct cni_route rt = {.priority = priority};

			rt.dst.ip = v4(c->dst);
			rt.dst.prefix = c->prefix;
			if (ip_zero(c->gw)) {
				rt.has_scope = true;
				rt.scope = 253; /* RT_SCOPE_LINK */
			} else {
				rt.gw = v4(c->gw);
			}
			if (cni_result_add_route(res, &rt) < 0)
				return cni_err_nomem(err);
		}
	} else {
		for (i = 0; i < ack->n_static; i++) {
			struct cni_route rt = {.priority = priority};

			rt.dst.ip = v4(ack->statics[i].dst);
			rt.dst.prefix = ack->statics[i].prefix;
			/* the reference keeps host bits here, which the kernel then refuses */
			rt.dst = ipnet_network(&rt.dst);
			rt.gw = v4(ack->statics[i].gw);
			if (cni_result_add_route(res, &rt) < 0)
				return cni_err_nomem(err);
		}
		if (ack->n_routers) {
			struct cni_route rt = {.priority = priority};

			rt.dst.ip.family = AF_INET;
			rt.gw = v4(ack->routers[0]);
			if (cni_result_add_route(res, &rt) < 0)
				return cni_err_nomem(err);
		}
	}

	for (i = 0; i < ack->n_dns; i++) {
		if (push_ip(&res->dns.nameservers, ack->dns[i]) < 0)
			return cni_err_nomem(err);
	}
	if (ack->domain[0]) {
		res->dns.domain = strdup(ack->domain);
		if (!res->dns.domain)
			return cni_err_nomem(err);
	}
	for (i = 0; i < ack->n_search; i++) {
		char *s = strdup(ack->search[i]);

		if (!s || strv_push(&res->dns.search, s) < 0) {
			free(s);
			return cni_err_nomem(err);
		}
	}
	*ret = TAKE_PTR(res);
	return 0;
}

const char *dhcp4_type_name(uint8_t type)
{
	static const char *const names[] = {
		NULL,	   "DHCPDISCOVER", "DHCPOFFER",	  "DHCPREQUEST", "DHCPDECLINE",
		"DHCPACK", "DHCPNAK",	   "DHCPRELEASE", "DHCPINFORM",
	};

	if (type < ARRAY_SIZE(names) && names[type])
		return names[type];
	return "unknown";
}
