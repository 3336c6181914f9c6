/* SPDX-License-Identifier: Apache-2.0 */
/* portmap: config parsing and validation, container address choice, rule building. */
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>
#include <linux/netfilter/nfnetlink.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>

#include "cleanup.h"
#include "portmap/cond.h"
#include "portmap/netconf.h"
#include "portmap/rules.h"
#define LIVE_LOCAL_ERR
#include "live.h"
#include "unit.h"
#include "fixtures.h"

static const char *PREV =
	"\"prevResult\": {\"cniVersion\": \"1.0.0\", \"interfaces\": [{\"name\": \"br0\"}, "
	"{\"name\": \"eth0\", \"sandbox\": \"/run/netns/c\"}], \"ips\": ["
	"{\"address\": \"10.99.0.2/24\", \"interface\": 1}, "
	"{\"address\": \"fd99::2/64\", \"interface\": 1}]}";

static int loadf(enum portmap_load_mode mode, struct portmap_conf **ret, struct cni_err *err,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Load a config body (without braces, printf-formatted) with ifname eth0. */
static int loadf(enum portmap_load_mode mode, struct portmap_conf **ret, struct cni_err *err,
		 const char *fmt, ...)
{
	struct fixture_args f;
	va_list ap;
	int r;

	va_start(ap, fmt);
	fixture_args_vinit(&f, NULL, fmt, ap);
	va_end(ap);
	cni_err_clear(err);
	r = portmap_conf_load(&f.a, mode, ret, err);
	fixture_args_clear(&f);
	return r;
}

static int load(const char *body, enum portmap_load_mode mode, struct portmap_conf **ret,
		struct cni_err *err)
{
	return loadf(mode, ret, err, "%s", body);
}

static void expect_error(const char *body, int code, const char *msg)
{
	struct portmap_conf *c = NULL;
	struct cni_err err = {0};

	CHECK(load(body, PORTMAP_LOAD_STRICT, &c, &err) < 0);
	CHECK(c == NULL);
	CHECK_INT(err.code, code);
	if (!strstr(err.msg, msg)) {
		printf("#   message: %s\n#   wanted:  %s\n", err.msg, msg);
		CHECK(!"message");
	}
	portmap_conf_free(c);
}

static void test_defaults(void)
{
	_cleanup_(portmap_conf_freep) struct portmap_conf *c = NULL;
	struct cni_err err = {0};

	CHECK(load("\"type\": \"portmap\"", PORTMAP_LOAD_STRICT, &c, &err) == 0);
	CHECK(c->snat);
	CHECK(!c->masq_all);
	CHECK_INT(c->backend, PORTMAP_BACKEND_NFTABLES);
	CHECK_INT(c->mark_masq_bit, 13);
	CHECK_INT(c->n_mappings, 0);
	CHECK(c->prev == NULL);
	CHECK(!c->has_v4 && !c->has_v6);
}

static void test_mappings(void)
{
	_cleanup_(portmap_conf_freep) struct portmap_conf *c = NULL;
	struct cni_err err = {0};
	char buf[256];

	CHECK(loadf(PORTMAP_LOAD_STRICT, &c, &err,
		    "\"SNAT\": false, \"masqall\": true, \"RuntimeConfig\": {\"portMappings\": ["
		    "{\"hostPort\": 8080, \"containerPort\": 80, \"protocol\": \"TCP\"},"
		    "{\"hostport\": 53, \"containerPort\": 5353, \"protocol\": \"Udp\", "
		    "\"hostIP\": \"\"},"
		    "{\"hostPort\": 1, \"containerPort\": 65535, \"protocol\": \"sctp\", "
		    "\"hostIP\": \"::ffff:1.2.3.4\"}]}, %s",
		    PREV) == 0);
	if (!c)
		return;
	CHECK(!c->snat);
	CHECK(c->masq_all);
	CHECK_INT(c->n_mappings, 3);
	CHECK_STR(c->mappings[0].proto_name, "tcp");
	CHECK_INT(c->mappings[0].host_port, 8080);
	CHECK_STR(c->mappings[1].proto_name, "udp");
	CHECK(!c->mappings[1].has_host_ip);
	CHECK(c->mappings[2].has_host_ip);
	CHECK_INT(c->mappings[2].host_ip.family, AF_INET); /* v4-mapped is IPv4, like Go */
	CHECK_STR(portmap_mapping_format(&c->mappings[2], buf, sizeof(buf)),
		  "{hostPort: 1, containerPort: 65535, protocol: sctp, hostIP: 1.2.3.4}");
	CHECK(portmap_mapping_applies(&c->mappings[2], AF_INET));
	CHECK(!portmap_mapping_applies(&c->mappings[2], AF_INET6));
	CHECK(portmap_mapping_applies(&c->mappings[0], AF_INET6));
	CHECK(c->has_v4 && c->has_v6);
}

static void test_mapping_errors(void)
{
	expect_error("\"runtimeConfig\": {\"portMappings\": [{\"hostPort\": 70000, "
		     "\"containerPort\": 80, \"protocol\": \"tcp\"}]}",
		     7,
		     "invalid port mapping {hostPort: 70000, containerPort: 80, protocol: tcp}: "
		     "hostPort must be between 1 and 65535");
	expect_error("\"runtimeConfig\": {\"portMappings\": [{\"hostPort\": 0, "
		     "\"containerPort\": 80, \"protocol\": \"tcp\"}]}",
		     7, "hostPort must be between 1 and 65535");
	expect_error("\"runtimeConfig\": {\"portMappings\": [{\"hostPort\": 80, "
		     "\"containerPort\": 0, \"protocol\": \"tcp\"}]}",
		     7, "containerPort must be between 1 and 65535");
	expect_error("\"runtimeConfig\": {\"portMappings\": [{\"hostPort\": 80, "
		     "\"containerPort\": 80, \"protocol\": \"icmp\"}]}",
		     7, "protocol: icmp}: protocol must be one of tcp, udp, sctp");
	expect_error("\"runtimeConfig\": {\"portMappings\": [{\"hostPort\": 80, "
		     "\"containerPort\": 80, \"protocol\": \"tcp\", \"hostIP\": \"1.2.3.04\"}]}",
		     7, "hostIP '1.2.3.04' is not an IP address");
	expect_error("\"runtimeConfig\": {\"portMappings\": [{\"hostPort\": 80.5, "
		     "\"containerPort\": 80, \"protocol\": \"tcp\"}]}",
		     7, "'hostPort' must be an integer");
	expect_error("\"runtimeConfig\": {\"portMappings\": [7]}", 7,
		     "portMappings[0] must be an object");
	expect_error("\"runtimeConfig\": {\"portMappings\": {}}", 7, "portMappings");
}

/* A hostIP of a family the container has no address of maps nothing and is skipped, as
 * in the reference: no error, no rule in either family, CHECK wants none; its UDP port is
 * still flushed in the container's families on ADD. */
static void test_family_mismatch(void)
{
	_cleanup_(portmap_conf_freep) struct portmap_conf *c = NULL;
	_cleanup_(pm_rule_set_clear) struct pm_rule_set set = {0};
	_cleanup_(pm_ports_clear) struct pm_ports all = {0}, v4 = {0};
	struct cni_err err = {0};

	CHECK(load("\"runtimeConfig\": {\"portMappings\": [{\"hostPort\": 80, "
		   "\"containerPort\": 80, \"protocol\": \"tcp\", \"hostIP\": \"fd00::1\"}, "
		   "{\"hostPort\": 53, \"containerPort\": 53, \"protocol\": \"udp\", "
		   "\"hostIP\": \"fd00::1\"}, {\"hostPort\": 81, \"containerPort\": 81, "
		   "\"protocol\": \"tcp\"}]}, \"prevResult\": {\"cniVersion\": \"1.0.0\", "
		   "\"ips\": [{\"address\": \"10.0.0.2/24\"}]}",
		   PORTMAP_LOAD_STRICT, &c, &err) == 0);
	CHECK(!cni_err_isset(&err));
	if (!c)
		return;
	CHECK(c->has_v4 && !c->has_v6);
	CHECK(!portmap_mapping_usable(c, &c->mappings[0]));
	CHECK(!portmap_mapping_usable(c, &c->mappings[1]));
	CHECK(portmap_mapping_usable(c, &c->mappings[2]));
	/* The rules ADD writes and CHECK wants: the usable mapping and the masquerades. */
	CHECK(pm_build_container_rules(c, "cid", NFPROTO_IPV4, &c->cont_v4.ip, &set, &err) == 0);
	CHECK_INT(set.n, 3);
	if (set.n == 3)
		CHECK_STR(set.v[0].text, "tcp dport 81 dnat to 10.0.0.2:81");
	CHECK(pm_conf_udp_ports(c, 0, &all, &err) == 0);
	CHECK(pm_conf_udp_ports(c, AF_INET, &v4, &err) == 0);
	CHECK_INT(all.n, 1);
	CHECK_INT(v4.n, 0);
}

/* Run fn with stderr sent to a temporary file; returns what it wrote (malloc'd). */
static char *capture_stderr(void (*fn)(void *), void *arg)
{
	FILE *tmp = tmpfile();
	int saved = dup(STDERR_FILENO);
	char *text = calloc(1, 8192);

	if (!tmp || saved < 0 || !text)
		abort();
	fflush(stderr);
	dup2(fileno(tmp), STDERR_FILENO);
	fn(arg);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(tmp);
	if (fread(text, 1, 8191, tmp) == 0)
		text[0] = '\0';
	fclose(tmp);
	return text;
}

static void load_lenient_broken(void *arg)
{
	struct cni_err err = {0};

	CHECK(load("\"backend\": \"bogus\", \"snat\": 3, \"prevResult\": 7, "
		   "\"runtimeConfig\": {\"portMappings\": [{\"hostPort\": 0, \"containerPort\": 1, "
		   "\"protocol\": \"tcp\"}, {\"hostPort\": 5, \"containerPort\": 1, "
		   "\"protocol\": \"udp\"}]}",
		   PORTMAP_LOAD_LENIENT, arg, &err) == 0);
	CHECK(!cni_err_isset(&err));
}

static void test_lenient(void)
{
	_cleanup_(portmap_conf_freep) struct portmap_conf *c = NULL;
	_cleanup_free_ char *warnings = capture_stderr(load_lenient_broken, &c);

	CHECK_INT(c ? c->n_mappings : 0, 1);
	CHECK(c && c->prev == NULL);
	/* Every ignored part is a warning of its own, prefixed with the program name. */
	CHECK(strstr(warnings, ": ignoring config error: invalid network config: 'snat' must be a "
			       "boolean, not number\n") != NULL);
	CHECK(strstr(warnings, ": ignoring config error: unrecognized backend \"bogus\"\n") !=
	      NULL);
	CHECK(strstr(warnings, ": ignoring invalid port mapping {hostPort: 0, containerPort: 1, "
			       "protocol: tcp}: hostPort must be between 1 and 65535\n") != NULL);
	CHECK(strstr(warnings, ": ignoring prevResult: ") != NULL);
}

static void test_backend(void)
{
	_cleanup_(portmap_conf_freep) struct portmap_conf *c = NULL;
	struct cni_err err = {0};

	expect_error("\"backend\": \"nft\"", 7, "unrecognized backend \"nft\"");
	expect_error("\"markMasqBit\": 32", 7, "MasqMarkBit must be between 0 and 31");
	expect_error("\"markMasqBit\": -1", 7, "MasqMarkBit must be between 0 and 31");
	expect_error("\"markMasqBit\": 1, \"externalSetMarkChain\": \"X\"", 7,
		     "Cannot specify externalSetMarkChain and markMasqBit");
	expect_error("\"backend\": \"nftables\", \"externalSetMarkChain\": \"X\"", 7,
		     "nftables backend was requested but configuration contains iptables-specific "
		     "options [externalSetMarkChain]");
	expect_error("\"backend\": \"iptables\", \"conditionsV6\": [\"ip6 saddr ::1\"]", 7,
		     "iptables backend was requested but configuration contains nftables-specific "
		     "options [conditionsV6]");
	CHECK(load("\"externalSetMarkChain\": \"KUBE-MARK-MASQ\", \"conditionsV4\": [\"-s\", "
		   "\"1.2.3.4\"]",
		   PORTMAP_LOAD_STRICT, &c, &err) == 0);
	CHECK_INT(c ? (int)c->backend : -1, PORTMAP_BACKEND_IPTABLES);
}

static void test_conditions(void)
{
	_cleanup_(portmap_conf_freep) struct portmap_conf *c = NULL;
	struct cni_err err = {0};

	CHECK(load("\"conditionsV4\": [\"ip saddr != 10.0.0.0/8\", \"meta mark 0x10\", "
		   "\"iifname \\\"eth0\\\"\"], \"conditionsV6\": [\"ip6 daddr fd00::/8\", "
		   "\"oifname != x\"]",
		   PORTMAP_LOAD_STRICT, &c, &err) == 0);
	if (c)
		CHECK_STR(c->conditions_v4[1], "meta mark 0x10");
	expect_error("\"conditionsV4\": [\"ct mark 1\"]", 7,
		     "invalid conditionsV4 'ct mark 1': unsupported token 'mark' after 'ct'");
	expect_error("\"conditionsV4\": [\"ip6 saddr ::1\"]", 7,
		     "invalid conditionsV4 'ip6 saddr ::1': 'ip6 saddr' cannot match IPv4 packets");
	expect_error("\"conditionsV6\": [\"ip saddr 1.2.3.4\"]", 7,
		     "invalid conditionsV6 'ip saddr 1.2.3.4'");
	expect_error("\"conditionsV4\": \"ip saddr 1.2.3.4\"", 7, "conditionsV4");
}

static void test_ip_choice(void)
{
	_cleanup_(portmap_conf_freep) struct portmap_conf *c = NULL;
	struct cni_err err = {0};
	char ip[IP_STRLEN];

	CHECK(load("\"prevResult\": {\"cniVersion\": \"1.0.0\", \"interfaces\": ["
		   "{\"name\": \"br0\"}, {\"name\": \"eth0\", \"sandbox\": \"/x\"}, "
		   "{\"name\": \"eth1\", \"sandbox\": \"/x\"}, {\"name\": \"eth0\"}], \"ips\": ["
		   "{\"address\": \"10.1.0.1/24\", \"interface\": 0},"
		   "{\"address\": \"10.2.0.1/24\", \"interface\": 2},"
		   "{\"address\": \"10.5.0.1/24\", \"interface\": 3},"
		   "{\"address\": \"10.3.0.7/16\", \"interface\": 1},"
		   "{\"address\": \"10.4.0.1/24\"},"
		   "{\"address\": \"fd00::9/64\", \"interface\": 9}]}",
		   PORTMAP_LOAD_STRICT, &c, &err) == 0);
	if (!c)
		return;
	CHECK(c->has_v4);
	CHECK_STR(ipnet_format(&c->cont_v4, ip, sizeof(ip)), "10.3.0.7/16");
	CHECK(c->has_v6); /* an out-of-range index is accepted, as in the reference */
	CHECK_STR(ipnet_format(&c->cont_v6, ip, sizeof(ip)), "fd00::9/64");
}

static void test_rules(void)
{
	_cleanup_(portmap_conf_freep) struct portmap_conf *c = NULL;
	struct pm_rule_set set = {0};
	struct cni_err err = {0};
	_cleanup_free_ char *text = NULL;

	CHECK(loadf(PORTMAP_LOAD_STRICT, &c, &err,
		    "\"runtimeConfig\": {\"portMappings\": ["
		    "{\"hostPort\": 8080, \"containerPort\": 80, \"protocol\": \"tcp\"},"
		    "{\"hostPort\": 53, \"containerPort\": 5353, \"protocol\": \"udp\", "
		    "\"hostIP\": \"192.168.1.1\"},"
		    "{\"hostPort\": 9, \"containerPort\": 9, \"protocol\": \"sctp\", "
		    "\"hostIP\": \"0.0.0.0\"},"
		    "{\"hostPort\": 7, \"containerPort\": 7, \"protocol\": \"tcp\", "
		    "\"hostIP\": \"fd00::1\"}]}, %s",
		    PREV) == 0);
	if (!c)
		return;
	CHECK(pm_build_container_rules(c, "cid", NFPROTO_IPV4, &c->cont_v4.ip, &set, &err) == 0);
	CHECK_INT(set.n, 5);
	if (set.n == 5) {
		CHECK_STR(set.v[0].text, "tcp dport 8080 dnat to 10.99.0.2:80");
		CHECK_STR(set.v[1].text,
			  "ip daddr 192.168.1.1 udp dport 53 dnat to 10.99.0.2:5353");
		CHECK_STR(set.v[2].text, "sctp dport 9 dnat to 10.99.0.2:9");
		CHECK_STR(set.v[3].chain, PM_CHAIN_MASQ);
		CHECK_STR(set.v[3].text, "ip saddr 10.99.0.2 ip daddr 10.99.0.2 masquerade");
		CHECK_STR(set.v[4].text, "ip saddr 127.0.0.1 ip daddr 10.99.0.2 masquerade");
		text = nft_rule_text(nft_rule_nlr(set.v[0].rule), NFT_TEXT_NAT_AS_SENT);
		CHECK_STR(text, "meta load l4proto => reg 1 \n"
				"cmp eq reg 1 0x00000006 \n"
				"payload load 2b @ transport header + 2 => reg 1 \n"
				"cmp eq reg 1 0x0000901f \n"
				"immediate reg 1 0x0200630a \n"
				"immediate reg 2 0x00005000 \n"
				"nat dnat ip addr_min reg 1 proto_min reg 2 \n");
	}
	pm_rule_set_clear(&set);

	CHECK(pm_build_container_rules(c, "cid", NFPROTO_IPV6, &c->cont_v6.ip, &set, &err) == 0);
	CHECK_INT(set.n, 3);
	if (set.n == 3) {
		CHECK_STR(set.v[0].text, "tcp dport 8080 dnat to [fd99::2]:80");
		CHECK_STR(set.v[1].text, "ip6 daddr fd00::1 tcp dport 7 dnat to [fd99::2]:7");
		CHECK_STR(set.v[2].text, "ip6 saddr fd99::2 ip6 daddr fd99::2 masquerade");
	}
	pm_rule_set_clear(&set);

	c->masq_all = true;
	CHECK(pm_build_container_rules(c, "cid", NFPROTO_IPV4, &c->cont_v4.ip, &set, &err) == 0);
	CHECK_INT(set.n, 4);
	if (set.n == 4)
		CHECK_STR(set.v[3].text, "ip saddr 0.0.0.0/0 ip daddr 10.99.0.2 masquerade");
	pm_rule_set_clear(&set);

	c->snat = false;
	CHECK(pm_build_container_rules(c, "cid", NFPROTO_IPV6, &c->cont_v6.ip, &set, &err) == 0);
	CHECK_INT(set.n, 2);
	pm_rule_set_clear(&set);
}

/* Which configs tag rules with the container ID (and so need it to fit a comment). */
static void test_tags_rules(void)
{
	static const struct {
		const char *body;
		bool tags;
	} cases[] = {
		{"\"runtimeConfig\": {\"portMappings\": [{\"hostPort\": 80, \"containerPort\": 80, "
		 "\"protocol\": \"tcp\"}]}, \"prevResult\": {\"cniVersion\": \"1.0.0\", \"ips\": "
		 "[{\"address\": \"10.0.0.2/24\"}]}",
		 true},
		/* snat alone tags the masquerade rule */
		{"\"snat\": true, \"runtimeConfig\": {\"portMappings\": [{\"hostPort\": 80, "
		 "\"containerPort\": 80, \"protocol\": \"tcp\", \"hostIP\": \"fd00::1\"}]}, "
		 "\"prevResult\": {\"cniVersion\": \"1.0.0\", \"ips\": [{\"address\": "
		 "\"10.0.0.2/24\"}]}",
		 true},
		/* no mapping of the container's family, no snat: nothing tagged */
		{"\"snat\": false, \"runtimeConfig\": {\"portMappings\": [{\"hostPort\": 80, "
		 "\"containerPort\": 80, \"protocol\": \"tcp\", \"hostIP\": \"fd00::1\"}]}, "
		 "\"prevResult\": {\"cniVersion\": \"1.0.0\", \"ips\": [{\"address\": "
		 "\"10.0.0.2/24\"}]}",
		 false},
		/* no address at all */
		{"\"runtimeConfig\": {\"portMappings\": [{\"hostPort\": 80, \"containerPort\": 80, "
		 "\"protocol\": \"tcp\"}]}, \"prevResult\": {\"cniVersion\": \"1.0.0\"}",
		 false},
	};
	struct cni_err err = {0};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_(portmap_conf_freep) struct portmap_conf *c = NULL;

		CHECK_INT(load(cases[i].body, PORTMAP_LOAD_STRICT, &c, &err), 0);
		if (!c) {
			printf("#   %s\n", err.msg);
			continue;
		}
		CHECK_INT(pm_conf_tags_rules(c), cases[i].tags);
	}
	CHECK_INT(PM_ID_MAX, 128);
}

