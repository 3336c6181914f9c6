/* SPDX-License-Identifier: Apache-2.0 */
/* Parsing and validating the macvlan plugin's configuration. */
#include "macvlan/netconf.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <linux/if_link.h>

#include "cleanup.h"
#include "cni/conf.h"
#include "hwaddr.h"

void macvlan_conf_free(struct macvlan_conf *c)
{
	if (!c)
		return;
	free(c->cni_version);
	free(c->master);
	free(c->mode_name);
	free(c->mac);
	free(c->ipam_type);
	cni_dns_clear(&c->dns);
	cni_result_free(c->prev);
	free(c);
}

/* The modes, by the names the config uses. */
static const struct {
	const char *name;
	uint32_t mode;
} modes[] = {
	{"bridge", MACVLAN_MODE_BRIDGE},
	{"private", MACVLAN_MODE_PRIVATE},
	{"vepa", MACVLAN_MODE_VEPA},
	{"passthru", MACVLAN_MODE_PASSTHRU},
};

int macvlan_mode_parse(const char *name, uint32_t *ret, struct cni_err *err)
{
	if (!name[0]) {
		*ret = MACVLAN_MODE_BRIDGE;
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(modes); i++) {
		if (strcmp(name, modes[i].name) == 0) {
			*ret = modes[i].mode;
			return 0;
		}
	}
	return cni_err_set(err, CNI_ERR_INVALID_CONFIG, "unknown macvlan mode: \"%s\"", name);
}

const char *macvlan_mode_name(uint32_t mode)
{
	for (size_t i = 0; i < ARRAY_SIZE(modes); i++)
		if (modes[i].mode == mode)
			return modes[i].name;
	return NULL;
}

int macvlan_check_mtu(const struct macvlan_conf *c, unsigned int master_mtu, struct cni_err *err)
{
	if (c->mtu < 0 || (unsigned int)c->mtu > master_mtu)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
				   "invalid MTU %d, must be [0, master MTU(%u)]", c->mtu,
				   master_mtu);
	return 0;
}

/* Replace *dst with a copy of src when src is a non-empty string. */
static int take_mac(char **dst, const char *src, struct cni_err *err)
{
	char *s;

	if (!src || !src[0])
		return 0;
	s = strdup(src);
	if (!s)
		return cni_err_nomem(err);
	free(*dst);
	*dst = s;
	return 0;
}

/* MAC precedence, lowest first: "mac", CNI_ARGS MAC, runtimeConfig.mac. */
static int load_mac(const cJSON *root, const char *env_args, struct macvlan_conf *c,
		    struct cni_err *err)
{
	struct cni_arg fields[] = {{.key = "MAC"}};
	const cJSON *rc;
	const char *mac = NULL;
	uint8_t bytes[HWADDR_MAX];
	size_t len = 0;
	int r;

	if (conf_string(root, "mac", &mac, err) < 0 || take_mac(&c->mac, mac, err) < 0)
		return cni_err_ret(err);
	/* The reference reads CNI_ARGS only when there are any. */
	if (env_args && env_args[0]) {
		if (cni_args_load(env_args, fields, ARRAY_SIZE(fields), err) < 0)
			return cni_err_ret(err);
		r = take_mac(&c->mac, fields[0].value, err);
		cni_args_free(fields, ARRAY_SIZE(fields));
		if (r < 0)
			return r;
	}
	mac = NULL;
	if (conf_object(root, "runtimeConfig", &rc, err) < 0 ||
	    conf_string(rc, "mac", &mac, err) < 0 || take_mac(&c->mac, mac, err) < 0)
		return cni_err_ret(err);
	if (!c->mac)
		return 0;
	if (hwaddr_parse(c->mac, bytes, &len) < 0)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
				   "invalid args %s for MAC addr: address %s: invalid MAC address",
				   c->mac, c->mac);
	if (len != sizeof(c->mac_bytes))
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
				   "invalid args %s for MAC addr: a macvlan takes a 6-byte "
				   "Ethernet address",
				   c->mac);
	memcpy(c->mac_bytes, bytes, sizeof(c->mac_bytes));
	return 0;
}

/* ipam.type only: what DEL needs. */
static int load_ipam_type(const cJSON *root, struct macvlan_conf *c, struct cni_err *err)
{
	const cJSON *ipam;

	if (conf_object(root, "ipam", &ipam, err) < 0 ||
	    conf_strdup(ipam, "type", &c->ipam_type, err) < 0)
		return cni_err_ret(err);
	return 0;
}

/* The keys of ADD, CHECK and STATUS (not CNI_ARGS, runtimeConfig or prevResult). */
static int load_keys(const cJSON *root, struct macvlan_conf *c, struct cni_err *err)
{
	const cJSON *dns;
	long long mtu = 0, bcq = 0;

	if (conf_strdup(root, "master", &c->master, err) < 0 ||
	    conf_strdup(root, "mode", &c->mode_name, err) < 0 ||
	    conf_int(root, "mtu", INT_MIN, INT_MAX, &mtu, err) < 0 ||
	    conf_bool(root, "linkInContainer", &c->link_in_container, err) < 0 ||
	    conf_int(root, "bcqueuelen", 0, UINT32_MAX, &bcq, err) < 0 ||
	    conf_bool(root, "acceptRA", &c->accept_ra, err) < 0)
		return cni_err_ret(err);
	if (c->master && !c->master[0]) {
		free(c->master);
		c->master = NULL;
	}
	if (!c->mode_name && !(c->mode_name = strdup("")))
		return cni_err_nomem(err);
	if (macvlan_mode_parse(c->mode_name, &c->mode, err) < 0)
		return cni_err_ret(err);
	c->mtu = (int)mtu;
	c->bcqueuelen = (uint32_t)bcq;
	dns = conf_get(root, "dns");
	if (dns) {
		if (!cJSON_IsObject(dns))
			return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
					   "invalid network config: 'dns' must be an object");
		if (cni_dns_parse(dns, &c->dns, err) < 0)
			return cni_err_ret(err);
		c->has_dns = !cni_dns_empty(&c->dns);
	}
	return 0;
}

int macvlan_conf_load(const struct cni_cmd_args *args, enum macvlan_load_mode mode,
		      struct macvlan_conf **ret, struct cni_err *err)
{
	_cleanup_(cjson_freep) cJSON *root = NULL;
	_cleanup_(macvlan_conf_freep) struct macvlan_conf *c = calloc(1, sizeof(*c));

	if (!c)
		return cni_err_nomem(err);
	if (conf_parse_object(args->stdin_data, args->stdin_len,
			      mode == MACVLAN_LOAD_DEL ? "failed to load netConf"
						       : "failed to load netconf",
			      &root, err) < 0)
		return cni_err_ret(err);
	c->cni_version = strdup(args->cni_version ? args->cni_version : "0.1.0");
	if (!c->cni_version)
		return cni_err_nomem(err);
	if (load_ipam_type(root, c, err) < 0)
		return cni_err_ret(err);
	if (mode == MACVLAN_LOAD_DEL) {
		*ret = TAKE_PTR(c);
		return 0;
	}
	if (load_keys(root, c, err) < 0)
		return cni_err_ret(err);
	if (mode == MACVLAN_LOAD_FULL && (load_mac(root, args->args, c, err) < 0 ||
					  cni_prev_result(root, c->cni_version, &c->prev, err) < 0))
		return cni_err_ret(err);
	*ret = TAKE_PTR(c);
	return 0;
}
