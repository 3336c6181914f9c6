/* SPDX-License-Identifier: Apache-2.0 */
/* Pure IPv4/IPv6 arithmetic. No allocation, no errors beyond "does not parse". */
#include "ipnet.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

static const uint8_t v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

int ip_parse(const char *s, struct ip_addr *ret)
{
	struct ip_addr a = {0};

	if (!s || !*s)
		return -1;
	if (strchr(s, ':')) {
		/* inet_pton rejects zones, over-long groups and leading-zero IPv4 tails. */
		if (inet_pton(AF_INET6, s, a.a) != 1)
			return -1;
		a.family = AF_INET6;
		if (memcmp(a.a, v4_mapped_prefix, sizeof(v4_mapped_prefix)) == 0) {
			memmove(a.a, a.a + 12, 4);
			memset(a.a + 4, 0, 12);
			a.family = AF_INET;
		}
	} else {
		/* glibc's inet_pton rejects leading zeros and short forms, as Go does. */
		if (inet_pton(AF_INET, s, a.a) != 1)
			return -1;
		a.family = AF_INET;
	}
	*ret = a;
	return 0;
}

static int parse_prefix_len(const char *s, int max)
{
	int n = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		n = n * 10 + (*s - '0');
		if (n > max)
			return -1;
	}
	return n;
}

int ipnet_parse(const char *s, struct ip_net *ret)
{
	char buf[IP_STRLEN];
	struct ip_net n = {0};
	const char *slash;
	size_t len;

	if (!s)
		return -1;
	slash = strchr(s, '/');
	if (!slash)
		return -1;
	len = (size_t)(slash - s);
	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (strchr(buf, ':')) {
		/* Keep the IPv6 form for prefixes, as Go's ParseCIDR does. */
		if (inet_pton(AF_INET6, buf, n.ip.a) != 1)
			return -1;
		n.ip.family = AF_INET6;
	} else if (ip_parse(buf, &n.ip) < 0) {
		return -1;
	}
	n.prefix = parse_prefix_len(slash + 1, ip_bits(&n.ip));
	if (n.prefix < 0)
		return -1;
	*ret = n;
	return 0;
}

int ip_parse_maybe_prefix(const char *s, struct ip_net *ret, bool *ret_has_prefix)
{
	struct ip_net n;

	if (s && strchr(s, '/')) {
		if (ipnet_parse(s, &n) < 0)
			return -1;
		*ret = n;
		*ret_has_prefix = true;
		return 0;
	}
	if (ip_parse(s, &n.ip) < 0)
		return -1;
	n.prefix = ip_bits(&n.ip);
	*ret = n;
	*ret_has_prefix = false;
	return 0;
}

char *ip_format(const struct ip_addr *a, char *buf, size_t len)
{
	int best_start = -1, best_len = 0, cur_start = -1, cur_len = 0;
	uint16_t w[8];
	size_t off = 0;

	if (a->family == AF_INET) {
		snprintf(buf, len, "%u.%u.%u.%u", a->a[0], a->a[1], a->a[2], a->a[3]);
		return buf;
	}
	if (a->family != AF_INET6) {
		snprintf(buf, len, "<nil>");
		return buf;
	}
	for (int i = 0; i < 8; i++)
		w[i] = (uint16_t)(a->a[2 * i] << 8 | a->a[2 * i + 1]);
	/* RFC 5952: compress the longest run (>= 2 groups) of zeros, the first on a tie. */
	for (int i = 0; i < 8; i++) {
		if (w[i] == 0) {
			if (cur_start < 0)
				cur_start = i, cur_len = 0;
			cur_len++;
			if (cur_len > best_len)
				best_start = cur_start, best_len = cur_len;
		} else {
			cur_start = -1;
		}
	}
	if (best_len < 2)
		best_start = -1;
	buf[0] = '\0';
	for (int i = 0; i < 8 && off < len; i++) {
		if (i == best_start) {
			off += (size_t)snprintf(buf + off, len - off, "::");
			i += best_len - 1;
			continue;
		}
		if (off > 0 && buf[off - 1] != ':')
			off += (size_t)snprintf(buf + off, len - off, ":");
		if (off < len)
			off += (size_t)snprintf(buf + off, len - off, "%x", w[i]);
	}
	return buf;
}

char *ipnet_format(const struct ip_net *n, char *buf, size_t len)
{
	char ip[IP_STRLEN];

	snprintf(buf, len, "%s/%d", ip_format(&n->ip, ip, sizeof(ip)), n->prefix);
	return buf;
}

int ip_cmp(const struct ip_addr *x, const struct ip_addr *y)
{
	if (x->family != y->family)
		return x->family == AF_INET ? -1 : 1;
	return memcmp(x->a, y->a, (size_t)ip_len(x));
}

bool ip_equal(const struct ip_addr *x, const struct ip_addr *y)
{
	return x->family == y->family && memcmp(x->a, y->a, (size_t)ip_len(x)) == 0;
}

static uint8_t prefix_mask_byte(int prefix, int byte)
{
	int bits = prefix - byte * 8;

	if (bits >= 8)
		return 0xff;
	if (bits <= 0)
		return 0;
	return (uint8_t)(0xff << (8 - bits));
}

struct ip_net ipnet_network(const struct ip_net *n)
{
	struct ip_net r = *n;

	for (int i = 0; i < ip_len(&r.ip); i++)
		r.ip.a[i] &= prefix_mask_byte(n->prefix, i);
	return r;
}

struct ip_addr ipnet_last(const struct ip_net *n)
{
	struct ip_addr r = n->ip;

	for (int i = 0; i < ip_len(&r); i++)
		r.a[i] |= (uint8_t)~prefix_mask_byte(n->prefix, i);
	return r;
}

bool ipnet_contains(const struct ip_net *n, const struct ip_addr *addr)
{
	if (n->ip.family != addr->family)
		return false;
	for (int i = 0; i < ip_len(addr); i++) {
		uint8_t m = prefix_mask_byte(n->prefix, i);
		if ((n->ip.a[i] & m) != (addr->a[i] & m))
			return false;
	}
	return true;
}

bool ipnet_overlaps(const struct ip_net *x, const struct ip_net *y)
{
	struct ip_net xn = ipnet_network(x), yn = ipnet_network(y);

	return ipnet_contains(x, &yn.ip) || ipnet_contains(y, &xn.ip);
}

bool ipnet_has_host_bits(const struct ip_net *n)
{
	struct ip_net net = ipnet_network(n);

	return !ip_equal(&net.ip, &n->ip);
}

struct ip_addr ip_next(const struct ip_addr *a)
{
	struct ip_addr r = *a;

	for (int i = ip_len(a) - 1; i >= 0; i--)
		if (++r.a[i] != 0)
			break;
	return r;
}

struct ip_addr ip_prev(const struct ip_addr *a)
{
	struct ip_addr r = *a;

	for (int i = ip_len(a) - 1; i >= 0; i--)
		if (r.a[i]-- != 0)
			break;
	return r;
}

struct ip_addr ip_from_v4(uint32_t host_order)
{
	struct ip_addr r = {.family = AF_INET};

	r.a[0] = (uint8_t)(host_order >> 24);
	r.a[1] = (uint8_t)(host_order >> 16);
	r.a[2] = (uint8_t)(host_order >> 8);
	r.a[3] = (uint8_t)host_order;
	return r;
}

bool ip_is_unspecified(const struct ip_addr *a)
{
	for (int i = 0; i < ip_len(a); i++)
		if (a->a[i])
			return false;
	return a->family != 0;
}