static void test_ports(void)
{
	_cleanup_(pm_ports_clear) struct pm_ports p = {0};

	CHECK(pm_ports_add(&p, 53) == 0);
	CHECK(pm_ports_add(&p, 53) == 0);
	CHECK(pm_ports_add(&p, 54) == 0);
	CHECK_INT(p.n, 2);
	for (int i = 0; i < 100; i++)
		CHECK(pm_ports_add(&p, (uint16_t)(1000 + i)) == 0);
	CHECK(pm_ports_add(&p, 1050) == 0);
	CHECK_INT(p.n, 102);
	CHECK_INT(p.v[101], 1099);
}

/* 100 UDP mappings: more than a fixed set of 64 ports held. Every host port must reach
 * the conntrack flush, from the config (ADD) and from the rules DEL deletes. */
static void test_many_udp_mappings(void)
{
	_cleanup_(portmap_conf_freep) struct portmap_conf *c = NULL;
	_cleanup_(pm_ports_clear) struct pm_ports conf4 = {0}, conf6 = {0}, ruled = {0};
	_cleanup_(pm_rule_set_clear) struct pm_rule_set set = {0};
	_cleanup_free_ char *maps = NULL;
	struct cni_err err = {0};
	size_t len = 0;
	FILE *f = open_memstream(&maps, &len);

	if (!f)
		abort();
	for (int i = 0; i < 100; i++)
		fprintf(f, "{\"hostPort\": %d, \"containerPort\": 53, \"protocol\": \"udp\"}, ",
			20000 + i);
	fprintf(f, "{\"hostPort\": 80, \"containerPort\": 80, \"protocol\": \"tcp\"}");
	fclose(f);
	CHECK(loadf(PORTMAP_LOAD_STRICT, &c, &err,
		    "\"runtimeConfig\": {\"portMappings\": [%s]}, %s", maps, PREV) == 0);
	if (!c)
		return;
	CHECK_INT(c->n_mappings, 101);
	CHECK(pm_conf_udp_ports(c, AF_INET, &conf4, &err) == 0);
	CHECK(pm_conf_udp_ports(c, AF_INET6, &conf6, &err) == 0);
	CHECK_INT(conf4.n, 100);
	CHECK_INT(conf6.n, 100);
	CHECK_INT(conf4.n ? conf4.v[conf4.n - 1] : 0, 20099);

	/* The ports DEL collects from the rules it deletes. */
	CHECK(pm_build_container_rules(c, "cid", NFPROTO_IPV4, &c->cont_v4.ip, &set, &err) == 0);
	CHECK_INT(set.n, 103); /* 101 DNAT rules, 2 masquerade rules */
	for (size_t i = 0; i < set.n; i++) {
		uint16_t port = pm_rule_udp_dport(nft_rule_nlr(set.v[i].rule));

		if (port)
			CHECK(pm_ports_add(&ruled, port) == 0);
	}
	CHECK_INT(ruled.n, 100);
	CHECK_INT(ruled.n ? ruled.v[0] : 0, 20000);
	CHECK_INT(ruled.n ? ruled.v[ruled.n - 1] : 0, 20099);
}

