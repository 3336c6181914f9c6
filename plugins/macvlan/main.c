/* SPDX-License-Identifier: Apache-2.0 */
/* macvlan: a macvlan link of a node interface as the container's interface. */
#include "cni/cni.h"
#include "macvlan/macvlan.h"

int main(void)
{
	return cni_main(&macvlan_plugin);
}
