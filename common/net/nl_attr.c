/* SPDX-License-Identifier: Apache-2.0 */
/* Readers of single netlink attributes for the rtnetlink and tc parsers: strings cut to a
 * caller buffer, integers with a default when the kernel sent none or too few bytes. */
#include "net/nl.h"

#include <string.h>

#include <libmnl/libmnl.h>

void nl_attr_str(const struct nlattr *a, char *dst, size_t len)
{
	size_t n;

	dst[0] = '\0';
	if (!a)
		return;
	n = strnlen(mnl_attr_get_payload(a), mnl_attr_get_payload_len(a));
	if (n >= len)
		n = len - 1;
	memcpy(dst, mnl_attr_get_payload(a), n);
	dst[n] = '\0';
}

uint32_t nl_attr_u32(const struct nlattr *a, uint32_t dflt)
{
	return a && mnl_attr_get_payload_len(a) >= 4 ? mnl_attr_get_u32(a) : dflt;
}

int nl_attr_u8(const struct nlattr *a, int dflt)
{
	return a && mnl_attr_get_payload_len(a) >= 1 ? mnl_attr_get_u8(a) : dflt;
}