/* ---- conditions ----------------------------------------------------------------------- */

static void test_cond_join(void)
{
	char *issue[] = {"ip", "daddr", "!=", "{ 127.0.0.0/8, 169.254.0.0/16 }", NULL};
	char *at[] = {"ip saddr", "@", "allowed", "accept", NULL};
	char *empty_first[] = {"", "ct state new", NULL};
	char *none[] = {NULL};
	char *j;

	j = pm_cond_join(issue);
	CHECK_STR(j, "ip daddr != { 127.0.0.0/8, 169.254.0.0/16 }");
	free(j);
	j = pm_cond_join(at);
	CHECK_STR(j, "ip saddr @allowed accept");
	free(j);
	j = pm_cond_join(empty_first);
	CHECK_STR(j, "ct state new");
	free(j);
	j = pm_cond_join(none);
	CHECK_STR(j, "");
	free(j);
	j = pm_cond_join(NULL);
	CHECK_STR(j, "");
	free(j);
}

/* The elements of a set as "hex[ end][ open]", comma separated. */
static char *set_text(const struct pm_anon_set *s)
{
	char *out = calloc(1, 4096);
	size_t off = 0;

	for (size_t i = 0; i < s->n && off < 4000; i++) {
		off += (size_t)snprintf(out + off, 4096 - off, "%s", i ? "," : "");
		for (uint32_t k = 0; k < s->key.len; k++)
			off += (size_t)snprintf(out + off, 4096 - off, "%02x", s->elem[i].key[k]);
		off += (size_t)snprintf(out + off, 4096 - off, "%s%s", s->elem[i].end ? " end" : "",
					s->elem[i].open ? " open" : "");
	}
	return out;
}

