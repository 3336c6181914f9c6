/* SPDX-License-Identifier: Apache-2.0 */
/* static IPAM: config parsing, the precedence of address sources, errors, results, CHECK. */
#include "unit.h"

#include "cleanup.h"
#include "fixtures.h"
#include "cni/result.h"
#include "static-ipam/config.h"

/* ---- helpers -------------------------------------------------------------- */

/* Load a config; returns the error code (0 on success) and fills err. */
static int load(const char *json, const char *env_args, struct static_conf **ret,
		struct cni_err *err)
{
	cni_err_clear(err);
	*ret = NULL;
	if (static_conf_load(json, strlen(json), env_args, ret, err) < 0)
		return err->code;
	return 0;
}

/* The addresses of c as "addr[ via gw]" joined by spaces, into buf. */
static const char *addrs_text(const struct static_conf *c, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < c->n_addrs && off < len; i++) {
		char a[IP_STRLEN], g[IP_STRLEN];

		ipnet_format(&c->addrs[i].address, a, sizeof(a));
		if (c->addrs[i].gateway.family)
			off += (size_t)snprintf(buf + off, len - off, "%s%s via %s", i ? " " : "",
						a, ip_format(&c->addrs[i].gateway, g, sizeof(g)));
		else
			off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? " " : "", a);
	}
	return buf;
}

/* The fixture_conf_fn of static: the addresses loaded, in addrs_text() form; a failed load
 * returns nothing. */
static int load_addrs(const char *json, const char *env_args, char *out, size_t len,
		      struct cni_err *err)
{
	_cleanup_(static_conf_freep) struct static_conf *c = NULL;
	int code = load(json, env_args, &c, err);

	if (code) {
		CHECK(c == NULL);
		return code;
	}
	addrs_text(c, out, len);
	return 0;
}

/* Run a table of configs through load_addrs(). */
#define RUN_CASES(cases) fixture_conf_cases(load_addrs, cases, ARRAY_SIZE(cases))

/* The ADD result of json printed in version (NULL when it fails; err then set). */
static char *result_text(const char *json, const char *version, struct cni_err *err)
{
	_cleanup_(static_conf_freep) struct static_conf *c = NULL;
	_cleanup_(cni_result_freep) struct cni_result *r = NULL;
	char *out = NULL;

	cni_err_clear(err);
	if (static_conf_load(json, strlen(json), NULL, &c, err) < 0 ||
	    static_conf_result(c, &r, err) < 0 || cni_result_print(r, version, &out, err) < 0)
		return NULL;
	return out;
}

/* ---- tests ---------------------------------------------------------------- */

#define V1 "\"cniVersion\":\"1.0.0\",\"name\":\"n\""

/* Config addresses, routes and DNS are read with Go's rules. */
static void test_config_addresses(void)
{
	static const struct fixture_conf_case cases[] = {
		/* Host bits are kept; keys match case-insensitively, the last duplicate wins. */
		{"{" V1 ",\"IPAM\":{\"Addresses\":[{\"ADDRESS\":\"10.0.0.77/8\","
		 "\"Gateway\":\"10.0.0.1\"}]},\"ipam\":{\"addresses\":"
		 "[{\"address\":\"10.1.2.3/16\"}]}}",
		 NULL, 0, "10.1.2.3/16"},
		/* An empty or null gateway is none; null entries are empty addresses. */
		{"{" V1 ",\"ipam\":{\"addresses\":[{\"address\":\"10.0.0.5/24\","
		 "\"gateway\":\"\"},{\"address\":\"10.0.0.6/24\",\"gateway\":null}]}}",
		 NULL, 0, "10.0.0.5/24 10.0.0.6/24"},
		/* IPv4-mapped addresses become IPv4 and lose 96 prefix bits, as Go's To4 does. */
		{"{" V1 ",\"ipam\":{\"addresses\":[{\"address\":\"::ffff:10.0.0.1/120\"},"
		 "{\"address\":\"::ffff:10.0.0.2/64\",\"gateway\":\"::ffff:10.0.0.9\"}]}}",
		 NULL, 0, "10.0.0.1/24 10.0.0.2/0 via 10.0.0.9"},
		/* No addresses at all is allowed. */
		{"{" V1 ",\"ipam\":{\"type\":\"static\"}}", NULL, 0, ""},
	};
	_cleanup_(static_conf_freep) struct static_conf *c = NULL;
	struct cni_err err = {0};

	CHECK_INT(load("{" V1 ",\"ipam\":{\"type\":\"static\",\"addresses\":["
		       "{\"address\":\"10.0.0.5/24\",\"gateway\":\"10.0.0.1\"},"
		       "{\"address\":\"fd00::5/64\"}],"
		       "\"routes\":[{\"dst\":\"0.0.0.0/0\"},{\"dst\":\"10.9.0.1/16\",\"gw\":"
		       "\"10.0.0.9\",\"mtu\":1400,\"table\":0}],"
		       "\"dns\":{\"nameservers\":[\"8.8.8.8\"],\"domain\":\"d\"}}}",
		       NULL, &c, &err),
		  0);
	if (c) {
		CHECK_STR(c->cni_version, "1.0.0");
		CHECK_INT(c->n_addrs, 2);
		CHECK_INT(c->n_routes, 2);
		CHECK_INT(c->routes[1].mtu, 1400);
		CHECK(c->routes[1].has_table);
		CHECK(!c->routes[0].has_table);
		CHECK_STR(c->dns.nameservers[0], "8.8.8.8");
		CHECK_STR(c->dns.domain, "d");
	}
	RUN_CASES(cases);
}

