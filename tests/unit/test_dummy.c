/* SPDX-License-Identifier: Apache-2.0 */
/* dummy: config parsing and its error codes; live, in a private namespace (where the kernel
 * has the dummy driver): ADD with a failing IPAM leaves nothing, DEL's idempotence. */
#include <stdarg.h>

#include "unit.h"
#include "fixtures.h"
#define LIVE_LOCAL_ERR
#include "live.h"

#include "cleanup.h"
#include "dummy/dummy.h"
#include "dummy/netconf.h"
#include "net/nl.h"
#include "net/rtnl.h"

/* The arguments of a verb for the config body (members without braces, printf-formatted). */
static void args_init(struct fixture_args *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void args_init(struct fixture_args *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fixture_args_vinit(f, "dummy", fmt, ap);
	va_end(ap);
}

/* Load body in mode: 0 or the CNI code, *out what loaded. */
static int load(enum dummy_load_mode mode, const char *body, char *out, size_t len,
		struct cni_err *err)
{
	_cleanup_(fixture_args_clear) struct fixture_args f = {0};
	_cleanup_(dummy_conf_freep) struct dummy_conf *c = NULL;

	args_init(&f, "%s", body);
	if (dummy_conf_load(&f.a, mode, &c, err) < 0) {
		CHECK(c == NULL);
		return err->code;
	}
	snprintf(out, len, "ipam=%s ra=%d prev=%d", c->ipam_type ? c->ipam_type : "-", c->accept_ra,
		 c->prev != NULL);
	return 0;
}

static void test_conf(void)
{
	static const struct {
		enum dummy_load_mode mode;
		const char *body;
		int code;
		const char *want; /* what loaded, or the message; NULL: any message */
	} cases[] = {
		{DUMMY_LOAD_FULL, "\"ipam\": {\"type\": \"host-local\"}", 0,
		 "ipam=host-local ra=0 prev=0"},
		{DUMMY_LOAD_FULL,
		 "\"ipam\": {\"type\": \"static\"}, \"acceptRA\": true, \"dns\": \"ignored\", "
		 "\"prevResult\": {\"cniVersion\": \"1.0.0\"}",
		 0, "ipam=static ra=1 prev=1"},
		{DUMMY_LOAD_FULL, "", 7, "dummy interface requires an IPAM configuration"},
		{DUMMY_LOAD_FULL, "\"ipam\": {}", 7,
		 "dummy interface requires an IPAM configuration"},
		{DUMMY_LOAD_FULL, "\"ipam\": {\"type\": \"\"}", 7,
		 "dummy interface requires an IPAM configuration"},
		{DUMMY_LOAD_FULL, "\"ipam\": []", 7, NULL},
		{DUMMY_LOAD_FULL, "\"ipam\": {\"type\": 5}", 7, NULL},
		{DUMMY_LOAD_FULL, "\"ipam\": {\"type\": \"x\"}, \"acceptRA\": \"yes\"", 7, NULL},
		{DUMMY_LOAD_FULL,
		 "\"ipam\": {\"type\": \"x\"}, \"prevResult\": {\"cniVersion\": \"0.2.0\"}", 6,
		 NULL},
		/* DEL needs nothing but a readable ipam.type. */
		{DUMMY_LOAD_DEL, "", 0, "ipam=- ra=0 prev=0"},
		{DUMMY_LOAD_DEL, "\"ipam\": {\"type\": \"static\"}, \"acceptRA\": 3", 0,
		 "ipam=static ra=0 prev=0"},
		{DUMMY_LOAD_DEL, "\"ipam\": 3", 7, NULL},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct cni_err err = {0};
		char out[256] = "";
		int code = load(cases[i].mode, cases[i].body, out, sizeof(out), &err);

		CHECK_INT(code, cases[i].code);
		if (code == 0)
			CHECK_STR(out, cases[i].want);
		else if (cases[i].want)
			CHECK_STR(err.msg, cases[i].want);
		if (code != cases[i].code)
			fprintf(stderr, "#   case %zu (%s): %s\n", i, cases[i].body, err.msg);
	}
}

/* An IPAM that cannot be found: the dummy made before it is removed again; DEL twice. */
static void test_failed_ipam_rollback(void)
{
	_cleanup_(fixture_args_clear) struct fixture_args f = {0};
	_cleanup_nl_close_ struct nl_sock *nl = NULL;
	_cleanup_free_ char *out = NULL;
	struct nl_link_req req = {.kind = "dummy", .name = "probe0"};
	struct cni_err err = {0};
	struct nl_link l;

	LIVE_FRESH();
	OK(nl_open(&nl, &err));
	if (nl_link_add(nl, &req, &err) < 0)
		UNIT_SKIP("the kernel has no dummy links (%s)", err.msg);
	args_init(&f, "\"ipam\": {\"type\": \"no-such-ipam\"}");
	f.a.netns = "/proc/thread-self/ns/net";
	f.a.path = "/nonexistent";
	CHECK(dummy_plugin.add(&f.a, &out, &err) < 0);
	CHECK(strstr(err.msg, "failed to find plugin \"no-such-ipam\"") != NULL);
	CHECK_INT(nl_link_get_by_name(nl, "eth0", &l, &err), -ENODEV);
	/* DEL with the same IPAM fails to release (the reference returns IPAM DEL's error);
	 * without IPAM it succeeds, twice, with nothing to remove. */
	fixture_args_clear(&f);
	args_init(&f, "%s", "");
	f.a.netns = "/proc/thread-self/ns/net";
	OK(dummy_plugin.del(&f.a, NULL, &err));
	OK(dummy_plugin.del(&f.a, NULL, &err));
}

int main(void)
{
	RUN(test_conf);
	live_enter(0);
	RUN(test_failed_ipam_rollback);
	UNIT_DONE();
}
