/* SPDX-License-Identifier: Apache-2.0 */
/* static: the IPAM plugin's entry point. */
#include "static-ipam/static.h"

int main(void)
{
	return cni_main(&static_ipam_plugin);
}
