/* SPDX-License-Identifier: Apache-2.0 */
/* The static IPAM verbs (reference: plugins/ipam/static/main.go). */
#include "static-ipam/static.h"

#include "cleanup.h"
#include "cni/conf.h"
#include "cni/result.h"
#include "static-ipam/config.h"

int static_ipam_add(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(static_conf_freep) struct static_conf *c = NULL;
	_cleanup_(cni_result_freep) struct cni_result *res = NULL;
	int r;

	r = static_conf_load(args->stdin_data, args->stdin_len, args->args, &c, err);
	if (r < 0)
		return r;
	r = static_conf_result(c, &res, err);
	if (r < 0)
		return r;
	cni_log(args->log, CNI_LOG_INFO, "%zu address(es), %zu route(s)", c->n_addrs, c->n_routes);
	return cni_result_print(res, args->cni_version, ret_out, err);
}

int static_ipam_check(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(static_conf_freep) struct static_conf *c = NULL;
	_cleanup_(cni_result_freep) struct cni_result *prev = NULL;
	_cleanup_(cjson_freep) cJSON *root = NULL;
	int r;

	r = static_conf_load(args->stdin_data, args->stdin_len, args->args, &c, err);
	if (r < 0)
		return r;
	r = conf_parse_object(args->stdin_data, args->stdin_len, "failed to load netconf", &root,
			      err);
	if (r < 0)
		return r;
	if (!conf_get(root, "prevResult"))
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG, "Required prevResult missing");
	r = cni_prev_result(root, args->cni_version, &prev, err);
	if (r < 0)
		return r;
	r = static_conf_match(c, prev, args->ifname, err);
	if (r < 0)
		return r;
	cni_log(args->log, CNI_LOG_INFO, "prevResult agrees with %zu address(es)", c->n_addrs);
	return 0;
}

const struct cni_plugin static_ipam_plugin = {
	.name = "static", .add = static_ipam_add, .check = static_ipam_check,
	/* DEL: nothing was allocated. STATUS, GC: the reference has neither. */
};
