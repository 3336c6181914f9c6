/* SPDX-License-Identifier: Apache-2.0 */
/* ipvlan: an ipvlan link on a master interface, moved into the container. */
#include "cni/cni.h"
#include "ipvlan/ipvlan.h"

int main(void)
{
	return cni_main(&ipvlan_plugin);
}
