/* SPDX-License-Identifier: Apache-2.0 */
/* loopback: the plugin's entry point. */
#include "loopback/loopback.h"

int main(void)
{
	return cni_main(&loopback_plugin);
}
