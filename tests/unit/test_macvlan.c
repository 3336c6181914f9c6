/* SPDX-License-Identifier: Apache-2.0 */
/* macvlan: config parsing (keys, defaults, modes, MAC precedence, CNI_ARGS, what DEL and
 * STATUS read), every error code of the loader, and the MTU bound. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/if_link.h>

#include "cleanup.h"
#include "cni/json.h"
#include "cni/result.h"
#include "macvlan/macvlan.h"
#include "macvlan/netconf.h"
#include "net/rtnl.h"
#include "unit.h"
#include "fixtures.h"

/* Load json (the whole config) in mode with CNI_ARGS env_args (NULL for none). */
static int load(const char *json, const char *env_args, enum macvlan_load_mode mode,
		struct macvlan_conf **ret, struct cni_err *err)
{
	struct cni_cmd_args a = {
		.stdin_data = (char *)json,
		.stdin_len = strlen(json),
		.cni_version = "1.0.0",
		.ifname = "eth0",
		.container_id = "cid",
		.netns = "/run/netns/c",
		.args = env_args ? env_args : "",
	};

	*ret = NULL;
	cni_err_clear(err);
	return macvlan_conf_load(&a, mode, ret, err);
}

/* What a config loaded into, as one line. */
static void conf_text(const struct macvlan_conf *c, char *out, size_t len)
{
	snprintf(out, len,
		 "master=%s mode=%s/%u mtu=%d mac=%s lic=%d bcq=%u ra=%d ipam=%s dns=%d prev=%zu",
		 c->master ? c->master : "-", c->mode_name ? c->mode_name : "-", c->mode, c->mtu,
		 c->mac ? c->mac : "-", c->link_in_container, c->bcqueuelen, c->accept_ra,
		 c->ipam_type ? c->ipam_type : "-", c->has_dns, c->prev ? c->prev->n_ifaces : 0);
}

/* The fixture_conf_fn of the full load (ADD and CHECK). */
static int load_full(const char *json, const char *env_args, char *out, size_t len,
		     struct cni_err *err)
{
	_cleanup_(macvlan_conf_freep) struct macvlan_conf *c = NULL;

	if (load(json, env_args, MACVLAN_LOAD_FULL, &c, err) < 0) {
		CHECK(c == NULL);
		return err->code;
	}
	conf_text(c, out, len);
	return 0;
}

/* The fixture_conf_fn of DEL's load. */
static int load_del(const char *json, const char *env_args, char *out, size_t len,
		    struct cni_err *err)
{
	_cleanup_(macvlan_conf_freep) struct macvlan_conf *c = NULL;

	if (load(json, env_args, MACVLAN_LOAD_DEL, &c, err) < 0)
		return err->code;
	conf_text(c, out, len);
	return 0;
}

/* The fixture_conf_fn of STATUS's load. */
static int load_status(const char *json, const char *env_args, char *out, size_t len,
		       struct cni_err *err)
{
	_cleanup_(macvlan_conf_freep) struct macvlan_conf *c = NULL;

	if (load(json, env_args, MACVLAN_LOAD_STATUS, &c, err) < 0)
		return err->code;
	conf_text(c, out, len);
	return 0;
}

#define H "\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"macvlan\""

