/* SPDX-License-Identifier: Apache-2.0 */
/* bridge: attach containers to a Linux bridge (drop-in for the reference plugin). */
#include "bridge/bridge.h"

int main(void)
{
	return cni_main(&bridge_plugin);
}
