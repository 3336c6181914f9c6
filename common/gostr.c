/* SPDX-License-Identifier: Apache-2.0 */
/* Go's %q quoting and path.Clean. */
#include "gostr.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Decode one UTF-8 sequence at p as Go's utf8.DecodeRuneInString does: the code point
 * and its width, or width 0 for a byte that starts no valid sequence (overlong forms,
 * surrogates and code points above U+10FFFF included).
 */
static size_t utf8_decode(const unsigned char *p, uint32_t *ret_cp)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t want;
	uint32_t cp;

	if (p[0] < 0x80) {
		*ret_cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		want = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		want = 3;
		cp = p[0] & 0x0f;
		if (p[0] == 0xe0)
			lo = 0xa0; /* overlong */
		else if (p[0] == 0xed)
			hi = 0x9f; /* surrogates */
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		want = 4;
		cp = p[0] & 0x07;
		if (p[0] == 0xf0)
			lo = 0x90; /* overlong */
		else if (p[0] == 0xf4)
			hi = 0x8f; /* above U+10FFFF */
	} else {
		return 0;
	}
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 1; i < want; i++) {
		if (i > 1 && (p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	*ret_cp = cp;
	return want;
}

/*
 * Go's unicode.IsPrint for a valid code point of U+0080 and above: false for C1
 * controls, spaces other than U+0020, line and paragraph separators, format characters,
 * private use and noncharacters. Code points Unicode leaves unassigned count as printable
 * here (Go escapes them too; the plugins never print such names).
 */
static bool go_is_print(uint32_t c)
{
	static const uint32_t not_print[][2] = {
		{0x80, 0xa0},	     {0xad, 0xad},	 {0x600, 0x605},     {0x61c, 0x61c},
		{0x6dd, 0x6dd},	     {0x70f, 0x70f},	 {0x890, 0x891},     {0x8e2, 0x8e2},
		{0x1680, 0x1680},    {0x180e, 0x180e},	 {0x2000, 0x200f},   {0x2028, 0x202f},
		{0x205f, 0x206f},    {0x3000, 0x3000},	 {0xe000, 0xf8ff},   {0xfdd0, 0xfdef},
		{0xfeff, 0xfeff},    {0xfff0, 0xfffb},	 {0x110bd, 0x110bd}, {0x110cd, 0x110cd},
		{0x13430, 0x1343f},  {0x1bca0, 0x1bca3}, {0x1d173, 0x1d17a}, {0xe0000, 0xe007f},
		{0xf0000, 0x10ffff},
	};

	if ((c & 0xfffe) == 0xfffe)
		return false; /* the two noncharacters at the end of every plane */
	for (size_t i = 0; i < sizeof(not_print) / sizeof(not_print[0]); i++)
		if (c >= not_print[i][0] && c <= not_print[i][1])
			return false;
	return true;
}

static int put(char *out, size_t size, size_t *len, const void *s, size_t n)
{
	if (*len + n >= size)
		return -ENAMETOOLONG;
	memcpy(out + *len, s, n);
	*len += n;
	out[*len] = '\0';
	return 0;
}

int go_quote(const char *s, char *out, size_t size, size_t *len)
{
	static const char esc[] = "\a\b\f\n\r\t\v";
	static const char letters[] = "abfnrtv";
	const unsigned char *p = (const unsigned char *)s;
	char tmp[16];
	int r;

	r = put(out, size, len, "\"", 1);
	while (r == 0 && *p) {
		const char *e = strchr(esc, *p);
		uint32_t cp = 0;
		size_t n = utf8_decode(p, &cp);

		if (*p == '"' || *p == '\\') {
			tmp[0] = '\\';
			tmp[1] = (char)*p;
			r = put(out, size, len, tmp, 2);
		} else if (e) {
			tmp[0] = '\\';
			tmp[1] = letters[e - esc];
			r = put(out, size, len, tmp, 2);
		} else if (n == 0 || *p < 0x20 || *p == 0x7f) {
			snprintf(tmp, sizeof(tmp), "\\x%02x", *p);
			r = put(out, size, len, tmp, 4);
		} else if (cp < 0x80 || go_is_print(cp)) {
			r = put(out, size, len, p, n);
		} else {
			int w = snprintf(tmp, sizeof(tmp), cp < 0x10000 ? "\\u%04x" : "\\U%08x",
					 (unsigned int)cp);
			r = put(out, size, len, tmp, (size_t)w);
		}
		p += n ? n : 1;
	}
	if (r == 0)
		r = put(out, size, len, "\"", 1);
	return r;
}

char *go_quote_dup(const char *s)
{
	/* The longest form per input byte is \xNN. */
	size_t size = 4 * strlen(s) + 3, len = 0;
	char *out = malloc(size);

	if (out && go_quote(s, out, size, &len) < 0) {
		free(out);
		out = NULL;
	}
	return out;
}

char *go_path_clean(const char *p, char *out)
{
	size_t n = strlen(p), r = 0, w = 0, dotdot = 0;
	bool rooted = n > 0 && p[0] == '/';

	/* Writing never overtakes reading (every '/' written stands for one read), so out may
	 * be p. */
	if (rooted) {
		out[w++] = '/';
		r = 1;
		dotdot = 1;
	}
	while (r < n) {
		if (p[r] == '/') {
			r++;
		} else if (p[r] == '.' && (r + 1 == n || p[r + 1] == '/')) {
			r++;
		} else if (p[r] == '.' && p[r + 1] == '.' && (r + 2 == n || p[r + 2] == '/')) {
			r += 2;
			if (w > dotdot) {
				/* Drop the last element. */
				w--;
				while (w > dotdot && out[w] != '/')
					w--;
			} else if (!rooted) {
				/* A leading ".." of a relative path stays. */
				if (w > 0)
					out[w++] = '/';
				out[w++] = '.';
				out[w++] = '.';
				dotdot = w;
			}
		} else {
			if ((rooted && w != 1) || (!rooted && w != 0))
				out[w++] = '/';
			while (r < n && p[r] != '/')
				out[w++] = p[r++];
		}
	}
	if (w == 0)
		out[w++] = '.';
	out[w] = '\0';
	return out;
}
