/* SPDX-License-Identifier: Apache-2.0 */
/* firewall: let a container's traffic through the host's FORWARD chain (chained after
 * bridge), with the reference's iptables layout written as iptables-nft encodes it. */
#include "firewall/firewall.h"
#include "cni/cni.h"

int main(void)
{
	return cni_main(&firewall_plugin);
}
