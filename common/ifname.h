/* SPDX-License-Identifier: Apache-2.0 */
/* The kernel's rule for a network interface name (dev_valid_name). */
#ifndef CNI_IFNAME_H
#define CNI_IFNAME_H

/* Longest interface name in bytes (IFNAMSIZ - 1). */
#define IFNAME_MAX_LEN 15

/* What makes a name unusable, IFNAME_OK when nothing does. */
enum ifname_problem {
	IFNAME_OK,
	IFNAME_EMPTY,	 /* "" (or NULL) */
	IFNAME_TOO_LONG, /* more than IFNAME_MAX_LEN bytes */
	IFNAME_DOT,	 /* "." or ".." */
	IFNAME_BAD_CHAR, /* '/', ':' or a byte the kernel's isspace() takes for space */
};

/* Check name as the kernel's dev_valid_name() does: non-empty, at most IFNAME_MAX_LEN
 * bytes, not "." or "..", no '/', ':' or whitespace. */
enum ifname_problem ifname_check(const char *name);

/* A short lower-case description of problem ("is empty", "contains '/', ':' or
 * whitespace"...), "" for IFNAME_OK. */
const char *ifname_problem_text(enum ifname_problem problem);

#endif
