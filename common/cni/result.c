/* SPDX-License-Identifier: Apache-2.0 */
/* Results of every CNI version: parse into one form, print in any version. */
#include "cni/result.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "cleanup.h"
#include "cni/cni.h"
#include "cni/conf.h"

/* Which JSON layout a version uses. */
enum result_family {
	FAMILY_NONE,
	FAMILY_020, /* 0.1.0, 0.2.0: ip4/ip6 */
	FAMILY_040, /* 0.3.0, 0.3.1, 0.4.0: ips[].version */
	FAMILY_100, /* 1.0.0, 1.1.0 */
};

static enum result_family version_family(const char *v)
{
	if (!strcmp(v, "0.1.0") || !strcmp(v, "0.2.0"))
		return FAMILY_020;
	if (!strcmp(v, "0.3.0") || !strcmp(v, "0.3.1") || !strcmp(v, "0.4.0"))
		return FAMILY_040;
	if (!strcmp(v, "1.0.0") || !strcmp(v, "1.1.0"))
		return FAMILY_100;
	return FAMILY_NONE;
}

static const char *family_versions(enum result_family f)
{
	switch (f) {
	case FAMILY_020:
		return "[0.1.0 0.2.0]";
	case FAMILY_040:
		return "[0.3.0 0.3.1 0.4.0]";
	default:
		return "[1.0.0 1.1.0]";
	}
}

struct cni_result *cni_result_new(void)
{
	struct cni_result *r = calloc(1, sizeof(*r));

	if (r)
		snprintf(r->cni_version, sizeof(r->cni_version), "1.1.0");
	return r;
}

void cni_dns_clear(struct cni_dns *d)
{
	strv_free(d->nameservers);
	free(d->domain);
	strv_free(d->search);
	strv_free(d->options);
	memset(d, 0, sizeof(*d));
}

bool cni_dns_empty(const struct cni_dns *d)
{
	return !(d->nameservers && d->nameservers[0]) && !(d->domain && d->domain[0]) &&
	       !(d->search && d->search[0]) && !(d->options && d->options[0]);
}

static char **strv_copy(char **v, bool *failed)
{
	size_t n = 0;
	char **c;

	if (!v)
		return NULL;
	while (v[n])
		n++;
	c = calloc(n + 1, sizeof(*c));
	if (!c) {
		*failed = true;
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		c[i] = strdup(v[i]);
		if (!c[i]) {
			strv_free(c);
			*failed = true;
			return NULL;
		}
	}
	return c;
}

int cni_dns_copy(struct cni_dns *dst, const struct cni_dns *src)
{
	struct cni_dns d = {0};
	bool failed = false;

	d.nameservers = strv_copy(src->nameservers, &failed);
	d.search = strv_copy(src->search, &failed);
	d.options = strv_copy(src->options, &failed);
	if (src->domain) {
		d.domain = strdup(src->domain);
		failed |= !d.domain;
	}
	if (failed) {
		cni_dns_clear(&d);
		return -ENOMEM;
	}
	cni_dns_clear(dst);
	*dst = d;
	return 0;
}

static void iface_clear(struct cni_iface *i)
{
	free(i->name);
	free(i->mac);
	free(i->sandbox);
	free(i->socket_path);
	free(i->pci_id);
}

void cni_result_free(struct cni_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_ifaces; i++)
		iface_clear(&r->ifaces[i]);
	free(r->ifaces);
	free(r->ips);
	free(r->routes);
	cni_dns_clear(&r->dns);
	free(r);
}

static char *dup_or_null(const char *s, bool *failed)
{
	char *c;

	if (!s)
		return NULL;
	c = strdup(s);
	if (!c)
		*failed = true;
	return c;
}

int cni_result_add_iface(struct cni_result *r, const char *name, const char *mac,
			 const char *sandbox)
{
	struct cni_iface i = {0};
	bool failed = false;

	if (ARRAY_RESERVE(r->ifaces, r->cap_ifaces, r->n_ifaces + 1) < 0)
		return -ENOMEM;
	i.name = dup_or_null(name ? name : "", &failed);
	i.mac = dup_or_null(mac, &failed);
	i.sandbox = dup_or_null(sandbox, &failed);
	if (failed) {
		iface_clear(&i);
		return -ENOMEM;
	}
	r->ifaces[r->n_ifaces] = i;
	return (int)r->n_ifaces++;
}

