/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `dhcp daemon`: the long-running side of the dhcp IPAM plugin. It serves Go's net/rpc
 * (DHCP.Allocate, DHCP.Release, and DHCP.GC of ours) on a unix socket and runs one DHCPv4
 * client per lease inside the container's network namespace, all in one single-threaded
 * epoll loop; leases are journalled under a state directory and re-adopted on start.
 */
#ifndef CNI_DHCP_DAEMON_H
#define CNI_DHCP_DAEMON_H

/* The default listening socket and state directory. */
#define DHCP_DAEMON_SOCKET   "/run/cni/dhcp.sock"
#define DHCP_DAEMON_STATEDIR "/var/lib/cni/dhcp"

/*
 * Run the daemon with the reference's command line (argv[0] is "daemon"; Go flag syntax):
 * -socketpath, -hostprefix, -pidfile, -broadcast, -timeout, -resendmax, -resendtimeout,
 * and -statedir. Returns the exit status: 0 after SIGTERM/SIGINT, 1 on a fatal error, 2 for
 * a bad command line.
 */
int dhcp_daemon_main(int argc, char **argv);

#endif
