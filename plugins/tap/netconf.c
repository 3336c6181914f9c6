/* SPDX-License-Identifier: Apache-2.0 */
/* Parsing the tap plugin's configuration. */
#include "tap/netconf.h"

#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "hwaddr.h"
#include "cni/conf.h"

void tap_conf_free(struct tap_conf *c)
{
	if (!c)
		return;
	free(c->cni_version);
	free(c->selinux_context);
	free(c->bridge);
	free(c->ipam_type);
	cni_dns_clear(&c->dns);
	cni_result_free(c->prev);
	free(c);
}

/* Replace *dst with a copy of s, or NULL when s is empty. */
static int set_nonempty(char **dst, const char *s, struct cni_err *err)
{
	free(*dst);
	*dst = NULL;
	if (s && *s && !(*dst = strdup(s)))
		return cni_err_nomem(err);
	return 0;
}

/* The MAC: "mac" < CNI_ARGS MAC < runtimeConfig.mac, the last non-empty one, six bytes. */
static int load_mac(const cJSON *root, const char *env_args, struct tap_conf *c,
		    struct cni_err *err)
{
	struct cni_arg fields[] = {{.key = "MAC"}};
	_cleanup_free_ char *mac = NULL;
	const char *s = NULL;
	const cJSON *rc;
	uint8_t bytes[HWADDR_MAX];
	size_t len;
	int r;

	if (conf_string(root, "mac", &s, err) < 0)
		return cni_err_ret(err);
	if ((r = set_nonempty(&mac, s, err)) < 0)
		return r;
	if (env_args && *env_args) {
		if (cni_args_load(env_args, fields, ARRAY_SIZE(fields), err) < 0)
			return cni_err_ret(err);
		r = fields[0].value && *fields[0].value ? set_nonempty(&mac, fields[0].value, err)
							: 0;
		cni_args_free(fields, ARRAY_SIZE(fields));
		if (r < 0)
			return r;
	}
	s = NULL;
	if (conf_object(root, "runtimeConfig", &rc, err) < 0 || conf_string(rc, "mac", &s, err) < 0)
		return cni_err_ret(err);
	if (s && *s && (r = set_nonempty(&mac, s, err)) < 0)
		return r;
	if (!mac)
		return 0;
	if (hwaddr_parse(mac, bytes, &len) < 0)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
				   "invalid args %s for MAC addr: address %s: invalid MAC address",
				   mac, mac);
	if (len != 6)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
				   "invalid args %s for MAC addr: not an Ethernet (6-byte) address",
				   mac);
	memcpy(c->mac, bytes, 6);
	c->has_mac = true;
	return 0;
}

/* owner or group: an optional uint32. */
static int load_id(const cJSON *root, const char *key, bool *ret_has, uint32_t *ret,
		   struct cni_err *err)
{
	long long v = -1;

	if (conf_int(root, key, 0, 4294967295LL, &v, err) < 0)
		return cni_err_ret(err);
	if (v >= 0) {
		*ret_has = true;
		*ret = (uint32_t)v;
	}
	return 0;
}

int tap_conf_load(const struct cni_cmd_args *args, enum tap_load_mode mode, struct tap_conf **ret,
		  struct cni_err *err)
{
	_cleanup_(cjson_freep) cJSON *root = NULL;
	_cleanup_(tap_conf_freep) struct tap_conf *c = calloc(1, sizeof(*c));
	const cJSON *ipam, *dns, *a;
	const char *s = NULL;
	long long mtu = 0;
	int r;

	if (!c)
		return cni_err_nomem(err);
	if (conf_parse_stdin(args, "failed to load netconf", &root, &c->cni_version, err) < 0)
		return cni_err_ret(err);
	if (conf_object(root, "ipam", &ipam, err) < 0 || conf_string(ipam, "type", &s, err) < 0)
		return cni_err_ret(err);
	if ((r = set_nonempty(&c->ipam_type, s, err)) < 0)
		return r;
	if (mode == TAP_LOAD_DEL) {
		*ret = TAKE_PTR(c);
		return 0;
	}
	if (conf_bool(root, "multiQueue", &c->multi_queue, err) < 0 ||
	    conf_int(root, "mtu", -(1LL << 31), (1LL << 31) - 1, &mtu, err) < 0 ||
	    load_id(root, "owner", &c->has_owner, &c->owner, err) < 0 ||
	    load_id(root, "group", &c->has_group, &c->group, err) < 0 ||
	    conf_bool(root, "acceptRA", &c->accept_ra, err) < 0 ||
	    conf_object(root, "args", &a, err) < 0)
		return cni_err_ret(err);
	if (mtu < 0 || mtu > 65535)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
				   "invalid network config: 'mtu' %lld out of range", mtu);
	c->mtu = (unsigned int)mtu;
	s = NULL;
	if (conf_string(root, "selinuxContext", &s, err) < 0)
		return cni_err_ret(err);
	if ((r = set_nonempty(&c->selinux_context, s, err)) < 0)
		return r;
	s = NULL;
	if (conf_string(root, "bridge", &s, err) < 0)
		return cni_err_ret(err);
	if ((r = set_nonempty(&c->bridge, s, err)) < 0)
		return r;
	if (load_mac(root, args->args, c, err) < 0)
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
	if (cni_prev_result(root, c->cni_version, &c->prev, err) < 0)
		return cni_err_ret(err);
	*ret = TAKE_PTR(c);
	return 0;
}