int cni_result_add_ip(struct cni_result *r, const struct cni_ip *ip)
{
	if (ARRAY_RESERVE(r->ips, r->cap_ips, r->n_ips + 1) < 0)
		return -ENOMEM;
	r->ips[r->n_ips++] = *ip;
	return 0;
}

int cni_result_add_route(struct cni_result *r, const struct cni_route *rt)
{
	if (ARRAY_RESERVE(r->routes, r->cap_routes, r->n_routes + 1) < 0)
		return -ENOMEM;
	r->routes[r->n_routes++] = *rt;
	return 0;
}

/* ---- parsing -------------------------------------------------------------- */

static int decode_err(struct cni_err *err, const char *what, const char *key)
{
	return cni_err_set(err, CNI_ERR_DECODE, "failed to decode result: '%s' %s", key, what);
}

static int get_str(const cJSON *o, const char *key, const char **ret, struct cni_err *err)
{
	const cJSON *v = conf_get(o, key);

	*ret = NULL;
	if (!v)
		return 0;
	if (conf_is_nul_string(v))
		return decode_err(err, "must not contain a NUL character", key);
	if (!cJSON_IsString(v))
		return decode_err(err, "must be a string", key);
	*ret = v->valuestring;
	return 0;
}

static int get_int(const cJSON *o, const char *key, bool *ret_present, int *ret,
		   struct cni_err *err)
{
	const cJSON *v = conf_get(o, key);

	if (ret_present)
		*ret_present = false;
	if (!v)
		return 0;
	/* Range first: converting a double outside int's range is undefined. */
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= INT_MIN && v->valuedouble <= INT_MAX) ||
	    v->valuedouble != (double)(int)v->valuedouble)
		return decode_err(err, "must be an integer", key);
	*ret = (int)v->valuedouble;
	if (ret_present)
		*ret_present = true;
	return 0;
}

static int get_cidr(const cJSON *o, const char *key, bool required, struct ip_net *ret,
		    struct cni_err *err)
{
	const char *s;

	if (get_str(o, key, &s, err) < 0)
		return cni_err_ret(err);
	if (!s) {
		if (required)
			return decode_err(err, "is missing", key);
		return 0;
	}
	if (ipnet_parse(s, ret) < 0)
		return cni_err_set(err, CNI_ERR_DECODE,
				   "failed to decode result: '%s': invalid CIDR address: %s", key,
				   s);
	return 0;
}

static int get_ip(const cJSON *o, const char *key, struct ip_addr *ret, struct cni_err *err)
{
	const char *s;

	memset(ret, 0, sizeof(*ret));
	if (get_str(o, key, &s, err) < 0)
		return cni_err_ret(err);
	if (!s || !*s)
		return 0;
	if (ip_parse(s, ret) < 0)
		return cni_err_set(err, CNI_ERR_DECODE,
				   "failed to decode result: '%s': invalid IP address: %s", key, s);
	return 0;
}

int cni_dns_parse(const cJSON *obj, struct cni_dns *ret, struct cni_err *err)
{
	struct cni_dns d = {0};
	const char *domain = NULL;

	if (!obj)
		return 0;
	if (!cJSON_IsObject(obj))
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG, "'dns' must be an object");
	if (conf_string_list(obj, "nameservers", &d.nameservers, NULL, err) < 0 ||
	    conf_string_list(obj, "search", &d.search, NULL, err) < 0 ||
	    conf_string_list(obj, "options", &d.options, NULL, err) < 0 ||
	    conf_string(obj, "domain", &domain, err) < 0) {
		cni_dns_clear(&d);
		return cni_err_ret(err);
	}
	if (domain && !(d.domain = strdup(domain))) {
		cni_dns_clear(&d);
		return cni_err_nomem(err);
	}
	cni_dns_clear(ret);
	*ret = d;
	return 0;
}

int cni_routes_conf_parse(const cJSON *obj, cni_route_conf_fn parse_entry,
			  struct cni_route **ret_routes, size_t *ret_n, struct cni_err *err)
{
	_cleanup_free_ struct cni_route *routes = NULL;
	const cJSON *arr = NULL, *it;
	size_t n = 0;
	int r;

