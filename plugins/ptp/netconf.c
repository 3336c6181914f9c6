/* SPDX-License-Identifier: Apache-2.0 */
/* Parsing the ptp plugin's configuration. */
#include "ptp/netconf.h"

#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cni/conf.h"

void ptp_conf_free(struct ptp_conf *c)
{
	if (!c)
		return;
	free(c->name);
	free(c->cni_version);
	free(c->ipam_type);
	cni_dns_clear(&c->dns);
	cni_result_free(c->prev);
	free(c);
}

int ptp_conf_load(const struct cni_cmd_args *args, enum ptp_load_mode mode, struct ptp_conf **ret,
		  struct cni_err *err)
{
	_cleanup_(cjson_freep) cJSON *root = NULL;
	_cleanup_(ptp_conf_freep) struct ptp_conf *c = calloc(1, sizeof(*c));
	const cJSON *ipam, *dns;
	const char *type = NULL;
	long long mtu = 0;

	if (!c)
		return cni_err_nomem(err);
	if (conf_parse_stdin(args, "failed to load netconf", &root, &c->cni_version, err) < 0)
		return cni_err_ret(err);
	c->name = strdup(args->name ? args->name : "");
	if (!c->name)
		return cni_err_nomem(err);
	if (conf_bool(root, "ipMasq", &c->ip_masq, err) < 0 ||
	    conf_object(root, "ipam", &ipam, err) < 0 || conf_string(ipam, "type", &type, err) < 0)
		return cni_err_ret(err);
	if (type && *type && !(c->ipam_type = strdup(type)))
		return cni_err_nomem(err);
	if (mode == PTP_LOAD_DEL) {
		*ret = TAKE_PTR(c);
		return 0;
	}
	if (ipmasq_backend_load(root, &c->masq_backend, err) < 0 ||
	    conf_int(root, "mtu", -(1LL << 31), 1LL << 31, &mtu, err) < 0)
		return cni_err_ret(err);
	if (mtu < 0 || mtu > 65535)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
				   "invalid network config: 'mtu' %lld out of range", mtu);
	c->mtu = (unsigned int)mtu;
	dns = conf_get(root, "dns");
	if (dns) {
		if (!cJSON_IsObject(dns))
			return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
					   "invalid network config: 'dns' must be an object");
		if (cni_dns_parse(dns, &c->dns, err) < 0)
			return cni_err_ret(err);
		/* As the reference's dnsConfSet: a list given, even empty, or a domain. */
		c->has_dns = conf_get(dns, "nameservers") || conf_get(dns, "search") ||
			     conf_get(dns, "options") || (c->dns.domain && c->dns.domain[0]);
	}
	if (cni_prev_result(root, c->cni_version, &c->prev, err) < 0)
		return cni_err_ret(err);
	*ret = TAKE_PTR(c);
	return 0;
}
