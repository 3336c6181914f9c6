/* SPDX-License-Identifier: Apache-2.0 */
/* Results: parse every version, print every version, conversions, prevResult rules. */
#include "unit.h"
#include "cleanup.h"
#include "cni/conf.h"
#include "cni/cni.h"
#include "cni/result.h"

static const char *sample_100 =
	"{\"cniVersion\":\"1.1.0\",\"interfaces\":[{\"name\":\"cni0\",\"mac\":\"aa:aa:aa:aa:aa:"
	"aa\"},"
	"{\"name\":\"veth1\",\"mac\":\"bb:bb:bb:bb:bb:bb\",\"mtu\":1400},"
	"{\"name\":\"eth0\",\"mac\":\"cc:cc:cc:cc:cc:cc\",\"sandbox\":\"/run/netns/x\"}],"
	"\"ips\":[{\"interface\":2,\"address\":\"10.1.0.5/16\",\"gateway\":\"10.1.0.1\"},"
	"{\"interface\":2,\"address\":\"FD00:0::5/64\",\"gateway\":\"fd00::1\"}],"
	"\"routes\":[{\"dst\":\"0.0.0.0/0\",\"gw\":\"10.1.0.1\",\"priority\":5,\"table\":0},"
	"{\"dst\":\"::/0\"}],"
	"\"dns\":{\"nameservers\":[\"10.1.0.1\"],\"domain\":\"example.com\",\"search\":[\"a\"]}}";

static struct cni_result *parse(const char *text, const char *defv)
{
	struct cni_err err = {0};
	struct cni_result *r = NULL;

	if (cni_result_parse_text(text, defv, &r, &err) < 0) {
		fprintf(stderr, "parse failed: %s\n", err.msg);
		return NULL;
	}
	return r;
}

static char *print(const struct cni_result *r, const char *v)
{
	struct cni_err err = {0};
	char *out = NULL;

	if (cni_result_print(r, v, &out, &err) < 0)
		return NULL;
	return out;
}

static void test_print_100(void)
{
	_cleanup_(cni_result_freep) struct cni_result *r = parse(sample_100, "1.1.0");
	_cleanup_free_ char *out = NULL;

	CHECK(r != NULL);
	if (!r)
		return;
	CHECK_INT(r->n_ifaces, 3);
	CHECK_INT(r->n_ips, 2);
	CHECK_INT(r->ips[1].iface, 2);
	CHECK_INT(r->routes[0].has_table, 1);
	out = print(r, "1.0.0");
	CHECK_STR(out, "{\n"
		       "    \"cniVersion\": \"1.0.0\",\n"
		       "    \"dns\": {\n"
		       "        \"domain\": \"example.com\",\n"
		       "        \"nameservers\": [\n            \"10.1.0.1\"\n        ],\n"
		       "        \"search\": [\n            \"a\"\n        ]\n"
		       "    },\n"
		       "    \"interfaces\": [\n"
		       "        {\n            \"mac\": \"aa:aa:aa:aa:aa:aa\",\n            "
		       "\"name\": \"cni0\"\n        },\n"
		       "        {\n            \"mac\": \"bb:bb:bb:bb:bb:bb\",\n            "
		       "\"mtu\": 1400,\n            \"name\": \"veth1\"\n        },\n"
		       "        {\n            \"mac\": \"cc:cc:cc:cc:cc:cc\",\n            "
		       "\"name\": \"eth0\",\n            \"sandbox\": \"/run/netns/x\"\n        }\n"
		       "    ],\n"
		       "    \"ips\": [\n"
		       "        {\n            \"address\": \"10.1.0.5/16\",\n            "
		       "\"gateway\": \"10.1.0.1\",\n            \"interface\": 2\n        },\n"
		       "        {\n            \"address\": \"fd00::5/64\",\n            "
		       "\"gateway\": \"fd00::1\",\n            \"interface\": 2\n        }\n"
		       "    ],\n"
		       "    \"routes\": [\n"
		       "        {\n            \"dst\": \"0.0.0.0/0\",\n            \"gw\": "
		       "\"10.1.0.1\",\n            \"priority\": 5,\n            \"table\": 0\n    "
		       "    },\n"
		       "        {\n            \"dst\": \"::/0\"\n        }\n"
		       "    ]\n"
		       "}");
}

