/* SPDX-License-Identifier: Apache-2.0 */
/* vlan: an 802.1Q VLAN link on a master interface, moved into the container. */
#include "cni/cni.h"
#include "vlan/vlan.h"

int main(void)
{
	return cni_main(&vlan_plugin);
}