	*ret_routes = NULL;
	*ret_n = 0;
	if (conf_array(obj, "routes", &arr, err) < 0)
		return cni_err_ret(err);
	if (!arr || cJSON_GetArraySize(arr) == 0)
		return 0;
	routes = calloc((size_t)cJSON_GetArraySize(arr), sizeof(*routes));
	if (!routes)
		return cni_err_nomem(err);
	cJSON_ArrayForEach (it, arr) {
		if (!cJSON_IsObject(it))
			return cni_err_set(
				err, CNI_ERR_INVALID_CONFIG,
				"invalid network config: 'routes' must be a list of objects");
		r = parse_entry(it, n, &routes[n], err);
		if (r < 0)
			return r;
		n++;
	}
	*ret_routes = TAKE_PTR(routes);
	*ret_n = n;
	return 0;
}

int cni_result_check_ip_count(const char *version, size_t num_v4, size_t num_v6,
			      struct cni_err *err)
{
	int v[3];

	if (num_v4 <= 1 && num_v6 <= 1)
		return 0;
	if (cni_version_parse(version, v) < 0 || (v[0] == 0 && v[1] < 3))
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
				   "CNI version %s does not support more than 1 address per family",
				   version);
	return 0;
}

static int parse_route(const cJSON *o, struct cni_route *rt, struct cni_err *err)
{
	memset(rt, 0, sizeof(*rt));
	if (!cJSON_IsObject(o))
		return decode_err(err, "entries must be objects", "routes");
	if (get_cidr(o, "dst", true, &rt->dst, err) < 0 || get_ip(o, "gw", &rt->gw, err) < 0 ||
	    get_int(o, "mtu", NULL, &rt->mtu, err) < 0 ||
	    get_int(o, "advmss", NULL, &rt->advmss, err) < 0 ||
	    get_int(o, "priority", NULL, &rt->priority, err) < 0 ||
	    get_int(o, "table", &rt->has_table, &rt->table, err) < 0 ||
	    get_int(o, "scope", &rt->has_scope, &rt->scope, err) < 0)
		return cni_err_ret(err);
	return 0;
}

static int parse_routes(const cJSON *arr, struct cni_result *r, struct cni_err *err)
{
	const cJSON *it;

	if (!arr)
		return 0;
	if (!cJSON_IsArray(arr))
		return decode_err(err, "must be a list", "routes");
	cJSON_ArrayForEach (it, arr) {
		struct cni_route rt;
		if (parse_route(it, &rt, err) < 0)
			return cni_err_ret(err);
		if (cni_result_add_route(r, &rt) < 0)
			return cni_err_nomem(err);
	}
	return 0;
}

static int parse_020_ip(const cJSON *o, const char *key, struct cni_result *r, struct cni_err *err)
{
	const cJSON *cfg = conf_get(o, key);
	struct cni_ip ip = {.iface = -1};

	if (!cfg)
		return 0;
	if (!cJSON_IsObject(cfg))
		return decode_err(err, "must be an object", key);
	if (get_cidr(cfg, "ip", true, &ip.address, err) < 0 ||
	    get_ip(cfg, "gateway", &ip.gateway, err) < 0)
		return cni_err_ret(err);
	if (cni_result_add_ip(r, &ip) < 0)
		return cni_err_nomem(err);
	return parse_routes(conf_get(cfg, "routes"), r, err);
}