/* Compile one condition text for family: the rule's expressions as libnftnl prints them
 * (what `nft --debug=netlink` shows), or NULL with *err set. */
static char *compile(int family, const char *text, struct pm_sets *sets, struct cni_err *err)
{
	_cleanup_(nft_rule_freep) struct nft_rule *rule = NULL;
	char *items[] = {(char *)text, NULL};
	char *out;

	if (nft_rule_new(family, "cni_hostport", "prerouting", NULL, &rule, err) < 0)
		return NULL;
	cni_err_clear(err);
	if (pm_cond_build(items, family, "cni_hostport",
			  family == NFPROTO_IPV4 ? "conditionsV4" : "conditionsV6", rule, sets,
			  err) < 0)
		return NULL;
	out = calloc(1, 8192);
	nftnl_rule_snprintf(out, 8192, nft_rule_nlr(rule), NFTNL_OUTPUT_DEFAULT, 0);
	return out;
}

/* The expressions are what nft 1.0.6 makes of the same text (nft --debug=netlink). */
static void check_compile(int family, const char *text, const char *want_rule,
			  const char *want_elems)
{
	_cleanup_(pm_sets_clear) struct pm_sets sets = {0};
	struct cni_err err = {0};
	_cleanup_free_ char *got = compile(family, text, &sets, &err);
	char *want = NULL;

	if (!got)
		printf("#   %s: %s\n", text, err.msg);
	if (asprintf(&want, "%s cni_hostport prerouting\n%s", family == NFPROTO_IPV4 ? "ip" : "ip6",
		     want_rule) < 0)
		abort();
	CHECK_STR(got, want);
	free(want);
	CHECK_INT(sets.n, want_elems ? 1 : 0);
	if (want_elems && sets.n == 1) {
		_cleanup_free_ char *elems = set_text(&sets.v[0]);

		CHECK_STR(elems, want_elems);
	}
}