/* sample_100 converted to version and printed compact (malloc'd, NULL on failure). */
static char *sample_as(const char *version)
{
	_cleanup_(cni_result_freep) struct cni_result *r = parse(sample_100, "1.1.0");
	_cleanup_(cjson_freep) cJSON *o = NULL;
	struct cni_err err = {0};

	CHECK(r && cni_result_to_json(r, version, &o, &err) == 0);
	return o ? cni_json_print(o, false) : NULL;
}

static void test_print_040(void)
{
	_cleanup_free_ char *compact = sample_as("0.4.0");

	CHECK_STR(compact,
		  "{\"cniVersion\":\"0.4.0\",\"interfaces\":[{\"name\":\"cni0\",\"mac\":\"aa:aa:aa:"
		  "aa:aa:aa\"},"
		  "{\"name\":\"veth1\",\"mac\":\"bb:bb:bb:bb:bb:bb\"},"
		  "{\"name\":\"eth0\",\"mac\":\"cc:cc:cc:cc:cc:cc\",\"sandbox\":\"/run/netns/x\"}],"
		  "\"ips\":[{\"version\":\"4\",\"interface\":2,\"address\":\"10.1.0.5/"
		  "16\",\"gateway\":\"10.1.0.1\"},"
		  "{\"version\":\"6\",\"interface\":2,\"address\":\"fd00::5/"
		  "64\",\"gateway\":\"fd00::1\"}],"
		  "\"routes\":[{\"dst\":\"0.0.0.0/"
		  "0\",\"gw\":\"10.1.0.1\",\"priority\":5,\"table\":0},{\"dst\":\"::/0\"}],"
		  "\"dns\":{\"nameservers\":[\"10.1.0.1\"],\"domain\":\"example.com\",\"search\":["
		  "\"a\"]}}");
}

static void test_print_020(void)
{
	_cleanup_free_ char *compact = sample_as("0.2.0");

	CHECK_STR(compact, "{\"cniVersion\":\"0.2.0\",\"ip4\":{\"ip\":\"10.1.0.5/"
			   "16\",\"gateway\":\"10.1.0.1\","
			   "\"routes\":[{\"dst\":\"0.0.0.0/0\",\"gw\":\"10.1.0.1\"}]},"
			   "\"ip6\":{\"ip\":\"fd00::5/"
			   "64\",\"gateway\":\"fd00::1\",\"routes\":[{\"dst\":\"::/0\"}]},"
			   "\"dns\":{\"nameservers\":[\"10.1.0.1\"],\"domain\":\"example.com\","
			   "\"search\":[\"a\"]}}");
}

/* r printed in version and parsed back (NULL when either fails). */
static struct cni_result *reparse(const struct cni_result *r, const char *version)
{
	_cleanup_free_ char *text = print(r, version);

	return text ? parse(text, "x") : NULL;
}

/* Every version to every version: IPs, gateways and route destinations survive. */
static void test_all_pairs(void)
{
	_cleanup_(cni_result_freep) struct cni_result *base = parse(sample_100, "1.1.0");

	for (int i = 0; cni_supported_versions[i]; i++) {
		_cleanup_(cni_result_freep) struct cni_result *mid =
			reparse(base, cni_supported_versions[i]);
		CHECK(mid != NULL);
		if (!mid)
			continue;
		CHECK_STR(mid->cni_version, cni_supported_versions[i]);
		for (int j = 0; cni_supported_versions[j]; j++) {
			_cleanup_(cni_result_freep) struct cni_result *last =
				reparse(mid, cni_supported_versions[j]);
			CHECK(last != NULL);
			if (!last)
				continue;
			CHECK_INT(last->n_ips, 2);
			CHECK(ip_equal(&last->ips[0].address.ip, &base->ips[0].address.ip));
			CHECK_INT(last->ips[1].address.prefix, 64);
			CHECK(ip_equal(&last->ips[1].gateway, &base->ips[1].gateway));
			CHECK_INT(last->n_routes, 2);
			CHECK_STR(last->dns.domain, "example.com");
			/* interfaces survive unless a 0.1/0.2 hop dropped them */
			bool old = i < 2 || j < 2;
			CHECK_INT(last->n_ifaces, old ? 0 : 3);
			if (!old)
				CHECK_INT(last->ips[0].iface, 2);
		}
	}
}

