/* SPDX-License-Identifier: Apache-2.0 */
/* vrf: config parsing and its error codes, the verbs' errors before any change (no prevResult,
 * a gone namespace), DEL's idempotence; live, in a private namespace where the kernel has
 * VRF (the QEMU tier): the result of ADD in every CNI version (the prevResult, converted),
 * the VRF it makes and the one DEL removes. */
#include <stdarg.h>
#include <linux/if_link.h>

#include "unit.h"
#include "fixtures.h"
#define LIVE_LOCAL_ERR
#include "live.h"

#include "cleanup.h"
#include "net/nl.h"
#include "net/rtnl.h"
#include "vrf/netconf.h"
#include "vrf/vrf.h"

/* The arguments of a verb for the config body (members without braces, printf-formatted). */
static void args_init(struct fixture_args *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void args_init(struct fixture_args *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fixture_args_vinit(f, "vrf", fmt, ap);
	va_end(ap);
}

/* Load body in mode: 0 or the CNI code, *out what loaded. */
static int load(enum vrf_load_mode mode, const char *body, char *out, size_t len,
		struct cni_err *err)
{
	_cleanup_(fixture_args_clear) struct fixture_args f = {0};
	_cleanup_(vrf_conf_freep) struct vrf_conf *c = NULL;

	args_init(&f, "%s", body);
	if (vrf_conf_load(&f.a, mode, &c, err) < 0) {
		CHECK(c == NULL);
		return err->code;
	}
	snprintf(out, len, "vrf=%s table=%u prev=%d", c->vrf_name, c->table, c->prev != NULL);
	return 0;
}

#define PREV \
	"\"prevResult\": {\"cniVersion\": \"1.0.0\", \"ips\": [{\"address\": \"10.1.1.2/24\"}]}"

static void test_conf(void)
{
	static const struct {
		enum vrf_load_mode mode;
		const char *body;
		int code;
		const char *want; /* what loaded, or the message; NULL: any message */
	} cases[] = {
		{VRF_LOAD_FULL, "\"vrfname\": \"blue\"", 0, "vrf=blue table=0 prev=0"},
		{VRF_LOAD_FULL, "\"VRFName\": \"blue\", \"table\": 1001, " PREV, 0,
		 "vrf=blue table=1001 prev=1"},
		{VRF_LOAD_FULL, "\"vrfname\": \"blue\", \"table\": 4294967295", 0,
		 "vrf=blue table=4294967295 prev=0"},
		{VRF_LOAD_FULL, "\"vrfname\": \"blue\", \"table\": null", 0,
		 "vrf=blue table=0 prev=0"},
		{VRF_LOAD_FULL, "", 7, "configuration is expected to have a valid vrf name"},
		{VRF_LOAD_FULL, "\"vrfname\": \"\"", 7,
		 "configuration is expected to have a valid vrf name"},
		{VRF_LOAD_FULL, "\"vrfname\": 5", 7, NULL},
		{VRF_LOAD_FULL, "\"vrfname\": \"a-name-too-long-for-a-link\"", 7,
		 "invalid vrf name 'a-name-too-long-for-a-link': is longer than 15 bytes"},
		{VRF_LOAD_FULL, "\"vrfname\": \"a/b\"", 7, NULL},
		{VRF_LOAD_FULL, "\"vrfname\": \"blue\", \"table\": \"1\"", 7, NULL},
		{VRF_LOAD_FULL, "\"vrfname\": \"blue\", \"table\": -1", 7, NULL},
		{VRF_LOAD_FULL, "\"vrfname\": \"blue\", \"table\": 1.5", 7, NULL},
		{VRF_LOAD_FULL, "\"vrfname\": \"blue\", \"table\": 4294967296", 7,
		 "'table' must be an integer between 0 and 4294967295, not 4294967296"},
		{VRF_LOAD_FULL,
		 "\"vrfname\": \"blue\", \"prevResult\": {\"cniVersion\": \"0.2.0\", \"ip4\": "
		 "{\"ip\": \"10.1.1.2/24\"}}",
		 6, NULL},
		/* DEL reads vrfname only. */
		{VRF_LOAD_DEL, "\"vrfname\": \"blue\", \"table\": \"x\", \"prevResult\": 3", 0,
		 "vrf=blue table=0 prev=0"},
		{VRF_LOAD_DEL, "\"vrfname\": \"a-name-too-long-for-a-link\"", 0,
		 "vrf=a-name-too-long-for-a-link table=0 prev=0"},
		{VRF_LOAD_DEL, "", 7, "configuration is expected to have a valid vrf name"},
		{VRF_LOAD_DEL, "\"vrfname\": []", 7, NULL},
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

/* The verbs' errors before anything changes, and DEL where there is nothing to do. */
static void test_verb_errors(void)
{
	_cleanup_(fixture_args_clear) struct fixture_args f = {0};
	_cleanup_free_ char *out = NULL;
	struct cni_err err = {0};

	args_init(&f, "\"vrfname\": \"blue\"");
	f.a.netns = "/run/netns/vrf-unit-no-such-ns";
	CHECK(vrf_plugin.add(&f.a, &out, &err) < 0);
	CHECK_INT(err.code, 7);
	CHECK_STR(err.msg, "missing prevResult from earlier plugin");
	CHECK(vrf_plugin.check(&f.a, &out, &err) < 0);
	CHECK_STR(err.msg, "missing prevResult from earlier plugin");
	/* A gone namespace: DEL succeeds, twice; so does an empty CNI_NETNS. */
	CHECK_INT(vrf_plugin.del(&f.a, &out, &err), 0);
	CHECK_INT(vrf_plugin.del(&f.a, &out, &err), 0);
	f.a.netns = "";
	CHECK_INT(vrf_plugin.del(&f.a, &out, &err), 0);
	CHECK(vrf_plugin.status == NULL && vrf_plugin.gc == NULL);
	CHECK(vrf_plugin.versions == NULL); /* every version, 0.1.0 too */
	fixture_args_clear(&f);

	args_init(&f, "\"vrfname\": \"blue\", " PREV);
	f.a.netns = "/run/netns/vrf-unit-no-such-ns";
	CHECK(vrf_plugin.add(&f.a, &out, &err) < 0);
	CHECK_INT(err.code, 999);
	CHECK_STR(err.msg, "cmdAdd failed: failed to Statfs \"/run/netns/vrf-unit-no-such-ns\": "
			   "no such file or directory");
	CHECK(out == NULL);
}

/* text without its blanks and line breaks (the results hold no blank in a string). */
static void squeeze(char *text)
{
	char *w = text;

	for (const char *r = text; *r; r++)
		if (*r != ' ' && *r != '\n')
			*w++ = *r;
	*w = '\0';
}

/* ADD in every version prints the prevResult in the config's version; the VRF gets table 1
 * and goes with DEL. */
static void test_live_results(void)
{
	static const struct {
		const char *version;
		const char *prev;
		const char *want;
	} cases[] = {
		{"0.1.0", "{\"cniVersion\": \"0.1.0\", \"ip4\": {\"ip\": \"10.1.1.2/24\"}}",
		 "{\"cniVersion\":\"0.1.0\",\"ip4\":{\"ip\":\"10.1.1.2/24\"},\"dns\":{}}"},
		{"0.3.1",
		 "{\"cniVersion\": \"0.3.1\", \"interfaces\": [{\"name\": \"eth0\"}], \"ips\": "
		 "[{\"version\": \"4\", \"address\": \"10.1.1.2/24\", \"interface\": 0}]}",
		 "{\"cniVersion\":\"0.3.1\",\"interfaces\":[{\"name\":\"eth0\"}],\"ips\":[{"
		 "\"version\":\"4\",\"interface\":0,\"address\":\"10.1.1.2/24\"}],\"dns\":{}}"},
		{"1.1.0",
		 "{\"cniVersion\": \"1.0.0\", \"interfaces\": [{\"name\": \"eth0\"}], \"ips\": "
		 "[{\"address\": \"10.1.1.2/24\", \"interface\": 0}]}",
		 "{\"cniVersion\":\"1.1.0\",\"interfaces\":[{\"name\":\"eth0\"}],\"ips\":[{"
		 "\"address\":\"10.1.1.2/24\",\"interface\":0}]}"},
	};
	_cleanup_nl_close_ struct nl_sock *nl = NULL;
	struct nl_veth_req veth = {.name = "eth0", .peer_name = "peer0", .peer_netns_fd = -1};
	struct nl_link_req probe = {.kind = "vrf", .name = "probe"};
	struct cni_err err = {0};
	struct nl_link l, vrf;

	LIVE_FRESH();
	OK(nl_open(&nl, &err));
	probe.data[probe.n_data++] = (struct nl_link_data){IFLA_VRF_TABLE, 4, 9};
	if (nl_link_add(nl, &probe, &err) == -EOPNOTSUPP)
		UNIT_SKIP("the kernel has no VRF (%s)", err.msg);
	OK(nl_link_del_by_name(nl, "probe", &err));
	OK(nl_link_add_veth(nl, &veth, &err));
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *text = NULL, *out = NULL;
		struct cni_cmd_args a = {.command = "ADD",
					 .container_id = "cid",
					 .netns = "/proc/thread-self/ns/net",
					 .ifname = "eth0",
					 .args = "",
					 .path = "/nonexistent",
					 .cni_version = cases[i].version,
					 .name = "n"};

		if (asprintf(&text,
			     "{\"cniVersion\": \"%s\", \"name\": \"n\", \"type\": \"vrf\", "
			     "\"vrfname\": \"blue\", \"prevResult\": %s}",
			     cases[i].version, cases[i].prev) < 0)
			abort();
		a.stdin_data = text;
		a.stdin_len = strlen(text);
		OK(vrf_plugin.add(&a, &out, &err));
		if (out)
			squeeze(out);
		CHECK_STR(out, cases[i].want);
		OK(nl_link_get_by_name(nl, "blue", &vrf, &err));
		CHECK_INT(vrf.vrf_table, 1);
		OK(nl_link_get_by_name(nl, "eth0", &l, &err));
		CHECK_INT(l.master, vrf.index);
		OK(vrf_plugin.del(&a, NULL, &err));
		CHECK_INT(nl_link_get_by_name(nl, "blue", &vrf, &err), -ENODEV);
		OK(vrf_plugin.del(&a, NULL, &err));
	}
}

int main(void)
{
	RUN(test_conf);
	RUN(test_verb_errors);
	live_enter(0);
	RUN(test_live_results);
	UNIT_DONE();
}
