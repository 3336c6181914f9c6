/* SPDX-License-Identifier: Apache-2.0 */
/* Parsing and validating the bridge plugin's configuration. */
#include "bridge/netconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cni/conf.h"
#include "hwaddr.h"
#include "ifname.h"

void bridge_conf_free(struct bridge_conf *c)
{
	if (!c)
		return;
	free(c->name);
	free(c->cni_version);
	free(c->bridge);
	free(c->trunk);
	free(c->ipam_type);
	cni_dns_clear(&c->dns);
	free(c->mac);
	cni_result_free(c->prev);
	free(c);
}

int bridge_parse_mac(const char *s, uint8_t mac[6])
{
	uint8_t bytes[HWADDR_MAX];
	size_t len;

	if (hwaddr_parse(s, bytes, &len) < 0 || len != 6)
		return -1;
	memcpy(mac, bytes, 6);
	return 0;
}

static int u16_cmp(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/* vlanTrunk: [{id}|{minID,maxID}] -> sorted unique VIDs, with the reference's errors. */
static int load_trunk(const cJSON *root, struct bridge_conf *c, struct cni_err *err)
{
	const cJSON *arr, *it;
	bool seen[BRIDGE_VLAN_MAX + 1] = {false};
	size_t n = 0;

	if (conf_array(root, "vlanTrunk", &arr, err) < 0)
		return cni_err_ret(err);
	if (!arr)
		return 0;
	/* Even an empty list turns on the bridge's VLAN filtering, as in the reference. */
	c->has_trunk = true;
	cJSON_ArrayForEach (it, arr) {
		long long min = 0, max = 0, id = 0;
		bool has_min = conf_get(it, "minID") != NULL,
		     has_max = conf_get(it, "maxID") != NULL;
		bool has_id = conf_get(it, "id") != NULL;

		if (!cJSON_IsObject(it))
			return cni_err_set(
				err, CNI_ERR_INVALID_CONFIG,
				"invalid network config: 'vlanTrunk' entries must be objects");
		if (conf_int(it, "minID", -(1LL << 31), 1LL << 31, &min, err) < 0 ||
		    conf_int(it, "maxID", -(1LL << 31), 1LL << 31, &max, err) < 0 ||
		    conf_int(it, "id", -(1LL << 31), 1LL << 31, &id, err) < 0)
			return cni_err_ret(err);
		if (has_min && has_max) {
			if (min <= 0 || min > BRIDGE_VLAN_MAX)
				return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
						   "incorrect trunk minID parameter");
			if (max <= 0 || max > BRIDGE_VLAN_MAX)
				return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
						   "incorrect trunk maxID parameter");
			if (max < min)
				return cni_err_set(
					err, CNI_ERR_INVALID_CONFIG,
					"minID is greater than maxID in trunk parameter");
			for (long long v = min; v <= max; v++)
				seen[v] = true;
		} else if (has_max) {
			return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
					   "minID and maxID should be configured simultaneously, "
					   "minID is missing");
		} else if (has_min) {
			return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
					   "minID and maxID should be configured simultaneously, "
					   "maxID is missing");
		}
		if (has_id) {
			if (id <= 0 || id > BRIDGE_VLAN_MAX)
				return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
						   "incorrect trunk id parameter");
			seen[id] = true;
		}
	}
	for (int v = 1; v <= BRIDGE_VLAN_MAX; v++)
		n += seen[v];
	if (!n)
		return 0;
	c->trunk = calloc(n, sizeof(*c->trunk));
	if (!c->trunk)
		return cni_err_nomem(err);
	for (int v = 1; v <= BRIDGE_VLAN_MAX; v++)
		if (seen[v])
			c->trunk[c->n_trunk++] = (uint16_t)v;
	qsort(c->trunk, c->n_trunk, sizeof(*c->trunk), u16_cmp);
	return 0;
}

/* MAC precedence: CNI_ARGS MAC < args.cni.mac < runtimeConfig.mac. */
static int load_mac(const cJSON *root, const char *env_args, struct bridge_conf *c,
		    struct cni_err *err)
{
	struct cni_arg fields[] = {{.key = "MAC"}};
	const cJSON *args, *cni, *rc;
	const char *mac = NULL;
	uint8_t bytes[6];

	if (cni_args_load(env_args, fields, ARRAY_SIZE(fields), err) < 0)
		return cni_err_ret(err);
	if (fields[0].value && fields[0].value[0])
		c->mac = TAKE_PTR(fields[0].value);
	cni_args_free(fields, ARRAY_SIZE(fields));
	if (conf_object(root, "args", &args, err) < 0 || conf_object(args, "cni", &cni, err) < 0 ||
	    conf_string(cni, "mac", &mac, err) < 0)
		return cni_err_ret(err);
	if (mac && *mac && !(free(c->mac), c->mac = strdup(mac)))
		return cni_err_nomem(err);
	mac = NULL;
	if (conf_object(root, "runtimeConfig", &rc, err) < 0 ||
	    conf_string(rc, "mac", &mac, err) < 0)
		return cni_err_ret(err);
	if (mac && *mac && !(free(c->mac), c->mac = strdup(mac)))
		return cni_err_nomem(err);
	if (c->mac && bridge_parse_mac(c->mac, bytes) < 0)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG, "invalid MAC address '%s'", c->mac);
	return 0;
}

