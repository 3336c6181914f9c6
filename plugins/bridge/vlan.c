/* SPDX-License-Identifier: Apache-2.0 */
/* Bridge port VLANs with the reference's semantics (vlan, vlanTrunk, preserveDefaultVlan). */
#include "bridge/bridge.h"

#include <stdlib.h>
#include <linux/if_bridge.h>

#include "cleanup.h"
#include "net/nl.h"

int bridge_port_set_vlans(struct nl_sock *host, int ifindex, const char *port_name, int vlan,
			  const uint16_t *trunk, size_t n_trunk, bool preserve_default,
			  struct cni_err *err)
{
	if ((vlan || n_trunk) && !preserve_default) {
		_cleanup_free_ struct nl_vlan *vlans = NULL;
		size_t n = 0;

		if (nl_link_vlan_list(host, ifindex, &vlans, &n, err) < 0)
			return cni_err_prefix(err,
					      "failed to remove default vlan on interface \"%s\"",
					      port_name);
		for (size_t i = 0; i < n; i++)
			if (nl_link_vlan_del(host, ifindex, vlans[i].vid, BRIDGE_FLAGS_MASTER,
					     err) < 0)
				return cni_err_prefix(
					err, "failed to remove default vlan on interface \"%s\"",
					port_name);
	}
	if (vlan && nl_link_vlan_add(host, ifindex, (uint16_t)vlan,
				     BRIDGE_VLAN_INFO_PVID | BRIDGE_VLAN_INFO_UNTAGGED,
				     BRIDGE_FLAGS_MASTER, err) < 0)
		return cni_err_prefix(err, "failed to setup vlan tag on interface \"%s\"",
				      port_name);
	for (size_t i = 0; i < n_trunk; i++)
		if (nl_link_vlan_add(host, ifindex, trunk[i], 0, BRIDGE_FLAGS_MASTER, err) < 0)
			return cni_err_prefix(err, "failed to setup vlan tag on interface \"%s\"",
					      port_name);
	if (n_trunk && !vlan &&
	    nl_link_vlan_add(host, ifindex, 1, BRIDGE_VLAN_INFO_PVID | BRIDGE_VLAN_INFO_UNTAGGED,
			     BRIDGE_FLAGS_MASTER, err) < 0)
		return cni_err_prefix(err, "failed to setup vlan tag on interface \"%s\"",
				      port_name);
	return 0;
}
