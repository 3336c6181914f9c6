/* SPDX-License-Identifier: Apache-2.0 */
/* tap: a persistent tap device in the container, for a VM or a user-space network stack. */
#include "cni/cni.h"
#include "tap/tap.h"

int main(void)
{
	return cni_main(&tap_plugin);
}
