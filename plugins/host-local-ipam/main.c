/* SPDX-License-Identifier: Apache-2.0 */
/* host-local: the IPAM plugin's entry point. */
#include "host-local-ipam/hostlocal.h"

int main(void)
{
	return cni_main(&hostlocal_plugin);
}
