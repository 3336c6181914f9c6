/* SPDX-License-Identifier: Apache-2.0 */
/* The dhcp daemon's command line, parsed as Go's flag package parses it. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp/daemon.h"
#include "dhcp/daemon_int.h"

/* Go's time.ParseDuration units in nanoseconds. */
static const struct {
	const char *name;
	double ns;
} units[] = {
	{"ns", 1},   {"us", 1e3}, {"\xc2\xb5s", 1e3}, {"\xce\xbcs", 1e3},
	{"ms", 1e6}, {"s", 1e9},  {"m", 60e9},	      {"h", 3600e9},
};

int daemon_parse_duration(const char *s, int64_t *ret_ms)
{
	double total = 0;
	int neg = 0;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (!strcmp(s, "0")) {
		*ret_ms = 0;
		return 0;
	}
	if (!*s)
		return -EINVAL;
	while (*s) {
		double v = 0, scale = 1;
		int digits = 0;
		size_t best = 0, len = 0;
		double unit = 0;

		while (isdigit((unsigned char)*s)) {
			v = v * 10 + (*s++ - '0');
			digits++;
		}
		if (*s == '.') {
			s++;
			while (isdigit((unsigned char)*s)) {
				scale /= 10;
				v += (*s++ - '0') * scale;
				digits++;
			}
		}
		if (!digits)
			return -EINVAL;
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			len = strlen(units[i].name);
			if (!strncmp(s, units[i].name, len) && len > best) {
				best = len;
				unit = units[i].ns;
			}
		}
		if (!best)
			return -EINVAL; /* Go: missing unit */
		s += best;
		total += v * unit;
		if (total > 9.2e18)
			return -ERANGE;
	}
	*ret_ms = (int64_t)(total / 1e6);
	if (neg)
		*ret_ms = -*ret_ms;
	return 0;
}

static int parse_bool(const char *v, bool *ret)
{
	static const char *const t[] = {"1", "t", "T", "TRUE", "true", "True"};
	static const char *const f[] = {"0", "f", "F", "FALSE", "false", "False"};

	for (size_t i = 0; i < 6; i++) {
		if (!strcmp(v, t[i])) {
			*ret = true;
			return 0;
		}
		if (!strcmp(v, f[i])) {
			*ret = false;
			return 0;
		}
	}
	return -EINVAL;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage of daemon:\n"
		"  -broadcast\n"
		"    \tBroadcast DHCP leases\n"
		"  -hostprefix string\n"
		"    \tOptional prefix to netns\n"
		"  -pidfile string\n"
		"    \toptional path to write daemon PID to\n"
		"  -resendmax duration\n"
		"    \tmax resend interval for DHCP requests (default 1m2s)\n"
		"  -resendtimeout duration\n"
		"    \tmax time to resend DHCP requests (default 3m28s)\n"
		"  -socketpath string\n"
		"    \tpath to the socket the daemon listens on (default \"%s\")\n"
		"  -statedir string\n"
		"    \tdirectory of the lease journal (default \"%s\")\n"
		"  -timeout duration\n"
		"    \toptional dhcp client timeout duration (default 10s)\n",
		DHCP_DAEMON_SOCKET, DHCP_DAEMON_STATEDIR);
}

/* Print Go's complaint and the usage; the exit status for it. */
static int bad(const char *fmt, const char *a, const char *b) CNI_PRINTF(1, 0);

static int bad(const char *fmt, const char *a, const char *b)
{
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	fprintf(stderr, fmt, a, b);
#pragma GCC diagnostic pop
	fputc('\n', stderr);
	usage(stderr);
	return 2;
}

int daemon_parse_opts(int argc, char **argv, struct daemon_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->socketpath = DHCP_DAEMON_SOCKET;
	o->hostprefix = "";
	o->pidfile = "";
	o->statedir = DHCP_DAEMON_STATEDIR;
	o->timeout_ms = 10000;
	o->resend_max_ms = 62000;
	o->resend_timeout_ms = 208000;

	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *name, *eq, *val = NULL;
		char nbuf[64];
		size_t nlen;

		if (arg[0] != '-' || arg[1] == '\0')
			break; /* the first non-flag argument ends the flags */
		name = arg + 1;
		if (*name == '-') {
			name++;
			if (!*name)
				break; /* "--" */
		}
		if (*name == '-' || *name == '=')
			return bad("bad flag syntax: %s%s", arg, "");
		eq = strchr(name, '=');
		nlen = eq ? (size_t)(eq - name) : strlen(name);
		if (nlen >= sizeof(nbuf))
			return bad("flag provided but not defined: -%s%s", name, "");
		memcpy(nbuf, name, nlen);
		nbuf[nlen] = '\0';
		if (eq)
			val = eq + 1;
		if (!strcmp(nbuf, "h") || !strcmp(nbuf, "help")) {
			usage(stderr);
			return 0;
		}
		if (!strcmp(nbuf, "broadcast")) {
			if (val && parse_bool(val, &o->broadcast) < 0)
				return bad("invalid boolean value \"%s\" for -%s: parse error", val,
					   nbuf);
			if (!val)
				o->broadcast = true;
			continue;
		}
		if (strcmp(nbuf, "socketpath") && strcmp(nbuf, "hostprefix") &&
		    strcmp(nbuf, "pidfile") && strcmp(nbuf, "statedir") &&
		    strcmp(nbuf, "timeout") && strcmp(nbuf, "resendmax") &&
		    strcmp(nbuf, "resendtimeout"))
			return bad("flag provided but not defined: -%s%s", nbuf, "");
		if (!val) {
			if (i + 1 >= argc)
				return bad("flag needs an argument: -%s%s", nbuf, "");
			val = argv[++i];
		}
		if (!strcmp(nbuf, "socketpath")) {
			o->socketpath = val;
		} else if (!strcmp(nbuf, "hostprefix")) {
			o->hostprefix = val;
		} else if (!strcmp(nbuf, "pidfile")) {
			o->pidfile = val;
		} else if (!strcmp(nbuf, "statedir")) {
			o->statedir = val;
		} else {
			int64_t ms;

			if (daemon_parse_duration(val, &ms) < 0) {
				fprintf(stderr, "invalid value \"%s\" for flag -%s: parse error\n",
					val, nbuf);
				usage(stderr);
				return 2;
			}
			if (!strcmp(nbuf, "timeout"))
				o->timeout_ms = ms;
			else if (!strcmp(nbuf, "resendmax"))
				o->resend_max_ms = ms;
			else
				o->resend_timeout_ms = ms;
		}
	}
	return -1;
}
