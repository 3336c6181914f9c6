/* SPDX-License-Identifier: Apache-2.0 */
/* Bridge port VLANs with the reference's semantics (vlan, vlanTrunk, preserveDefaultVlan):
 * a pure plan of add/delete steps, then its execution over rtnetlink. */
#include "bridge/bridge.h"

#include <stdlib.h>
#include <linux/if_bridge.h>

#include "array.h"
#include "cleanup.h"
#include "net/rtnl.h"

#define VLAN_NATIVE (BRIDGE_VLAN_INFO_PVID | BRIDGE_VLAN_INFO_UNTAGGED)

bool bridge_vlan_needs_flush(int vlan, size_t n_trunk, bool preserve_default)
{
	return (vlan || n_trunk) && !preserve_default;
}

/* Append one step. */
static int plan_push(struct bridge_vlan_step **steps, size_t *n, size_t *cap, bool add,
		     uint16_t vid, uint16_t flags, const char *what, struct cni_err *err)
{
	if (ARRAY_RESERVE(*steps, *cap, *n + 1) < 0)
		return cni_err_nomem(err);
	(*steps)[(*n)++] = (struct bridge_vlan_step){add, vid, flags, what};
	return 0;
}

int bridge_vlan_plan(int vlan, const uint16_t *trunk, size_t n_trunk, bool preserve_default,
		     const uint16_t *existing, size_t n_existing,
		     struct bridge_vlan_step **ret_steps, size_t *ret_n, struct cni_err *err)
{
	_cleanup_free_ struct bridge_vlan_step *steps = NULL;
	size_t n = 0, cap = 0;
	int r = 0;

	if (bridge_vlan_needs_flush(vlan, n_trunk, preserve_default))
		for (size_t i = 0; i < n_existing && r == 0; i++)
			r = plan_push(&steps, &n, &cap, false, existing[i], 0,
				      "failed to remove default vlan on interface", err);
	/* The native VLAN first, so that the port is never left without a PVID for long. */
	if (r == 0 && vlan)
		r = plan_push(&steps, &n, &cap, true, (uint16_t)vlan, VLAN_NATIVE,
			      "failed to setup vlan tag on interface", err);
	for (size_t i = 0; i < n_trunk && r == 0; i++)
		r = plan_push(&steps, &n, &cap, true, trunk[i], 0,
			      "failed to setup vlan tag on interface", err);
	/* Without vlan a trunk keeps VLAN 1 as its native VLAN (the reference's backwards
	 * compatibility for trunks configured before vlan could be combined with them). */
	if (r == 0 && n_trunk && !vlan)
		r = plan_push(&steps, &n, &cap, true, 1, VLAN_NATIVE,
			      "failed to setup default native vlan tag on interface", err);
	if (r < 0)
		return r;
	*ret_steps = TAKE_PTR(steps);
	*ret_n = n;
	return 0;
}

int bridge_port_set_vlans(struct nl_sock *host, int ifindex, const char *port_name, int vlan,
			  const uint16_t *trunk, size_t n_trunk, bool preserve_default,
			  struct cni_err *err)
{
	_cleanup_free_ struct bridge_vlan_step *steps = NULL;
	_cleanup_free_ struct nl_vlan *vlans = NULL;
	_cleanup_free_ uint16_t *vids = NULL;
	size_t n = 0, n_steps = 0;

	if (bridge_vlan_needs_flush(vlan, n_trunk, preserve_default)) {
		if (nl_link_vlan_list(host, ifindex, &vlans, &n, err) < 0)
			return cni_err_prefix(err,
					      "failed to remove default vlan on interface \"%s\"",
					      port_name);
		vids = calloc(n + 1, sizeof(*vids));
		if (!vids)
			return cni_err_nomem(err);
		for (size_t i = 0; i < n; i++)
			vids[i] = vlans[i].vid;
	}
	if (bridge_vlan_plan(vlan, trunk, n_trunk, preserve_default, vids, n, &steps, &n_steps,
			     err) < 0)
		return cni_err_ret(err);
	for (size_t i = 0; i < n_steps; i++) {
		const struct bridge_vlan_step *s = &steps[i];
		int r = s->add ? nl_link_vlan_add(host, ifindex, s->vid, s->flags,
						  BRIDGE_FLAGS_MASTER, err)
			       : nl_link_vlan_del(host, ifindex, s->vid, BRIDGE_FLAGS_MASTER, err);

		if (r < 0)
			return cni_err_prefix(err, "%s \"%s\"", s->what, port_name);
	}
	return 0;
}
