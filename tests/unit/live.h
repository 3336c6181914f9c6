/* SPDX-License-Identifier: Apache-2.0 */
/* What the live tests of the netfilter layer share: the error their calls record into, and
 * OK(), which checks that a call returned 0 and prints that error otherwise. */
#ifndef CNI_TEST_LIVE_H
#define CNI_TEST_LIVE_H

#include <stdio.h>

#include "err.h"
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

#endif
