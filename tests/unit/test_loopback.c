/* SPDX-License-Identifier: Apache-2.0 */
/* loopback: config checks, the result the reference prints in every version. */
#include "unit.h"

#include "cleanup.h"
#include "loopback/loopback.h"

/* lo's usual addresses. */
static struct loopback_addrs lo_addrs(bool with_v6)
{
	struct loopback_addrs a = {0};

	if (ipnet_parse("127.0.0.1/8", &a.v4) < 0 || (with_v6 && ipnet_parse("::1/128", &a.v6) < 0))
		abort();
	return a;
}

/* The ADD result for conf (cni_version as cni_main passes it), or NULL with err set. */
static char *render(const char *conf, const char *cni_version, bool with_v6, struct cni_err *err)
{
	_cleanup_(loopback_conf_clear) struct loopback_conf c = {0};
	struct loopback_addrs a = lo_addrs(with_v6);
	char *out = NULL;

	cni_err_clear(err);
	if (loopback_conf_load(conf, strlen(conf), cni_version, &c, err) < 0 ||
	    loopback_result(&c, cni_version, "/run/netns/x", &a, &out, err) < 0)
		return NULL;
	return out;
}

static const char result_1x[] = "{\n"
				"    \"cniVersion\": \"%s\",\n"
				"    \"interfaces\": [\n"
				"        {\n"
				"            \"mac\": \"00:00:00:00:00:00\",\n"
				"            \"name\": \"lo\",\n"
				"            \"sandbox\": \"/run/netns/x\"\n"
				"        }\n"
				"    ],\n"
				"    \"ips\": [\n"
				"        {\n"
				"            \"address\": \"127.0.0.1/8\",\n"
				"            \"interface\": 0\n"
				"        },\n"
				"        {\n"
				"            \"address\": \"::1/128\",\n"
				"            \"interface\": 0\n"
				"        }\n"
				"    ]\n"
				"}";

/* Every explicit version gets the 1.x layout with its own label, as the reference prints. */
static void test_result_every_version(void)
{
	static const char *const versions[] = {"0.1.0", "0.2.0", "0.3.0", "0.3.1",
					       "0.4.0", "1.0.0", "1.1.0"};
	struct cni_err err = {0};

	for (size_t i = 0; i < ARRAY_SIZE(versions); i++) {
		char conf[128], want[sizeof(result_1x) + 16];
		_cleanup_free_ char *out = NULL;

		snprintf(conf, sizeof(conf),
			 "{\"cniVersion\":\"%s\",\"name\":\"cni-loopback\",\"type\":\"loopback\"}",
			 versions[i]);
		snprintf(want, sizeof(want), result_1x, versions[i]);
		out = render(conf, versions[i], true, &err);
		CHECK_STR(out, want);
	}
}

/* No cniVersion: the result converts to 0.1.0's ip4/ip6; no IPv6 on lo: one entry. */
static void test_result_no_version(void)
{
	struct cni_err err = {0};
	char *out;

	out = render("{\"name\":\"lo\",\"type\":\"loopback\"}", "0.1.0", true, &err);
	CHECK_STR(out, "{\n"
		       "    \"cniVersion\": \"0.1.0\",\n"
		       "    \"ip4\": {\n"
		       "        \"ip\": \"127.0.0.1/8\"\n"
		       "    },\n"
		       "    \"ip6\": {\n"
		       "        \"ip\": \"::1/128\"\n"
		       "    },\n"
		       "    \"dns\": {}\n"
		       "}");
	free(out);
	out = render("{\"cniVersion\":\"\",\"name\":\"lo\"}", "0.1.0", false, &err);
	CHECK(out && !strstr(out, "ip6"));
	free(out);
	out = render("{\"cniVersion\":\"1.0.0\",\"name\":\"lo\"}", "1.0.0", false, &err);
	CHECK(out && !strstr(out, "::1"));
	CHECK(out && strstr(out, "127.0.0.1/8"));
	free(out);
}

