/* SPDX-License-Identifier: Apache-2.0 */
/* static IPAM configuration (reference: plugins/ipam/static/main.go, LoadIPAMConfig). */
#include "static-ipam/config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "cleanup.h"
#include "cni/cni.h"
#include "cni/conf.h"

/*
 * An address while the sources are merged. Config addresses are parsed last,
 * and only if no later source replaced them, as the reference does: until
 * then text holds the string as written.
 */
struct entry {
	const char *text;     /* unparsed config address ("" when missing), NULL once parsed */
	struct static_addr a; /* the address (valid once text is NULL) and its gateway */
};

/* The addresses being merged. */
struct entries {
	struct entry *v; /* entries in result order */
	size_t n;	 /* number of entries */
	size_t cap;	 /* room in v */
};

void static_conf_free(struct static_conf *c)
{
	if (!c)
		return;
	free(c->cni_version);
	free(c->addrs);
	free(c->routes);
	cni_dns_clear(&c->dns);
	free(c);
}

/* Append an entry; NULL with err set when out of memory. */
static struct entry *entries_push(struct entries *l, struct cni_err *err)
{
	if (ARRAY_RESERVE(l->v, l->cap, l->n + 1) < 0) {
		cni_err_nomem(err);
		return NULL;
	}
	memset(&l->v[l->n], 0, sizeof(l->v[l->n]));
	return &l->v[l->n++];
}

/* Go's To4() applied to a parsed prefix: an IPv4-mapped IPv6 address becomes IPv4 and its
 * prefix loses the 96 bits in front (Go keeps the last 4 bytes of the 16-byte mask). */
static void canonicalize(struct ip_net *n)
{
	static const uint8_t mapped[12] = {[10] = 0xff, [11] = 0xff};

	if (n->ip.family != AF_INET6 || memcmp(n->ip.a, mapped, sizeof(mapped)) != 0)
		return;
	memmove(n->ip.a, n->ip.a + 12, 4);
	memset(n->ip.a + 4, 0, 12);
	n->ip.family = AF_INET;
	n->prefix = n->prefix > 96 ? n->prefix - 96 : 0;
}

/* Parse a CIDR string like Go's net.ParseCIDR, host bits kept, canonicalized; when it is
 * none, fail with code and "<what>, got: '<s>'". */
static int parse_cidr(const char *s, int code, const char *what, struct ip_net *ret,
		      struct cni_err *err)
{
	if (ipnet_parse(s, ret) < 0)
		return cni_err_set(err, code, "%s, got: '%s'", what, s);
	canonicalize(ret);
	return 0;
}

/* parse_cidr() s and append it as an address. */
static int push_cidr(struct entries *l, const char *s, int code, const char *what,
		     struct cni_err *err)
{
	struct ip_net n;
	struct entry *e;
	int r;

	r = parse_cidr(s, code, what, &n, err);
	if (r < 0)
		return r;
	e = entries_push(l, err);
	if (!e)
		return cni_err_ret(err);
	e->a.address = n;
	return 0;
}

/* An IP member as Go's net.IP decodes it: absent, null or "" is none. Code 7. */
static int get_ip(const cJSON *obj, const char *key, struct ip_addr *ret, struct cni_err *err)
{
	const char *s = NULL;

	memset(ret, 0, sizeof(*ret));
	if (conf_string(obj, key, &s, err) < 0)
		return cni_err_ret(err);
	if (!s || !*s)
		return 0;
	if (ip_parse(s, ret) < 0)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG, "invalid IP address: %s", s);
	return 0;
}

/* ipam.addresses: [{address, gateway?}]; the address strings are parsed later. */
static int parse_addresses(const cJSON *ipam, struct entries *l, struct cni_err *err)
{
	const cJSON *arr = NULL, *it;

	if (conf_array(ipam, "addresses", &arr, err) < 0)
		return cni_err_ret(err);
	cJSON_ArrayForEach (it, arr) {
		const char *text = NULL;
		struct entry *e;

		/* Go decodes a null entry as an address with no fields. */
		if (!cJSON_IsObject(it) && !cJSON_IsNull(it))
			return cni_err_set(
				err, CNI_ERR_INVALID_CONFIG,
				"invalid network config: 'addresses' must be a list of objects");
		e = entries_push(l, err);
		if (!e)
			return cni_err_ret(err);
		if (conf_string(it, "address", &text, err) < 0 ||
		    get_ip(it, "gateway", &e->a.gateway, err) < 0)
			return cni_err_ret(err);
		e->text = text ? text : "";
	}
	return 0;
}

/* An int member of a route (a JSON number without fraction, in Go int's 32-bit range). */
static int route_int(const cJSON *o, const char *key, bool *ret_present, int *ret,
		     struct cni_err *err)
{
	return conf_int32(o, key, -0x80000000LL, 0x7fffffffLL, ret_present, ret, err);
}

