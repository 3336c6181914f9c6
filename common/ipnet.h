/* SPDX-License-Identifier: Apache-2.0 */
/* Pure IPv4/IPv6 address and prefix arithmetic, parsing and formatting with Go's rules. */
#ifndef CNI_IPNET_H
#define CNI_IPNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Buffer large enough for any formatted address or prefix. */
#define IP_STRLEN 64

/* One IP address. IPv4-mapped IPv6 input is stored as IPv4, as Go's To4() does. */
struct ip_addr {
	int family;    /* AF_INET or AF_INET6; 0 = unset */
	uint8_t a[16]; /* address bytes in network order; IPv4 uses a[0..3] */
};

/* An address with a prefix length; the address may have host bits set. */
struct ip_net {
	struct ip_addr ip; /* the address */
	int prefix;	   /* prefix length, 0..32 or 0..128 */
};

/* Address length in bytes of a family (4 or 16). */
static inline int ip_len(const struct ip_addr *a)
{
	return a->family == AF_INET ? 4 : 16;
}

/* Maximum prefix length of a family (32 or 128). */
static inline int ip_bits(const struct ip_addr *a)
{
	return a->family == AF_INET ? 32 : 128;
}

/* Parse an address like Go's net.ParseIP (no zones, no leading zeros in IPv4). 0 or -1. */
int ip_parse(const char *s, struct ip_addr *ret);

/* Parse "addr/prefix" like Go's net.ParseCIDR; keeps host bits in ret->ip. 0 or -1. */
int ipnet_parse(const char *s, struct ip_net *ret);

/* Parse either "addr" or "addr/prefix"; *ret_has_prefix tells which. 0 or -1. */
int ip_parse_maybe_prefix(const char *s, struct ip_net *ret, bool *ret_has_prefix);

/* Format in canonical form (RFC 5952 for IPv6, dotted quad for IPv4); returns buf. */
char *ip_format(const struct ip_addr *a, char *buf, size_t len);

/* Format "addr/prefix"; returns buf. */
char *ipnet_format(const struct ip_net *n, char *buf, size_t len);

/* Compare two addresses: families first (IPv4 < IPv6), then bytes. */
int ip_cmp(const struct ip_addr *x, const struct ip_addr *y);

/* True when both addresses are equal. */
bool ip_equal(const struct ip_addr *x, const struct ip_addr *y);

/* Network address of n (host bits cleared), keeping the prefix. */
struct ip_net ipnet_network(const struct ip_net *n);

/* Last address of the prefix (all host bits set). */
struct ip_addr ipnet_last(const struct ip_net *n);

/* True when addr lies inside n (same family, same prefix bits). */
bool ipnet_contains(const struct ip_net *n, const struct ip_addr *addr);

/* True when the two prefixes share any address. */
bool ipnet_overlaps(const struct ip_net *x, const struct ip_net *y);

/* True when n has host bits set. */
bool ipnet_has_host_bits(const struct ip_net *n);

/* Address plus one; wraps around at the top of the family's space. */
struct ip_addr ip_next(const struct ip_addr *a);

/* Address minus one; wraps around at zero. */
struct ip_addr ip_prev(const struct ip_addr *a);

/* Build an IPv4 address from a host-order integer. */
struct ip_addr ip_from_v4(uint32_t host_order);

/* True for the unspecified address 0.0.0.0 or ::. */
bool ip_is_unspecified(const struct ip_addr *a);

#endif