/* A config of version 0.4.0 with one address and its gateway, for CNI_ARGS cases. */
#define ARGS_CONF                                                                         \
	"{\"cniVersion\":\"0.4.0\",\"name\":\"n\",\"ipam\":{\"addresses\":[{\"address\":" \
	"\"10.1.0.6/24\",\"gateway\":\"10.1.0.100\"}]}}"

/* CNI_ARGS IP= is appended; GATEWAY= applies only to CNI_ARGS addresses containing it. */
static void test_cni_args(void)
{
	static const struct fixture_conf_case cases[] = {
		{ARGS_CONF, "IP=10.1.0.5/24, 10.2.0.5/16 ;GATEWAY=10.1.0.1, 10.2.255.254", 0,
		 "10.1.0.6/24 via 10.1.0.100 10.1.0.5/24 via 10.1.0.1 10.2.0.5/16 via "
		 "10.2.255.254"},
		/* The last matching gateway wins; one outside every subnet is ignored. */
		{ARGS_CONF, "IP=10.2.0.5/16;GATEWAY=10.2.0.1,10.2.0.2,192.168.0.1", 0,
		 "10.1.0.6/24 via 10.1.0.100 10.2.0.5/16 via 10.2.0.2"},
		/* A config address never takes a CNI_ARGS gateway, even one in its subnet. */
		{"{" V1 ",\"ipam\":{\"addresses\":[{\"address\":\"10.1.0.6/24\"}]}}",
		 "GATEWAY=10.1.0.1", 0, "10.1.0.6/24"},
		{ARGS_CONF, "IgnoreUnknown=1;K8S_POD_NAME=p;IP=fd00::9/64;GATEWAY=fd00::1", 0,
		 "10.1.0.6/24 via 10.1.0.100 fd00::9/64 via fd00::1"},
		{ARGS_CONF, "IP=", 0, "10.1.0.6/24 via 10.1.0.100"},
		{ARGS_CONF, "IP=10.0.0.1", 999,
		 "the 'ip' field is expected to be in CIDR notation, got: '10.0.0.1'"},
		{ARGS_CONF, "IP=10.0.0.1/8,", 999,
		 "the 'ip' field is expected to be in CIDR notation, got: ''"},
		{ARGS_CONF, "IP=10.0.0.1/8;GATEWAY=10.0.0.1, x", 999,
		 "invalid gateway address:  x"},
		{ARGS_CONF, "FOO=1", 999, "ARGS: unknown args [\"FOO=1\"]"},
		{ARGS_CONF, "ip=10.0.0.1/8", 999, "ARGS: unknown args [\"ip=10.0.0.1/8\"]"},
		{ARGS_CONF, "IP=10.0.0.1/8=x", 999, "ARGS: invalid pair \"IP=10.0.0.1/8=x\""},
	};

	RUN_CASES(cases);
}