/* Defaults and every key. */
static void test_keys(void)
{
	static const struct fixture_conf_case cases[] = {
		{"{" H "}", NULL, 0,
		 "master=- mode=/4 mtu=0 mac=- lic=0 bcq=0 ra=0 ipam=- dns=0 prev=0"},
		/* An empty master is no master (resolved on ADD). */
		{"{" H ",\"master\":\"\",\"ipam\":{}}", NULL, 0,
		 "master=- mode=/4 mtu=0 mac=- lic=0 bcq=0 ra=0 ipam=- dns=0 prev=0"},
		{"{" H ",\"master\":\"eth0\",\"mode\":\"private\",\"mtu\":1400,"
		 "\"mac\":\"0a:58:0a:01:01:05\",\"linkInContainer\":true,\"bcqueuelen\":100,"
		 "\"acceptRA\":true,\"ipam\":{\"type\":\"host-local\"},"
		 "\"dns\":{\"nameservers\":[\"10.0.0.1\"]},"
		 "\"prevResult\":{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"x\"}]}}",
		 NULL, 0,
		 "master=eth0 mode=private/1 mtu=1400 mac=0a:58:0a:01:01:05 lic=1 bcq=100 ra=1 "
		 "ipam=host-local dns=1 prev=1"},
		{"{" H ",\"mode\":\"bridge\"}", NULL, 0,
		 "master=- mode=bridge/4 mtu=0 mac=- lic=0 bcq=0 ra=0 ipam=- dns=0 prev=0"},
		{"{" H ",\"mode\":\"vepa\"}", NULL, 0,
		 "master=- mode=vepa/2 mtu=0 mac=- lic=0 bcq=0 ra=0 ipam=- dns=0 prev=0"},
		{"{" H ",\"mode\":\"passthru\"}", NULL, 0,
		 "master=- mode=passthru/8 mtu=0 mac=- lic=0 bcq=0 ra=0 ipam=- dns=0 prev=0"},
		/* Keys match case-insensitively, as Go's decoder does; null is absent. */
		{"{" H ",\"Master\":\"m0\",\"MODE\":\"vepa\",\"BCQueueLen\":1,\"mtu\":null}", NULL,
		 0, "master=m0 mode=vepa/2 mtu=0 mac=- lic=0 bcq=1 ra=0 ipam=- dns=0 prev=0"},
		/* A dns without any field set is no dns. */
		{"{" H ",\"dns\":{}}", NULL, 0,
		 "master=- mode=/4 mtu=0 mac=- lic=0 bcq=0 ra=0 ipam=- dns=0 prev=0"},
		/* Negative and oversized MTUs are checked against the master on ADD. */
		{"{" H ",\"mtu\":-1}", NULL, 0,
		 "master=- mode=/4 mtu=-1 mac=- lic=0 bcq=0 ra=0 ipam=- dns=0 prev=0"},
		{"{" H ",\"bcqueuelen\":4294967295}", NULL, 0,
		 "master=- mode=/4 mtu=0 mac=- lic=0 bcq=4294967295 ra=0 ipam=- dns=0 prev=0"},
	};

	fixture_conf_cases(load_full, cases, ARRAY_SIZE(cases));
}

/* MAC precedence: mac < CNI_ARGS MAC < runtimeConfig.mac; empty values do not count. */
static void test_mac(void)
{
	static const struct fixture_conf_case cases[] = {
		{"{" H ",\"mac\":\"02:00:00:00:00:01\"}", "MAC=02:00:00:00:00:02", 0,
		 "master=- mode=/4 mtu=0 mac=02:00:00:00:00:02 lic=0 bcq=0 ra=0 ipam=- dns=0 "
		 "prev=0"},
		{"{" H ",\"mac\":\"02:00:00:00:00:01\",\"runtimeConfig\":{\"mac\":"
		 "\"02:00:00:00:00:03\"}}",
		 "MAC=02:00:00:00:00:02", 0,
		 "master=- mode=/4 mtu=0 mac=02:00:00:00:00:03 lic=0 bcq=0 ra=0 ipam=- dns=0 "
		 "prev=0"},
		{"{" H ",\"mac\":\"02:00:00:00:00:01\",\"runtimeConfig\":{\"mac\":\"\"}}",
		 "MAC=", 0,
		 "master=- mode=/4 mtu=0 mac=02:00:00:00:00:01 lic=0 bcq=0 ra=0 ipam=- dns=0 "
		 "prev=0"},
		/* Other CNI_ARGS are fine with IgnoreUnknown; the MAC is kept as written. */
		{"{" H "}", "IgnoreUnknown=1;K8S_POD_NAME=p;MAC=02-00-00-00-00-0A", 0,
		 "master=- mode=/4 mtu=0 mac=02-00-00-00-00-0A lic=0 bcq=0 ra=0 ipam=- dns=0 "
		 "prev=0"},
		/* The key is case-sensitive: "mac" is an unknown arg. */
		{"{" H "}", "IgnoreUnknown=true;mac=02:00:00:00:00:02", 0,
		 "master=- mode=/4 mtu=0 mac=- lic=0 bcq=0 ra=0 ipam=- dns=0 prev=0"},
		{"{" H "}", "K8S_POD_NAME=p", 999, "ARGS: unknown args [\"K8S_POD_NAME=p\"]"},
		{"{" H "}", "MAC", 999, "ARGS: invalid pair \"MAC\""},
		{"{" H ",\"mac\":\"zz\"}", NULL, 7,
		 "invalid args zz for MAC addr: address zz: invalid MAC address"},
		{"{" H "}", "MAC=02:00:00:00:00", 7,
		 "invalid args 02:00:00:00:00 for MAC addr: address 02:00:00:00:00: invalid MAC "
		 "address"},
		{"{" H ",\"runtimeConfig\":{\"mac\":\"02:00:00:00:00:00:00:01\"}}", NULL, 7,
		 "invalid args 02:00:00:00:00:00:00:01 for MAC addr: a macvlan takes a 6-byte "
		 "Ethernet address"},
	};

	fixture_conf_cases(load_full, cases, ARRAY_SIZE(cases));
}

