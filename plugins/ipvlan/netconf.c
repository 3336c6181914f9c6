/* SPDX-License-Identifier: Apache-2.0 */
/* Parsing the ipvlan plugin's configuration. */
#include "ipvlan/netconf.h"

#include <linux/if_link.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cni/conf.h"
#include "gostr.h"

void ipvlan_conf_free(struct ipvlan_conf *c)
{
	if (!c)
		return;
	free(c->cni_version);
	free(c->master);
	free(c->ipam_type);
	cni_dns_clear(&c->dns);
	cni_result_free(c->prev);
	free(c);
}

const char *ipvlan_mode_name(int mode)
{
	switch (mode) {
	case IPVLAN_MODE_L2:
		return "l2";
	case IPVLAN_MODE_L3:
		return "l3";
	case IPVLAN_MODE_L3S:
		return "l3s";
	default:
		return NULL;
	}
}

/* mode: "" and "l2" are L2, "l3", "l3s"; anything else is refused as the reference words it. */
static int load_mode(const cJSON *root, struct ipvlan_conf *c, struct cni_err *err)
{
	_cleanup_free_ char *q = NULL;
	const char *m = NULL;

	if (conf_string(root, "mode", &m, err) < 0)
		return cni_err_ret(err);
	if (!m || !*m || !strcmp(m, "l2"))
		c->mode = IPVLAN_MODE_L2;
	else if (!strcmp(m, "l3"))
		c->mode = IPVLAN_MODE_L3;
	else if (!strcmp(m, "l3s"))
		c->mode = IPVLAN_MODE_L3S;
	else if (!(q = go_quote_dup(m)))
		return cni_err_nomem(err);
	else
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG, "unknown ipvlan mode: %s", q);
	return 0;
}

/* ipam.type, "" when ipam or its type is absent. */
static int load_ipam_type(const cJSON *root, struct ipvlan_conf *c, struct cni_err *err)
{
	const cJSON *ipam;

	if (conf_object(root, "ipam", &ipam, err) < 0 ||
	    conf_strdup(ipam, "type", &c->ipam_type, err) < 0)
		return cni_err_ret(err);
	if (!c->ipam_type && !(c->ipam_type = strdup("")))
		return cni_err_nomem(err);
	return 0;
}

int ipvlan_conf_load(const struct cni_cmd_args *args, enum ipvlan_load_mode mode,
		     struct ipvlan_conf **ret, struct cni_err *err)
{
	_cleanup_(cjson_freep) cJSON *root = NULL;
	_cleanup_(ipvlan_conf_freep) struct ipvlan_conf *c = calloc(1, sizeof(*c));
	const cJSON *dns;

	if (!c)
		return cni_err_nomem(err);
	if (conf_parse_stdin(args, "failed to load netconf", &root, &c->cni_version, err) < 0 ||
	    load_ipam_type(root, c, err) < 0)
		return cni_err_ret(err);
	if (mode == IPVLAN_LOAD_DEL) {
		*ret = TAKE_PTR(c);
		return 0;
	}
	if (conf_strdup(root, "master", &c->master, err) < 0 || load_mode(root, c, err) < 0 ||
	    conf_int32(root, "mtu", -(1LL << 31), (1LL << 31) - 1, NULL, &c->mtu, err) < 0 ||
	    conf_bool(root, "linkInContainer", &c->link_in_container, err) < 0 ||
	    conf_bool(root, "acceptRA", &c->accept_ra, err) < 0)
		return cni_err_ret(err);
	if (!c->master && !(c->master = strdup("")))
		return cni_err_nomem(err);
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
		return cni_err_prefix(err, "could not parse prevResult");
	*ret = TAKE_PTR(c);
	return 0;
}
