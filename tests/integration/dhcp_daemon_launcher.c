/* SPDX-License-Identifier: Apache-2.0 */
/* `dhcp daemon` for the daemon's tests while bin/dhcp cannot run it. */
#include <string.h>

#include "dhcp/daemon.h"

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "daemon") == 0)
		return dhcp_daemon_main(argc - 1, argv + 1);
	return 2;
}
