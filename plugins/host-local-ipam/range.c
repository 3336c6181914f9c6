/* SPDX-License-Identifier: Apache-2.0 */
/* host-local address ranges and range sets (reference: allocator/range.go, range_set.go). */
#include "host-local-ipam/range.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* True for an IPv6 address in ::ffff:0:0/96 (which Go turns into IPv4). */
static bool ip_is_v4_mapped(const struct ip_addr *a)
{
	static const unsigned char prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	return a->family == AF_INET6 && memcmp(a->a, prefix, sizeof(prefix)) == 0;
}

int ipam_range_canonicalize(struct ipam_range *r, struct cni_err *err)
{
	char sub[IP_STRLEN], buf[IP_STRLEN];
	struct ip_net net;
	int bits;

	if (!r->has_subnet)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG, "IP <nil> not v4 nor v6");
	bits = ip_bits(&r->subnet.ip);
	if (r->subnet.prefix > bits - 2)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
				   "Network %s too small to allocate from",
				   ipnet_format(&r->subnet, sub, sizeof(sub)));
	if (ip_is_v4_mapped(&r->subnet.ip))
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
				   "IPNet IP and Mask version mismatch");
	net = ipnet_network(&r->subnet);
	if (!ip_equal(&net.ip, &r->subnet.ip))
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
				   "Network has host bits set. For a subnet mask of length %d the "
				   "network address is %s",
				   r->subnet.prefix, ip_format(&net.ip, buf, sizeof(buf)));
	ipnet_format(&r->subnet, sub, sizeof(sub));

	if (!r->has_gateway) {
		r->gateway = ip_next(&r->subnet.ip);
		r->has_gateway = true;
	}

	if (r->has_start) {
		/*
		 * The reference checks the start against the given end (the
		 * range's Contains), so a start after the end names RangeStart,
		 * for both families.
		 */
		bool ok = ipnet_contains(&r->subnet, &r->start);

		if (ok && r->has_end && r->start.family == r->end.family &&
		    ip_cmp(&r->start, &r->end) > 0)
			ok = false;
		if (!ok)
			return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
					   "RangeStart %s not in network %s",
					   ip_format(&r->start, buf, sizeof(buf)), sub);
	} else {
		r->start = ip_next(&r->subnet.ip);
		r->has_start = true;
	}

	if (r->has_end) {
		if (!ipnet_contains(&r->subnet, &r->end) || ip_cmp(&r->end, &r->start) < 0)
			return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
					   "RangeEnd %s not in network %s",
					   ip_format(&r->end, buf, sizeof(buf)), sub);
	} else {
		r->end = ipnet_last(&r->subnet);
		if (r->end.family == AF_INET)
			r->end.a[3]--;
		r->has_end = true;
	}
	return 0;
}

bool ipam_range_contains(const struct ipam_range *r, const struct ip_addr *addr)
{
	if (addr->family != r->subnet.ip.family)
		return false;
	if (!ipnet_contains(&r->subnet, addr))
		return false;
	if (r->has_start && ip_cmp(addr, &r->start) < 0)
		return false;
	if (r->has_end && ip_cmp(addr, &r->end) > 0)
		return false;
	return true;
}

bool ipam_range_overlaps(const struct ipam_range *a, const struct ipam_range *b)
{
	if (a->start.family != b->start.family)
		return false;
	return ipam_range_contains(a, &b->start) || ipam_range_contains(a, &b->end) ||
	       ipam_range_contains(b, &a->start) || ipam_range_contains(b, &a->end);
}

char *ipam_range_format(const struct ipam_range *r, char *buf, size_t len)
{
	char s[IP_STRLEN], e[IP_STRLEN];

	snprintf(buf, len, "%s-%s", ip_format(&r->start, s, sizeof(s)),
		 ip_format(&r->end, e, sizeof(e)));
	return buf;
}

