/* SPDX-License-Identifier: Apache-2.0 */
/* conf: Go encoding/json rules, Go-style printing, CNI_ARGS. */
#include "unit.h"
#include "cleanup.h"
#include "cni/cni.h"
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

/* conf_int32: presence, an absent or null member left alone, the range. */
static void test_int32(void)
{
	_cleanup_(cjson_freep) cJSON *o = parse("{\"a\":7,\"n\":null,\"big\":3000000000}");
	struct cni_err err = {0};
	bool present = true;
	int x = 5;

	CHECK(o != NULL);
	CHECK(conf_int32(o, "absent", -10, 10, &present, &x, &err) == 0 && !present && x == 5);
	present = true;
	CHECK(conf_int32(o, "n", -10, 10, &present, &x, &err) == 0 && !present && x == 5);
	CHECK(conf_int32(o, "A", -10, 10, &present, &x, &err) == 0 && present && x == 7);
	CHECK(conf_int32(o, "a", 0, 5, NULL, &x, &err) < 0 && err.code == 7 && x == 7);
	CHECK_STR(err.msg, "invalid network config: 'a' is 7, must be between 0 and 5");
	CHECK(conf_int32(o, "big", -2147483647 - 1, 2147483647, NULL, &x, &err) < 0 &&
	      err.code == 7);
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

/* conf_uint64: Go's uint64, messages naming the member as the caller calls it. */
static void test_uint64(void)
{
	_cleanup_(cjson_freep) cJSON *o =
		parse("{\"max\":18446744073709549568,\"neg\":-1,\"f\":0.5,\"s\":\"1\",\"n\":null}");
	struct cni_err err = {0};
	uint64_t v = 3;

	CHECK(o != NULL);
	CHECK(conf_uint64(o, "absent", "absent", &v, &err) == 0 && v == 3);
	CHECK(conf_uint64(o, "n", "n", &v, &err) == 0 && v == 3);
	CHECK(conf_uint64(o, "MAX", "max", &v, &err) == 0 && v == 18446744073709549568ull);
	CHECK(conf_uint64(o, "neg", "a.neg", &v, &err) < 0 && err.code == 7);
	CHECK_STR(err.msg, "invalid network config: 'a.neg' must be an integer between 0 and "
			   "18446744073709551615, not -1");
	CHECK(conf_uint64(o, "f", "f", &v, &err) < 0 && err.code == 7);
	CHECK(conf_uint64(o, "s", "a.s", &v, &err) < 0 && err.code == 7);
	CHECK_STR(err.msg, "invalid network config: 'a.s' must be an integer, not string");
}

/* conf_parse_stdin: the config object and a copy of its version. */
static void test_parse_stdin(void)
{
	char text[] = "{\"cniVersion\":\"1.0.0\"}", bad[] = "[]";
	struct cni_cmd_args a = {.stdin_data = text, .stdin_len = sizeof(text) - 1};
	struct cni_err err = {0};
	cJSON *root = NULL;
	char *version = NULL;

	CHECK_INT(conf_parse_stdin(&a, "x", &root, &version, &err), 0);
	CHECK(cJSON_IsObject(root));
	CHECK_STR(version, "0.1.0");
	cJSON_Delete(root);
	free(version);
	a.cni_version = "1.0.0";
	CHECK_INT(conf_parse_stdin(&a, "x", &root, &version, &err), 0);
	CHECK_STR(version, "1.0.0");
	cJSON_Delete(root);
	free(version);
	a.stdin_data = bad;
	a.stdin_len = 2;
	root = NULL;
	version = NULL;
	CHECK(conf_parse_stdin(&a, "x", &root, &version, &err) < 0 && err.code == 6);
	CHECK_STR(err.msg, "x: expected a JSON object");
	CHECK(!root && !version);
}

/* Syntax errors: Go's messages, as the reference plugins print them. */
static void test_go_syntax_errors(void)
{
	static const struct {
		const char *in;	 /* the document */
		size_t len;	 /* its length (NULs inside) */
		const char *msg; /* Go's message after "x: " */
	} cases[] = {
#define IN(s) s, sizeof(s) - 1
		{IN(""), "unexpected end of JSON input"},
		{IN(" \n"), "unexpected end of JSON input"},
		{IN("{\"a\":1"), "unexpected end of JSON input"},
		{IN("{\"a\":\"x"), "unexpected end of JSON input"},
		{IN("{\"a\":\"\\u00"), "unexpected end of JSON input"},
		{IN("{\"a\":tr"), "unexpected end of JSON input"},
		{IN("{\"a\":-"), "unexpected end of JSON input"},
		{IN("\0{}"), "invalid character '\\x00' looking for beginning of value"},
		{IN("{}\0"), "invalid character '\\x00' after top-level value"},
		{IN("\xef\xbb\xbf{}"),
		 "invalid character '\xc3\xaf' looking for beginning of value"},
		{IN("\a{}"), "invalid character '\\a' looking for beginning of value"},
		{IN("\x80{}"), "invalid character '\\u0080' looking for beginning of value"},
		{IN("\xa0{}"), "invalid character '\\u00a0' looking for beginning of value"},
		{IN("\xad{}"), "invalid character '\\u00ad' looking for beginning of value"},
		{IN("\xff{}"), "invalid character '\xc3\xbf' looking for beginning of value"},
		{IN("{\x01}"),
		 "invalid character '\\x01' looking for beginning of object key string"},
		{IN("{\"a\":1\v}"), "invalid character '\\v' after object key:value pair"},
		{IN("{}\f"), "invalid character '\\f' after top-level value"},
		{IN("{}\x7f"), "invalid character '\\x7f' after top-level value"},
		{IN("{\"a\":\"\0\"}"), "invalid character '\\x00' in string literal"},
		{IN("{\"a\":\"\t\"}"), "invalid character '\\t' in string literal"},
		{IN("{\"a\":\"\x1f\"}"), "invalid character '\\x1f' in string literal"},
		{IN("{\"a\":\"\\q\"}"), "invalid character 'q' in string escape code"},
		{IN("{\"a\":\"\\u12g4\"}"),
		 "invalid character 'g' in \\u hexadecimal character escape"},
		{IN("{'a':1}"),
		 "invalid character '\\'' looking for beginning of object key string"},
		{IN("{\"a\" 1}"), "invalid character '1' after object key"},
		{IN("{\"a\":1 x}"), "invalid character 'x' after object key:value pair"},
		{IN("{\"a\":1,}"),
		 "invalid character '}' looking for beginning of object key string"},
		{IN("{\"a\":[1,]}"), "invalid character ']' looking for beginning of value"},
		{IN("[1 2]"), "invalid character '2' after array element"},
		{IN("{\"a\":01}"), "invalid character '1' after object key:value pair"},
		{IN("{\"a\":+1}"), "invalid character '+' looking for beginning of value"},
		{IN("{\"a\":.5}"), "invalid character '.' looking for beginning of value"},
		{IN("{\"a\":-x}"), "invalid character 'x' in numeric literal"},
		{IN("{\"a\":1.}"), "invalid character '}' after decimal point in numeric literal"},
		{IN("{\"a\":1e+}"), "invalid character '}' in exponent of numeric literal"},
		{IN("{\"a\":tx}"), "invalid character 'x' in literal true (expecting 'r')"},
		{IN("{\"a\":fals}"), "invalid character '}' in literal false (expecting 'e')"},
		{IN("{\"a\":nx}"), "invalid character 'x' in literal null (expecting 'u')"},
		{IN("{} x"), "invalid character 'x' after top-level value"},
		{IN("[]"), "expected a JSON object"},
		{IN("\"s\""), "expected a JSON object"},
#undef IN
	};
	char want[256];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct cni_err err = {0};
		cJSON *o = NULL;

		CHECK(conf_parse_object(cases[i].in, cases[i].len, "x", &o, &err) < 0 && !o);
		CHECK_INT(err.code, 6);
		snprintf(want, sizeof(want), "x: %s", cases[i].msg);
		CHECK_STR(err.msg, want);
	}
}