static int parse_current(const cJSON *o, struct cni_result *r, struct cni_err *err)
{
	const cJSON *arr, *it;

	arr = conf_get(o, "interfaces");
	if (arr && !cJSON_IsArray(arr))
		return decode_err(err, "must be a list", "interfaces");
	cJSON_ArrayForEach (it, arr) {
		const char *name, *mac, *sandbox, *sock, *pci;
		int idx, mtu = 0;
		if (!cJSON_IsObject(it))
			return decode_err(err, "entries must be objects", "interfaces");
		if (get_str(it, "name", &name, err) < 0 || get_str(it, "mac", &mac, err) < 0 ||
		    get_str(it, "sandbox", &sandbox, err) < 0 ||
		    get_str(it, "socketPath", &sock, err) < 0 ||
		    get_str(it, "pciID", &pci, err) < 0 || get_int(it, "mtu", NULL, &mtu, err) < 0)
			return cni_err_ret(err);
		idx = cni_result_add_iface(r, name, mac && *mac ? mac : NULL,
					   sandbox && *sandbox ? sandbox : NULL);
		if (idx < 0)
			return cni_err_nomem(err);
		r->ifaces[idx].mtu = mtu;
		if ((sock && *sock && !(r->ifaces[idx].socket_path = strdup(sock))) ||
		    (pci && *pci && !(r->ifaces[idx].pci_id = strdup(pci))))
			return cni_err_nomem(err);
	}
	arr = conf_get(o, "ips");
	if (arr && !cJSON_IsArray(arr))
		return decode_err(err, "must be a list", "ips");
	cJSON_ArrayForEach (it, arr) {
		struct cni_ip ip = {.iface = -1};
		bool has_iface;
		if (!cJSON_IsObject(it))
			return decode_err(err, "entries must be objects", "ips");
		if (get_cidr(it, "address", true, &ip.address, err) < 0 ||
		    get_ip(it, "gateway", &ip.gateway, err) < 0 ||
		    get_int(it, "interface", &has_iface, &ip.iface, err) < 0)
			return cni_err_ret(err);
		if (!has_iface)
			ip.iface = -1;
		if (cni_result_add_ip(r, &ip) < 0)
			return cni_err_nomem(err);
	}
	return parse_routes(conf_get(o, "routes"), r, err);
}

int cni_result_parse(const cJSON *obj, const char *default_version, struct cni_result **ret,
		     struct cni_err *err)
{
	_cleanup_(cni_result_freep) struct cni_result *r = NULL;
	const char *version = NULL;
	enum result_family fam;

	if (!cJSON_IsObject(obj))
		return cni_err_set(err, CNI_ERR_DECODE, "failed to decode result: not an object");
	if (get_str(obj, "cniVersion", &version, err) < 0)
		return cni_err_ret(err);
	if (!version || !*version)
		version = default_version;
	fam = version_family(version);
	if (fam == FAMILY_NONE)
		return cni_err_set(err, CNI_ERR_DECODE, "unsupported CNI result version \"%s\"",
				   version);
	r = cni_result_new();
	if (!r)
		return cni_err_nomem(err);
	snprintf(r->cni_version, sizeof(r->cni_version), "%s", version);
	if (fam == FAMILY_020) {
		if (parse_020_ip(obj, "ip4", r, err) < 0 || parse_020_ip(obj, "ip6", r, err) < 0)
			return cni_err_ret(err);
	} else if (parse_current(obj, r, err) < 0) {
		return cni_err_ret(err);
	}
	if (conf_get(obj, "dns") && cni_dns_parse(conf_get(obj, "dns"), &r->dns, err) < 0) {
		err->code = CNI_ERR_DECODE;
		return cni_err_ret(err);
	}
	*ret = TAKE_PTR(r);
	return 0;
}

int cni_result_parse_text(const char *text, const char *default_version, struct cni_result **ret,
			  struct cni_err *err)
{
	_cleanup_(cjson_freep) cJSON *o = NULL;

	if (conf_parse_object(text, text ? strlen(text) : 0, "failed to decode result", &o, err) <
	    0)
		return cni_err_ret(err);
	return cni_result_parse(o, default_version, ret, err);
}

int cni_prev_result(const cJSON *conf, const char *conf_version, struct cni_result **ret,
		    struct cni_err *err)
{
	const cJSON *prev = conf_get(conf, "prevResult");
	const char *version = NULL;
	enum result_family want;
	struct cni_result *r;

	*ret = NULL;
	if (!prev)
		return 0;
	if (!cJSON_IsObject(prev))
		return cni_err_set(err, CNI_ERR_DECODE,
				   "could not parse prevResult: not an object");
	if (get_str(prev, "cniVersion", &version, err) < 0)
		return cni_err_prefix(err, "could not parse prevResult");
	if (!version || !*version)
		version = conf_version;
	want = version_family(conf_version);
	if (want == FAMILY_NONE)
		return cni_err_set(err, CNI_ERR_DECODE, "unsupported CNI result version \"%s\"",
				   conf_version);
	if (version_family(version) != want)
		return cni_err_set(err, CNI_ERR_DECODE,
				   "could not parse prevResult: result type supports %s but "
				   "unmarshalled CNIVersion is \"%s\"",
				   family_versions(want), version);
	if (cni_result_parse(prev, version, &r, err) < 0)
		return cni_err_prefix(err, "could not parse prevResult");
	*ret = r;
	return 0;
}