int ipam_range_set_canonicalize(struct ipam_range_set *s, struct cni_err *err)
{
	char a[2 * IP_STRLEN + 2], b[2 * IP_STRLEN + 2];
	int r;

	if (s->n == 0)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG, "empty range set");
	for (size_t i = 0; i < s->n; i++) {
		r = ipam_range_canonicalize(&s->ranges[i], err);
		if (r < 0)
			return r;
		if (i > 0 && s->ranges[i].start.family != s->ranges[0].start.family)
			return cni_err_set(err, CNI_ERR_INVALID_CONFIG, "mixed address families");
	}
	for (size_t i = 0; i + 1 < s->n; i++) {
		for (size_t j = i + 1; j < s->n; j++) {
			if (ipam_range_overlaps(&s->ranges[i], &s->ranges[j]))
				return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
						   "subnets %s and %s overlap",
						   ipam_range_format(&s->ranges[i], a, sizeof(a)),
						   ipam_range_format(&s->ranges[j], b, sizeof(b)));
		}
	}
	return 0;
}

const struct ipam_range *ipam_range_set_find(const struct ipam_range_set *s,
					     const struct ip_addr *addr)
{
	for (size_t i = 0; i < s->n; i++) {
		if (ipam_range_contains(&s->ranges[i], addr))
			return &s->ranges[i];
	}
	return NULL;
}

bool ipam_range_set_overlaps(const struct ipam_range_set *a, const struct ipam_range_set *b)
{
	for (size_t i = 0; i < a->n; i++) {
		for (size_t j = 0; j < b->n; j++) {
			if (ipam_range_overlaps(&a->ranges[i], &b->ranges[j]))
				return true;
		}
	}
	return false;
}

char *ipam_range_set_format(const struct ipam_range_set *s)
{
	size_t cap = s->n * (2 * IP_STRLEN + 2) + 1, off = 0;
	char *out = malloc(cap);

	if (!out)
		return NULL;
	out[0] = '\0';
	for (size_t i = 0; i < s->n; i++) {
		char one[2 * IP_STRLEN + 2];

		ipam_range_format(&s->ranges[i], one, sizeof(one));
		off += (size_t)snprintf(out + off, cap - off, "%s%s", i ? "," : "", one);
	}
	return out;
}

void ipam_range_set_clear(struct ipam_range_set *s)
{
	if (!s)
		return;
	free(s->ranges);
	s->ranges = NULL;
	s->n = 0;
}

void ipam_range_iter_init(struct ipam_range_iter *it, const struct ipam_range_set *s,
			  const struct ip_addr *last)
{
	memset(it, 0, sizeof(*it));
	it->set = s;
	if (last) {
		for (size_t i = 0; i < s->n; i++) {
			if (ipam_range_contains(&s->ranges[i], last)) {
				/* The first next() returns last+1. */
				it->idx = i;
				it->cur = *last;
				it->has_cur = true;
				return;
			}
		}
	}
	it->idx = 0;
	it->start = s->ranges[0].start;
	it->has_start = true;
}

bool ipam_range_iter_next(struct ipam_range_iter *it, struct ip_addr *ret_ip,
			  const struct ipam_range **ret_range)
{
	for (;;) {
		const struct ipam_range *r = &it->set->ranges[it->idx];

		if (!it->has_cur) {
			/* First call without a last reservation: start is inclusive. */
			it->cur = r->start;
			it->has_cur = true;
			it->start = it->cur;
			it->has_start = true;
		} else {
			if (ip_equal(&it->cur, &r->end)) {
				it->idx = (it->idx + 1) % it->set->n;
				r = &it->set->ranges[it->idx];
				it->cur = r->start;
			} else {
				it->cur = ip_next(&it->cur);
			}
			if (!it->has_start) {
				it->start = it->cur;
				it->has_start = true;
			} else if (ip_equal(&it->cur, &it->start)) {
				return false;
			}
		}
		if (ip_equal(&it->cur, &r->gateway))
			continue;
		*ret_ip = it->cur;
		*ret_range = r;
		return true;
	}
}
