/* SPDX-License-Identifier: Apache-2.0 */
/* tuning: sysctls and link attributes of a container interface (a chained plugin). */
#include "cni/cni.h"
#include "tuning/tuning.h"

int main(void)
{
	return cni_main(&tuning_plugin);
}