/* A prevResult is passed through in the config's version. */
static void test_prev_result(void)
{
	struct cni_err err = {0};
	char *out;

	out = render("{\"cniVersion\":\"0.4.0\",\"name\":\"lo\",\"prevResult\":{\"cniVersion\":"
		     "\"0.3.1\",\"ips\":[{\"version\":\"4\",\"address\":\"10.1.0.2/24\"}]}}",
		     "0.4.0", true, &err);
	CHECK_STR(out, "{\n"
		       "    \"cniVersion\": \"0.4.0\",\n"
		       "    \"ips\": [\n"
		       "        {\n"
		       "            \"version\": \"4\",\n"
		       "            \"address\": \"10.1.0.2/24\"\n"
		       "        }\n"
		       "    ],\n"
		       "    \"dns\": {}\n"
		       "}");
	free(out);
	out = render(
		"{\"cniVersion\":\"1.1.0\",\"name\":\"lo\",\"prevResult\":{\"interfaces\":"
		"[{\"name\":\"eth0\",\"sandbox\":\"/x\"}],\"ips\":[{\"address\":\"10.1.0.2/24\","
		"\"gateway\":\"10.1.0.1\",\"interface\":0}]}}",
		"1.1.0", true, &err);
	CHECK(out && strstr(out, "\"cniVersion\": \"1.1.0\""));
	CHECK(out && strstr(out, "\"name\": \"eth0\""));
	CHECK(out && !strstr(out, "\"lo\""));
	free(out);
	out = render("{\"cniVersion\":\"0.2.0\",\"name\":\"lo\",\"prevResult\":{\"ip4\":"
		     "{\"ip\":\"10.1.0.2/24\"}}}",
		     "0.2.0", true, &err);
	CHECK_STR(out, "{\n"
		       "    \"cniVersion\": \"0.2.0\",\n"
		       "    \"ip4\": {\n"
		       "        \"ip\": \"10.1.0.2/24\"\n"
		       "    },\n"
		       "    \"dns\": {}\n"
		       "}");
	free(out);
}

/* Config errors: wrong types of the plain config fields the skeleton leaves to the plugin
 * (it checks "type", "capabilities" and "prevResult" as an object before any verb: see
 * test_cni), unusable prevResults. */
static void test_conf_errors(void)
{
	static const struct {
		const char *conf; /* network config */
		int code;	  /* expected CNI code */
		const char *msg;  /* expected message */
	} cases[] = {
		{"{\"cniVersion\":\"1.0.0\",\"name\":\"lo\",\"dns\":5}", 7,
		 "failed to parse network config: 'dns' must be an object"},
		{"{\"cniVersion\":\"1.0.0\",\"name\":\"lo\",\"ipam\":{\"type\":1}}", 7,
		 "failed to parse network config: invalid network config: 'type' must be a string, "
		 "not number"},
		{"{\"cniVersion\":\"0.4.0\",\"name\":\"lo\",\"prevResult\":{\"cniVersion\":"
		 "\"1.0.0\"}}",
		 6,
		 "failed to parse prevResult: could not parse prevResult: result type supports "
		 "[0.3.0 0.3.1 0.4.0] but unmarshalled CNIVersion is \"1.0.0\""},
		{"{\"cniVersion\":\"0.4.0\",\"name\":\"lo\",\"prevResult\":{\"ips\":[{\"address\":"
		 "\"x\"}]}}",
		 6,
		 "failed to parse prevResult: could not parse prevResult: failed to decode result: "
		 "'address': invalid CIDR address: x"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct cni_err err = {0};
		char *out = render(cases[i].conf, "1.0.0", true, &err);

		if (strstr(cases[i].conf, "0.4.0")) {
			free(out);
			out = render(cases[i].conf, "0.4.0", true, &err);
		}
		CHECK(out == NULL);
		free(out);
		CHECK_INT(err.code, cases[i].code);
		CHECK_STR(err.msg, cases[i].msg);
	}
}

/* Go's IP.IsLoopback: all of 127/8, ::1 only. */
static void test_is_loopback(void)
{
	static const struct {
		const char *ip; /* address */
		bool want;	/* loopback? */
	} cases[] = {
		{"127.0.0.1", true},  {"127.255.0.9", true},
		{"128.0.0.1", false}, {"::1", true},
		{"::2", false},	      {"fe80::1", false},
		{"10.0.0.1", false},  {"::ffff:127.0.0.1", true},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct ip_addr a;

		CHECK_INT(ip_parse(cases[i].ip, &a), 0);
		if (loopback_is_loopback(&a) != cases[i].want)
			UNIT_FAILED("%s: want %d", cases[i].ip, cases[i].want);
	}
}

int main(void)
{
	RUN(test_result_every_version);
	RUN(test_result_no_version);
	RUN(test_prev_result);
	RUN(test_conf_errors);
	RUN(test_is_loopback);
	UNIT_DONE();
}
