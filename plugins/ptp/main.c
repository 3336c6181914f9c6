/* SPDX-License-Identifier: Apache-2.0 */
/* ptp: a veth pair routed through the node, one end in the container. */
#include "cni/cni.h"
#include "ptp/ptp.h"

int main(void)
{
	return cni_main(&ptp_plugin);
}
