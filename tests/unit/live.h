/* SPDX-License-Identifier: Apache-2.0 */
/* What the live tests of the netfilter layer share: the error their calls record into,
 * OK(), which checks that a call returned 0 and prints that error otherwise, and the output
 * of a shell command (what iptables-nft or nft lists). */
#ifndef CNI_TEST_LIVE_H
#define CNI_TEST_LIVE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "fileio.h"
#include "unit.h"

static struct cni_err err;

/* CHECK that a call returned 0, printing the error otherwise. */
#define OK(x)                                                                                   \
	do {                                                                                    \
		int _r = (x);                                                                   \
		CHECK(_r == 0);                                                                 \
		if (_r != 0)                                                                    \
			fprintf(stderr, "  %s -> %d: %s [%s]\n", #x, _r, err.msg, err.details); \
	} while (0)

/* The stdout of shell command cmd as a malloc'd string ("" when it printed nothing), or NULL
 * when it could not be started. */
static inline char *live_output(const char *cmd)
{
	FILE *f = popen(cmd, "r");
	char *out = NULL;
	size_t len;

	if (!f)
		return NULL;
	if (fileio_read_fd(fileno(f), SIZE_MAX, &out, &len) < 0)
		out = NULL;
	pclose(f);
	return out ? out : strdup("");
}

#endif
