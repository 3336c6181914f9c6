/* SPDX-License-Identifier: Apache-2.0 */
/* Conntrack over netfilter netlink (ctnetlink): find and delete entries by their
 * original tuple, as the Go plugins do with netlink.ConntrackDeleteFilters. Each call opens
 * a NETLINK_NETFILTER socket of the netlink transport (net/nl.h), so failures the kernel
 * explains carry its extended ACK text in the details. */
#ifndef CNI_CONNTRACK_H
#define CNI_CONNTRACK_H

#include <stdint.h>

#include "err.h"

/* Delete every conntrack entry of family (AF_INET or AF_INET6) in the current network
 * namespace whose original tuple has L4 protocol proto (IPPROTO_UDP for portmap) and
 * original destination port port, in any zone and for any address. Entries that vanish
 * meanwhile are not an error. *ret_deleted (may be NULL) gets the number deleted.
 * -EINVAL ("conntrack: unsupported address family N"), -errno of socket()/bind(), the
 * kernel's -errno ("failed to list ipv4 conntrack entries", "failed to delete conntrack
 * entry for udp port N", errno text and extack as details), -EINTR with CNI code 11 when
 * the kernel kept interrupting the dump, -ENOMEM. */
int ct_delete_by_dport(int family, uint8_t proto, uint16_t port, unsigned int *ret_deleted,
		       struct cni_err *err) CNI_MUST_USE;

/* Count the entries ct_delete_by_dport() would delete. Errors as ct_delete_by_dport(). */
int ct_count_by_dport(int family, uint8_t proto, uint16_t port, unsigned int *ret_count,
		      struct cni_err *err) CNI_MUST_USE;

#endif
