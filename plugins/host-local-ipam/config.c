/* SPDX-License-Identifier: Apache-2.0 */
/* host-local configuration (reference: backend/allocator/config.go). */
#include "host-local-ipam/config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "cleanup.h"
#include "cni/cni.h"
#include "cni/conf.h"

void ipam_conf_free(struct ipam_conf *c)
{
	if (!c)
		return;
	free(c->name);
	free(c->cni_version);
	free(c->data_dir);
	free(c->resolv_conf);
	for (size_t i = 0; i < c->n_sets; i++)
		ipam_range_set_clear(&c->sets[i]);
	free(c->sets);
	free(c->routes);
	free(c->requested);
	free(c);
}

/* Parse one range object. */
static int parse_range(const cJSON *obj, const char *key, struct ipam_range *r, struct cni_err *err)
{
	memset(r, 0, sizeof(*r));
	if (!cJSON_IsObject(obj))
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
				   "invalid network config: '%s' must be a list of range sets "
				   "(lists of range objects)",
				   key);
	if (conf_ipnet(obj, "subnet", &r->subnet, &r->has_subnet, err) < 0 ||
	    conf_ip(obj, "rangeStart", &r->start, &r->has_start, err) < 0 ||
	    conf_ip(obj, "rangeEnd", &r->end, &r->has_end, err) < 0 ||
	    conf_ip(obj, "gateway", &r->gateway, &r->has_gateway, err) < 0)
		return cni_err_ret(err);
	return 0;
}

/* Append one range set to c->sets (taking its ranges on success); 0 or -ENOMEM. */
static int push_set(struct ipam_conf *c, struct ipam_range_set *set)
{
	if (ARRAY_RESERVE(c->sets, c->cap_sets, c->n_sets + 1) < 0)
		return -ENOMEM;
	c->sets[c->n_sets++] = *set;
	set->ranges = NULL;
	set->n = 0;
	return 0;
}

/* Parse a list of range sets (the "ranges" / "ipRanges" shape) and append them. */
static int parse_range_sets(const cJSON *arr, const char *key, struct ipam_conf *c,
			    struct cni_err *err)
{
	const cJSON *set_json;

	cJSON_ArrayForEach (set_json, arr) {
		struct ipam_range_set set = {0};
		const cJSON *rj;
		size_t n;

		if (cJSON_IsNull(set_json)) {
			/* Go decodes null as an empty set, rejected later. */
		} else if (!cJSON_IsArray(set_json)) {
			return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
					   "invalid network config: '%s' must be a list of range "
					   "sets (lists of range objects)",
					   key);
		}
		n = cJSON_IsArray(set_json) ? (size_t)cJSON_GetArraySize(set_json) : 0;
		if (n) {
			set.ranges = calloc(n, sizeof(*set.ranges));
			if (!set.ranges)
				return cni_err_nomem(err);
		}
		if (cJSON_IsArray(set_json)) {
			cJSON_ArrayForEach (rj, set_json) {
				if (parse_range(rj, key, &set.ranges[set.n], err) < 0) {
					ipam_range_set_clear(&set);
					return cni_err_ret(err);
				}
				set.n++;
			}
		}
		if (push_set(c, &set) < 0) {
			ipam_range_set_clear(&set);
			return cni_err_nomem(err);
		}
	}
	return 0;
}

/* Append ip to the requested list unless already there (the reference keys a map by it);
 * 0 or -ENOMEM. */
static int push_requested(struct ipam_conf *c, const struct ip_addr *ip)
{
	for (size_t i = 0; i < c->n_requested; i++) {
		if (ip_equal(&c->requested[i], ip))
			return 0;
	}
	if (ARRAY_RESERVE(c->requested, c->cap_requested, c->n_requested + 1) < 0)
		return -ENOMEM;
	c->requested[c->n_requested++] = *ip;
	return 0;
}

