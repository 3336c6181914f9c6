/* SPDX-License-Identifier: Apache-2.0 */
/* Parsing the dummy plugin's configuration. */
#include "dummy/netconf.h"

#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cni/conf.h"

void dummy_conf_free(struct dummy_conf *c)
{
	if (!c)
		return;
	free(c->cni_version);
	free(c->ipam_type);
	cni_result_free(c->prev);
	free(c);
}

int dummy_conf_load(const struct cni_cmd_args *args, enum dummy_load_mode mode,
		    struct dummy_conf **ret, struct cni_err *err)
{
	_cleanup_(cjson_freep) cJSON *root = NULL;
	_cleanup_(dummy_conf_freep) struct dummy_conf *c = calloc(1, sizeof(*c));
	const cJSON *ipam;
	const char *type = NULL;

	if (!c)
		return cni_err_nomem(err);
	if (conf_parse_stdin(args, "failed to parse network config", &root, &c->cni_version, err) <
	    0)
		return cni_err_ret(err);
	if (conf_object(root, "ipam", &ipam, err) < 0 || conf_string(ipam, "type", &type, err) < 0)
		return cni_err_ret(err);
	if (type && *type && !(c->ipam_type = strdup(type)))
		return cni_err_nomem(err);
	if (mode == DUMMY_LOAD_DEL) {
		*ret = TAKE_PTR(c);
		return 0;
	}
	if (!c->ipam_type)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
				   "dummy interface requires an IPAM configuration");
	if (conf_bool(root, "acceptRA", &c->accept_ra, err) < 0 ||
	    cni_prev_result(root, c->cni_version, &c->prev, err) < 0)
		return cni_err_ret(err);
	*ret = TAKE_PTR(c);
	return 0;
}
