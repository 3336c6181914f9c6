/* SPDX-License-Identifier: Apache-2.0 */
/* Conntrack over netfilter netlink (ctnetlink): find and delete entries by their
 * original tuple, as the Go plugins do with netlink.ConntrackDeleteFilters. Each call opens
 * a NETLINK_NETFILTER socket of the netlink transport (net/nl.h), so failures the kernel
 * explains carry its extended ACK text in the details. */
#ifndef CNI_CONNTRACK_H
#define CNI_CONNTRACK_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct nl_sock;

/* Open a ctnetlink socket (NETLINK_NETFILTER) in the current network namespace for the
 * calls below that take one; close it with nl_close(). -errno of socket()/bind(). */
int ct_open(struct nl_sock **ret_sock, struct cni_err *err) CNI_MUST_USE;

/* The number of conntrack entries of the socket's network namespace, all families
 * (IPCTNL_MSG_CT_GET_STATS), one request: when it is 0 no search can find anything, and
 * the search itself walks the kernel's whole table, which is shared by every namespace.
 * Errors: the kernel's -errno ("failed to count conntrack entries"), -EBADMSG. */
int ct_count_entries(struct nl_sock *sock, unsigned int *ret_count,
		     struct cni_err *err) CNI_MUST_USE;

/* Destination ports of one address family (host order). */
struct ct_port_set {
	int family;	       /* AF_INET or AF_INET6 */
	const uint16_t *ports; /* the ports */
	size_t n;	       /* number of ports */
};

/* Delete the conntrack entries of the socket's network namespace, in any zone and for any
 * address, of the sets' families whose original tuple has L4 protocol proto (IPPROTO_UDP
 * for portmap) and whose original destination port is one of the family's ports, with
 * one search of the kernel's table (which the search walks whole, whatever it filters).
 * No port at all: nothing is searched. Entries that vanish meanwhile are not an error.
 * *ret_deleted (may be NULL) gets the number deleted. Errors: -EINVAL ("conntrack:
 * unsupported address family N"), the kernel's -errno ("failed to list ipv4|ipv6|udp
 * conntrack entries", "failed to delete a conntrack entry for udp", errno text and extack as
 * details), -EINTR with CNI code 11 when the kernel kept interrupting the dump, -ENOMEM. */
int ct_delete_by_dports(struct nl_sock *sock, uint8_t proto, const struct ct_port_set *sets,
			size_t nsets, unsigned int *ret_deleted, struct cni_err *err) CNI_MUST_USE;

#endif
