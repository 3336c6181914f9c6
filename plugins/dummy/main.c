/* SPDX-License-Identifier: Apache-2.0 */
/* dummy: a dummy link in the container holding the addresses IPAM assigns. */
#include "cni/cni.h"
#include "dummy/dummy.h"

int main(void)
{
	return cni_main(&dummy_plugin);
}
