/* SPDX-License-Identifier: Apache-2.0 */
/* The vrf plugin's configuration: vrfname, table, prevResult. */
#ifndef VRF_NETCONF_H
#define VRF_NETCONF_H

#include <stdint.h>

#include "cni/cni.h"
#include "cni/result.h"
#include "err.h"

/* Everything the vrf plugin reads from its config. */
struct vrf_conf {
	char *cni_version;	 /* config cniVersion ("0.1.0" if absent) */
	char *vrf_name;		 /* vrfname: the VRF device in the container's namespace */
	uint32_t table;		 /* table: its routing table, 0 = the smallest free one */
	struct cni_result *prev; /* prevResult, NULL if absent */
};

/* How much of the config vrf_conf_load() reads. */
enum vrf_load_mode {
	VRF_LOAD_FULL, /* ADD and CHECK: every key and prevResult */
	VRF_LOAD_DEL,  /* DEL: vrfname only */
};

/*
 * Parse args->stdin_data: JSON errors code 6 ("failed to load netconf: ..."), wrong types
 * code 7 naming the key, a missing or empty vrfname code 7 "configuration is expected to
 * have a valid vrf name", a vrfname the kernel would refuse as an interface name code 7.
 * prevResult is not required here (ADD and CHECK ask for it).
 */
int vrf_conf_load(const struct cni_cmd_args *args, enum vrf_load_mode mode, struct vrf_conf **ret,
		  struct cni_err *err) CNI_MUST_USE;

/* Free a config (accepts NULL). */
void vrf_conf_free(struct vrf_conf *c);

/* For _cleanup_(vrf_conf_freep). */
static inline void vrf_conf_freep(struct vrf_conf **c)
{
	vrf_conf_free(*c);
}

#endif