static void test_no_ips(void)
{
	_cleanup_(cni_result_freep) struct cni_result *r =
		parse("{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"eth0\"}]}", "1.0.0");
	_cleanup_(cjson_freep) cJSON *o = NULL;
	_cleanup_free_ char *out = NULL;
	struct cni_err err = {0};

	CHECK(cni_result_to_json(r, "0.2.0", &o, &err) < 0);
	CHECK_STR(err.msg, "cannot convert: no valid IP addresses");
	out = print(r, "1.1.0");
	CHECK_STR(out, "{\n    \"cniVersion\": \"1.1.0\",\n    \"interfaces\": [\n        {\n"
		       "            \"name\": \"eth0\"\n        }\n    ]\n}");
	free(out);
	out = print(r, "0.3.1");
	CHECK_STR(out, "{\n    \"cniVersion\": \"0.3.1\",\n    \"interfaces\": [\n        {\n"
		       "            \"name\": \"eth0\"\n        }\n    ],\n    \"dns\": {}\n}");
}

static void test_parse_errors(void)
{
	struct cni_result *r = NULL;
	struct cni_err err = {0};

	CHECK(cni_result_parse_text("{\"cniVersion\":\"9.9.9\"}", "1.0.0", &r, &err) < 0);
	CHECK(cni_result_parse_text(
		      "{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"10.0.0.1\"}]}", "1.0.0",
		      &r, &err) < 0);
	CHECK_INT(err.code, 6);
	CHECK(cni_result_parse_text("{\"cniVersion\":\"1.0.0\",\"ips\":{}}", "1.0.0", &r, &err) <
	      0);
	CHECK(cni_result_parse_text("{\"cniVersion\":\"1.0.0\",\"routes\":[{\"gw\":\"1.1.1.1\"}]}",
				    "1.0.0", &r, &err) < 0);
	CHECK(cni_result_parse_text("{\"cniVersion\":\"0.2.0\",\"ip4\":{\"ip\":\"x\"}}", "1.0.0",
				    &r, &err) < 0);
	CHECK(cni_result_parse_text("{\"cniVersion\":\"1.0.0\",\"dns\":{\"search\":[1]}}", "1.0.0",
				    &r, &err) < 0);
	CHECK_INT(err.code, 6);
	CHECK(cni_result_parse_text("{\"cniVersion\":1}", "1.0.0", &r, &err) < 0);
	CHECK(cni_result_parse_text("nope", "1.0.0", &r, &err) < 0);
	CHECK(cni_result_parse_text("{\"ips\":[{\"address\":\"10.0.0.1/8\"}]}", "0.3.1", &r,
				    &err) == 0);
	CHECK_STR(r->cni_version, "0.3.1");
	cni_result_free(r);
}

/* Strings holding a NUL and numbers out of int's range are decode errors, never cut short. */
static void test_parse_strict(void)
{
	static const struct {
		const char *in;	 /* the result */
		const char *msg; /* the code-6 message */
	} cases[] = {
		{"{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"eth0\\u0000x\"}]}",
		 "failed to decode result: 'name' must not contain a NUL character"},
		{"{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"10.0.0.2/24\\u0000\"}]}",
		 "failed to decode result: 'address' must not contain a NUL character"},
		{"{\"cniVersion\":\"1.0.0\\u0000\"}",
		 "failed to decode result: 'cniVersion' must not contain a NUL character"},
		{"{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"10.0.0.2/"
		 "24\",\"interface\":1e300}]}",
		 "failed to decode result: 'interface' must be an integer"},
		{"{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"10.0.0.2/"
		 "24\",\"interface\":1e400}]}",
		 "failed to decode result: 'interface' must be an integer"},
		{"{\"cniVersion\":\"1.0.0\",\"routes\":[{\"dst\":\"0.0.0.0/0\",\"mtu\":-3e9}]}",
		 "failed to decode result: 'mtu' must be an integer"},
		{"\xef\xbb\xbf{\"cniVersion\":\"1.0.0\"}",
		 "failed to decode result: invalid character '\xc3\xaf' looking for beginning of "
		 "value"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct cni_result *r = NULL;
		struct cni_err err = {0};

		CHECK(cni_result_parse_text(cases[i].in, "1.0.0", &r, &err) < 0 && !r);
		CHECK_INT(err.code, 6);
		CHECK_STR(err.msg, cases[i].msg);
	}
}

static void test_prev_result(void)
{
	struct cni_result *r = NULL;
	struct cni_err err = {0};
	cJSON *conf;

	conf = cJSON_Parse("{\"cniVersion\":\"1.0.0\",\"prevResult\":{\"ips\":[{\"address\":\"10.0."
			   "0.2/24\"}]}}");
	CHECK(cni_prev_result(conf, "1.0.0", &r, &err) == 0 && r && r->n_ips == 1);
	CHECK_STR(r->cni_version, "1.0.0");
	cni_result_free(r);
	cJSON_Delete(conf);

	conf = cJSON_Parse("{\"cniVersion\":\"1.0.0\",\"prevResult\":{\"cniVersion\":\"0.4.0\"}}");
	CHECK(cni_prev_result(conf, "1.0.0", &r, &err) < 0);
	CHECK(strstr(err.msg, "result type supports [1.0.0 1.1.0] but unmarshalled CNIVersion is "
			      "\"0.4.0\"") != NULL);
	cJSON_Delete(conf);

	conf = cJSON_Parse("{\"cniVersion\":\"0.4.0\",\"PrevResult\":{\"cniVersion\":\"0.3.1\"}}");
	CHECK(cni_prev_result(conf, "0.4.0", &r, &err) == 0 && r != NULL);
	cni_result_free(r);
	cJSON_Delete(conf);

	conf = cJSON_Parse("{\"cniVersion\":\"0.4.0\"}");
	r = (struct cni_result *)1;
	CHECK(cni_prev_result(conf, "0.4.0", &r, &err) == 0 && r == NULL);
	cJSON_Delete(conf);
}

/* An entry parser for test_routes_conf: records the index in mtu; "fail" fails. */
static int route_entry(const cJSON *entry, size_t index, struct cni_route *rt, struct cni_err *err)
{
	if (cJSON_GetObjectItem(entry, "fail"))
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG, "entry %zu failed", index);
	rt->mtu = (int)index + 100;
	return 0;
}

