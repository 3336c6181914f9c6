/* SPDX-License-Identifier: Apache-2.0 */
/* portmap: forward host ports to a container's addresses (chained after bridge). */
#include "cni/cni.h"
#include "portmap/portmap.h"

int main(void)
{
	return cni_main(&portmap_plugin);
}