/* One entry of ipam.routes: {dst, gw?, mtu?, advmss?, priority?, table?, scope?}. */
static int parse_route(const cJSON *it, size_t index, struct cni_route *rt, struct cni_err *err)
{
	const char *dst = NULL;

	if (conf_string(it, "dst", &dst, err) < 0)
		return cni_err_ret(err);
	if (!dst)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
				   "invalid network config: route %zu has no 'dst'", index);
	/* Go's types.ParseCIDR keeps the host bits of a route's dst. */
	if (ipnet_parse(dst, &rt->dst) < 0)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG, "invalid CIDR address: %s", dst);
	if (get_ip(it, "gw", &rt->gw, err) < 0 || route_int(it, "mtu", NULL, &rt->mtu, err) < 0 ||
	    route_int(it, "advmss", NULL, &rt->advmss, err) < 0 ||
	    route_int(it, "priority", NULL, &rt->priority, err) < 0 ||
	    route_int(it, "table", &rt->has_table, &rt->table, err) < 0 ||
	    route_int(it, "scope", &rt->has_scope, &rt->scope, err) < 0)
		return cni_err_ret(err);
	return 0;
}

/* s without leading and trailing white space (Go's strings.TrimSpace), in place. */
static char *trim_space(char *s)
{
	size_t n;

	s += strspn(s, " \t\n\v\f\r");
	n = strlen(s);
	while (n && strchr(" \t\n\v\f\r", s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* CNI_ARGS IP=a/p[,b/q...]: appended to the addresses. Code 999. */
static int env_ips(const char *value, struct entries *l, struct cni_err *err)
{
	_cleanup_free_ char *copy = strdup(value);
	char *rest = copy, *item;

	if (!copy)
		return cni_err_nomem(err);
	while ((item = strsep(&rest, ","))) {
		int r = push_cidr(l, trim_space(item), CNI_ERR_INTERNAL,
				  "the 'ip' field is expected to be in CIDR notation", err);

		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * CNI_ARGS GATEWAY=g[,h...]: each becomes the gateway of every address parsed
 * so far whose subnet holds it, the last one winning. Config addresses are not
 * parsed yet at this point in the reference, so only CNI_ARGS addresses get
 * one. Code 999.
 */
static int env_gateways(const char *value, struct entries *l, struct cni_err *err)
{
	_cleanup_free_ char *copy = strdup(value);
	char *rest = copy, *item;

	if (!copy)
		return cni_err_nomem(err);
	while ((item = strsep(&rest, ","))) {
		_cleanup_free_ char *raw = strdup(item);
		struct ip_addr gw;

		if (!raw)
			return cni_err_nomem(err);
		if (ip_parse(trim_space(item), &gw) < 0)
			return cni_err_set(err, CNI_ERR_INTERNAL, "invalid gateway address: %s",
					   raw);
		for (size_t i = 0; i < l->n; i++) {
			if (!l->v[i].text && ipnet_contains(&l->v[i].a.address, &gw))
				l->v[i].a.gateway = gw;
		}
	}
	return 0;
}

/* CNI_ARGS: IP and GATEWAY (IgnoreUnknown as the reference's LoadArgs has it). */
static int parse_env_args(const char *env_args, struct entries *l, struct cni_err *err)
{
	struct cni_arg fields[] = {{.key = "IP"}, {.key = "GATEWAY"}};
	int r;

	r = cni_args_load(env_args, fields, ARRAY_SIZE(fields), err);
	if (r < 0)
		return r;
	if (fields[0].value && *fields[0].value)
		r = env_ips(fields[0].value, l, err);
	if (r == 0 && fields[1].value && *fields[1].value)
		r = env_gateways(fields[1].value, l, err);
	cni_args_free(fields, ARRAY_SIZE(fields));
	return r;
}

/* A non-empty "ips" list of obj (args.cni or runtimeConfig) replaces every address. */
static int replace_with_ips(const cJSON *obj, struct entries *l, struct cni_err *err)
{
	_cleanup_strv_free_ char **ips = NULL;
	size_t n = 0;

	if (conf_string_list(obj, "ips", &ips, &n, err) < 0)
		return cni_err_ret(err);
	if (!n)
		return 0;
	l->n = 0;
	for (size_t i = 0; i < n; i++) {
		int r = push_cidr(l, ips[i], CNI_ERR_INVALID_CONFIG,
				  "an entry in the 'ips' field is NOT in CIDR notation", err);

		if (r < 0)
			return r;
	}
	return 0;
}

/* Parse the config addresses still pending, check gateways and the per-family limit, and
 * move the addresses into c. */
static int finish_addresses(struct entries *l, struct static_conf *c, struct cni_err *err)
{
	size_t num_v4 = 0, num_v6 = 0;
	int r;

	for (size_t i = 0; i < l->n; i++) {
		struct static_addr *a = &l->v[i].a;
		char buf[IP_STRLEN], gw[IP_STRLEN];

		if (l->v[i].text) {
			r = parse_cidr(l->v[i].text, CNI_ERR_INVALID_CONFIG,
				       "the 'address' field is expected to be in CIDR notation",
				       &a->address, err);
			if (r < 0)
				return r;
			l->v[i].text = NULL;
		}
		if (a->gateway.family && a->gateway.family != a->address.ip.family)
			return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
					   "gateway '%s' and address '%s' are of different IP "
					   "families",
					   ip_format(&a->gateway, gw, sizeof(gw)),
					   ipnet_format(&a->address, buf, sizeof(buf)));
		if (a->address.ip.family == AF_INET)
			num_v4++;
		else
			num_v6++;
	}
	r = cni_result_check_ip_count(c->cni_version, num_v4, num_v6, err);
	if (r < 0)
		return r;
	c->addrs = calloc(l->n ? l->n : 1, sizeof(*c->addrs));
	if (!c->addrs)
		return cni_err_nomem(err);
	for (size_t i = 0; i < l->n; i++)
		c->addrs[i] = l->v[i].a;
	c->n_addrs = c->cap_addrs = l->n;
	return 0;
}

int static_conf_load(const char *data, size_t len, const char *env_args, struct static_conf **ret,
		     struct cni_err *err)
{
	_cleanup_(static_conf_freep) struct static_conf *c = NULL;
	_cleanup_(cjson_freep) cJSON *root = NULL;
	_cleanup_free_ struct entry *entries_v = NULL;
	const cJSON *ipam = NULL, *rc = NULL, *args = NULL, *args_cni = NULL;
	struct entries l = {0};
	const char *s = NULL;
	int r;

	if (conf_parse_object(data, len, "failed to parse network config", &root, err) < 0)
		return cni_err_ret(err);
	c = calloc(1, sizeof(*c));
	if (!c)
		return cni_err_nomem(err);
	if (conf_strdup(root, "cniVersion", &c->cni_version, err) < 0 ||
	    conf_object(root, "ipam", &ipam, err) < 0 ||
	    conf_object(root, "runtimeConfig", &rc, err) < 0 ||
	    conf_object(root, "args", &args, err) < 0 ||
	    conf_object(args, "cni", &args_cni, err) < 0)
		return cni_err_ret(err);
	if (!c->cni_version && !(c->cni_version = strdup("")))
		return cni_err_nomem(err);
	if (!ipam)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG, "IPAM config missing 'ipam' key");
	if (conf_string(ipam, "type", &s, err) < 0 || conf_string(ipam, "name", &s, err) < 0 ||
	    cni_routes_conf_parse(ipam, parse_route, &c->routes, &c->n_routes, err) < 0 ||
	    cni_dns_parse(conf_get(ipam, "dns"), &c->dns, err) < 0)
		return cni_err_ret(err);

	r = parse_addresses(ipam, &l, err);
	if (r == 0)
		r = parse_env_args(env_args, &l, err);
	if (r == 0)
		r = replace_with_ips(args_cni, &l, err);
	if (r == 0)
		r = replace_with_ips(rc, &l, err);
	if (r == 0)
		r = finish_addresses(&l, c, err);
	entries_v = l.v;
	if (r < 0)
		return r;
	*ret = TAKE_PTR(c);
	return 0;
}

int static_conf_result(const struct static_conf *c, struct cni_result **ret, struct cni_err *err)
{
	_cleanup_(cni_result_freep) struct cni_result *r = cni_result_new();

	if (!r)
		return cni_err_nomem(err);
	for (size_t i = 0; i < c->n_addrs; i++) {
		struct cni_ip ip = {.address = c->addrs[i].address,
				    .gateway = c->addrs[i].gateway,
				    .iface = -1};

		if (cni_result_add_ip(r, &ip) < 0)
			return cni_err_nomem(err);
	}
	for (size_t i = 0; i < c->n_routes; i++)
		if (cni_result_add_route(r, &c->routes[i]) < 0)
			return cni_err_nomem(err);
	if (cni_dns_copy(&r->dns, &c->dns) < 0)
		return cni_err_nomem(err);
	*ret = TAKE_PTR(r);
	return 0;
}

int static_conf_match(const struct static_conf *c, const struct cni_result *prev,
		      const char *ifname, struct cni_err *err)
{
	for (size_t i = 0; i < c->n_addrs; i++) {
		const struct static_addr *want = &c->addrs[i];

		for (size_t k = 0; k < prev->n_ips; k++) {
			struct ip_net have = prev->ips[k].address;
			char buf[IP_STRLEN];

			canonicalize(&have);
			if (!ip_equal(&want->address.ip, &have.ip))
				continue;
			/* The first prevResult entry with the address decides. */
			if (!want->gateway.family ||
			    ip_equal(&want->gateway, &prev->ips[k].gateway))
				break;
			return cni_err_set(err, CNI_ERR_INTERNAL,
					   "static: Failed to match addr %s on interface %s",
					   ip_format(&have.ip, buf, sizeof(buf)), ifname);
		}
	}
	return 0;
}