/* Parse an "ips" list ("ip" or "ip/prefix", prefix ignored) into c->requested. */
static int parse_ips(const cJSON *obj, struct ipam_conf *c, struct cni_err *err)
{
	const cJSON *arr = NULL, *it;

	if (conf_array(obj, "ips", &arr, err) < 0)
		return cni_err_ret(err);
	cJSON_ArrayForEach (it, arr) {
		struct ip_net n;
		bool has_prefix;

		if (!cJSON_IsString(it))
			return cni_err_set(
				err, CNI_ERR_INVALID_CONFIG,
				"invalid network config: 'ips' must be a list of strings");
		if (!*it->valuestring)
			return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
					   "cannot understand ip: IP <nil> not v4 nor v6");
		if (ip_parse_maybe_prefix(it->valuestring, &n, &has_prefix) < 0)
			return cni_err_set(err, CNI_ERR_INVALID_CONFIG, "invalid IP address %s",
					   it->valuestring);
		if (push_requested(c, &n.ip) < 0)
			return cni_err_nomem(err);
	}
	return 0;
}

/* One entry of the routes list: {dst, gw?, mtu?, advmss?, priority?, table?, scope?}. */
static int parse_route(const cJSON *it, size_t index, struct cni_route *rt, struct cni_err *err)
{
	bool has_dst = false;

	if (conf_ipnet(it, "dst", &rt->dst, &has_dst, err) < 0 ||
	    conf_ip(it, "gw", &rt->gw, NULL, err) < 0)
		return cni_err_ret(err);
	if (!has_dst)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
				   "invalid network config: route %zu has no 'dst'", index);
	if (conf_int32(it, "mtu", 0, 0x7fffffff, NULL, &rt->mtu, err) < 0 ||
	    conf_int32(it, "advmss", 0, 0x7fffffff, NULL, &rt->advmss, err) < 0 ||
	    conf_int32(it, "priority", 0, 0x7fffffff, NULL, &rt->priority, err) < 0 ||
	    conf_int32(it, "table", -0x7fffffff, 0x7fffffff, &rt->has_table, &rt->table, err) < 0 ||
	    conf_int32(it, "scope", -0x7fffffff, 0x7fffffff, &rt->has_scope, &rt->scope, err) < 0)
		return cni_err_ret(err);
	return 0;
}

/* Requested IP from CNI_ARGS "IP=". */
static int parse_env_args(const char *env_args, struct ipam_conf *c, struct cni_err *err)
{
	struct cni_arg fields[] = {{.key = "IP"}};
	int r;

	r = cni_args_load(env_args, fields, ARRAY_SIZE(fields), err);
	if (r < 0)
		return r;
	if (fields[0].value && *fields[0].value) {
		struct ip_net n;
		bool has_prefix;

		if (ip_parse_maybe_prefix(fields[0].value, &n, &has_prefix) < 0)
			r = cni_err_set(err, CNI_ERR_INTERNAL,
					"ARGS: error parsing value of pair \"IP=%s\": invalid IP "
					"address %s",
					fields[0].value, fields[0].value);
		else if (push_requested(c, &n.ip) < 0)
			r = cni_err_nomem(err);
	}
	cni_args_free(fields, ARRAY_SIZE(fields));
	return r;
}

/* Validate the assembled range sets as the reference does, in its order. */
static int validate_sets(struct ipam_conf *c, struct cni_err *err)
{
	size_t num_v4 = 0, num_v6 = 0;
	int r;

	if (c->n_sets == 0)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG, "no IP ranges specified");
	for (size_t i = 0; i < c->n_sets; i++) {
		if (ipam_range_set_canonicalize(&c->sets[i], err) < 0) {
			err->code = CNI_ERR_INVALID_CONFIG;
			return cni_err_prefix(err, "invalid range set %zu", i);
		}
		if (c->sets[i].ranges[0].start.family == AF_INET)
			num_v4++;
		else
			num_v6++;
	}
	r = cni_result_check_ip_count(c->cni_version, num_v4, num_v6, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i + 1 < c->n_sets; i++) {
		for (size_t j = i + 1; j < c->n_sets; j++) {
			if (ipam_range_set_overlaps(&c->sets[i], &c->sets[j]))
				return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
						   "range set %zu overlaps with %zu", i, j);
		}
	}
	return 0;
}