/* ---- printing ------------------------------------------------------------- */

static bool add_str(cJSON *o, const char *key, const char *val)
{
	return cJSON_AddStringToObject(o, key, val) != NULL;
}

static bool add_ip_str(cJSON *o, const char *key, const struct ip_addr *a)
{
	char buf[IP_STRLEN];

	return add_str(o, key, ip_format(a, buf, sizeof(buf)));
}

static bool add_net_str(cJSON *o, const char *key, const struct ip_net *n)
{
	char buf[IP_STRLEN];

	return add_str(o, key, ipnet_format(n, buf, sizeof(buf)));
}

static bool add_strv(cJSON *o, const char *key, char **v)
{
	cJSON *arr;

	if (!v || !v[0])
		return true;
	arr = cJSON_AddArrayToObject(o, key);
	if (!arr)
		return false;
	for (; *v; v++) {
		cJSON *s = cJSON_CreateString(*v);
		if (!s)
			return false;
		cJSON_AddItemToArray(arr, s);
	}
	return true;
}

static bool add_dns(cJSON *o, const struct cni_dns *d)
{
	cJSON *dns = cJSON_AddObjectToObject(o, "dns");

	if (!dns)
		return false;
	return add_strv(dns, "nameservers", d->nameservers) &&
	       (!d->domain || !*d->domain || add_str(dns, "domain", d->domain)) &&
	       add_strv(dns, "search", d->search) && add_strv(dns, "options", d->options);
}

static cJSON *route_json(const struct cni_route *rt, bool extras)
{
	cJSON *o = cJSON_CreateObject();
	bool ok;

	if (!o)
		return NULL;
	ok = add_net_str(o, "dst", &rt->dst);
	if (ok && rt->gw.family)
		ok = add_ip_str(o, "gw", &rt->gw);
	if (ok && extras) {
		if (rt->mtu)
			ok = ok && cJSON_AddNumberToObject(o, "mtu", rt->mtu);
		if (rt->advmss)
			ok = ok && cJSON_AddNumberToObject(o, "advmss", rt->advmss);
		if (rt->priority)
			ok = ok && cJSON_AddNumberToObject(o, "priority", rt->priority);
		if (rt->has_table)
			ok = ok && cJSON_AddNumberToObject(o, "table", rt->table);
		if (rt->has_scope)
			ok = ok && cJSON_AddNumberToObject(o, "scope", rt->scope);
	}
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static bool add_routes(cJSON *o, const char *key, const struct cni_route *routes, size_t n,
		       int family, bool extras)
{
	cJSON *arr = NULL;

	for (size_t i = 0; i < n; i++) {
		cJSON *rt;
		if (family && routes[i].dst.ip.family != family)
			continue;
		if (!arr && !(arr = cJSON_AddArrayToObject(o, key)))
			return false;
		rt = route_json(&routes[i], extras);
		if (!rt)
			return false;
		cJSON_AddItemToArray(arr, rt);
	}
	return true;
}

static bool build_020(const struct cni_result *r, cJSON *o)
{
	static const struct {
		const char *key;
		int family;
	} fams[] = {{"ip4", AF_INET}, {"ip6", AF_INET6}};

	for (size_t f = 0; f < ARRAY_SIZE(fams); f++) {
		const struct cni_ip *ip = NULL;
		cJSON *cfg;
		for (size_t i = 0; i < r->n_ips && !ip; i++)
			if (r->ips[i].address.ip.family == fams[f].family)
				ip = &r->ips[i];
		if (!ip)
			continue;
		cfg = cJSON_AddObjectToObject(o, fams[f].key);
		if (!cfg || !add_net_str(cfg, "ip", &ip->address))
			return false;
		if (ip->gateway.family && !add_ip_str(cfg, "gateway", &ip->gateway))
			return false;
		if (!add_routes(cfg, "routes", r->routes, r->n_routes, fams[f].family, false))
			return false;
	}
	return add_dns(o, &r->dns);
}

/* Add key only when val is a non-empty string; false on allocation failure. */
static bool add_nonempty(cJSON *o, const char *key, const char *val)
{
	return !val || !*val || add_str(o, key, val);
}

/* A new object appended to the array member key of o (created on the first call). */
static cJSON *append_object(cJSON *o, const char *key)
{
	cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, key);
	cJSON *item;

	if (!arr)
		arr = cJSON_AddArrayToObject(o, key);
	item = arr ? cJSON_CreateObject() : NULL;
	if (item && !cJSON_AddItemToArray(arr, item)) {
		cJSON_Delete(item);
		return NULL;
	}
	return item;
}