/* Wrong types and values: code 7 naming the key; bad JSON: code 6. */
static void test_errors(void)
{
	static const struct fixture_conf_case cases[] = {
		{"{" H ",\"mode\":\"x\"}", NULL, 7, "unknown macvlan mode: \"x\""},
		{"{" H ",\"mode\":\"Bridge\"}", NULL, 7, "unknown macvlan mode: \"Bridge\""},
		{"{" H ",\"mode\":\"source\"}", NULL, 7, "unknown macvlan mode: \"source\""},
		{"{" H ",\"master\":1}", NULL, 7, ""},
		{"{" H ",\"mode\":true}", NULL, 7, ""},
		{"{" H ",\"mtu\":\"1500\"}", NULL, 7, ""},
		{"{" H ",\"mtu\":1.5}", NULL, 7, ""},
		{"{" H ",\"mtu\":4294967296}", NULL, 7, ""},
		{"{" H ",\"linkInContainer\":\"yes\"}", NULL, 7, ""},
		{"{" H ",\"bcqueuelen\":-1}", NULL, 7, ""},
		{"{" H ",\"bcqueuelen\":4294967296}", NULL, 7, ""},
		{"{" H ",\"acceptRA\":1}", NULL, 7, ""},
		{"{" H ",\"mac\":5}", NULL, 7, ""},
		{"{" H ",\"runtimeConfig\":{\"mac\":5}}", NULL, 7, ""},
		{"{" H ",\"ipam\":[]}", NULL, 7, ""},
		{"{" H ",\"ipam\":{\"type\":3}}", NULL, 7, ""},
		{"{" H ",\"dns\":[]}", NULL, 7, "invalid network config: 'dns' must be an object"},
		{"{" H ",\"prevResult\":{\"ips\":5}}", NULL, 0, ""},
		{"[]", NULL, 6, ""},
	};

	/* The messages of typed getters are checked in test_conf; here each names its key. */
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_(macvlan_conf_freep) struct macvlan_conf *c = NULL;
		struct cni_err err = {0};
		int r = load(cases[i].json, NULL, MACVLAN_LOAD_FULL, &c, &err);

		if (!cases[i].code) {
			/* A prevResult that does not parse fails the full load. */
			CHECK(r < 0);
			CHECK(c == NULL);
			continue;
		}
		CHECK(r < 0);
		CHECK(c == NULL);
		if (err.code != cases[i].code)
			printf("#   case %zu: %s: code %d (%s)\n", i, cases[i].json, err.code,
			       err.msg);
		CHECK_INT(err.code, cases[i].code);
		if (cases[i].want[0])
			CHECK_STR(err.msg, cases[i].want);
	}
}

/* Wrong types name the key in the message. */
static void test_error_names_key(void)
{
	static const char *const keys[] = {"master",	 "mode",     "mtu", "linkInContainer",
					   "bcqueuelen", "acceptRA", "mac"};
	static const char *const bad[] = {"1", "1", "\"x\"", "\"x\"", "\"x\"", "\"x\"", "1"};

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		_cleanup_(macvlan_conf_freep) struct macvlan_conf *c = NULL;
		_cleanup_free_ char *json = NULL;
		struct cni_err err = {0};

		CHECK(asprintf(&json, "{" H ",\"%s\":%s}", keys[i], bad[i]) > 0);
		CHECK(load(json, NULL, MACVLAN_LOAD_FULL, &c, &err) < 0);
		CHECK_INT(err.code, 7);
		if (!strstr(err.msg, keys[i]))
			printf("#   %s: %s\n", keys[i], err.msg);
		CHECK(strstr(err.msg, keys[i]) != NULL);
	}
}

