/* SPDX-License-Identifier: Apache-2.0 */
/* vrf: puts the container interface into a VRF of the container's namespace. */
#include "cni/cni.h"
#include "vrf/vrf.h"

int main(void)
{
	return cni_main(&vrf_plugin);
}
