/* SPDX-License-Identifier: Apache-2.0 */
/* Hex digits. */
#ifndef CNI_HEX_H
#define CNI_HEX_H

/* The value of hex digit c (either case), or -1. */
static inline int hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The lower-case hex digit of v's low four bits. */
static inline char hex_lower(unsigned int v)
{
	return "0123456789abcdef"[v & 0xf];
}

/* The upper-case hex digit of v's low four bits. */
static inline char hex_upper(unsigned int v)
{
	return "0123456789ABCDEF"[v & 0xf];
}

#endif
