/* SPDX-License-Identifier: Apache-2.0 */
/* Parsing the sbr plugin's configuration. */
#include "sbr/netconf.h"

#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "strv.h"
#include "cni/conf.h"

void sbr_conf_free(struct sbr_conf *c)
{
	if (!c)
		return;
	free(c->cni_version);
	cni_result_free(c->prev);
	free(c);
}

/* The reference's checks of the static gateways, in its order and words. */
static int gateways_load(const cJSON *root, struct sbr_conf *c, struct cni_err *err)
{
	_cleanup_strv_free_ char **gws = NULL;
	char buf[IP_STRLEN];
	size_t i, n = 0;

	if (conf_string_list(root, "gateways", &gws, &n, err) < 0)
		return cni_err_ret(err);
	if (n > 2)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
				   "gateways list cannot contain more than 2 entries (one IPv4, "
				   "one IPv6)");
	for (i = 0; i < n; i++) {
		struct ip_addr a;
		struct ip_addr *slot;

		if (ip_parse(gws[i], &a) < 0)
			return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
					   "invalid static gateway IP address: %s", gws[i]);
		slot = a.family == AF_INET ? &c->gw4 : &c->gw6;
		if (slot->family)
			return cni_err_set(
				err, CNI_ERR_INVALID_CONFIG,
				"gateways list contains multiple %s addresses: %s and %s",
				a.family == AF_INET ? "IPv4" : "IPv6",
				ip_format(slot, buf, sizeof(buf)), gws[i]);
		*slot = a;
	}
	return 0;
}

int sbr_conf_load(const struct cni_cmd_args *args, enum sbr_load_mode mode, struct sbr_conf **ret,
		  struct cni_err *err)
{
	_cleanup_(cjson_freep) cJSON *root = NULL;
	_cleanup_(sbr_conf_freep) struct sbr_conf *c = calloc(1, sizeof(*c));
	const cJSON *table;
	long long t = 0;

	if (!c)
		return cni_err_nomem(err);
	if (conf_parse_stdin(args, "failed to parse network configuration", &root, &c->cni_version,
			     err) < 0)
		return cni_err_ret(err);
	table = conf_get(root, "table");
	if (table && !cJSON_IsNull(table)) {
		if (conf_int(root, "table", 1, UINT32_MAX, &t, err) < 0)
			return cni_err_ret(err);
		c->has_table = true;
		c->table = (uint32_t)t;
	}
	if (mode == SBR_LOAD_DEL) {
		*ret = TAKE_PTR(c);
		return 0;
	}
	/* As in the reference, table mode never looks at the gateways. */
	if (!c->has_table && gateways_load(root, c, err) < 0)
		return cni_err_ret(err);
	if (conf_bool(root, "addSourceHints", &c->add_source_hints, err) < 0 ||
	    cni_prev_result(root, c->cni_version, &c->prev, err) < 0)
		return cni_err_ret(err);
	*ret = TAKE_PTR(c);
	return 0;
}