/* The CNI_ARGS of test_precedence. */
#define PREC_ENV "IP=10.3.0.1/24;GATEWAY=10.3.0.254"

/* args.cni.ips replaces everything before it, runtimeConfig.ips replaces that. */
static void test_precedence(void)
{
	static const struct fixture_conf_case cases[] = {
		{"{" V1 ",\"args\":{\"cni\":{\"ips\":[\"10.1.0.1/24\",\"fd00::1/64\"]}},"
		 "\"ipam\":{\"addresses\":[{\"address\":\"10.0.0.1/24\"}]}}",
		 PREC_ENV, 0, "10.1.0.1/24 fd00::1/64"},
		{"{" V1 ",\"args\":{\"cni\":{\"ips\":[\"10.1.0.1/24\"]}},"
		 "\"runtimeConfig\":{\"ips\":[\"10.2.0.1/24\"]},\"ipam\":{}}",
		 PREC_ENV, 0, "10.2.0.1/24"},
		/* Empty lists replace nothing. */
		{"{" V1 ",\"args\":{\"cni\":{\"ips\":[]}},\"runtimeConfig\":{\"ips\":[]},"
		 "\"ipam\":{\"addresses\":[{\"address\":\"10.0.0.1/24\"}]}}",
		 PREC_ENV, 0, "10.0.0.1/24 10.3.0.1/24 via 10.3.0.254"},
		/* Replaced config addresses are never parsed, as in the reference. */
		{"{" V1 ",\"runtimeConfig\":{\"ips\":[\"10.2.0.1/24\"]},"
		 "\"ipam\":{\"addresses\":[{\"address\":\"bad\"}]}}",
		 NULL, 0, "10.2.0.1/24"},
		{"{" V1 ",\"args\":{\"cni\":{\"ips\":[\"10.0.0.1\"]}},\"ipam\":{}}", NULL, 7,
		 "an entry in the 'ips' field is NOT in CIDR notation, got: '10.0.0.1'"},
		{"{" V1 ",\"runtimeConfig\":{\"ips\":[\"x/8\"]},\"ipam\":{}}", NULL, 7,
		 "an entry in the 'ips' field is NOT in CIDR notation, got: 'x/8'"},
	};

	RUN_CASES(cases);
}