static void test_cond_compile(void)
{
	/* The reference issue #1115: an interval set, negated. */
	check_compile(NFPROTO_IPV4, "ip daddr != { 127.0.0.0/8, 169.254.0.0/16 }",
		      "  [ payload load 4b @ network header + 16 => reg 1 ]\n"
		      "  [ lookup reg 1 set __set%d 0x1 ]\n",
		      "00000000 end,7f000000,80000000 end,a9fe0000,a9ff0000 end");
	/* Plain elements in the order written; one element is no set. */
	check_compile(NFPROTO_IPV4, "ip saddr { 10.0.0.2, 10.0.0.1 }",
		      "  [ payload load 4b @ network header + 12 => reg 1 ]\n"
		      "  [ lookup reg 1 set __set%d ]\n",
		      "0a000002,0a000001");
	check_compile(NFPROTO_IPV4, "ip saddr != { 10.0.0.0/8 }",
		      "  [ payload load 1b @ network header + 12 => reg 1 ]\n"
		      "  [ cmp neq reg 1 0x0000000a ]\n",
		      NULL);
	/* Merged intervals; one reaching the end of the address space is open. */
	check_compile(NFPROTO_IPV4, "ip saddr { 10.0.0.0/24, 10.0.1.0/24, 10.0.0.5 }",
		      "  [ payload load 4b @ network header + 12 => reg 1 ]\n"
		      "  [ lookup reg 1 set __set%d ]\n",
		      "00000000 end,0a000000,0a000200 end");
	check_compile(NFPROTO_IPV4, "ip saddr { 10.0.0.1, 255.0.0.0/8 }",
		      "  [ payload load 4b @ network header + 12 => reg 1 ]\n"
		      "  [ lookup reg 1 set __set%d ]\n",
		      "00000000 end,0a000001,0a000002 end,ff000000 open");
	/* Ranges outside sets. */
	check_compile(NFPROTO_IPV4, "ip saddr 10.0.0.1-10.0.0.9",
		      "  [ payload load 4b @ network header + 12 => reg 1 ]\n"
		      "  [ cmp gte reg 1 0x0100000a ]\n"
		      "  [ cmp lte reg 1 0x0900000a ]\n",
		      NULL);
	check_compile(NFPROTO_IPV4, "tcp dport != 80-90",
		      "  [ meta load l4proto => reg 1 ]\n"
		      "  [ cmp eq reg 1 0x00000006 ]\n"
		      "  [ payload load 2b @ transport header + 2 => reg 1 ]\n"
		      "  [ range neq reg 1 0x00005000 0x00005a00 ]\n",
		      NULL);
	/* ct state: bits without an operator, the value with one, sets. */
	check_compile(NFPROTO_IPV4, "ct state established,related",
		      "  [ ct load state => reg 1 ]\n"
		      "  [ bitwise reg 1 = ( reg 1 & 0x00000006 ) ^ 0x00000000 ]\n"
		      "  [ cmp neq reg 1 0x00000000 ]\n",
		      NULL);
	check_compile(NFPROTO_IPV4, "ct state != established",
		      "  [ ct load state => reg 1 ]\n"
		      "  [ cmp neq reg 1 0x00000002 ]\n",
		      NULL);
	check_compile(NFPROTO_IPV4, "ct state { established, related }",
		      "  [ ct load state => reg 1 ]\n"
		      "  [ lookup reg 1 set __set%d ]\n",
		      "02000000,04000000");
	/* meta iifname, iif (resolved here: lo is index 1 in every namespace). */
	check_compile(NFPROTO_IPV6, "meta iifname \"eth0\" iif lo oif != 1",
		      "  [ meta load iifname => reg 1 ]\n"
		      "  [ cmp eq reg 1 0x30687465 0x00000000 0x00000000 0x00000000 ]\n"
		      "  [ meta load iif => reg 1 ]\n"
		      "  [ cmp eq reg 1 0x00000001 ]\n"
		      "  [ meta load oif => reg 1 ]\n"
		      "  [ cmp neq reg 1 0x00000001 ]\n",
		      NULL);
	check_compile(NFPROTO_IPV4, "iifname { \"eth*\", \"lo\" }",
		      "  [ meta load iifname => reg 1 ]\n"
		      "  [ lookup reg 1 set __set%d ]\n",
		      "00000000000000000000000000000000 end,"
		      "65746800000000000000000000000000,"
		      "65746900000000000000000000000000 end,"
		      "6c6f0000000000000000000000000000,"
		      "6c6f0000000000000000000000000001 end");
	/* Adjacent port matches merge into one load, across other matches, into the first
	 * in header order; the dependency comes once. */
	check_compile(NFPROTO_IPV4, "tcp dport 80 ct state new tcp sport 90",
		      "  [ meta load l4proto => reg 1 ]\n"
		      "  [ cmp eq reg 1 0x00000006 ]\n"
		      "  [ ct load state => reg 1 ]\n"
		      "  [ bitwise reg 1 = ( reg 1 & 0x00000008 ) ^ 0x00000000 ]\n"
		      "  [ cmp neq reg 1 0x00000000 ]\n"
		      "  [ payload load 4b @ transport header + 0 => reg 1 ]\n"
		      "  [ cmp eq reg 1 0x50005a00 ]\n",
		      NULL);
	check_compile(NFPROTO_IPV4, "ip protocol tcp tcp dport 80",
		      "  [ payload load 1b @ network header + 9 => reg 1 ]\n"
		      "  [ cmp eq reg 1 0x00000006 ]\n"
		      "  [ payload load 2b @ transport header + 2 => reg 1 ]\n"
		      "  [ cmp eq reg 1 0x00005000 ]\n",
		      NULL);
	/* Several matches in one item: a prefix that is not byte aligned, quoted and bare
	 * interface names, a masked mark, a port with its dependency. */
	check_compile(NFPROTO_IPV4,
		      "ip saddr 10.0.0.0/20 iifname \"eth0\" oifname != br0 "
		      "meta mark & 0x2000 == 0x2000 tcp dport 80",
		      "  [ payload load 4b @ network header + 12 => reg 1 ]\n"
		      "  [ bitwise reg 1 = ( reg 1 & 0x00f0ffff ) ^ 0x00000000 ]\n"
		      "  [ cmp eq reg 1 0x0000000a ]\n"
		      "  [ meta load iifname => reg 1 ]\n"
		      "  [ cmp eq reg 1 0x30687465 0x00000000 0x00000000 0x00000000 ]\n"
		      "  [ meta load oifname => reg 1 ]\n"
		      "  [ cmp neq reg 1 0x00307262 0x00000000 0x00000000 0x00000000 ]\n"
		      "  [ meta load mark => reg 1 ]\n"
		      "  [ bitwise reg 1 = ( reg 1 & 0x00002000 ) ^ 0x00000000 ]\n"
		      "  [ cmp eq reg 1 0x00002000 ]\n"
		      "  [ meta load l4proto => reg 1 ]\n"
		      "  [ cmp eq reg 1 0x00000006 ]\n"
		      "  [ payload load 2b @ transport header + 2 => reg 1 ]\n"
		      "  [ cmp eq reg 1 0x00005000 ]\n",
		      NULL);
	/* "mark" is short for "meta mark". */
	check_compile(NFPROTO_IPV6, "ip6 daddr != fd00::/64 mark 7 meta l4proto udp",
		      "  [ payload load 8b @ network header + 24 => reg 1 ]\n"
		      "  [ cmp neq reg 1 0x000000fd 0x00000000 ]\n"
		      "  [ meta load mark => reg 1 ]\n"
		      "  [ cmp eq reg 1 0x00000007 ]\n"
		      "  [ meta load l4proto => reg 1 ]\n"
		      "  [ cmp eq reg 1 0x00000011 ]\n",
		      NULL);
	check_compile(NFPROTO_IPV4, "meta mark & 0x2000 == 0x2000",
		      "  [ meta load mark => reg 1 ]\n"
		      "  [ bitwise reg 1 = ( reg 1 & 0x00002000 ) ^ 0x00000000 ]\n"
		      "  [ cmp eq reg 1 0x00002000 ]\n",
		      NULL);
}

