/* SPDX-License-Identifier: Apache-2.0 */
/* conf: Go encoding/json rules, Go-style printing, CNI_ARGS. */
#include "unit.h"
#include "cleanup.h"
#include "cni/conf.h"

static cJSON *parse(const char *s)
{
	struct cni_err err = {0};
	cJSON *o = NULL;

	if (conf_parse_object(s, strlen(s), "test", &o, &err) < 0)
		return NULL;
	return o;
}

static void test_getters(void)
{
	_cleanup_(cjson_freep) cJSON *o =
		parse("{\"bridge\":\"a\",\"BRIDGE\":\"b\",\"isGateway\":true,\"mtu\":1500,"
		      "\"bad\":\"true\",\"frac\":1.5,\"nul\":null,\"list\":[\"x\",\"y\"]}");
	struct cni_err err = {0};
	const char *s = NULL;
	bool b = false;
	long long i = 0;
	char **v = NULL;
	size_t n;

	CHECK(o != NULL);
	CHECK(conf_string(o, "Bridge", &s, &err) == 0);
	CHECK_STR(s, "b");
	CHECK(conf_bool(o, "isgateway", &b, &err) == 0 && b);
	CHECK(conf_int(o, "MTU", 0, 65535, &i, &err) == 0 && i == 1500);
	CHECK(conf_int(o, "mtu", 0, 1000, &i, &err) < 0 && err.code == 7);
	CHECK(conf_bool(o, "bad", &b, &err) < 0);
	CHECK_INT(err.code, 7);
	CHECK(strstr(err.msg, "'bad'") != NULL);
	CHECK(conf_int(o, "frac", 0, 10, &i, &err) < 0 && err.code == 7);
	b = true;
	CHECK(conf_bool(o, "nul", &b, &err) == 0 && b);
	CHECK(conf_bool(o, "absent", &b, &err) == 0 && b);
	CHECK(conf_string_list(o, "list", &v, &n, &err) == 0 && n == 2);
	CHECK_STR(v[1], "y");
	strv_free(v);
	CHECK(conf_string_list(o, "bridge", &v, &n, &err) < 0 && err.code == 7);
}

static void test_parse_errors(void)
{
	struct cni_err err = {0};
	cJSON *o = NULL;

	CHECK(conf_parse_object("{", 1, "x", &o, &err) < 0 && err.code == 6);
	CHECK(conf_parse_object("[]", 2, "x", &o, &err) < 0 && err.code == 6);
	CHECK(conf_parse_object("{} x", 4, "x", &o, &err) < 0 && err.code == 6);
	CHECK(conf_parse_object("", 0, "x", &o, &err) < 0 && err.code == 6);
	CHECK(conf_parse_object("{}\n", 3, "x", &o, &err) == 0);
	cJSON_Delete(o);
}

static void test_print(void)
{
	_cleanup_(cjson_freep) cJSON *o =
		parse("{\"b\":[],\"a\":{},\"c\":[1,{\"x\":\"<&>\\n\\u2028\"}],\"d\":-3}");
	_cleanup_free_ char *pretty = NULL, *compact = NULL;

	pretty = cni_json_print(o, true);
	CHECK_STR(pretty,
		  "{\n    \"b\": [],\n    \"a\": {},\n    \"c\": [\n        1,\n        {\n"
		  "            \"x\": \"\\u003c\\u0026\\u003e\\n\\u2028\"\n        }\n    ],\n"
		  "    \"d\": -3\n}");
	cni_json_sort_keys(o);
	compact = cni_json_print(o, false);
	CHECK_STR(compact, "{\"a\":{},\"b\":[],\"c\":[1,{\"x\":\"\\u003c\\u0026\\u003e\\n\\u2028\"}"
			   "],\"d\":-3}");
}

static void test_print_escapes(void)
{
	_cleanup_(cjson_freep) cJSON *s =
		cJSON_CreateString("q\"b\\t\tr\rc\x01\x1f\xff\xe2\x80\xa9ok");
	_cleanup_free_ char *text = cni_json_print(s, false);

	/* Short escapes, \u00XX for other controls, U+FFFD for bad UTF-8, U+2029 escaped. */
	CHECK_STR(text, "\"q\\\"b\\\\t\\tr\\rc\\u0001\\u001f\\ufffd\\u2029ok\"");
}

static void test_cni_args(void)
{
	struct cni_arg f[] = {{.key = "IP"}, {.key = "MAC"}};
	struct cni_err err = {0};

	CHECK(cni_args_load("IP=10.0.0.5;MAC=aa:bb:cc:dd:ee:ff", f, 2, &err) == 0);
	CHECK_STR(f[0].value, "10.0.0.5");
	CHECK_STR(f[1].value, "aa:bb:cc:dd:ee:ff");
	cni_args_free(f, 2);
	CHECK(cni_args_load("IP=10.0.0.5;K8S_POD_NAME=x", f, 2, &err) < 0);
	CHECK_STR(err.msg, "ARGS: unknown args [\"K8S_POD_NAME=x\"]");
	CHECK(f[0].value == NULL);
	CHECK(cni_args_load("IgnoreUnknown=1;K8S_POD_NAME=x;IP=1.2.3.4", f, 2, &err) == 0);
	CHECK_STR(f[0].value, "1.2.3.4");
	cni_args_free(f, 2);
	CHECK(cni_args_load("IgnoreUnknown=TRUE;a=b", f, 2, &err) == 0);
	CHECK(cni_args_load("IgnoreUnknown=0;a=b;c=d", f, 2, &err) < 0);
	CHECK_STR(err.msg, "ARGS: unknown args [\"a=b\" \"c=d\"]");
	CHECK(cni_args_load("IP=1.2.3.4;", f, 2, &err) < 0);
	CHECK_STR(err.msg, "ARGS: invalid pair \"\"");
	CHECK(cni_args_load("IP=a=b", f, 2, &err) < 0);
	CHECK_STR(err.msg, "ARGS: invalid pair \"IP=a=b\"");
	CHECK(cni_args_load("ip=1.2.3.4", f, 2, &err) < 0); /* keys are case-sensitive */
	CHECK(cni_args_load("IgnoreUnknown=maybe", f, 2, &err) < 0);
	CHECK(cni_args_load("", f, 2, &err) == 0);
	CHECK_INT(err.code, 999);
}

int main(void)
{
	RUN(test_getters);
	RUN(test_parse_errors);
	RUN(test_print);
	RUN(test_print_escapes);
	RUN(test_cni_args);
	UNIT_DONE();
}