/* DEL reads ipam.type only: nothing else can make it fail. */
static void test_del_load(void)
{
	static const struct fixture_conf_case cases[] = {
		{"{" H ",\"mode\":\"x\",\"mtu\":\"a\",\"mac\":\"zz\",\"master\":5,"
		 "\"ipam\":{\"type\":\"host-local\"},\"prevResult\":{\"ips\":5}}",
		 "K8S_POD_NAME=p", 0,
		 "master=- mode=-/0 mtu=0 mac=- lic=0 bcq=0 ra=0 ipam=host-local dns=0 prev=0"},
		{"{" H "}", NULL, 0,
		 "master=- mode=-/0 mtu=0 mac=- lic=0 bcq=0 ra=0 ipam=- dns=0 prev=0"},
		{"{" H ",\"ipam\":{\"type\":1}}", NULL, 7,
		 "invalid network config: 'type' must be a string, not number"},
	};

	fixture_conf_cases(load_del, cases, ARRAY_SIZE(cases));
}

/* STATUS reads the keys but not CNI_ARGS or prevResult. */
static void test_status_load(void)
{
	static const struct fixture_conf_case cases[] = {
		{"{" H ",\"master\":\"m\",\"mac\":\"zz\",\"prevResult\":{\"ips\":5}}",
		 "K8S_POD_NAME=p", 0,
		 "master=m mode=/4 mtu=0 mac=- lic=0 bcq=0 ra=0 ipam=- dns=0 prev=0"},
		{"{" H ",\"mode\":\"x\"}", NULL, 7, "unknown macvlan mode: \"x\""},
	};

	fixture_conf_cases(load_status, cases, ARRAY_SIZE(cases));
}

/* Mode names both ways. */
static void test_modes(void)
{
	struct cni_err err = {0};
	uint32_t m = 0;

	CHECK_INT(macvlan_mode_parse("", &m, &err), 0);
	CHECK_INT(m, MACVLAN_MODE_BRIDGE);
	CHECK_INT(macvlan_mode_parse("private", &m, &err), 0);
	CHECK_INT(m, MACVLAN_MODE_PRIVATE);
	CHECK(macvlan_mode_parse("bridge ", &m, &err) < 0);
	CHECK_INT(err.code, 7);
	CHECK_STR(macvlan_mode_name(MACVLAN_MODE_BRIDGE), "bridge");
	CHECK_STR(macvlan_mode_name(MACVLAN_MODE_VEPA), "vepa");
	CHECK_STR(macvlan_mode_name(MACVLAN_MODE_PASSTHRU), "passthru");
	CHECK_STR(macvlan_mode_name(MACVLAN_MODE_PRIVATE), "private");
	CHECK(macvlan_mode_name(MACVLAN_MODE_SOURCE) == NULL);
	CHECK(macvlan_mode_name(0) == NULL);
}

/* The MTU must lie in [0, master MTU]. */
static void test_mtu(void)
{
	struct macvlan_conf c = {0};
	struct cni_err err = {0};

	c.mtu = 0;
	CHECK_INT(macvlan_check_mtu(&c, 1500, &err), 0);
	c.mtu = 1500;
	CHECK_INT(macvlan_check_mtu(&c, 1500, &err), 0);
	c.mtu = 1501;
	CHECK(macvlan_check_mtu(&c, 1500, &err) < 0);
	CHECK_INT(err.code, 7);
	CHECK_STR(err.msg, "invalid MTU 1501, must be [0, master MTU(1500)]");
	c.mtu = -1;
	cni_err_clear(&err);
	CHECK(macvlan_check_mtu(&c, 65536, &err) < 0);
	CHECK_STR(err.msg, "invalid MTU -1, must be [0, master MTU(65536)]");
}

/* The IPAM result of the result tests: an IPv4 and an IPv6 address, a route, DNS. */
#define IPAM_RESULT                                                                    \
	"{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"10.1.0.5/24\",\"gateway\":" \
	"\"10.1.0.1\"},{\"address\":\"fd01::5/64\",\"gateway\":\"fd01::1\"}],"         \
	"\"routes\":[{\"dst\":\"0.0.0.0/0\"}],\"dns\":{\"nameservers\":[\"10.1.0.53\"]}}"

