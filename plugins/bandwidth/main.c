/* SPDX-License-Identifier: Apache-2.0 */
/* bandwidth: limit a container's traffic with tbf qdiscs (chained after bridge). */
#include "bandwidth/bandwidth.h"
#include "cni/cni.h"

int main(void)
{
	return cni_main(&bandwidth_plugin);
}