/* What Go's decoder accepts, decoded as Go decodes it. */
static void test_go_decoding(void)
{
	static const struct {
		const char *in;	 /* a JSON value for "v" */
		const char *out; /* how it prints back */
	} cases[] = {
		{"\"\\u00e9\\/\\b\\f\"", "\"\xc3\xa9/\\u0008\\u000c\""},
		{"\"\\ud83d\\ude00\"", "\"\xf0\x9f\x98\x80\""},
		/* lone or mismatched surrogates and invalid UTF-8 become U+FFFD */
		{"\"\\ud800x\"", "\"\xef\xbf\xbdx\""},
		{"\"\\udc00\\ud800\\u0041\"", "\"\xef\xbf\xbd\xef\xbf\xbd"
					      "A\""},
		{"\"a\xff\xc0\x80z\"", "\"a\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdz\""},
		{"\"\x7f\"", "\"\x7f\""},
		{"-0", "0"},
		{"12.5e-1", "1.25"},
		{"1E3", "1000"},
		{" [ true , false , null ] ", "[true,false,null]"},
		/* a string holding a NUL keeps every byte, as its JSON text */
		{"\"x\\u0000y\"", "\"x\\u0000y\""},
		{"[\"\\u0000\", \"<\\u0000>\"]", "[\"\\u0000\",\"\\u003c\\u0000\\u003e\"]"},
	};
	char doc[256], want[256];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_(cjson_freep) cJSON *o = NULL;
		_cleanup_free_ char *text = NULL;
		struct cni_err err = {0};

		snprintf(doc, sizeof(doc), "\t{\"v\":%s}\r\n", cases[i].in);
		CHECK(conf_parse_object(doc, strlen(doc), "x", &o, &err) == 0);
		text = o ? cni_json_print(o, false) : NULL;
		snprintf(want, sizeof(want), "{\"v\":%s}", cases[i].out);
		CHECK_STR(text, want);
	}
}