/* The reference's validation messages (code 7 here) and type errors naming the key. */
static void test_errors(void)
{
	static const struct fixture_conf_case cases[] = {
		{"{" V1 "}", NULL, 7, "IPAM config missing 'ipam' key"},
		{"{" V1 ",\"ipam\":null}", NULL, 7, "IPAM config missing 'ipam' key"},
		{"{" V1 ",\"ipam\":{\"addresses\":[{\"address\":\"10.0.0.5\"}]}}", NULL, 7,
		 "the 'address' field is expected to be in CIDR notation, got: '10.0.0.5'"},
		{"{" V1 ",\"ipam\":{\"addresses\":[{\"gateway\":\"10.0.0.1\"}]}}", NULL, 7,
		 "the 'address' field is expected to be in CIDR notation, got: ''"},
		{"{" V1 ",\"ipam\":{\"addresses\":[null]}}", NULL, 7,
		 "the 'address' field is expected to be in CIDR notation, got: ''"},
		{"{" V1 ",\"ipam\":{\"addresses\":[{\"address\":\"10.0.0.5/33\"}]}}", NULL, 7,
		 "the 'address' field is expected to be in CIDR notation, got: '10.0.0.5/33'"},
		{"{" V1 ",\"ipam\":{\"addresses\":[{\"address\":\"10.0.0.5/24\","
		 "\"gateway\":\"x\"}]}}",
		 NULL, 7, "invalid IP address: x"},
		{"{" V1 ",\"ipam\":{\"addresses\":[{\"address\":\"10.0.0.5/24\","
		 "\"gateway\":\"fd00::1\"}]}}",
		 NULL, 7,
		 "gateway 'fd00::1' and address '10.0.0.5/24' are of different IP families"},
		{"{\"cniVersion\":\"0.2.0\",\"name\":\"n\",\"ipam\":{\"addresses\":["
		 "{\"address\":\"10.1.0.6/24\"},{\"address\":\"10.1.0.7/24\"}]}}",
		 NULL, 7, "CNI version 0.2.0 does not support more than 1 address per family"},
		{"{\"name\":\"n\",\"ipam\":{\"addresses\":[{\"address\":\"fd00::6/64\"},"
		 "{\"address\":\"fd00::7/64\"}]}}",
		 NULL, 7, "CNI version  does not support more than 1 address per family"},
		/* One of each family is fine before 0.3.0, several from 0.3.0 on. */
		{"{\"cniVersion\":\"0.2.0\",\"name\":\"n\",\"ipam\":{\"addresses\":["
		 "{\"address\":\"10.1.0.6/24\"},{\"address\":\"fd00::7/64\"}]}}",
		 NULL, 0, "10.1.0.6/24 fd00::7/64"},
		{"{\"cniVersion\":\"0.3.0\",\"name\":\"n\",\"ipam\":{\"addresses\":["
		 "{\"address\":\"10.1.0.6/24\"},{\"address\":\"10.1.0.7/24\"}]}}",
		 NULL, 0, "10.1.0.6/24 10.1.0.7/24"},

		{"{" V1 ",\"ipam\":{\"routes\":[{\"dst\":\"x\"}]}}", NULL, 7,
		 "invalid CIDR address: x"},
		{"{" V1 ",\"ipam\":{\"routes\":[{\"gw\":\"10.0.0.1\"}]}}", NULL, 7,
		 "invalid network config: route 0 has no 'dst'"},
		{"{" V1 ",\"ipam\":{\"routes\":[{\"dst\":\"0.0.0.0/0\",\"gw\":\"x\"}]}}", NULL, 7,
		 "invalid IP address: x"},
		{"{" V1 ",\"ipam\":{\"routes\":[null]}}", NULL, 7,
		 "invalid network config: 'routes' must be a list of objects"},
		{"{" V1 ",\"ipam\":{\"routes\":[{\"dst\":\"0.0.0.0/0\",\"mtu\":1.5}]}}", NULL, 7,
		 "invalid network config: 'mtu' must be an integer"},
		{"{" V1 ",\"ipam\":5}", NULL, 7,
		 "invalid network config: 'ipam' must be an object, not number"},
		{"{" V1 ",\"ipam\":{\"addresses\":\"x\"}}", NULL, 7,
		 "invalid network config: 'addresses' must be an array, not string"},
		{"{" V1 ",\"ipam\":{\"addresses\":[\"10.0.0.1/8\"]}}", NULL, 7,
		 "invalid network config: 'addresses' must be a list of objects"},
		{"{" V1 ",\"ipam\":{\"addresses\":[{\"address\":5}]}}", NULL, 7,
		 "invalid network config: 'address' must be a string, not number"},
		{"{" V1 ",\"ipam\":{\"type\":5}}", NULL, 7,
		 "invalid network config: 'type' must be a string, not number"},
		{"{" V1 ",\"ipam\":{\"dns\":{\"nameservers\":\"x\"}}}", NULL, 7,
		 "invalid network config: 'nameservers' must be an array, not string"},
		{"{" V1 ",\"args\":{\"cni\":{\"ips\":[5]}},\"ipam\":{}}", NULL, 7,
		 "invalid network config: 'ips' must be a list of strings"},
		{"{" V1 ",\"runtimeConfig\":[],\"ipam\":{}}", NULL, 7,
		 "invalid network config: 'runtimeConfig' must be an object, not array"},
	};
	struct static_conf *c = NULL;
	struct cni_err err = {0};
	const char *want = "failed to parse network config: ";

	RUN_CASES(cases);
	CHECK_INT(load("{" V1 ",\"ipam\":{}", NULL, &c, &err), 6);
	CHECK(strncmp(err.msg, want, strlen(want)) == 0);
	static_conf_free(c);
}

