/* SPDX-License-Identifier: Apache-2.0 */
/* sbr: source-based routing for a container interface set up by the plugin before it. */
#include "cni/cni.h"
#include "sbr/sbr.h"

int main(void)
{
	return cni_main(&sbr_plugin);
}
