/* SPDX-License-Identifier: Apache-2.0 */
/* The dhcp plugin's config: the keys it reads itself, and request/provide checked up front. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cni/conf.h"
#include "cni/json.h"
#include "dhcp/dhcp4.h"
#include "dhcp/plugin.h"
#include "strv.h"

void dhcp_plugin_conf_clear(struct dhcp_plugin_conf *c)
{
	free(c->socket_path);
	c->socket_path = NULL;
}

/* The `suppress` list: each entry must be "gateway" (the newest reference's only one). */
static int parse_suppress(const cJSON *ipam, bool *ret, struct cni_err *err)
{
	_cleanup_(strv_freep) char **items = NULL;
	size_t n = 0;
	int r;

	r = conf_string_list(ipam, "suppress", &items, &n, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(items[i], "gateway"))
			return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
					   "unknown suppress value \"%s\" (supported: \"gateway\")",
					   items[i]);
		*ret = true;
	}
	return 0;
}

int dhcp_plugin_conf_parse(const char *data, size_t len, const char *cni_args, bool full,
			   struct dhcp_plugin_conf *ret, struct cni_err *err)
{
	_cleanup_(cjson_freep) cJSON *root = NULL;
	struct dhcp_plugin_conf c = {.autostart = true, .timeout_s = DHCP_DEFAULT_TIMEOUT_S};
	const cJSON *ipam = NULL;
	const char *name = "";
	long long timeout = DHCP_DEFAULT_TIMEOUT_S;
	int r;

	memset(ret, 0, sizeof(*ret));
	r = conf_parse_object(data, len, "error parsing socket path conf", &root, err);
	if (r < 0)
		return r;
	r = conf_object(root, "ipam", &ipam, err);
	if (r < 0)
		return r;
	if (!ipam)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
				   "error obtaining socketPath: the network config has no 'ipam' "
				   "object");
	r = conf_strdup(ipam, "daemonSocketPath", &c.socket_path, err);
	if (r < 0)
		goto fail;
	if (!c.socket_path || !c.socket_path[0]) {
		free(c.socket_path);
		c.socket_path = strdup(DHCP_DEFAULT_SOCKET);
		if (!c.socket_path) {
			r = cni_err_nomem(err);
			goto fail;
		}
	}
	r = conf_bool(ipam, "daemonAutostart", &c.autostart, err);
	if (r < 0)
		goto fail;
	r = conf_int(ipam, "daemonTimeout", 1, 3600, &timeout, err);
	if (r < 0)
		goto fail;
	c.timeout_s = (int)timeout;
	r = conf_int32(ipam, "priority", -2147483648LL, 2147483647LL, NULL, &c.priority, err);
	if (r < 0)
		goto fail;
	r = parse_suppress(ipam, &c.suppress_gateway, err);
	if (r < 0)
		goto fail;
	if (full) {
		static const uint8_t no_mac[6];
		struct dhcp4_client_cfg *cfg = calloc(1, sizeof(*cfg));

		if (!cfg) {
			r = cni_err_nomem(err);
			goto fail;
		}
		r = conf_string(root, "name", &name, err);
		if (r == 0)
			r = dhcp4_client_cfg_init(cfg, ipam, "", name ? name : "", "", no_mac,
						  cni_args, err);
		free(cfg);
		if (r < 0)
			goto fail;
	}
	*ret = c;
	return 0;
fail:
	dhcp_plugin_conf_clear(&c);
	return r;
}