/* The result in every version: 1.x sorted, 0.3/0.4 with versions, 0.1/0.2 ip4/ip6. */
static void test_results(void)
{
	const char *conf = "{" V1 ",\"ipam\":{\"addresses\":[{\"address\":\"10.0.0.5/24\","
			   "\"gateway\":\"10.0.0.1\"},{\"address\":\"fd00::5/64\"}],"
			   "\"routes\":[{\"dst\":\"0.0.0.0/0\"},{\"dst\":\"::/0\",\"mtu\":1280}],"
			   "\"dns\":{\"nameservers\":[\"8.8.8.8\"]}}}";
	struct cni_err err = {0};
	char *out;

	out = result_text(conf, "1.1.0", &err);
	CHECK_STR(out, "{\n"
		       "    \"cniVersion\": \"1.1.0\",\n"
		       "    \"dns\": {\n"
		       "        \"nameservers\": [\n"
		       "            \"8.8.8.8\"\n"
		       "        ]\n"
		       "    },\n"
		       "    \"ips\": [\n"
		       "        {\n"
		       "            \"address\": \"10.0.0.5/24\",\n"
		       "            \"gateway\": \"10.0.0.1\"\n"
		       "        },\n"
		       "        {\n"
		       "            \"address\": \"fd00::5/64\"\n"
		       "        }\n"
		       "    ],\n"
		       "    \"routes\": [\n"
		       "        {\n"
		       "            \"dst\": \"0.0.0.0/0\"\n"
		       "        },\n"
		       "        {\n"
		       "            \"dst\": \"::/0\",\n"
		       "            \"mtu\": 1280\n"
		       "        }\n"
		       "    ]\n"
		       "}");
	free(out);

	out = result_text(conf, "0.4.0", &err);
	CHECK(out && strstr(out, "\"version\": \"4\",\n            \"address\": \"10.0.0.5/24\""));
	CHECK(out && strstr(out, "\"version\": \"6\""));
	CHECK(out && !strstr(out, "\"interface\""));
	free(out);

	out = result_text(conf, "0.2.0", &err);
	CHECK_STR(out, "{\n"
		       "    \"cniVersion\": \"0.2.0\",\n"
		       "    \"ip4\": {\n"
		       "        \"ip\": \"10.0.0.5/24\",\n"
		       "        \"gateway\": \"10.0.0.1\",\n"
		       "        \"routes\": [\n"
		       "            {\n"
		       "                \"dst\": \"0.0.0.0/0\"\n"
		       "            }\n"
		       "        ]\n"
		       "    },\n"
		       "    \"ip6\": {\n"
		       "        \"ip\": \"fd00::5/64\",\n"
		       "        \"routes\": [\n"
		       "            {\n"
		       "                \"dst\": \"::/0\"\n"
		       "            }\n"
		       "        ]\n"
		       "    },\n"
		       "    \"dns\": {\n"
		       "        \"nameservers\": [\n"
		       "            \"8.8.8.8\"\n"
		       "        ]\n"
		       "    }\n"
		       "}");
	free(out);

	/* No address: fine from 0.3.0, impossible to express before. */
	out = result_text("{" V1 ",\"ipam\":{}}", "0.3.1", &err);
	CHECK_STR(out, "{\n    \"cniVersion\": \"0.3.1\",\n    \"dns\": {}\n}");
	free(out);
	out = result_text("{" V1 ",\"ipam\":{}}", "1.0.0", &err);
	CHECK_STR(out, "{\n    \"cniVersion\": \"1.0.0\"\n}");
	free(out);
	CHECK(result_text("{" V1 ",\"ipam\":{}}", "0.1.0", &err) == NULL);
	CHECK_STR(err.msg, "cannot convert: no valid IP addresses");
}