static bool add_iface(cJSON *o, const struct cni_iface *it, bool v1)
{
	cJSON *io = append_object(o, "interfaces");

	if (!io || !add_str(io, "name", it->name ? it->name : "") ||
	    !add_nonempty(io, "mac", it->mac))
		return false;
	if (v1 && it->mtu && !cJSON_AddNumberToObject(io, "mtu", it->mtu))
		return false;
	if (!add_nonempty(io, "sandbox", it->sandbox))
		return false;
	return !v1 || (add_nonempty(io, "socketPath", it->socket_path) &&
		       add_nonempty(io, "pciID", it->pci_id));
}

static bool add_ip(cJSON *o, const struct cni_ip *ip, bool v1)
{
	cJSON *io = append_object(o, "ips");

	if (!io)
		return false;
	if (!v1 && !add_str(io, "version", ip->address.ip.family == AF_INET ? "4" : "6"))
		return false;
	if (ip->iface >= 0 && !cJSON_AddNumberToObject(io, "interface", ip->iface))
		return false;
	if (!add_net_str(io, "address", &ip->address))
		return false;
	return !ip->gateway.family || add_ip_str(io, "gateway", &ip->gateway);
}

static bool build_current(const struct cni_result *r, cJSON *o, bool v1)
{
	for (size_t i = 0; i < r->n_ifaces; i++)
		if (!add_iface(o, &r->ifaces[i], v1))
			return false;
	for (size_t i = 0; i < r->n_ips; i++)
		if (!add_ip(o, &r->ips[i], v1))
			return false;
	if (!add_routes(o, "routes", r->routes, r->n_routes, 0, true))
		return false;
	/* 1.x results (maps in Go) drop an empty dns; 0.3/0.4 always print it. */
	if (v1 && cni_dns_empty(&r->dns))
		return true;
	return add_dns(o, &r->dns);
}

int cni_result_to_json(const struct cni_result *r, const char *version, cJSON **ret,
		       struct cni_err *err)
{
	_cleanup_(cjson_freep) cJSON *o = NULL;
	enum result_family fam = version_family(version);
	bool ok;

	if (fam == FAMILY_NONE)
		return cni_err_set(err, CNI_ERR_INCOMPATIBLE_VERSION,
				   "cannot convert result to unsupported version \"%s\"", version);
	if (fam == FAMILY_020) {
		bool any = false;
		for (size_t i = 0; i < r->n_ips; i++)
			any |= r->ips[i].address.ip.family == AF_INET ||
			       r->ips[i].address.ip.family == AF_INET6;
		if (!any)
			return cni_err_set(err, CNI_ERR_INTERNAL,
					   "cannot convert: no valid IP addresses");
	}
	o = cJSON_CreateObject();
	if (!o || !add_str(o, "cniVersion", version))
		return cni_err_nomem(err);
	if (fam == FAMILY_020)
		ok = build_020(r, o);
	else
		ok = build_current(r, o, fam == FAMILY_100);
	if (!ok)
		return cni_err_nomem(err);
	if (fam == FAMILY_100)
		cni_json_sort_keys(o);
	*ret = TAKE_PTR(o);
	return 0;
}

int cni_result_print(const struct cni_result *r, const char *version, char **ret,
		     struct cni_err *err)
{
	_cleanup_(cjson_freep) cJSON *o = NULL;
	char *text;

	if (cni_result_to_json(r, version, &o, err) < 0)
		return cni_err_ret(err);
	text = cni_json_print(o, true);
	if (!text)
		return cni_err_nomem(err);
	*ret = text;
	return 0;
}