static void expect_cond_error(int family, const char *text, const char *msg)
{
	_cleanup_(pm_sets_clear) struct pm_sets sets = {0};
	struct cni_err err = {0};
	_cleanup_free_ char *got = compile(family, text, &sets, &err);

	CHECK(got == NULL);
	CHECK_INT(err.code, 7);
	CHECK_INT(sets.n, 0);
	if (!strstr(err.msg, msg)) {
		printf("#   message: %s\n#   wanted:  %s\n", err.msg, msg);
		CHECK(!"message");
	}
}

static void test_cond_errors(void)
{
	expect_cond_error(NFPROTO_IPV4, "ct mark 1", "unsupported token 'mark' after 'ct'");
	expect_cond_error(NFPROTO_IPV4, "fib saddr type local", "unsupported token 'fib'");
	expect_cond_error(NFPROTO_IPV4, "ip saddr @allowed", "named sets are not supported");
	expect_cond_error(NFPROTO_IPV4, "ip saddr . tcp dport { 1.2.3.4 . 80 }",
			  "'ip saddr' does not take '.'");
	expect_cond_error(NFPROTO_IPV6, "ip saddr 1.2.3.4", "'ip saddr' cannot match IPv6 packets");
	expect_cond_error(NFPROTO_IPV4, "tcp dport 80 udp sport 1",
			  "conflicting protocols specified: tcp vs. udp");
	expect_cond_error(NFPROTO_IPV4, "meta l4proto udp tcp dport 80",
			  "conflicting protocols specified: udp vs. tcp");
	expect_cond_error(NFPROTO_IPV4, "ip protocol { tcp, udp } tcp dport 80",
			  "conflicting protocols specified: udp vs. tcp");
	expect_cond_error(NFPROTO_IPV4, "tcp dport 80,443",
			  "'tcp dport' does not take a list of values (unsupported token ',')");
	expect_cond_error(NFPROTO_IPV4, "meta mark 1-5", "'meta mark' does not take '1-5'");
	expect_cond_error(NFPROTO_IPV4, "meta mark { 1, 2-3 }", "'meta mark' does not take '2-3'");
	expect_cond_error(NFPROTO_IPV4, "ct state { new, established } ct state bogus",
			  "'ct state' does not take 'bogus'");
	expect_cond_error(NFPROTO_IPV4, "iif nosuchif0", "interface 'nosuchif0' does not exist");
	expect_cond_error(NFPROTO_IPV4, "tcp dport < 80", "unsupported operator '<'");
	expect_cond_error(NFPROTO_IPV4, "ip saddr 10.0.0.9-10.0.0.1",
			  "range '10.0.0.9-10.0.0.1' has zero or negative size");
	expect_cond_error(NFPROTO_IPV4, "ip saddr { 10.0.0.1, 10.0.0.2",
			  "expected ',' or '}' in a set, not 'end of condition'");
	expect_cond_error(NFPROTO_IPV4, "ip saddr { }", "'ip saddr' needs a value, not '}'");
	expect_cond_error(NFPROTO_IPV4, "iifname \"eth0", "unterminated quote");
	expect_cond_error(NFPROTO_IPV4, "ip daddr", "'ip daddr' needs a value");
	expect_cond_error(NFPROTO_IPV6, "ip6 saddr 10.0.0.1",
			  "'ip6 saddr' does not take '10.0.0.1'");
	expect_cond_error(NFPROTO_IPV4, "tcp dport 70000", "'tcp dport' does not take '70000'");
}

/* ---- live: the conditions against nft ------------------------------------------------- */

/* Run a shell command; its output (malloc'd), or NULL when it failed. */
static char *run(const char *cmd)
{
	_cleanup_free_ char *full = NULL;
	char *out = calloc(1, 65536);
	size_t len = 0, n;
	FILE *f;

	if (!out || asprintf(&full, "%s 2>&1", cmd) < 0 || !(f = popen(full, "r")))
		abort();
	while (len < 65535 && (n = fread(out + len, 1, 65535 - len, f)) > 0)
		len += n;
	if (pclose(f) != 0) {
		printf("#   command failed: %s\n#   %s\n", cmd, out);
		free(out);
		return NULL;
	}
	return out;
}

static int line_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Make nft --debug=netlink output comparable: drop the rule handles it prints after the
 * chain name (they depend on creation order), and sort the element lines of each set
 * (a hash set dumps them in the order of its per-set random hash). */
static char *normalize_debug(const char *text)
{
	_cleanup_free_ char *copy = strdup(text);
	char *lines[4096], *save = NULL, *out = calloc(1, strlen(text) + 2);
	size_t n = 0, off = 0;

	for (char *l = strtok_r(copy, "\n", &save); l && n < ARRAY_SIZE(lines);
	     l = strtok_r(NULL, "\n", &save))
		lines[n++] = l;
	for (size_t i = 0; i < n; i++) {
		char *l = lines[i], *end = l + strlen(l), *sp = end;
		size_t j = i;

		if (!strncmp(l, "\telement ", 9)) {
			while (j < n && !strncmp(lines[j], "\telement ", 9))
				j++;
			qsort(&lines[i], j - i, sizeof(lines[0]), line_cmp);
			for (size_t k = i; k < j; k++)
				off += (size_t)sprintf(out + off, "%s\n", lines[k]);
			i = j - 1;
			continue;
		}
		if (!strncmp(l, "ip", 2)) {
			while (sp > l && sp[-1] >= '0' && sp[-1] <= '9')
				sp--;
			if (sp < end && sp > l && sp[-1] == ' ')
				sp[-1] = '\0';
		}
		off += (size_t)sprintf(out + off, "%s\n", l);
	}
	return out;
}

/* The sets of table family cni_hostport as the kernel reports them, re-serialized by
 * libnftnl without their handles (which depend on creation order). */
static char *dump_sets(int family, size_t *ret_len)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	char buf[MNL_SOCKET_BUFFER_SIZE];
	char *blob = NULL;
	size_t len = 0;
	struct nlmsghdr *nlh;
	struct nftnl_set *filter = nftnl_set_alloc();
	int n;

	if (!nl || !filter || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		abort();
	nftnl_set_set_str(filter, NFTNL_SET_TABLE, "cni_hostport");
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSET, (uint16_t)family, NLM_F_DUMP | NLM_F_ACK,
				    1);
	nftnl_set_nlmsg_build_payload(nlh, filter);
	nftnl_set_free(filter);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		abort();
	while ((n = (int)mnl_socket_recvfrom(nl, buf, sizeof(buf))) > 0) {
		const struct nlmsghdr *m = (const struct nlmsghdr *)buf;
		bool done = false;

		for (; mnl_nlmsg_ok(m, n); m = mnl_nlmsg_next(m, &n)) {
			struct nftnl_set *s;
			char out[4096] = {0};
			struct nlmsghdr *o;

			if (m->nlmsg_type == NLMSG_DONE || m->nlmsg_type == NLMSG_ERROR) {
				done = true;
				break;
			}
			s = nftnl_set_alloc();
			if (nftnl_set_nlmsg_parse(m, s) < 0)
				abort();
			nftnl_set_unset(s, NFTNL_SET_HANDLE);
			o = nftnl_nlmsg_build_hdr(out, NFT_MSG_NEWSET, (uint16_t)family, 0, 0);
			nftnl_set_nlmsg_build_payload(o, s);
			nftnl_set_free(s);
			blob = realloc(blob, len + o->nlmsg_len);
			memcpy(blob + len, o, o->nlmsg_len);
			len += o->nlmsg_len;
		}
		if (done)
			break;
	}
	mnl_socket_close(nl);
	*ret_len = len;
	return blob;
}

