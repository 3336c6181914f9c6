/* SPDX-License-Identifier: Apache-2.0 */
/* sbr: config parsing and its error codes; live, in a private namespace with a veth: ADD's
 * rules and tables, its errors, the result in each version family, table mode, the undo of
 * a failed ADD, DEL's tidying and idempotence, CHECK's findings. */
#include <stdarg.h>
#include <netinet/in.h>
#include <linux/rtnetlink.h>

#include "unit.h"
#include "fixtures.h"
#define LIVE_LOCAL_ERR
#include "live.h"

#include "cleanup.h"
#include "net/nl.h"
#include "net/nl_rule.h"
#include "net/rtnl.h"
#include "sbr/netconf.h"
#include "sbr/sbr.h"

/* The arguments of a verb: config {"cniVersion": version, "name": "n", "type": "sbr", body}
 * for interface eth0 of this thread's namespace. */
struct sbr_args {
	struct cni_cmd_args a;
	char *text;
};

static void sbr_args_init(struct sbr_args *s, const char *version, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void sbr_args_init(struct sbr_args *s, const char *version, const char *fmt, ...)
{
	char *body = NULL;
	va_list ap;

	memset(s, 0, sizeof(*s));
	va_start(ap, fmt);
	if (vasprintf(&body, fmt, ap) < 0 ||
	    asprintf(&s->text, "{\"cniVersion\": \"%s\", \"name\": \"n\", \"type\": \"sbr\"%s%s}",
		     version, *body ? ", " : "", body) < 0)
		abort();
	va_end(ap);
	free(body);
	s->a.stdin_data = s->text;
	s->a.stdin_len = strlen(s->text);
	s->a.cni_version = version;
	s->a.ifname = "eth0";
	s->a.container_id = "cid";
	s->a.args = "";
	s->a.path = "/nonexistent";
	s->a.netns = "/proc/thread-self/ns/net";
}

static void sbr_args_clear(struct sbr_args *s)
{
	free(s->text);
	s->text = NULL;
}

static int load(const char *json, const char *env_args, char *out, size_t len, struct cni_err *err)
{
	_cleanup_(sbr_conf_freep) struct sbr_conf *c = NULL;
	struct cni_cmd_args a = {.stdin_data = (char *)json,
				 .stdin_len = strlen(json),
				 .cni_version = "1.0.0",
				 .ifname = "eth0",
				 .args = ""};
	char g4[IP_STRLEN] = "-", g6[IP_STRLEN] = "-";

	if (sbr_conf_load(&a, SBR_LOAD_FULL, &c, err) < 0)
		return err->code;
	if (c->gw4.family)
		ip_format(&c->gw4, g4, sizeof(g4));
	if (c->gw6.family)
		ip_format(&c->gw6, g6, sizeof(g6));
	snprintf(out, len, "table=%d:%u gw4=%s gw6=%s hints=%d prev=%zu", c->has_table, c->table,
		 g4, g6, c->add_source_hints, c->prev ? c->prev->n_ips : (size_t)99);
	return 0;
}

static void test_conf(void)
{
	static const struct fixture_conf_case cases[] = {
		{"{}", NULL, 0, "table=0:0 gw4=- gw6=- hints=0 prev=99"},
		{"{\"table\": 200, \"addSourceHints\": true}", NULL, 0,
		 "table=1:200 gw4=- gw6=- hints=1 prev=99"},
		{"{\"table\": null}", NULL, 0, "table=0:0 gw4=- gw6=- hints=0 prev=99"},
		{"{\"table\": 4294967295}", NULL, 0,
		 "table=1:4294967295 gw4=- gw6=- hints=0 prev=99"},
		{"{\"table\": 0}", NULL, 7,
		 "invalid network config: 'table' is 0, must be between 1 and 4294967295"},
		{"{\"table\": -1}", NULL, 7,
		 "invalid network config: 'table' is -1, must be between 1 and 4294967295"},
		{"{\"table\": 1.5}", NULL, 7, "invalid network config: 'table' must be an integer"},
		{"{\"table\": \"100\"}", NULL, 7, NULL},
		{"{\"gateways\": [\"10.0.0.1\", \"fd00::1\"]}", NULL, 0,
		 "table=0:0 gw4=10.0.0.1 gw6=fd00::1 hints=0 prev=99"},
		{"{\"gateways\": [\"::ffff:10.0.0.9\"]}", NULL, 0,
		 "table=0:0 gw4=10.0.0.9 gw6=- hints=0 prev=99"},
		{"{\"gateways\": [\"10.0.0.1\", \"fd00::1\", \"10.0.0.2\"]}", NULL, 7,
		 "gateways list cannot contain more than 2 entries (one IPv4, one IPv6)"},
		{"{\"gateways\": [\"10.0.0.300\"]}", NULL, 7,
		 "invalid static gateway IP address: 10.0.0.300"},
		{"{\"gateways\": [\"\"]}", NULL, 7, "invalid static gateway IP address: "},
		{"{\"gateways\": [\"10.0.0.1\", \"::ffff:10.0.0.2\"]}", NULL, 7,
		 "gateways list contains multiple IPv4 addresses: 10.0.0.1 and ::ffff:10.0.0.2"},
		{"{\"gateways\": [\"fd00::01\", \"fd00::2\"]}", NULL, 7,
		 "gateways list contains multiple IPv6 addresses: fd00::1 and fd00::2"},
		{"{\"gateways\": [1]}", NULL, 7, NULL},
		{"{\"gateways\": \"10.0.0.1\"}", NULL, 7, NULL},
		/* Table mode does not look at the gateways, as the reference. */
		{"{\"table\": 5, \"gateways\": [\"x\", \"y\", \"z\"]}", NULL, 0,
		 "table=1:5 gw4=- gw6=- hints=0 prev=99"},
		{"{\"addSourceHints\": 1}", NULL, 7, NULL},
		{"{\"gateways\": null, \"addSourceHints\": null}", NULL, 0,
		 "table=0:0 gw4=- gw6=- hints=0 prev=99"},
		{"{\"gateways\": []}", NULL, 0, "table=0:0 gw4=- gw6=- hints=0 prev=99"},
		{"{\"prevResult\": {\"ips\": [{\"address\": \"10.1.0.2/24\"}]}}", NULL, 0,
		 "table=0:0 gw4=- gw6=- hints=0 prev=1"},
		{"{\"prevResult\": {\"ips\": [{\"address\": \"10.1.0.2\"}]}}", NULL, 6, NULL},
		{"{\"prevResult\": 5}", NULL, 6, NULL},
		{"{", NULL, 6, NULL},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct cni_err err = {0};
		char out[1024] = "";
		int code = load(cases[i].json, NULL, out, sizeof(out), &err);

		CHECK_INT(code, cases[i].code);
		if (code == 0)
			CHECK_STR(out, cases[i].want);
		else if (cases[i].want) /* NULL: any message */
			CHECK_STR(err.msg, cases[i].want);
		if (code != cases[i].code)
			fprintf(stderr, "#   case %zu (%s): %s\n", i, cases[i].json, err.msg);
	}
}

/* DEL reads only table: a broken prevResult or gateways list does not stop it. */
static void test_conf_del(void)
{
	struct cni_cmd_args a = {.cni_version = "1.0.0", .ifname = "eth0", .args = ""};
	_cleanup_(sbr_conf_freep) struct sbr_conf *c = NULL;
	struct cni_err err = {0};
	const char *json = "{\"table\": 7, \"gateways\": [1], \"prevResult\": {\"ips\": 3}}";

	a.stdin_data = (char *)json;
	a.stdin_len = strlen(json);
	OK(sbr_conf_load(&a, SBR_LOAD_DEL, &c, &err));
	CHECK(c && c->has_table && c->table == 7 && !c->prev);
}

/* ---- live ---------------------------------------------------------------------------- */

static const char prev_v4[] =
	"\"prevResult\": {\"cniVersion\": \"1.0.0\", \"interfaces\": [{\"name\": \"eth0\"}, "
	"{\"name\": \"other\"}], \"ips\": [{\"address\": \"10.5.0.2/24\", \"gateway\": "
	"\"10.5.0.1\", \"interface\": 0}, {\"address\": \"10.6.0.2/24\", \"interface\": 1}]}";

/* A fresh namespace with eth0 (a veth) up, 10.5.0.2/24 on it and a default route via
 * 10.5.0.1. */
static bool live_link(void)
{
	return system("ip link add eth0 type veth peer name peer0 && ip link set eth0 up && "
		      "ip link set peer0 up && ip addr add 10.5.0.2/24 dev eth0 && "
		      "ip route add default via 10.5.0.1 dev eth0") == 0;
}

static char *ip_out(const char *cmd)
{
	char *out = live_output(cmd);

	return out ? out : strdup("");
}

static void test_live_add_del(void)
{
	struct sbr_args s;
	_cleanup_free_ char *out = NULL, *rules = NULL, *routes = NULL;
	struct cni_err err = {0};

	LIVE_FRESH();
	if (!live_link())
		UNIT_SKIP("cannot set up a veth in the private namespace");
	sbr_args_init(&s, "1.0.0", "%s", prev_v4);
	OK(sbr_plugin.add(&s.a, &out, &err));
	/* Only the address of eth0: the other interface's is left alone. */
	CHECK(out && strstr(out, "\"10.6.0.2/24\""));
	rules = ip_out("ip -4 rule show");
	CHECK(strstr(rules, "32765:\tfrom 10.5.0.2 lookup 100"));
	CHECK(!strstr(rules, "10.6.0.2"));
	routes = ip_out("ip -4 route show table 100");
	CHECK(strstr(routes, "default via 10.5.0.1 dev eth0"));
	CHECK(strstr(routes, "10.5.0.0/24 dev eth0 proto kernel scope link src 10.5.0.2"));
	free(TAKE_PTR(routes));
	routes = ip_out("ip -4 route show table main");
	CHECK_STR(routes, "");
	free(TAKE_PTR(routes));
	OK(sbr_plugin.check(&s.a, NULL, &err));

	/* A second ADD (another address) takes the next free table. */
	free(TAKE_PTR(out));
	sbr_args_clear(&s);
	CHECK(system("ip addr add 10.7.0.2/24 dev eth0") == 0);
	sbr_args_init(&s, "1.0.0",
		      "\"prevResult\": {\"ips\": [{\"address\": \"10.7.0.2/24\", \"gateway\": "
		      "\"10.7.0.1\"}]}");
	OK(sbr_plugin.add(&s.a, &out, &err));
	free(TAKE_PTR(rules));
	rules = ip_out("ip -4 rule show");
	CHECK(strstr(rules, "32764:\tfrom 10.7.0.2 lookup 101"));
	sbr_args_clear(&s);

	/* DEL: both rules (both addresses are on eth0) and the routes of both tables. */
	sbr_args_init(&s, "1.0.0", "%s", "");
	OK(sbr_plugin.del(&s.a, NULL, &err));
	free(TAKE_PTR(rules));
	rules = ip_out("ip -4 rule show");
	CHECK(!strstr(rules, "lookup 10"));
	routes = ip_out("ip route show table all | grep -v 'table local'");
	CHECK(!strstr(routes, "table 100") && !strstr(routes, "table 101"));
	OK(sbr_plugin.del(&s.a, NULL, &err));
	sbr_args_clear(&s);

	/* CHECK names what is missing. */
	sbr_args_init(&s, "1.0.0", "%s", prev_v4);
	CHECK(sbr_plugin.check(&s.a, NULL, &err) < 0);
	CHECK_STR(err.msg, "rule from 10.5.0.2/32 to a table of its own missing");
	CHECK(system("ip rule add from 10.5.0.2 lookup 100") == 0);
	cni_err_clear(&err);
	CHECK(sbr_plugin.check(&s.a, NULL, &err) < 0);
	CHECK_STR(err.msg, "default route via 10.5.0.1 dev eth0 missing in table 100");
	sbr_args_clear(&s);
}

static void test_live_errors_and_versions(void)
{
	struct sbr_args s;
	_cleanup_free_ char *out = NULL;
	struct cni_err err = {0};

	LIVE_FRESH();
	if (!live_link())
		UNIT_SKIP("cannot set up a veth in the private namespace");
	sbr_args_init(&s, "1.0.0", "%s", "");
	CHECK(sbr_plugin.add(&s.a, &out, &err) < 0);
	CHECK_INT(err.code, 999);
	CHECK_STR(err.msg, "This plugin must be called as chained plugin");
	sbr_args_clear(&s);

	cni_err_clear(&err);
	sbr_args_init(&s, "1.0.0", "\"prevResult\": {\"ips\": []}");
	CHECK(sbr_plugin.add(&s.a, &out, &err) < 0);
	CHECK_STR(err.msg, "No IP addresses supplied on interface: eth0");
	sbr_args_clear(&s);

	cni_err_clear(&err);
	sbr_args_init(&s, "1.0.0", "%s", prev_v4);
	s.a.ifname = "eth9";
	CHECK(sbr_plugin.add(&s.a, &out, &err) < 0);
	CHECK_STR(err.msg, "Cannot find network interface eth9: link 'eth9' not found");
	/* DEL of a link that is gone succeeds; so does DEL without a namespace. */
	OK(sbr_plugin.del(&s.a, NULL, &err));
	s.a.netns = "";
	OK(sbr_plugin.del(&s.a, NULL, &err));
	s.a.netns = "/nonexistent/netns";
	OK(sbr_plugin.del(&s.a, NULL, &err));
	CHECK(access("/nonexistent/netns", F_OK) < 0);
	sbr_args_clear(&s);

	/* The result in each version family: the prevResult converted, nothing added. */
	cni_err_clear(&err);
	sbr_args_init(&s, "0.2.0",
		      "\"prevResult\": {\"cniVersion\": \"0.2.0\", \"ip4\": {\"ip\": "
		      "\"10.5.0.2/24\", \"gateway\": \"10.5.0.1\"}}");
	OK(sbr_plugin.add(&s.a, &out, &err));
	CHECK(out && strstr(out, "\"ip4\"") && strstr(out, "\"cniVersion\": \"0.2.0\""));
	free(TAKE_PTR(out));
	sbr_args_clear(&s);
	sbr_args_init(&s, "0.3.1",
		      "\"prevResult\": {\"cniVersion\": \"0.3.1\", \"ips\": [{\"version\": \"4\", "
		      "\"address\": \"10.5.0.3/24\"}]}");
	OK(sbr_plugin.add(&s.a, &out, &err));
	CHECK(out && strstr(out, "\"version\": \"4\"") && strstr(out, "\"0.3.1\""));
	free(TAKE_PTR(out));
	sbr_args_clear(&s);
	sbr_args_init(&s, "1.1.0",
		      "\"prevResult\": {\"cniVersion\": \"1.1.0\", \"ips\": [{\"address\": "
		      "\"10.5.0.4/24\"}], \"routes\": [{\"dst\": \"0.0.0.0/0\", \"table\": 5}]}");
	OK(sbr_plugin.add(&s.a, &out, &err));
	CHECK(out && strstr(out, "\"table\": 5") && strstr(out, "\"1.1.0\""));
	sbr_args_clear(&s);
}

/* table mode: the rules only, into the table given; DEL removes them, not the table's
 * routes. */
static void test_live_table_mode(void)
{
	struct sbr_args s;
	_cleanup_free_ char *out = NULL, *rules = NULL, *routes = NULL;
	struct cni_err err = {0};

	LIVE_FRESH();
	if (!live_link())
		UNIT_SKIP("cannot set up a veth in the private namespace");
	CHECK(system("ip route add 10.99.0.0/16 via 10.5.0.1 table 300") == 0);
	sbr_args_init(&s, "1.0.0", "\"table\": 300, %s", prev_v4);
	OK(sbr_plugin.add(&s.a, &out, &err));
	rules = ip_out("ip -4 rule show");
	CHECK(strstr(rules, "from 10.5.0.2 lookup 300"));
	routes = ip_out("ip -4 route show table main");
	CHECK(strstr(routes, "default via 10.5.0.1"));
	OK(sbr_plugin.check(&s.a, NULL, &err));
	OK(sbr_plugin.del(&s.a, NULL, &err));
	free(TAKE_PTR(rules));
	rules = ip_out("ip -4 rule show");
	CHECK(!strstr(rules, "lookup 300"));
	free(TAKE_PTR(routes));
	routes = ip_out("ip -4 route show table 300");
	CHECK(strstr(routes, "10.99.0.0/16 via 10.5.0.1"));
	CHECK(sbr_plugin.check(&s.a, NULL, &err) < 0);
	CHECK_STR(err.msg, "rule from 10.5.0.2/32 lookup 300 missing");
	sbr_args_clear(&s);
}

/* A gateway the kernel refuses: everything ADD did for the addresses before is undone and
 * the main table keeps its routes. */
static void test_live_failed_add(void)
{
	struct sbr_args s;
	_cleanup_free_ char *out = NULL, *before = NULL, *after = NULL, *rules = NULL;
	struct cni_err err = {0};

	LIVE_FRESH();
	if (!live_link())
		UNIT_SKIP("cannot set up a veth in the private namespace");
	CHECK(system("ip addr add 10.8.0.2/24 dev eth0") == 0);
	before = ip_out("ip route show table all");
	sbr_args_init(&s, "1.0.0",
		      "\"prevResult\": {\"ips\": [{\"address\": \"10.5.0.2/24\", \"gateway\": "
		      "\"10.5.0.1\"}, {\"address\": \"10.8.0.2/24\", \"gateway\": "
		      "\"192.0.2.1\"}]}");
	CHECK(sbr_plugin.add(&s.a, &out, &err) < 0);
	CHECK(strncmp(err.msg, "Failed to add default route to 192.0.2.1: network is unreachable",
		      63) == 0);
	CHECK(out == NULL);
	after = ip_out("ip route show table all");
	CHECK_STR(after, before);
	rules = ip_out("ip rule show");
	CHECK(!strstr(rules, "lookup 10"));
	sbr_args_clear(&s);
}

int main(void)
{
	RUN(test_conf);
	RUN(test_conf_del);
	live_enter(0);
	RUN(test_live_add_del);
	RUN(test_live_errors_and_versions);
	RUN(test_live_table_mode);
	RUN(test_live_failed_add);
	UNIT_DONE();
}
