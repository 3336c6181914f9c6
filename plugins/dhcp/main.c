/* SPDX-License-Identifier: Apache-2.0 */
/* dhcp: the IPAM plugin's entry point. */
#include "cni/cni.h"
#include "dhcp/plugin.h"

int main(void)
{
	return cni_main(&dhcp_plugin);
}
