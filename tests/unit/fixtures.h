/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fixtures shared by unit tests (include after unit.h): the arguments a verb gets for a
 * config written in a line, and tables of configs run through a config loader under
 * test, each row saying what loading gives.
 */
#ifndef CNI_TEST_FIXTURES_H
#define CNI_TEST_FIXTURES_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

#include "err.h"
#include "cni/cni.h"

/* A verb's arguments for a generated config, and the config text they point at. */
struct fixture_args {
	struct cni_cmd_args a; /* what the verb gets */
	char *text;	       /* the config (malloc'd), a.stdin_data */
};

/*
 * Fill f for the config {"cniVersion": "1.0.0", "name": "n", "type": type, <body>} (no
 * "type" when type is NULL; body: members without braces, printf-formatted by fmt and ap,
 * may be empty) as a verb for container "cid" and interface "eth0" gets it. Free with
 * fixture_args_clear().
 */
static inline void fixture_args_vinit(struct fixture_args *f, const char *type, const char *fmt,
				      va_list ap)
{
	char *body = NULL;

	memset(f, 0, sizeof(*f));
	if (vasprintf(&body, fmt, ap) < 0 ||
	    asprintf(&f->text, "{\"cniVersion\": \"1.0.0\", \"name\": \"n\"%s%s%s%s%s}",
		     type ? ", \"type\": \"" : "", type ? type : "", type ? "\"" : "",
		     *body ? ", " : "", body) < 0)
		abort();
	free(body);
	f->a.stdin_data = f->text;
	f->a.stdin_len = strlen(f->text);
	f->a.cni_version = "1.0.0";
	f->a.ifname = "eth0";
	f->a.container_id = "cid";
	f->a.args = "";
}

/* Free what fixture_args_vinit() allocated. */
static inline void fixture_args_clear(struct fixture_args *f)
{
	free(f->text);
	f->text = NULL;
}

/* One config and what loading it gives. */
struct fixture_conf_case {
	const char *json;     /* the config */
	const char *env_args; /* CNI_ARGS, NULL for none */
	int code;	      /* 0 when it loads, else the CNI code of the failure */
	const char *want;     /* the loader's account of what loaded, or the failure's message */
};

/*
 * A config loader under test: loads json with env_args, writes its account of what loaded
 * into out (len bytes) and frees it; returns 0, or the CNI code of the failure with err
 * set.
 */
typedef int (*fixture_conf_fn)(const char *json, const char *env_args, char *out, size_t len,
			       struct cni_err *err);

/* Run every case through load, checking the code and then the account or the message. */
static inline void fixture_conf_cases(fixture_conf_fn load, const struct fixture_conf_case *cases,
				      size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct cni_err err = {0};
		char out[1024] = "";
		int code = load(cases[i].json, cases[i].env_args, out, sizeof(out), &err);

		const char *got = code ? err.msg : out;

		unit_checks++;
		if (code != cases[i].code)
			UNIT_FAILED("case %zu (%s): code %d (%s), want %d", i, cases[i].json, code,
				    err.msg, cases[i].code);
		else if (strcmp(got, cases[i].want) != 0)
			UNIT_FAILED("case %zu (%s):\n#    got: %s\n#   want: %s", i, cases[i].json,
				    got, cases[i].want);
	}
}

#endif
