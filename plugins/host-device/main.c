/* SPDX-License-Identifier: Apache-2.0 */
/* host-device: moves a device of the node into the container. */
#include "cni/cni.h"
#include "host-device/hostdev.h"

int main(void)
{
	return cni_main(&hostdev_plugin);
}
