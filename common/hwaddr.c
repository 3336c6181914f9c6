/* SPDX-License-Identifier: Apache-2.0 */
#include "hwaddr.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "hex.h"

/* Two hex digits at s into *ret. */
static bool hex2(const char *s, uint8_t *ret)
{
	int hi = hex_digit(s[0]), lo = hi < 0 ? -1 : hex_digit(s[1]);

	if (hi < 0 || lo < 0)
		return false;
	*ret = (uint8_t)(hi << 4 | lo);
	return true;
}

int hwaddr_parse(const char *s, uint8_t mac[HWADDR_MAX], size_t *ret_len)
{
	size_t len = strlen(s), n;

	if (len < 14)
		return -EINVAL;
	if (s[2] == ':' || s[2] == '-') {
		/* xx:xx:... */
		if ((len + 1) % 3 != 0)
			return -EINVAL;
		n = (len + 1) / 3;
		if (n != 6 && n != 8 && n != 20)
			return -EINVAL;
		for (size_t i = 0; i < n; i++) {
			const char *p = s + 3 * i;

			if (!hex2(p, &mac[i]) || (i + 1 < n && p[2] != s[2]))
				return -EINVAL;
		}
	} else if (s[4] == '.') {
		/* xxxx.xxxx.xxxx */
		if ((len + 1) % 5 != 0)
			return -EINVAL;
		n = 2 * (len + 1) / 5;
		if (n != 6 && n != 8 && n != 20)
			return -EINVAL;
		for (size_t i = 0; i < n; i += 2) {
			const char *p = s + 5 * (i / 2);

			if (!hex2(p, &mac[i]) || !hex2(p + 2, &mac[i + 1]) ||
			    (i + 2 < n && p[4] != '.'))
				return -EINVAL;
		}
	} else {
		return -EINVAL;
	}
	*ret_len = n;
	return 0;
}

char *hwaddr_format(const uint8_t *mac, size_t len, char buf[HWADDR_TEXT_MAX])
{
	char *p = buf;

	if (len > 32)
		len = 32;
	*p = '\0';
	for (size_t i = 0; i < len; i++)
		p += sprintf(p, i ? ":%02x" : "%02x", mac[i]);
	return buf;
}