/* The loader; with lenient_prev an unusable prevResult is dropped instead of failing. */
static int conf_load(const struct cni_cmd_args *args, bool lenient_prev, struct bridge_conf **ret,
		     struct cni_err *err)
{
	_cleanup_(cjson_freep) cJSON *root = NULL;
	_cleanup_(bridge_conf_freep) struct bridge_conf *c = calloc(1, sizeof(*c));
	const cJSON *ipam, *dns;
	long long mtu = 0, vlan = 0;
	enum ifname_problem problem;

	if (!c)
		return cni_err_nomem(err);
	if (conf_parse_object(args->stdin_data, args->stdin_len, "failed to load netconf", &root,
			      err) < 0)
		return cni_err_ret(err);
	c->name = strdup(args->name ? args->name : "");
	c->cni_version = strdup(args->cni_version ? args->cni_version : "0.1.0");
	c->bridge = strdup("cni0");
	if (!c->name || !c->cni_version || !c->bridge)
		return cni_err_nomem(err);
	if (conf_strdup(root, "bridge", &c->bridge, err) < 0 ||
	    conf_bool(root, "isGateway", &c->is_gw, err) < 0 ||
	    conf_bool(root, "isDefaultGateway", &c->is_default_gw, err) < 0 ||
	    conf_bool(root, "forceAddress", &c->force_address, err) < 0 ||
	    conf_bool(root, "ipMasq", &c->ip_masq, err) < 0 ||
	    ipmasq_backend_load(root, &c->masq_backend, err) < 0 ||
	    conf_int(root, "mtu", -(1LL << 31), 1LL << 31, &mtu, err) < 0 ||
	    conf_bool(root, "hairpinMode", &c->hairpin, err) < 0 ||
	    conf_bool(root, "promiscMode", &c->promisc, err) < 0 ||
	    conf_int(root, "vlan", -(1LL << 31), 1LL << 31, &vlan, err) < 0 ||
	    conf_bool(root, "preserveDefaultVlan", &c->preserve_default_vlan, err) < 0 ||
	    conf_bool(root, "macspoofchk", &c->macspoofchk, err) < 0 ||
	    conf_bool(root, "enabledad", &c->enable_dad, err) < 0 ||
	    conf_bool(root, "disableContainerInterface", &c->disable_container_iface, err) < 0 ||
	    conf_bool(root, "portIsolation", &c->port_isolation, err) < 0)
		return cni_err_ret(err);
	if (!c->bridge[0])
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
				   "invalid network config: 'bridge' is empty");
	problem = ifname_check(c->bridge);
	if (problem != IFNAME_OK)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
				   "invalid network config: bridge name '%s' is not a valid "
				   "interface name: it %s",
				   c->bridge, ifname_problem_text(problem));
	if (mtu < 0 || mtu > 65535)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
				   "invalid network config: 'mtu' %lld out of range", mtu);
	c->mtu = (int)mtu;
	if (vlan < 0 || vlan > BRIDGE_VLAN_MAX)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
				   "invalid VLAN ID %lld (must be between 0 and 4094)", vlan);
	c->vlan = (int)vlan;
	if (load_trunk(root, c, err) < 0)
		return cni_err_ret(err);
	if (load_mac(root, args->args, c, err) < 0)
		return cni_err_ret(err);
	if (conf_object(root, "ipam", &ipam, err) < 0 ||
	    conf_strdup(ipam, "type", &c->ipam_type, err) < 0)
		return cni_err_ret(err);
	dns = conf_get(root, "dns");
	if (dns) {
		if (!cJSON_IsObject(dns))
			return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
					   "invalid network config: 'dns' must be an object");
		if (cni_dns_parse(dns, &c->dns, err) < 0)
			return cni_err_ret(err);
		c->has_dns = !cni_dns_empty(&c->dns);
	}
	if (cni_prev_result(root, c->cni_version, &c->prev, err) < 0) {
		if (!lenient_prev)
			return cni_err_ret(err);
		cni_err_clear(err);
		c->prev = NULL;
	}
	if (c->is_default_gw)
		c->is_gw = true;
	if (c->hairpin && c->promisc)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
				   "cannot set hairpin mode and promiscuous mode at the same time");
	if (bridge_conf_is_l3(c) && c->disable_container_iface)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
				   "cannot use IPAM when DisableContainerInterface flag is set");
	*ret = TAKE_PTR(c);
	return 0;
}

int bridge_conf_load(const struct cni_cmd_args *args, struct bridge_conf **ret, struct cni_err *err)
{
	return conf_load(args, false, ret, err);
}

int bridge_conf_load_for_del(const struct cni_cmd_args *args, struct bridge_conf **ret,
			     struct cni_err *err)
{
	return conf_load(args, true, ret, err);
}
