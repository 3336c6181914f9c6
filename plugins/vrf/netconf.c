/* SPDX-License-Identifier: Apache-2.0 */
/* Parsing the vrf plugin's configuration. */
#include "vrf/netconf.h"

#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "ifname.h"
#include "cni/conf.h"

void vrf_conf_free(struct vrf_conf *c)
{
	if (!c)
		return;
	free(c->cni_version);
	free(c->vrf_name);
	cni_result_free(c->prev);
	free(c);
}

int vrf_conf_load(const struct cni_cmd_args *args, enum vrf_load_mode mode, struct vrf_conf **ret,
		  struct cni_err *err)
{
	_cleanup_(cjson_freep) cJSON *root = NULL;
	_cleanup_(vrf_conf_freep) struct vrf_conf *c = calloc(1, sizeof(*c));
	enum ifname_problem problem;
	uint64_t table = 0;

	if (!c)
		return cni_err_nomem(err);
	if (conf_parse_stdin(args, "failed to load netconf", &root, &c->cni_version, err) < 0 ||
	    conf_strdup(root, "vrfname", &c->vrf_name, err) < 0)
		return cni_err_ret(err);
	if (!c->vrf_name || !*c->vrf_name)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
				   "configuration is expected to have a valid vrf name");
	if (mode == VRF_LOAD_DEL) {
		*ret = TAKE_PTR(c);
		return 0;
	}
	problem = ifname_check(c->vrf_name);
	if (problem != IFNAME_OK)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG, "invalid vrf name '%s': %s",
				   c->vrf_name, ifname_problem_text(problem));
	if (conf_uint64(root, "table", "table", &table, err) < 0)
		return cni_err_ret(err);
	if (table > UINT32_MAX)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
				   "'table' must be an integer between 0 and 4294967295, not %llu",
				   (unsigned long long)table);
	c->table = (uint32_t)table;
	if (cni_prev_result(root, c->cni_version, &c->prev, err) < 0)
		return cni_err_ret(err);
	*ret = TAKE_PTR(c);
	return 0;
}
