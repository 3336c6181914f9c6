/* SPDX-License-Identifier: Apache-2.0 */
/* Internals of the dhcp daemon shared between its files (and its unit test). */
#ifndef CNI_DHCP_DAEMON_INT_H
#define CNI_DHCP_DAEMON_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"

/* The daemon's settings. */
struct daemon_opts {
	const char *socketpath;	   /* -socketpath */
	const char *hostprefix;	   /* -hostprefix */
	const char *pidfile;	   /* -pidfile, "" = none */
	const char *statedir;	   /* -statedir */
	bool broadcast;		   /* -broadcast */
	int64_t timeout_ms;	   /* -timeout */
	int64_t resend_max_ms;	   /* -resendmax */
	int64_t resend_timeout_ms; /* -resendtimeout */
};

/*
 * Parse a Go duration ("10s", "1m30s", "1.5h", "0") into milliseconds; -EINVAL when it
 * is not one, -ERANGE when it is too large.
 */
int daemon_parse_duration(const char *s, int64_t *ret_ms);

/*
 * Parse the command line (argv[0] is the command's name) as Go's flag package does:
 * -1 to go on with *o filled, otherwise the exit status (0 after -help, 2 for a bad
 * command line, usage printed).
 */
int daemon_parse_opts(int argc, char **argv, struct daemon_opts *o);

#endif
