/* SPDX-License-Identifier: Apache-2.0 */
/* host-local: the IPAM plugin's entry point. */
#include "cni/cni.h"
#include "host-local-ipam/hostlocal.h"

int main(void)
{
	static const struct cni_plugin plugin = {
		.about = HOSTLOCAL_ABOUT,
		.add = hostlocal_add,
		.del = hostlocal_del,
		.check = hostlocal_check,
		.status = hostlocal_status,
		.gc = hostlocal_gc,
	};

	return cni_main(&plugin);
}
