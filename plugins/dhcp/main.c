/* SPDX-License-Identifier: Apache-2.0 */
/* dhcp: one binary, as the reference's: `dhcp daemon ...` is the daemon, anything else the
 * IPAM plugin. */
#include <string.h>

#include "cni/cni.h"
#include "dhcp/daemon.h"
#include "dhcp/plugin.h"

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "daemon") == 0)
		return dhcp_daemon_main(argc - 1, argv + 1);
	return cni_main(&dhcp_plugin);
}
