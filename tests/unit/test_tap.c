/* SPDX-License-Identifier: Apache-2.0 */
/* tap: config parsing and its error codes; live, in a private namespace: ADD's result in
 * every CNI version, the rollback of a failed ADD, DEL's idempotence. */
#include <fcntl.h>
#include <stdarg.h>
#include <unistd.h>

#include "unit.h"
#include "fixtures.h"
#define LIVE_LOCAL_ERR
#include "live.h"

#include "cleanup.h"
#include "hwaddr.h"
#include "net/nl.h"
#include "net/rtnl.h"
#include "net/tun.h"
#include "tap/netconf.h"
#include "tap/tap.h"

/* The arguments of a verb for the config body (members without braces, printf-formatted). */
static void args_init(struct fixture_args *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void args_init(struct fixture_args *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fixture_args_vinit(f, "tap", fmt, ap);
	va_end(ap);
}

/* The fixture_conf_fn of tap (full mode): what loaded, as key=value words. */
static int load_full(const char *json, const char *env_args, char *out, size_t len,
		     struct cni_err *err)
{
	_cleanup_(fixture_args_clear) struct fixture_args f = {0};
	_cleanup_(tap_conf_freep) struct tap_conf *c = NULL;
	char mac[HWADDR_TEXT_MAX];

	args_init(&f, "%s", json);
	if (env_args)
		f.a.args = env_args;
	if (tap_conf_load(&f.a, TAP_LOAD_FULL, &c, err) < 0) {
		CHECK(c == NULL);
		return err->code;
	}
	snprintf(out, len,
		 "mq=%d mtu=%u owner=%lld group=%lld mac=%s sel=%s bridge=%s ipam=%s dns=%d ra=%d "
		 "prev=%d",
		 c->multi_queue, c->mtu, c->has_owner ? (long long)c->owner : -1LL,
		 c->has_group ? (long long)c->group : -1LL,
		 c->has_mac ? hwaddr_format(c->mac, 6, mac) : "-",
		 c->selinux_context ? c->selinux_context : "-", c->bridge ? c->bridge : "-",
		 c->ipam_type ? c->ipam_type : "-", c->has_dns, c->accept_ra, c->prev != NULL);
	return 0;
}

#define DEFAULTS "mq=0 mtu=0 owner=-1 group=-1 mac=- sel=- bridge=- ipam=- dns=0 ra=0 prev=0"

static void test_conf(void)
{
	static const struct fixture_conf_case cases[] = {
		{"", NULL, 0, DEFAULTS},
		{"\"multiQueue\": true, \"mtu\": 9000, \"owner\": 0, \"group\": 4294967295", NULL,
		 0,
		 "mq=1 mtu=9000 owner=0 group=4294967295 mac=- sel=- bridge=- ipam=- dns=0 ra=0 "
		 "prev=0"},
		{"\"owner\": null, \"group\": null, \"mac\": \"\", \"bridge\": \"\"", NULL, 0,
		 DEFAULTS},
		{"\"selinuxcontext\": \"a:b:c:s0\", \"bridge\": \"br1\", \"acceptRA\": true", NULL,
		 0,
		 "mq=0 mtu=0 owner=-1 group=-1 mac=- sel=a:b:c:s0 bridge=br1 ipam=- dns=0 ra=1 "
		 "prev=0"},
		{"\"ipam\": {\"type\": \"host-local\"}, \"dns\": {\"nameservers\": [\"1.1.1.1\"]}",
		 NULL, 0,
		 "mq=0 mtu=0 owner=-1 group=-1 mac=- sel=- bridge=- ipam=host-local dns=1 ra=0 "
		 "prev=0"},
		{"\"ipam\": {\"type\": \"\"}, \"dns\": {}", NULL, 0, DEFAULTS},
		{"\"args\": {\"cni\": {\"x\": 1}}", NULL, 0, DEFAULTS},
		/* MAC precedence: mac < CNI_ARGS MAC < runtimeConfig.mac; "" never overrides. */
		{"\"mac\": \"02:00:00:00:00:01\"", NULL, 0,
		 "mq=0 mtu=0 owner=-1 group=-1 mac=02:00:00:00:00:01 sel=- bridge=- ipam=- dns=0 "
		 "ra=0 prev=0"},
		{"\"mac\": \"02:00:00:00:00:01\"", "MAC=02:00:00:00:00:02", 0,
		 "mq=0 mtu=0 owner=-1 group=-1 mac=02:00:00:00:00:02 sel=- bridge=- ipam=- dns=0 "
		 "ra=0 prev=0"},
		{"\"mac\": \"02:00:00:00:00:01\", \"runtimeConfig\": {\"mac\": "
		 "\"02-00-00-00-00-03\"}",
		 "IgnoreUnknown=1;MAC=02:00:00:00:00:02;K8S_POD_NAME=x", 0,
		 "mq=0 mtu=0 owner=-1 group=-1 mac=02:00:00:00:00:03 sel=- bridge=- ipam=- dns=0 "
		 "ra=0 prev=0"},
		{"\"mac\": \"02:00:00:00:00:01\", \"runtimeConfig\": {\"mac\": \"\"}", "MAC=", 0,
		 "mq=0 mtu=0 owner=-1 group=-1 mac=02:00:00:00:00:01 sel=- bridge=- ipam=- dns=0 "
		 "ra=0 prev=0"},
		{"\"prevResult\": {\"cniVersion\": \"1.0.0\", \"interfaces\": [{\"name\": "
		 "\"eth0\"}]}",
		 NULL, 0,
		 "mq=0 mtu=0 owner=-1 group=-1 mac=- sel=- bridge=- ipam=- dns=0 ra=0 prev=1"},
		/* Errors: wrong types and values are code 7 naming the key. */
		{"\"mtu\": -1", NULL, 7, "invalid network config: 'mtu' -1 out of range"},
		{"\"mtu\": 65536", NULL, 7, "invalid network config: 'mtu' 65536 out of range"},
		{"\"owner\": -1", NULL, 7, NULL},
		{"\"group\": 4294967296", NULL, 7, NULL},
		{"\"multiQueue\": 1", NULL, 7, NULL},
		{"\"selinuxContext\": 5", NULL, 7, NULL},
		{"\"bridge\": []", NULL, 7, NULL},
		{"\"args\": \"x\"", NULL, 7, NULL},
		{"\"dns\": []", NULL, 7, "invalid network config: 'dns' must be an object"},
		{"\"ipam\": {\"type\": 1}", NULL, 7, NULL},
		{"\"mac\": \"zz\"", NULL, 7,
		 "invalid args zz for MAC addr: address zz: invalid MAC address"},
		{"\"mac\": \"00:11:22:33:44:55:66:77\"", NULL, 7,
		 "invalid args 00:11:22:33:44:55:66:77 for MAC addr: not an Ethernet (6-byte) "
		 "address"},
		{"", "MAC=x", 7, "invalid args x for MAC addr: address x: invalid MAC address"},
		{"\"runtimeConfig\": {\"mac\": \"1\"}", NULL, 7,
		 "invalid args 1 for MAC addr: address 1: invalid MAC address"},
		/* CNI_ARGS errors are the reference's, code 999. */
		{"", "FOO=bar", 999, "ARGS: unknown args [\"FOO=bar\"]"},
		{"", "MAC", 999, "ARGS: invalid pair \"MAC\""},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct cni_err err = {0};
		char out[1024] = "";
		int code = load_full(cases[i].json, cases[i].env_args, out, sizeof(out), &err);

		CHECK_INT(code, cases[i].code);
		if (code == 0)
			CHECK_STR(out, cases[i].want);
		else if (cases[i].want)
			CHECK_STR(err.msg, cases[i].want);
		if (code != cases[i].code)
			fprintf(stderr, "#   case %zu (%s): %s\n", i, cases[i].json, err.msg);
	}
}

/* DEL reads only ipam.type: what ADD would refuse does not stop it. */
static void test_conf_del(void)
{
	_cleanup_(fixture_args_clear) struct fixture_args f = {0};
	_cleanup_(tap_conf_freep) struct tap_conf *c = NULL;
	struct cni_err err = {0};

	args_init(&f, "\"mtu\": -1, \"mac\": \"zz\", \"ipam\": {\"type\": \"static\"}");
	f.a.args = "FOO=bar";
	CHECK_INT(tap_conf_load(&f.a, TAP_LOAD_DEL, &c, &err), 0);
	CHECK(c && c->ipam_type && strcmp(c->ipam_type, "static") == 0);
	tap_conf_free(TAKE_PTR(c));
	fixture_args_clear(&f);
	args_init(&f, "\"ipam\": \"x\"");
	CHECK_INT(tap_conf_load(&f.a, TAP_LOAD_DEL, &c, &err), -EIO);
	CHECK_INT(err.code, 7);
}

/* ---- live: the verbs in a private namespace --------------------------------------------- */

/* The ADD result (L2, MAC fixed) in each version, as cni_result_print() renders it. */
static void test_add_result_every_version(void)
{
	static const struct {
		const char *version;
		const char *want; /* NULL: ADD fails, "cannot convert" */
	} cases[] = {
		{"0.1.0", NULL},
		{"0.2.0", NULL},
		{"0.3.1",
		 "{\n    \"cniVersion\": \"0.3.1\",\n    \"interfaces\": [\n        {\n"
		 "            \"name\": \"eth0\",\n            \"mac\": \"02:00:00:00:00:0a\",\n"
		 "            \"sandbox\": \"/proc/thread-self/ns/net\"\n        }\n    ],\n"
		 "    \"dns\": {}\n}"},
		{"1.0.0",
		 "{\n    \"cniVersion\": \"1.0.0\",\n    \"interfaces\": [\n        {\n"
		 "            \"mac\": \"02:00:00:00:00:0a\",\n            \"name\": \"eth0\",\n"
		 "            \"sandbox\": \"/proc/thread-self/ns/net\"\n        }\n    ]\n}"},
	};
	_cleanup_nl_close_ struct nl_sock *nl = NULL;
	struct cni_err err = {0};

	LIVE_FRESH();
	if (access(TUN_DEV_PATH, R_OK | W_OK) != 0)
		UNIT_SKIP("no %s on this kernel", TUN_DEV_PATH);
	OK(nl_open(&nl, &err));
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_(fixture_args_clear) struct fixture_args f = {0};
		_cleanup_free_ char *out = NULL;
		struct nl_link l;
		int r;

		args_init(&f, "\"mac\": \"02:00:00:00:00:0a\"");
		f.a.cni_version = cases[i].version;
		f.a.netns = "/proc/thread-self/ns/net";
		f.a.log = NULL;
		cni_err_clear(&err);
		r = tap_plugin.add(&f.a, &out, &err);
		if (!cases[i].want) {
			CHECK(r < 0);
			CHECK_STR(err.msg, "cannot convert: no valid IP addresses");
			/* The failed ADD left nothing. */
			CHECK_INT(nl_link_get_by_name(nl, "eth0", &l, &err), -ENODEV);
			continue;
		}
		CHECK_INT(r, 0);
		CHECK_STR(out, cases[i].want);
		OK(nl_link_get_by_name(nl, "eth0", &l, &err));
		CHECK_STR(l.kind, "tun");
		OK(tap_plugin.del(&f.a, NULL, &err));
		CHECK_INT(nl_link_get_by_name(nl, "eth0", &l, &err), -ENODEV);
		OK(tap_plugin.del(&f.a, NULL, &err));
	}
}

int main(void)
{
	RUN(test_conf);
	RUN(test_conf_del);
	live_enter(0);
	RUN(test_add_result_every_version);
	UNIT_DONE();
}