int ipam_conf_load(const char *data, size_t len, const char *env_args, struct ipam_conf **ret,
		   struct cni_err *err)
{
	_cleanup_(ipam_conf_freep) struct ipam_conf *c = NULL;
	_cleanup_(cjson_freep) cJSON *root = NULL;
	const cJSON *ipam = NULL, *rc = NULL, *args = NULL, *args_cni = NULL, *ranges = NULL;
	const cJSON *ip_ranges = NULL;
	struct ipam_range legacy = {0};
	bool has_legacy = false;

	if (conf_parse_object(data, len, "error unmarshall network config", &root, err) < 0)
		return cni_err_ret(err);
	c = calloc(1, sizeof(*c));
	if (!c)
		return cni_err_nomem(err);
	if (conf_strdup(root, "name", &c->name, err) < 0 ||
	    conf_strdup(root, "cniVersion", &c->cni_version, err) < 0 ||
	    conf_object(root, "ipam", &ipam, err) < 0 ||
	    conf_object(root, "runtimeConfig", &rc, err) < 0 ||
	    conf_object(root, "args", &args, err) < 0)
		return cni_err_ret(err);
	if (!c->cni_version && !(c->cni_version = strdup("")))
		return cni_err_nomem(err);
	if (!c->name && !(c->name = strdup("")))
		return cni_err_nomem(err);
	if (args && conf_object(args, "cni", &args_cni, err) < 0)
		return cni_err_ret(err);
	if (rc && conf_array(rc, "ipRanges", &ip_ranges, err) < 0)
		return cni_err_ret(err);
	if (!ipam)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG, "IPAM config missing 'ipam' key");

	c->reclaim_on_reboot = true;
	if (conf_strdup(ipam, "dataDir", &c->data_dir, err) < 0 ||
	    conf_strdup(ipam, "resolvConf", &c->resolv_conf, err) < 0 ||
	    conf_bool(ipam, "reclaimOnReboot", &c->reclaim_on_reboot, err) < 0 ||
	    conf_array(ipam, "ranges", &ranges, err) < 0 ||
	    conf_ipnet(ipam, "subnet", &legacy.subnet, &has_legacy, err) < 0 ||
	    conf_ip(ipam, "rangeStart", &legacy.start, &legacy.has_start, err) < 0 ||
	    conf_ip(ipam, "rangeEnd", &legacy.end, &legacy.has_end, err) < 0 ||
	    conf_ip(ipam, "gateway", &legacy.gateway, &legacy.has_gateway, err) < 0 ||
	    cni_routes_conf_parse(ipam, parse_route, &c->routes, &c->n_routes, err) < 0)
		return cni_err_ret(err);
	if (c->resolv_conf && !*c->resolv_conf) {
		free(c->resolv_conf);
		c->resolv_conf = NULL;
	}

	/* Requested IPs: CNI_ARGS first, then args.cni.ips, then runtimeConfig.ips. */
	if (parse_env_args(env_args, c, err) < 0)
		return cni_err_ret(err);
	if (args_cni && parse_ips(args_cni, c, err) < 0)
		return cni_err_ret(err);
	if (rc && parse_ips(rc, c, err) < 0)
		return cni_err_ret(err);

	/* Order: runtime ipRanges, then the legacy single range, then ranges. */
	if (ip_ranges && parse_range_sets(ip_ranges, "ipRanges", c, err) < 0)
		return cni_err_ret(err);
	if (has_legacy) {
		struct ipam_range_set set = {.n = 1};

		legacy.has_subnet = true;
		set.ranges = malloc(sizeof(*set.ranges));
		if (!set.ranges)
			return cni_err_nomem(err);
		set.ranges[0] = legacy;
		if (push_set(c, &set) < 0) {
			ipam_range_set_clear(&set);
			return cni_err_nomem(err);
		}
	}
	if (ranges && parse_range_sets(ranges, "ranges", c, err) < 0)
		return cni_err_ret(err);
	if (validate_sets(c, err) < 0)
		return cni_err_ret(err);
	*ret = TAKE_PTR(c);
	return 0;
}
