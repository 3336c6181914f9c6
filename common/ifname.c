/* SPDX-License-Identifier: Apache-2.0 */
/* The kernel's rule for a network interface name. */
#include "ifname.h"

#include <string.h>

/* The kernel's isspace(): the ASCII white space and, in its Latin-1 table, 0xa0. */
static int kernel_isspace(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || c == 0xa0;
}

enum ifname_problem ifname_check(const char *name)
{
	if (!name || !*name)
		return IFNAME_EMPTY;
	if (strlen(name) > IFNAME_MAX_LEN)
		return IFNAME_TOO_LONG;
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return IFNAME_DOT;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p == '/' || *p == ':' || kernel_isspace(*p))
			return IFNAME_BAD_CHAR;
	return IFNAME_OK;
}

const char *ifname_problem_text(enum ifname_problem problem)
{
	switch (problem) {
	case IFNAME_OK:
		break;
	case IFNAME_EMPTY:
		return "is empty";
	case IFNAME_TOO_LONG:
		return "is longer than 15 bytes";
	case IFNAME_DOT:
		return "is . or ..";
	case IFNAME_BAD_CHAR:
		return "contains '/', ':' or whitespace";
	}
	return "";
}
