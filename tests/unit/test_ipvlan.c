/* SPDX-License-Identifier: Apache-2.0 */
/* ipvlan: config parsing, its error codes, and the verbs' paths that fail before a link. */
#include "unit.h"

#include <linux/if_link.h>

#include "cleanup.h"
#include "fixtures.h"
#define LIVE_LOCAL_ERR
#include "live.h"
#include "ipvlan/ipvlan.h"
#include "ipvlan/netconf.h"

static int loadf(enum ipvlan_load_mode mode, struct ipvlan_conf **ret, struct cni_err *e,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Load a config body (without braces, printf-formatted). */
static int loadf(enum ipvlan_load_mode mode, struct ipvlan_conf **ret, struct cni_err *e,
		 const char *fmt, ...)
{
	_cleanup_(fixture_args_clear) struct fixture_args f = {0};
	va_list ap;

	va_start(ap, fmt);
	fixture_args_vinit(&f, "ipvlan", fmt, ap);
	va_end(ap);
	*ret = NULL;
	cni_err_clear(e);
	return ipvlan_conf_load(&f.a, mode, ret, e);
}

/* The config body must fail to load in mode with code and a message containing msg. */
static void expect_error(enum ipvlan_load_mode mode, const char *body, int code, const char *msg)
{
	struct ipvlan_conf *c = NULL;
	struct cni_err e = {0};

	CHECK(loadf(mode, &c, &e, "%s", body) < 0);
	CHECK(c == NULL);
	CHECK_INT(e.code, code);
	if (!strstr(e.msg, msg)) {
		printf("#   config:  %s\n#   message: %s\n#   wanted:  %s\n", body, e.msg, msg);
		CHECK(!"message");
	}
	ipvlan_conf_free(c);
}

static void test_defaults(void)
{
	_cleanup_(ipvlan_conf_freep) struct ipvlan_conf *c = NULL;
	struct cni_err e = {0};

	CHECK_INT(loadf(IPVLAN_LOAD_FULL, &c, &e, "%s", ""), 0);
	if (!c)
		return;
	CHECK_STR(c->cni_version, "1.0.0");
	CHECK_STR(c->master, "");
	CHECK_INT(c->mode, IPVLAN_MODE_L2);
	CHECK_INT(c->mtu, 0);
	CHECK(!c->link_in_container);
	CHECK(!c->accept_ra);
	CHECK_STR(c->ipam_type, "");
	CHECK(!c->has_dns);
	CHECK(c->prev == NULL);
}

static void test_keys(void)
{
	_cleanup_(ipvlan_conf_freep) struct ipvlan_conf *c = NULL;
	struct cni_err e = {0};

	CHECK_INT(loadf(IPVLAN_LOAD_FULL, &c, &e,
			"\"master\": \"eth1\", \"mode\": \"l3s\", \"mtu\": 1400, "
			"\"linkInContainer\": true, \"acceptRA\": true, "
			"\"ipam\": {\"type\": \"host-local\"}, "
			"\"dns\": {\"nameservers\": [\"10.0.0.1\"]}"),
		  0);
	if (!c)
		return;
	CHECK_STR(c->master, "eth1");
	CHECK_INT(c->mode, IPVLAN_MODE_L3S);
	CHECK_INT(c->mtu, 1400);
	CHECK(c->link_in_container);
	CHECK(c->accept_ra);
	CHECK_STR(c->ipam_type, "host-local");
	CHECK(c->has_dns);
	/* An empty dns object is no DNS: IPAM's then stands. */
	ipvlan_conf_free(TAKE_PTR(c));
	CHECK_INT(loadf(IPVLAN_LOAD_FULL, &c, &e, "\"dns\": {}"), 0);
	CHECK(c && !c->has_dns);
}

static void test_modes(void)
{
	static const struct {
		const char *text;
		int mode;
	} modes[] = {
		{"\"\"", IPVLAN_MODE_L2},
		{"\"l2\"", IPVLAN_MODE_L2},
		{"\"l3\"", IPVLAN_MODE_L3},
		{"\"l3s\"", IPVLAN_MODE_L3S},
	};

	for (size_t i = 0; i < ARRAY_SIZE(modes); i++) {
		_cleanup_(ipvlan_conf_freep) struct ipvlan_conf *c = NULL;
		struct cni_err e = {0};

		CHECK_INT(loadf(IPVLAN_LOAD_FULL, &c, &e, "\"mode\": %s", modes[i].text), 0);
		CHECK(c && c->mode == modes[i].mode);
	}
	CHECK_STR(ipvlan_mode_name(IPVLAN_MODE_L2), "l2");
	CHECK_STR(ipvlan_mode_name(IPVLAN_MODE_L3), "l3");
	CHECK_STR(ipvlan_mode_name(IPVLAN_MODE_L3S), "l3s");
	CHECK(ipvlan_mode_name(7) == NULL);
	expect_error(IPVLAN_LOAD_FULL, "\"mode\": \"L2\"", CNI_ERR_INVALID_CONFIG,
		     "unknown ipvlan mode: \"L2\"");
	expect_error(IPVLAN_LOAD_FULL, "\"mode\": \"bridge\"", CNI_ERR_INVALID_CONFIG,
		     "unknown ipvlan mode: \"bridge\"");
}

static void test_errors(void)
{
	expect_error(IPVLAN_LOAD_FULL, "\"master\": 1", CNI_ERR_INVALID_CONFIG, "master");
	expect_error(IPVLAN_LOAD_FULL, "\"mode\": 2", CNI_ERR_INVALID_CONFIG, "mode");
	expect_error(IPVLAN_LOAD_FULL, "\"mtu\": \"1500\"", CNI_ERR_INVALID_CONFIG, "mtu");
	expect_error(IPVLAN_LOAD_FULL, "\"mtu\": 1.5", CNI_ERR_INVALID_CONFIG, "mtu");
	expect_error(IPVLAN_LOAD_FULL, "\"mtu\": 4294967296", CNI_ERR_INVALID_CONFIG, "mtu");
	expect_error(IPVLAN_LOAD_FULL, "\"linkInContainer\": \"yes\"", CNI_ERR_INVALID_CONFIG,
		     "linkInContainer");
	expect_error(IPVLAN_LOAD_FULL, "\"acceptRA\": 1", CNI_ERR_INVALID_CONFIG, "acceptRA");
	expect_error(IPVLAN_LOAD_FULL, "\"ipam\": []", CNI_ERR_INVALID_CONFIG, "ipam");
	expect_error(IPVLAN_LOAD_FULL, "\"ipam\": {\"type\": 3}", CNI_ERR_INVALID_CONFIG, "type");
	expect_error(IPVLAN_LOAD_FULL, "\"dns\": \"x\"", CNI_ERR_INVALID_CONFIG, "dns");
	expect_error(IPVLAN_LOAD_FULL, "\"prevResult\": {\"cniVersion\": \"0.2.0\"}",
		     CNI_ERR_DECODE, "could not parse prevResult");
}

/* A prevResult of the config's version family is parsed; DEL reads nothing but ipam.type. */
static void test_prev_and_del(void)
{
	_cleanup_(ipvlan_conf_freep) struct ipvlan_conf *c = NULL, *d = NULL;
	struct cni_err e = {0};

	CHECK_INT(loadf(IPVLAN_LOAD_FULL, &c, &e,
			"\"prevResult\": {\"cniVersion\": \"1.0.0\", "
			"\"interfaces\": [{\"name\": \"net1\"}], "
			"\"ips\": [{\"address\": \"10.1.2.5/24\", \"interface\": 0}]}"),
		  0);
	CHECK(c && c->prev && c->prev->n_ifaces == 1 && c->prev->n_ips == 1);
	CHECK_INT(loadf(IPVLAN_LOAD_DEL, &d, &e,
			"\"mode\": \"bogus\", \"mtu\": \"x\", \"master\": 5, "
			"\"ipam\": {\"type\": \"static\"}, \"prevResult\": 7"),
		  0);
	CHECK(d && !strcmp(d->ipam_type, "static"));
	expect_error(IPVLAN_LOAD_DEL, "\"ipam\": {\"type\": []}", CNI_ERR_INVALID_CONFIG, "type");
}

/* Run a verb on a config body with CNI_NETNS netns; returns its error code (0: success). */
static int verbf(cni_verb_fn verb, const char *netns, struct cni_err *e, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int verbf(cni_verb_fn verb, const char *netns, struct cni_err *e, const char *fmt, ...)
{
	_cleanup_(fixture_args_clear) struct fixture_args f = {0};
	_cleanup_free_ char *out = NULL;
	struct cni_log log = {.fd = -1};
	va_list ap;

	va_start(ap, fmt);
	fixture_args_vinit(&f, "ipvlan", fmt, ap);
	va_end(ap);
	f.a.netns = netns;
	f.a.path = "/nonexistent";
	f.a.log = &log;
	cni_err_clear(e);
	if (verb(&f.a, &out, e) < 0)
		return e->code ? e->code : -1;
	return 0;
}

/* What fails before a link is made, in a namespace of the test's own with only lo. */
static void test_verbs_fail_early(void)
{
	struct cni_err e = {0};

	LIVE_FRESH();
	/* No master, no default route, no prevResult. */
	CHECK_INT(verbf(ipvlan_add, "/proc/self/ns/net", &e, "%s", ""), CNI_ERR_INTERNAL);
	CHECK_STR(e.msg, "no default route interface found");
	/* A prevResult without exactly one named interface. */
	CHECK_INT(verbf(ipvlan_add, "/proc/self/ns/net", &e,
			"\"prevResult\": {\"cniVersion\": \"1.0.0\", "
			"\"interfaces\": [{\"name\": \"a\"}, {\"name\": \"b\"}]}"),
		  CNI_ERR_INTERNAL);
	CHECK_STR(e.msg, "chained master failure. PrevResult lacks a single named interface");
	CHECK_INT(verbf(ipvlan_add, "/proc/self/ns/net", &e, "\"master\": \"nope0\""),
		  CNI_ERR_INTERNAL);
	CHECK_STR(e.msg, "failed to lookup master \"nope0\": Link not found");
	CHECK_INT(verbf(ipvlan_add, "/proc/self/ns/net", &e, "\"master\": \"lo\", \"mtu\": -1"),
		  CNI_ERR_INVALID_CONFIG);
	CHECK_STR(e.msg, "invalid MTU -1, must be [0, master MTU(65536)]");
	CHECK_INT(verbf(ipvlan_add, "/proc/self/ns/net", &e, "\"master\": \"lo\", \"mtu\": 70000"),
		  CNI_ERR_INVALID_CONFIG);
	CHECK_STR(e.msg, "invalid MTU 70000, must be [0, master MTU(65536)]");
	/* The master of the node must exist for STATUS. */
	CHECK_INT(verbf(ipvlan_status, "", &e, "\"master\": \"nope0\""), CNI_ERR_NOT_AVAILABLE);
	CHECK_STR(e.msg, "master 'nope0' not found");
	CHECK_INT(verbf(ipvlan_status, "", &e, "\"master\": \"lo\""), 0);
	CHECK_INT(verbf(ipvlan_status, "", &e, "\"master\": \"nope0\", \"linkInContainer\": true"),
		  0);
	CHECK_INT(verbf(ipvlan_status, "", &e, "%s", ""), 0);
	/* DEL: nothing to look at (no master, no default route), nothing there. */
	CHECK_INT(verbf(ipvlan_del, "", &e, "%s", ""), 0);
	CHECK_INT(verbf(ipvlan_del, "/run/netns/cni-unit-gone-ns", &e, "\"mode\": \"x\""), 0);
	CHECK_INT(verbf(ipvlan_del, "/proc/self/ns/net", &e, "\"master\": \"nope0\""), 0);
	/* CHECK needs prevResult. */
	CHECK_INT(verbf(ipvlan_check, "/proc/self/ns/net", &e, "\"master\": \"lo\""),
		  CNI_ERR_INTERNAL);
	CHECK_STR(e.msg, "Required prevResult missing");
}

/* CHECK with master omitted: prevResult's one interface is the container's own link (as it
 * is after ADD), so no master is looked up (no default route here) and the link itself is
 * judged; a prevResult naming another interface names the master, as for ADD. */
static void test_check_master_omitted(void)
{
	static const char own[] = "\"prevResult\": {\"cniVersion\": \"1.0.0\", \"interfaces\": "
				  "[{\"name\": \"eth0\", \"sandbox\": \"/proc/self/ns/net\"}]}";
	static const char other[] = "\"prevResult\": {\"cniVersion\": \"1.0.0\", \"interfaces\": "
				    "[{\"name\": \"eth0\", \"sandbox\": \"/proc/self/ns/net\"}, "
				    "{\"name\": \"m9\"}]}";
	struct cni_err e = {0};

	LIVE_FRESH();
	if (system("ip link add eth0 type veth peer name eth0p >/dev/null 2>&1") != 0)
		UNIT_SKIP("cannot create a veth");
	CHECK_INT(verbf(ipvlan_check, "/proc/self/ns/net", &e, "%s", own), CNI_ERR_INTERNAL);
	CHECK_STR(e.msg, "Error: Container interface eth0 not of type ipvlan");
	CHECK_INT(verbf(ipvlan_check, "/proc/self/ns/net", &e, "%s", other), CNI_ERR_INTERNAL);
	CHECK_STR(e.msg, "chained master failure. PrevResult lacks a single named interface");
	CHECK_INT(verbf(ipvlan_check, "/proc/self/ns/net", &e, "\"master\": \"m9\", %s", own),
		  CNI_ERR_INTERNAL);
	CHECK_STR(e.msg, "failed to lookup master \"m9\": Link not found");
}

int main(void)
{
	live_enter(0);
	RUN(test_defaults);
	RUN(test_keys);
	RUN(test_modes);
	RUN(test_errors);
	RUN(test_prev_and_del);
	RUN(test_verbs_fail_early);
	RUN(test_check_master_omitted);
	UNIT_DONE();
}