/* What the table's dispatch chains list as (nft text, nft --debug=netlink with set
 * elements) and its sets. */
struct listing {
	char *text;    /* nft list chain prerouting + output */
	char *debug;   /* the same with --debug=netlink */
	char *sets;    /* the sets (dump_sets) */
	size_t n_sets; /* bytes at sets */
};

static void listing_free(struct listing *l)
{
	free(l->text);
	free(l->debug);
	free(l->sets);
}

static void list_dispatch(int family, struct listing *l)
{
	const char *f = family == NFPROTO_IPV4 ? "ip" : "ip6";
	_cleanup_free_ char *debug = NULL;
	char cmd[512];

	snprintf(cmd, sizeof(cmd),
		 "nft list chain %s cni_hostport prerouting && nft list chain %s cni_hostport "
		 "output",
		 f, f);
	l->text = run(cmd);
	snprintf(cmd, sizeof(cmd),
		 "nft --debug=netlink list chain %s cni_hostport prerouting && "
		 "nft --debug=netlink list chain %s cni_hostport output",
		 f, f);
	debug = run(cmd);
	l->debug = debug ? normalize_debug(debug) : NULL;
	l->sets = dump_sets(family, &l->n_sets);
	snprintf(cmd, sizeof(cmd), "nft delete table %s cni_hostport", f);
	free(run(cmd));
}

/* ADD with items_json as the family's conditions, through the plugin's own queue and
 * commit, against the same conditions loaded by `nft -f` as the reference's knftables
 * writes them: the dispatch chains and sets must be identical. */
static void compare_with_nft(int family, const char *items_json)
{
	_cleanup_(portmap_conf_freep) struct portmap_conf *c = NULL;
	_cleanup_(pm_dispatch_clear) struct pm_dispatch d = {0};
	_cleanup_(nft_txn_freep) struct nft_txn *txn = NULL;
	_cleanup_free_ char *text = NULL, *script = NULL, *cmd = NULL, *out = NULL;
	struct listing mine = {0}, theirs = {0};
	const char *f = family == NFPROTO_IPV4 ? "ip" : "ip6";
	struct cni_err err = {0};
	FILE *sf;

	CHECK_INT(loadf(PORTMAP_LOAD_STRICT, &c, &err,
			"\"%s\": %s, \"runtimeConfig\": {\"portMappings\": [{\"hostPort\": 8080, "
			"\"containerPort\": 80, \"protocol\": \"tcp\"}]}, \"prevResult\": "
			"{\"cniVersion\": \"1.0.0\", \"ips\": [{\"address\": \"%s\"}]}",
			family == NFPROTO_IPV4 ? "conditionsV4" : "conditionsV6", items_json,
			family == NFPROTO_IPV4 ? "10.99.0.2/24" : "fd99::2/64"),
		  0);
	if (!c) {
		printf("#   %s: %s\n", items_json, err.msg);
		return;
	}
	if (nft_txn_new(&txn, &err) < 0 || pm_queue_add(txn, c, "cid", NULL, &d, &err) < 0 ||
	    nft_txn_commit(txn, &err) < 0) {
		printf("#   %s: %s [%s]\n", items_json, err.msg, err.details);
		CHECK(!"ADD");
		return;
	}
	list_dispatch(family, &mine);

	text = pm_cond_join(family == NFPROTO_IPV4 ? c->conditions_v4 : c->conditions_v6);
	if (asprintf(&script,
		     "add table %1$s cni_hostport { comment \"CNI portmap plugin\" ; }\n"
		     "add chain %1$s cni_hostport hostports_all\n"
		     "add chain %1$s cni_hostport prerouting { type nat hook prerouting "
		     "priority -100 ; }\n"
		     "add rule %1$s cni_hostport prerouting %2$s fib daddr type local jump "
		     "hostports_all\n"
		     "add chain %1$s cni_hostport output { type nat hook output priority -100 ; }\n"
		     "add rule %1$s cni_hostport output %2$s fib daddr type local jump "
		     "hostports_all\n",
		     f, text) < 0 ||
	    asprintf(&cmd, "nft -f /tmp/pm-cond-%d.nft", (int)getpid()) < 0)
		abort();
	sf = fopen(cmd + 7, "w");
	if (!sf)
		abort();
	fputs(script, sf);
	fclose(sf);
	out = run(cmd);
	unlink(cmd + 7);
	CHECK(out != NULL);
	list_dispatch(family, &theirs);

	if (!mine.text || !theirs.text || strcmp(mine.text, theirs.text) || !mine.debug ||
	    !theirs.debug || strcmp(mine.debug, theirs.debug) || mine.n_sets != theirs.n_sets ||
	    (mine.n_sets && memcmp(mine.sets, theirs.sets, mine.n_sets) != 0)) {
		printf("#   conditions %s\n", items_json);
		for (size_t i = 0; i < mine.n_sets && i < theirs.n_sets; i++)
			if (mine.sets[i] != theirs.sets[i]) {
				printf("#   sets differ at byte %zu of %zu\n", i, mine.n_sets);
				break;
			}
	}
	CHECK_STR(mine.text, theirs.text);
	CHECK_STR(mine.debug, theirs.debug);
	CHECK_INT(mine.n_sets, theirs.n_sets);
	CHECK(mine.n_sets == theirs.n_sets &&
	      (!mine.n_sets || memcmp(mine.sets, theirs.sets, mine.n_sets) == 0));
	listing_free(&mine);
	listing_free(&theirs);
}

