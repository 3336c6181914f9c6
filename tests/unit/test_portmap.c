/* SPDX-License-Identifier: Apache-2.0 */
/* portmap: config parsing and validation, container address choice, rule building. */
#include <string.h>

#include "cleanup.h"
#include "portmap/netconf.h"
#include "portmap/rules.h"
#include "unit.h"

static const char *PREV =
	"\"prevResult\": {\"cniVersion\": \"1.0.0\", \"interfaces\": [{\"name\": \"br0\"}, "
	"{\"name\": \"eth0\", \"sandbox\": \"/run/netns/c\"}], \"ips\": ["
	"{\"address\": \"10.99.0.2/24\", \"interface\": 1}, "
	"{\"address\": \"fd99::2/64\", \"interface\": 1}]}";

/* Load a config body (without braces) with ifname eth0. */
static int load(const char *body, enum portmap_load_mode mode, struct portmap_conf **ret,
		struct cni_err *err)
{
	char buf[4096];
	struct cni_cmd_args a = {0};

	snprintf(buf, sizeof(buf), "{\"cniVersion\": \"1.0.0\", \"name\": \"n\", %s}", body);
	a.stdin_data = buf;
	a.stdin_len = strlen(buf);
	a.cni_version = "1.0.0";
	a.ifname = "eth0";
	a.container_id = "cid";
	cni_err_clear(err);
	return portmap_conf_load(&a, mode, ret, err);
}

static void expect_error(const char *body, int code, const char *msg)
{
	struct portmap_conf *c = NULL;
	struct cni_err err = {0};

	CHECK(load(body, PORTMAP_LOAD_STRICT, &c, &err) < 0);
	CHECK(c == NULL);
	CHECK_INT(err.code, code);
	if (!strstr(err.msg, msg)) {
		fprintf(stderr, "  message: %s\n  wanted:  %s\n", err.msg, msg);
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
	char body[2048], buf[256];

	snprintf(body, sizeof(body),
		 "\"SNAT\": false, \"masqall\": true, \"RuntimeConfig\": {\"portMappings\": ["
		 "{\"hostPort\": 8080, \"containerPort\": 80, \"protocol\": \"TCP\"},"
		 "{\"hostport\": 53, \"containerPort\": 5353, \"protocol\": \"Udp\", \"hostIP\": "
		 "\"\"},"
		 "{\"hostPort\": 1, \"containerPort\": 65535, \"protocol\": \"sctp\", "
		 "\"hostIP\": \"::ffff:1.2.3.4\"}]}, %s",
		 PREV);
	CHECK(load(body, PORTMAP_LOAD_STRICT, &c, &err) == 0);
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

static void test_family_mismatch(void)
{
	char body[2048];

	snprintf(body, sizeof(body),
		 "\"runtimeConfig\": {\"portMappings\": [{\"hostPort\": 80, \"containerPort\": 80, "
		 "\"protocol\": \"tcp\", \"hostIP\": \"fd00::1\"}]}, \"prevResult\": "
		 "{\"cniVersion\": \"1.0.0\", \"ips\": [{\"address\": \"10.0.0.2/24\"}]}");
	expect_error(body, 7, "hostIP is IPv6 but the container has no IPv6 address");
}

static void test_lenient(void)
{
	_cleanup_(portmap_conf_freep) struct portmap_conf *c = NULL;
	struct cni_err err = {0};

	CHECK(load("\"backend\": \"bogus\", \"snat\": 3, \"prevResult\": 7, "
		   "\"runtimeConfig\": {\"portMappings\": [{\"hostPort\": 0, \"containerPort\": 1, "
		   "\"protocol\": \"tcp\"}, {\"hostPort\": 5, \"containerPort\": 1, "
		   "\"protocol\": \"udp\"}]}",
		   PORTMAP_LOAD_LENIENT, &c, &err) == 0);
	CHECK(!cni_err_isset(&err));
	CHECK_INT(c ? c->n_mappings : 0, 1);
	CHECK(c && c->prev == NULL);
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
	char body[2048];
	_cleanup_free_ char *text = NULL;

	snprintf(body, sizeof(body),
		 "\"runtimeConfig\": {\"portMappings\": ["
		 "{\"hostPort\": 8080, \"containerPort\": 80, \"protocol\": \"tcp\"},"
		 "{\"hostPort\": 53, \"containerPort\": 5353, \"protocol\": \"udp\", "
		 "\"hostIP\": \"192.168.1.1\"},"
		 "{\"hostPort\": 9, \"containerPort\": 9, \"protocol\": \"sctp\", "
		 "\"hostIP\": \"0.0.0.0\"},"
		 "{\"hostPort\": 7, \"containerPort\": 7, \"protocol\": \"tcp\", "
		 "\"hostIP\": \"fd00::1\"}]}, %s",
		 PREV);
	CHECK(load(body, PORTMAP_LOAD_STRICT, &c, &err) == 0);
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
	struct pm_ports p = {0};

	pm_ports_add(&p, 53);
	pm_ports_add(&p, 53);
	pm_ports_add(&p, 54);
	CHECK_INT(p.n, 2);
	for (int i = 0; i < 100; i++)
		pm_ports_add(&p, (uint16_t)(1000 + i));
	CHECK_INT(p.n, ARRAY_SIZE(p.v));
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
	UNIT_DONE();
}
