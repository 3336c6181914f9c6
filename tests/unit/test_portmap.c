/* SPDX-License-Identifier: Apache-2.0 */
/* portmap: config parsing and validation, container address choice, rule building. */
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "portmap/netconf.h"
#include "portmap/rules.h"
#include "unit.h"

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
	_cleanup_free_ char *body = NULL, *buf = NULL;
	struct cni_cmd_args a = {0};
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&body, fmt, ap);
	va_end(ap);
	if (n < 0 || asprintf(&buf, "{\"cniVersion\": \"1.0.0\", \"name\": \"n\", %s}", body) < 0)
		abort();
	a.stdin_data = buf;
	a.stdin_len = strlen(buf);
	a.cni_version = "1.0.0";
	a.ifname = "eth0";
	a.container_id = "cid";
	cni_err_clear(err);
	return portmap_conf_load(&a, mode, ret, err);
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
	expect_error("\"conditionsV4\": [\"ct state new\"]", 7,
		     "invalid conditionsV4 entry 'ct state new'");
	expect_error("\"conditionsV4\": [\"ip6 saddr ::1\"]", 7, "invalid conditionsV4 entry");
	expect_error("\"conditionsV6\": [\"ip saddr 1.2.3.4\"]", 7, "invalid conditionsV6 entry");
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
		text = pm_rule_exprs_text(nft_rule_nlr(set.v[0].rule));
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
	RUN(test_ports);
	RUN(test_many_udp_mappings);
	UNIT_DONE();
}
