/* SPDX-License-Identifier: Apache-2.0 */
/* What the live tests (netlink, nftables, iptables-nft against the kernel) share: the private
 * network namespace a test binary enters once, with the reason its live tests skip when it
 * cannot (and the command-line tools they compare with, when those are missing); the error
 * their calls record into, OK(), which checks that a call returned 0 and prints that error
 * otherwise, and the output of a shell command (what iptables-nft or nft lists).
 *
 * A file whose tests declare their own struct cni_err err defines LIVE_LOCAL_ERR before
 * including this header. */
#ifndef CNI_TEST_LIVE_H
#define CNI_TEST_LIVE_H

#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "fileio.h"
#include "unit.h"

#ifndef LIVE_LOCAL_ERR
static struct cni_err err;
#endif

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

/* ---- the private network namespace ------------------------------------------------------ */

/* The command-line tools live tests compare with, for live_enter() and LIVE_REQUIRED_TOOL(). */
enum live_tool {
	LIVE_NFT = 1 << 0,	/* nft */
	LIVE_IPTABLES = 1 << 1, /* iptables-nft */
};

/* Why this binary's live tests cannot run (NULL: they can); set by live_enter(). A test
 * binary whose own setup fails after live_enter() may put its reason here. */
static const char *live_skip = "no private network namespace was entered";
/* The tools of live_enter()'s needs that are not installed (enum live_tool bits). */
static unsigned int live_missing;
static char live_skip_text[128];

/* Enter a private network namespace for the rest of this process, so that nothing a live
 * test does reaches the host's links, addresses or ruleset. needs: the enum live_tool bits
 * of the tools some live tests use, whose absence live_missing records. Returns 0, or -1
 * with live_skip saying why the live tests cannot run. */
static inline int live_enter(unsigned int needs)
{
	if (unshare(CLONE_NEWNET) < 0) {
		snprintf(live_skip_text, sizeof(live_skip_text),
			 "cannot create network namespaces (%s)", strerror(errno));
		live_skip = live_skip_text;
		return -1;
	}
	live_skip = NULL;
	if ((needs & LIVE_NFT) && system("nft --version >/dev/null 2>&1") != 0)
		live_missing |= LIVE_NFT;
	if ((needs & LIVE_IPTABLES) && system("iptables-nft --version >/dev/null 2>&1") != 0)
		live_missing |= LIVE_IPTABLES;
	return 0;
}

/* How a skip names a missing tool. */
static inline const char *live_tool_name(unsigned int tool)
{
	return tool == LIVE_NFT ? "the nft CLI" : "iptables-nft";
}

/* In a live test: skip it when the binary is not in its private namespace. */
#define LIVE_REQUIRED()                             \
	do {                                        \
		if (live_skip)                      \
			UNIT_SKIP("%s", live_skip); \
	} while (0)

/* In a live test: skip it also when tool (one enum live_tool bit, among live_enter()'s needs)
 * is missing; what names the part of the test that needs it. */
#define LIVE_REQUIRED_TOOL(tool, what)                                          \
	do {                                                                    \
		LIVE_REQUIRED();                                                \
		if (live_missing & (tool))                                      \
			UNIT_SKIP("%s needs %s", (what), live_tool_name(tool)); \
	} while (0)

/* In a live test that must not see what the tests before it left: move the process into a
 * new, empty network namespace (the one before it is freed with its last user). */
#define LIVE_FRESH()                                                                         \
	do {                                                                                 \
		LIVE_REQUIRED();                                                             \
		if (unshare(CLONE_NEWNET) < 0)                                               \
			UNIT_SKIP("cannot create network namespaces (%s)", strerror(errno)); \
	} while (0)

#endif
