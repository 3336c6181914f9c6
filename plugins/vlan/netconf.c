/* SPDX-License-Identifier: Apache-2.0 */
/* Parsing the vlan plugin's configuration. */
#include "vlan/netconf.h"

#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cni/conf.h"

void vlan_conf_free(struct vlan_conf *c)
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

/* ipam.type, "" when ipam or its type is absent. */
static int load_ipam_type(const cJSON *root, struct vlan_conf *c, struct cni_err *err)
{
	const cJSON *ipam;

	if (conf_object(root, "ipam", &ipam, err) < 0 ||
	    conf_strdup(ipam, "type", &c->ipam_type, err) < 0)
		return cni_err_ret(err);
	if (!c->ipam_type && !(c->ipam_type = strdup("")))
		return cni_err_nomem(err);
	return 0;
}

int vlan_conf_load(const struct cni_cmd_args *args, enum vlan_load_mode mode,
		   struct vlan_conf **ret, struct cni_err *err)
{
	_cleanup_(cjson_freep) cJSON *root = NULL;
	_cleanup_(vlan_conf_freep) struct vlan_conf *c = calloc(1, sizeof(*c));
	const cJSON *dns;

	if (!c)
		return cni_err_nomem(err);
	if (conf_parse_stdin(args, "failed to load netconf", &root, &c->cni_version, err) < 0 ||
	    load_ipam_type(root, c, err) < 0)
		return cni_err_ret(err);
	if (mode == VLAN_LOAD_DEL) {
		*ret = TAKE_PTR(c);
		return 0;
	}
	if (conf_strdup(root, "master", &c->master, err) < 0 ||
	    conf_int32(root, "vlanId", -(1LL << 31), (1LL << 31) - 1, NULL, &c->vlan_id, err) < 0 ||
	    conf_int32(root, "mtu", -(1LL << 31), (1LL << 31) - 1, NULL, &c->mtu, err) < 0 ||
	    conf_bool(root, "linkInContainer", &c->link_in_container, err) < 0 ||
	    conf_bool(root, "acceptRA", &c->accept_ra, err) < 0)
		return cni_err_ret(err);
	if (!c->master && !(c->master = strdup("")))
		return cni_err_nomem(err);
	if (cni_prev_result(root, c->cni_version, &c->prev, err) < 0)
		return cni_err_prefix(err, "could not parse prevResult");
	/* Without a prevResult naming one, the master cannot be known. */
	if (mode == VLAN_LOAD_ADD && !c->master[0] && !c->prev)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG, VLAN_MASTER_REQUIRED);
	/* The reference's words, whose 4095 is not accepted. */
	if (c->vlan_id < 0 || c->vlan_id > VLAN_ID_MAX)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
				   "invalid VLAN ID %d (must be between 0 and 4095 inclusive)",
				   c->vlan_id);
	dns = conf_get(root, "dns");
	if (dns) {
		if (!cJSON_IsObject(dns))
			return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
					   "invalid network config: 'dns' must be an object");
		if (cni_dns_parse(dns, &c->dns, err) < 0)
			return cni_err_ret(err);
		c->has_dns = !cni_dns_empty(&c->dns);
	}
	*ret = TAKE_PTR(c);
	return 0;
}