static void test_live_cond_against_nft(void)
{
	static const char *const v4[] = {
		"[\"ip\", \"daddr\", \"!=\", \"{ 127.0.0.0/8, 169.254.0.0/16 }\"]",
		"[\"ip saddr { 10.0.0.1, 10.0.0.2 }\"]",
		"[\"ip saddr { 10.0.0.2, 10.0.0.1, 10.0.0.2 }\"]",
		"[\"ip saddr { 10.0.0.0/8, 10.1.0.0/16 }\"]",
		"[\"ip saddr { 10.0.0.0/24, 10.0.1.0/24 }\"]",
		"[\"ip saddr { 10.0.0.1/32, 10.0.0.2 }\"]",
		"[\"ip saddr { 10.0.0.1, 255.0.0.0/8 }\"]",
		"[\"ip saddr { 0.0.0.0/8, 10.0.0.0/8 }\"]",
		"[\"ip saddr { 10.0.0.1-10.0.0.9, 10.0.0.20 }\"]",
		"[\"ip saddr 10.0.0.1-10.0.0.9\", \"ip daddr != 10.0.0.1-10.0.0.9\"]",
		"[\"ip saddr { 10.0.0.1 }\", \"ip daddr != { 10.0.0.0/8 }\"]",
		"[\"ip saddr 10.0.0.1/32 ip daddr 10.0.0.5/31\"]",
		"[\"ip saddr 10.0.0.0/8\", \"ip\", \"daddr\", \"!=\", \"{\", \"10.1.0.0/16,\", "
		"\"10.2.0.0/16\", \"}\"]",
		"[\"ct state established,related\"]",
		"[\"ct state != established\"]",
		"[\"ct state == new\"]",
		"[\"ct state { established, related }\"]",
		"[\"ct state != { new, untracked }\"]",
		"[\"ct state { established }\", \"ct state != { invalid }\"]",
		"[\"meta iifname \\\"eth0\\\"\", \"oifname != lo\"]",
		"[\"iifname eth*\"]",
		"[\"iifname { \\\"eth*\\\", \\\"lo\\\" }\"]",
		"[\"iifname != { \\\"a\\\", \\\"b\\\" }\", \"oifname { x, y }\"]",
		"[\"iif \\\"lo\\\"\", \"meta oif != lo\", \"iif 1\"]",
		"[\"iif { lo, 1 }\"]",
		"[\"tcp dport { 80, 443 }\"]",
		"[\"tcp dport != { 80-90, 443 }\"]",
		"[\"tcp dport 80-90\", \"tcp sport != 53\"]",
		"[\"udp sport 53 udp dport 53\"]",
		"[\"tcp dport 80 ct state new tcp sport 90\"]",
		"[\"tcp sport != 1 tcp dport != 2\"]",
		"[\"tcp sport 1 tcp dport != 2\"]",
		"[\"tcp sport 1 tcp sport 2 tcp dport 3\"]",
		"[\"sctp dport 9 sctp sport 8\"]",
		"[\"tcp dport http\"]",
		"[\"meta mark { 1, 2 }\", \"mark 0x10\"]",
		"[\"meta mark & 0xff == 0x1\", \"meta mark != 7\"]",
		"[\"meta l4proto { tcp, udp }\"]",
		"[\"ip protocol != { tcp, udp }\", \"ip protocol icmp\"]",
		"[\"ip protocol tcp tcp dport 80\"]",
		"[\"meta l4proto tcp tcp sport 1 tcp dport 2\"]",
		"[\"ip saddr != 10.0.0.0/8 iifname != lo ct state new tcp dport { 22, 80 }\"]",
		"[\"tcp dport 80 meta l4proto tcp\"]",
		"[\"meta l4proto != udp tcp dport 80\"]",
		"[\"meta l4proto { tcp } tcp dport 80\"]",
		"[\"ip protocol != { udp, icmp } tcp dport 80\"]",
		"[\"ip saddr 10.0.0.1/8\", \"tcp dport 80-80\"]",
		"[\"ip saddr { 10.0.0.0/8, 10.0.0.0/8 }\", \"ct state new,new\"]",
		"[\"ip saddr { 10.0.0.0/8, 10.255.255.255 }\"]",
		"[\"\", \"ip daddr 10.0.0.1\", \"\"]",
	};
	static const char *const v6[] = {
		"[\"ip6 daddr != { ::1, fe80::/10 }\"]",
		"[\"ip6 saddr { fd00::/8, fd00:1::/32 }\"]",
		"[\"ip6 saddr { fd00::1, fd00::2 }\"]",
		"[\"ip6 daddr { fd00::1-fd00::9, fd00::20 }\"]",
		"[\"ip6 saddr { ::ffff:0.0.0.0/96, ffff::/16 }\"]",
		"[\"ip6 saddr { ::/0 }\"]",
		"[\"ip6 nexthdr { tcp, udp }\", \"ip6 nexthdr != icmpv6\"]",
		"[\"ip6 nexthdr tcp tcp dport 80\"]",
		"[\"ip6 saddr fd00::/64 ip6 daddr fd00::1\"]",
		"[\"ct state { new } iif lo udp dport { 53, 5353 }\"]",
	};

	LIVE_REQUIRED_TOOL(LIVE_NFT, "the comparison");
	for (size_t i = 0; i < ARRAY_SIZE(v4); i++)
		compare_with_nft(NFPROTO_IPV4, v4[i]);
	for (size_t i = 0; i < ARRAY_SIZE(v6); i++)
		compare_with_nft(NFPROTO_IPV6, v6[i]);
}

/* A set's batch fails as a whole and names the refused message. */
static void test_live_cond_atomic(void)
{
	_cleanup_(portmap_conf_freep) struct portmap_conf *c = NULL;
	_cleanup_(pm_dispatch_clear) struct pm_dispatch d = {0};
	_cleanup_(nft_txn_freep) struct nft_txn *txn = NULL;
	_cleanup_free_ char *out = NULL;
	struct cni_err err = {0};

	LIVE_REQUIRED_TOOL(LIVE_NFT, "the check");
	CHECK_INT(load("\"conditionsV4\": [\"ip saddr { 10.0.0.1, 10.0.0.2 }\"], "
		       "\"runtimeConfig\": {\"portMappings\": [{\"hostPort\": 8080, "
		       "\"containerPort\": 80, \"protocol\": \"tcp\"}]}, \"prevResult\": "
		       "{\"cniVersion\": \"1.0.0\", \"ips\": [{\"address\": \"10.99.0.2/24\"}]}",
		       PORTMAP_LOAD_STRICT, &c, &err),
		  0);
	if (!c)
		return;
	/* prerouting exists as a filter chain: the batch's "add chain" is refused. */
	free(run("nft add table ip cni_hostport && nft 'add chain ip cni_hostport prerouting "
		 "{ type filter hook prerouting priority 0 ; }'"));
	CHECK(nft_txn_new(&txn, &err) == 0);
	CHECK(pm_queue_add(txn, c, "cid", NULL, &d, &err) == 0);
	CHECK_INT(d.sets.n, 2);
	CHECK(nft_txn_commit(txn, &err) < 0);
	CHECK(strncmp(err.msg, "add chain 'prerouting' in table ip cni_hostport: ", 49) == 0);
	out = run("nft list table ip cni_hostport");
	CHECK(out && !strstr(out, "hostports") && !strstr(out, "10.0.0.1"));
	free(run("nft delete table ip cni_hostport"));
}

int main(void)
{
	RUN(test_defaults);
	RUN(test_mappings);
	RUN(test_mapping_errors);
	RUN(test_family_mismatch);
	RUN(test_lenient);
	RUN(test_backend);
	RUN(test_conditions);
	RUN(test_ip_choice);
	RUN(test_rules);
	RUN(test_tags_rules);
	RUN(test_ports);
	RUN(test_many_udp_mappings);
	RUN(test_cond_join);
	RUN(test_cond_compile);
	RUN(test_cond_errors);

	/* Everything below runs in a private network namespace only. */
	live_enter(LIVE_NFT);
	RUN(test_live_cond_against_nft);
	RUN(test_live_cond_atomic);
	UNIT_DONE();
}