/* CHECK's comparison with prevResult, the reference's rules and quirks included. */
static void test_match(void)
{
	static const struct {
		const char *prev_ips; /* the prevResult's "ips" */
		const char *msg;      /* expected error, NULL = success */
	} cases[] = {
		{"[{\"address\":\"10.0.0.5/24\",\"gateway\":\"10.0.0.1\"}]", NULL},
		{"[{\"address\":\"10.0.0.5/16\",\"gateway\":\"10.0.0.1\"}]", NULL},
		{"[{\"address\":\"10.0.0.5/24\",\"gateway\":\"10.0.0.2\"}]",
		 "static: Failed to match addr 10.0.0.5 on interface eth0"},
		{"[{\"address\":\"10.0.0.5/24\"}]",
		 "static: Failed to match addr 10.0.0.5 on interface eth0"},
		/* The first entry with the address decides. */
		{"[{\"address\":\"10.0.0.5/24\",\"gateway\":\"10.0.0.1\"},"
		 "{\"address\":\"10.0.0.5/24\"}]",
		 NULL},
		/* An address prevResult lacks is no error (the reference's quirk). */
		{"[{\"address\":\"10.0.0.6/24\"}]", NULL},
		{"[]", NULL},
		{"[{\"address\":\"::ffff:10.0.0.5/120\",\"gateway\":\"10.0.0.1\"}]", NULL},
	};
	_cleanup_(static_conf_freep) struct static_conf *c = NULL;
	struct cni_err err = {0};

	CHECK_INT(load("{" V1 ",\"ipam\":{\"addresses\":[{\"address\":\"10.0.0.5/24\","
		       "\"gateway\":\"10.0.0.1\"},{\"address\":\"fd00::5/64\"}]}}",
		       NULL, &c, &err),
		  0);
	if (!c)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_(cni_result_freep) struct cni_result *prev = NULL;
		char text[512];
		int r;

		snprintf(text, sizeof(text), "{\"cniVersion\":\"1.0.0\",\"ips\":%s}",
			 cases[i].prev_ips);
		cni_err_clear(&err);
		if (cni_result_parse_text(text, "1.0.0", &prev, &err) < 0) {
			UNIT_FAILED("case %zu: %s", i, err.msg);
			continue;
		}
		r = static_conf_match(c, prev, "eth0", &err);
		if (!cases[i].msg) {
			if (r != 0)
				UNIT_FAILED("case %zu: unexpected error %s", i, err.msg);
			continue;
		}
		CHECK(r < 0);
		CHECK_INT(err.code, 999);
		CHECK_STR(err.msg, cases[i].msg);
	}
	/* No configured gateway: any gateway in prevResult matches. */
	static_conf_free(TAKE_PTR(c));
	CHECK_INT(load("{" V1 ",\"ipam\":{\"addresses\":[{\"address\":\"fd00::5/64\"}]}}", NULL, &c,
		       &err),
		  0);
	if (c) {
		_cleanup_(cni_result_freep) struct cni_result *prev = NULL;

		CHECK_INT(cni_result_parse_text("{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":"
						"\"fd00::5/64\",\"gateway\":\"fd00::1\"}]}",
						"1.0.0", &prev, &err),
			  0);
		CHECK_INT(prev ? static_conf_match(c, prev, "eth0", &err) : -1, 0);
	}
}

/* Hostile input: deep nesting, huge lists, odd strings never crash or succeed silently. */
static void test_hostile(void)
{
	static const struct fixture_conf_case cases[] = {
		{"{" V1 ",\"ipam\":{}}", "IP=10.0.0.1/24%00", 999,
		 "the 'ip' field is expected to be in CIDR notation, got: '10.0.0.1/24%00'"},
		{"{" V1 ",\"ipam\":{\"addresses\":[{\"address\":\"fe80::1%eth0/64\"}]}}", NULL, 7,
		 "the 'address' field is expected to be in CIDR notation, got: 'fe80::1%eth0/64'"},
	};
	char big[1 << 16];
	size_t off;

	/* 2000 addresses from CNI_ARGS. */
	off = (size_t)snprintf(big, sizeof(big), "IP=");
	for (int i = 0; i < 2000 && off + 32 < sizeof(big); i++)
		off += (size_t)snprintf(big + off, sizeof(big) - off, "%s10.%d.%d.1/24",
					i ? "," : "", i / 250, i % 250);
	{
		_cleanup_(static_conf_freep) struct static_conf *c = NULL;
		struct cni_err err = {0};

		CHECK_INT(load("{" V1 ",\"ipam\":{}}", big, &c, &err), 0);
		CHECK_INT(c ? c->n_addrs : 0, 2000);
	}
	RUN_CASES(cases);
}

int main(void)
{
	RUN(test_config_addresses);
	RUN(test_cni_args);
	RUN(test_precedence);
	RUN(test_errors);
	RUN(test_results);
	RUN(test_match);
	RUN(test_hostile);
	UNIT_DONE();
}