/* An object holding arrays nested k deep: 1 + k levels. */
static size_t nested(char *doc, int k)
{
	size_t n = 0;

	memcpy(doc, "{\"a\":", 5);
	n = 5;
	for (int i = 0; i < k; i++)
		doc[n++] = '[';
	for (int i = 0; i < k; i++)
		doc[n++] = ']';
	doc[n++] = '}';
	return n;
}

/* Nesting: 1000 levels parse, one more is refused (cJSON's limit). */
static void test_depth(void)
{
	static char doc[2 * 1000 + 16];
	struct cni_err err = {0};
	cJSON *o = NULL;

	CHECK(conf_parse_object(doc, nested(doc, 999), "x", &o, &err) == 0);
	cJSON_Delete(o);
	o = NULL;
	CHECK(conf_parse_object(doc, nested(doc, 1000), "x", &o, &err) < 0 && err.code == 6);
	CHECK_STR(err.msg, "x: invalid character '[' exceeded max depth");
}

/* A string holding a NUL is never read cut short: the getters refuse it naming the key. */
static void test_nul_strings(void)
{
	_cleanup_(cjson_freep) cJSON *o = parse(
		"{\"name\":\"hnet\\u0000/../../x\",\"list\":[\"a\",\"b\\u0000\"],"
		"\"ip\":\"10.0.0.1\\u0000x\",\"flag\":\"\\u0000\",\"sub\":{\"k\":\"\\u0000\"},"
		"\"dup\":\"\\u0000\",\"DUP\":\"ok\",\"key\\u0000\":\"shadow\",\"key\":\"real\"}");
	struct cni_err err = {0};
	const char *s = NULL;
	char *copy = NULL, **v = NULL;
	struct ip_addr ip;
	bool b;

	CHECK(o != NULL);
	CHECK(conf_string(o, "name", &s, &err) < 0 && s == NULL);
	CHECK_INT(err.code, 7);
	CHECK_STR(err.msg, "invalid network config: 'name' must not contain a NUL character");
	CHECK(conf_strdup(o, "NAME", &copy, &err) < 0 && copy == NULL);
	CHECK_STR(err.msg, "invalid network config: 'NAME' must not contain a NUL character");
	CHECK(conf_string_list(o, "list", &v, NULL, &err) < 0 && v == NULL);
	CHECK_STR(err.msg, "invalid network config: 'list' must not contain a NUL character");
	CHECK(conf_ip(o, "ip", &ip, NULL, &err) < 0 && err.code == 7);
	CHECK_STR(err.msg, "invalid network config: 'ip' must not contain a NUL character");
	/* Other getters see a string, as Go would. */
	CHECK(conf_bool(o, "flag", &b, &err) < 0);
	CHECK_STR(err.msg, "invalid network config: 'flag' must be a boolean, not string");
	CHECK_STR(conf_type_name(conf_get(o, "flag"), true), "string");
	CHECK(!cJSON_IsString(conf_get(o, "flag")) && conf_is_nul_string(conf_get(o, "flag")));
	CHECK(conf_string(conf_get(o, "sub"), "k", &s, &err) < 0 && err.code == 7);
	/* The last duplicate wins, NUL or not. */
	CHECK(conf_string(o, "dup", &s, &err) == 0);
	CHECK_STR(s, "ok");
	/* A key holding a NUL is another key. */
	CHECK(conf_string(o, "key", &s, &err) == 0);
	CHECK_STR(s, "real");
	CHECK(conf_get(o, "key\\u0000") != NULL); /* kept under its escaped text */
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
	RUN(test_int32);
	RUN(test_uint64);
	RUN(test_parse_stdin);
	RUN(test_parse_errors);
	RUN(test_go_syntax_errors);
	RUN(test_go_decoding);
	RUN(test_depth);
	RUN(test_nul_strings);
	RUN(test_print);
	RUN(test_print_escapes);
	RUN(test_cni_args);
	UNIT_DONE();
}
