/* SPDX-License-Identifier: Apache-2.0 */
/* portmap's conditionsV4/conditionsV6 for the nftables backend, taken as the reference
 * takes them: the list's items joined with single spaces into one nft match expression
 * (knftables' Concat), e.g. ["ip", "daddr", "!=", "{ 127.0.0.0/8, 169.254.0.0/16 }"],
 * and compiled into the expressions and anonymous sets `nft -f` (1.0.6) makes of it.
 *
 * Understood, each as "<match> [==|!=|eq|ne] <value>":
 *   ip saddr|daddr, ip6 saddr|daddr     address, address/len, address-address, or a set
 *   ip protocol, ip6 nexthdr, meta l4proto   tcp, udp, sctp, icmp, ... or a number, or a set
 *   tcp|udp|sctp sport|dport            port, service name, port-port, or a set
 *   [meta] iifname|oifname              "name", "prefix*", or a set
 *   [meta] iif|oif                      interface name (resolved now) or index, or a set
 *   [meta] mark [& mask]                number, or a set
 *   ct state                            new, established, related, invalid, untracked;
 *                                       "a,b" matches any of them; or a set
 * Sets are "{ a, b, ... }"; a set of one element is that element, as in nft. Adjacent
 * port matches are merged into one load as nft merges them, dependencies ("meta l4proto
 * tcp" before "tcp dport") are added as nft adds them. Anything else is a code-7 error
 * naming the token. */
#ifndef PORTMAP_COND_H
#define PORTMAP_COND_H

#include "err.h"
#include "net/nft.h"
#include "portmap/nftset.h"

/* The items joined as knftables' Concat joins them (malloc'd; "" for none, NULL when out
 * of memory). */
char *pm_cond_join(char *const *items);

/*
 * Compile items (NULL-terminated, may be NULL) for a rule of family (NFPROTO_IPV4/IPV6)
 * in table: append their expressions to rule b, and the anonymous sets they look up to
 * sets.
 * key ("conditionsV4") names the option in errors: "invalid conditionsV4 'ct mark 1':
 * unsupported token 'mark'" (code 7, -EINVAL). -ENOMEM, -E2BIG for too long a list.
 */
int pm_cond_build(char *const *items, int family, const char *table, const char *key,
		  struct nft_rule *b, struct pm_sets *sets, struct cni_err *err) CNI_MUST_USE;

#endif