/* The routes list of a config: entries in order, each an object, the first failure wins. */
static void test_routes_conf(void)
{
	static const struct {
		const char *in;	 /* the IPAM section */
		int ret;	 /* 0, or the code of the failure */
		size_t n;	 /* routes returned */
		const char *msg; /* the failure's message */
	} cases[] = {
		{"{}", 0, 0, NULL},
		{"{\"routes\":null}", 0, 0, NULL},
		{"{\"routes\":[]}", 0, 0, NULL},
		{"{\"Routes\":[{},{}]}", 0, 2, NULL},
		{"{\"routes\":{}}", 7, 0,
		 "invalid network config: 'routes' must be an array, not object"},
		{"{\"routes\":[{},[]]}", 7, 0,
		 "invalid network config: 'routes' must be a list of objects"},
		{"{\"routes\":[{},{\"fail\":1},5]}", 7, 0, "entry 1 failed"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_(cjson_freep) cJSON *o = cJSON_Parse(cases[i].in);
		struct cni_route *routes = (struct cni_route *)1;
		struct cni_err err = {0};
		size_t n = 99;
		int r = cni_routes_conf_parse(o, route_entry, &routes, &n, &err);

		CHECK_INT(r < 0 ? err.code : 0, cases[i].ret);
		CHECK_INT(n, cases[i].n);
		CHECK(cases[i].n ? routes != NULL : routes == NULL);
		for (size_t k = 0; k < n; k++)
			CHECK_INT(routes[k].mtu, (int)k + 100);
		if (cases[i].msg)
			CHECK_STR(err.msg, cases[i].msg);
		free(routes);
	}
}

/* One address per family below 0.3.0 (and for a version that does not parse). */
static void test_ip_count(void)
{
	struct cni_err err = {0};

	CHECK_INT(cni_result_check_ip_count("0.2.0", 1, 1, &err), 0);
	CHECK_INT(cni_result_check_ip_count("0.3.0", 2, 5, &err), 0);
	CHECK_INT(cni_result_check_ip_count("1.1.0", 3, 0, &err), 0);
	CHECK(cni_result_check_ip_count("0.2.0", 2, 0, &err) < 0 && err.code == 7);
	CHECK_STR(err.msg, "CNI version 0.2.0 does not support more than 1 address per family");
	CHECK(cni_result_check_ip_count("x", 0, 2, &err) < 0 && err.code == 7);
	CHECK_STR(err.msg, "CNI version x does not support more than 1 address per family");
}

int main(void)
{
	RUN(test_print_100);
	RUN(test_print_040);
	RUN(test_print_020);
	RUN(test_all_pairs);
	RUN(test_no_ips);
	RUN(test_parse_errors);
	RUN(test_parse_strict);
	RUN(test_prev_result);
	RUN(test_routes_conf);
	RUN(test_ip_count);
	UNIT_DONE();
}