/* ADD's result in version for a config body (IPAM result when ipam, else L2). */
static char *result_text(const char *body, bool ipam, const char *version)
{
	_cleanup_(macvlan_conf_freep) struct macvlan_conf *c = NULL;
	_cleanup_(cni_result_freep) struct cni_result *ir = NULL, *r = NULL;
	_cleanup_free_ char *json = NULL;
	struct nl_link link = {.index = 7, .mac = {0x0a, 0x58, 0, 0, 0, 5}, .mac_len = 6};
	struct cni_err err = {0};
	char *out = NULL;

	CHECK(asprintf(&json, "{" H "%s%s}", *body ? "," : "", body) > 0);
	CHECK_INT(load(json, NULL, MACVLAN_LOAD_FULL, &c, &err), 0);
	if (!c)
		return NULL;
	if (ipam)
		CHECK_INT(cni_result_parse_text(IPAM_RESULT, "1.0.0", &ir, &err), 0);
	r = macvlan_result(c, "eth0", &link, "/run/netns/c", ir);
	CHECK(r != NULL);
	if (!r || cni_result_print(r, version, &out, &err) < 0) {
		if (ipam)
			printf("#   %s: %s\n", version, err.msg);
		return NULL;
	}
	return out;
}

/* Does text (a result) contain needle? Reports the text when not. */
static bool has(const char *text, const char *needle)
{
	if (text && strstr(text, needle))
		return true;
	printf("#   '%s' not in: %s\n", needle, text ? text : "(null)");
	return false;
}

/* The result in every version: one interface with the MAC and sandbox, the addresses on it,
 * DNS from the config when it has any, else IPAM's. */
static void test_results(void)
{
	static const char *const versions[] = {"0.1.0", "0.2.0", "0.3.0", "0.3.1",
					       "0.4.0", "1.0.0", "1.1.0"};

	for (size_t i = 0; i < ARRAY_SIZE(versions); i++) {
		const char *v = versions[i];
		_cleanup_free_ char *l3 = result_text("", true, v);
		_cleanup_free_ char *dns = result_text(
			"\"dns\":{\"nameservers\":[\"9.9.9.9\"],\"search\":[\"x\"]}", true, v);
		_cleanup_free_ char *l2 = result_text("", false, v);
		bool old = v[0] == '0' && v[2] < '3';

		CHECK(has(l3, "10.1.0.53"));
		CHECK(l3 && !strstr(l3, "9.9.9.9"));
		CHECK(has(dns, "9.9.9.9"));
		CHECK(dns && !strstr(dns, "10.1.0.53"));
		if (old) {
			CHECK(has(l3, "\"ip4\""));
			CHECK(has(l3, "\"ip6\""));
			CHECK(l3 && !strstr(l3, "interfaces"));
			/* 0.1.0 and 0.2.0 cannot carry a result without an address */
			CHECK(l2 == NULL);
			continue;
		}
		CHECK(has(l3, "\"name\": \"eth0\""));
		CHECK(has(l3, "\"mac\": \"0a:58:00:00:00:05\""));
		CHECK(has(l3, "\"sandbox\": \"/run/netns/c\""));
		CHECK(has(l3, "\"interface\": 0"));
		CHECK(has(l3, "fd01::5/64"));
		CHECK(has(l3, "\"dst\": \"0.0.0.0/0\""));
		CHECK(has(l2, "\"mac\": \"0a:58:00:00:00:05\""));
		CHECK(l2 && !strstr(l2, "\"ips\""));
		if (v[0] == '0') {
			CHECK(has(l3, "\"version\": \"4\""));
		} else {
			CHECK(l3 && !strstr(l3, "\"version\""));
			/* an empty dns is left out from 1.0.0 on */
			CHECK(l2 && !strstr(l2, "\"dns\""));
		}
	}
}

int main(void)
{
	RUN(test_keys);
	RUN(test_mac);
	RUN(test_errors);
	RUN(test_error_names_key);
	RUN(test_del_load);
	RUN(test_status_load);
	RUN(test_modes);
	RUN(test_mtu);
	RUN(test_results);
	UNIT_DONE();
}
