/* SPDX-License-Identifier: Apache-2.0 */
/* Tests of the policy routing rules over rtnetlink (net/nl_rule.h): requests built and parsed
 * back without privileges, then add, list and delete against the kernel inside a private
 * network namespace, compared with what "ip rule" lists. */
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>

#include <libmnl/libmnl.h>

#define LIVE_LOCAL_ERR
#include "live.h"
#include "unit.h"
#include "net/nl.h"
#include "net/nl_rule.h"

static void parse_ip(int family, const char *s, uint8_t *out)
{
	memset(out, 0, 16);
	CHECK(inet_pton(family, s, out) == 1);
}

static void rule_from(struct nl_rule *r, int family, const char *src, int src_len, uint32_t table)
{
	memset(r, 0, sizeof(*r));
	r->family = family;
	parse_ip(family, src, r->src);
	r->src_len = (uint8_t)src_len;
	r->table = table;
}

static void test_build_rule(void)
{
	const struct nlattr *tb[FRA_MAX + 1];
	const struct fib_rule_hdr *frh;
	struct cni_err err = {0};
	char buf[NL_MSG_BUF_SIZE];
	struct nlmsghdr *nlh;
	struct nl_rule r;

	rule_from(&r, AF_INET, "10.1.2.3", 32, 100);
	CHECK_INT(nl_rule_build(buf, true, &r, &nlh, &err), 0);
	CHECK_INT(nlh->nlmsg_type, RTM_NEWRULE);
	CHECK_INT(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL);
	frh = mnl_nlmsg_get_payload(nlh);
	CHECK_INT(frh->family, AF_INET);
	CHECK_INT(frh->src_len, 32);
	CHECK_INT(frh->dst_len, 0);
	CHECK_INT(frh->table, 100);
	CHECK_INT(frh->action, FR_ACT_TO_TBL);
	nl_attr_index(nlh, sizeof(*frh), tb, FRA_MAX);
	CHECK(tb[FRA_SRC] && mnl_attr_get_payload_len(tb[FRA_SRC]) == 4 &&
	      memcmp(mnl_attr_get_payload(tb[FRA_SRC]), r.src, 4) == 0);
	CHECK(tb[FRA_DST] == NULL);
	CHECK(tb[FRA_PRIORITY] == NULL); /* the kernel picks the preference */
	CHECK(tb[FRA_TABLE] && mnl_attr_get_u32(tb[FRA_TABLE]) == 100);

	/* Delete with a preference and a table above 255 (only in FRA_TABLE); the action
	 * is left to match anything. */
	rule_from(&r, AF_INET6, "fd00::5", 128, 1000);
	parse_ip(AF_INET6, "fd01::", r.dst);
	r.dst_len = 64;
	r.has_priority = true;
	r.priority = 32765;
	CHECK_INT(nl_rule_build(buf, false, &r, &nlh, &err), 0);
	CHECK_INT(nlh->nlmsg_type, RTM_DELRULE);
	CHECK_INT(nlh->nlmsg_flags, NLM_F_REQUEST);
	frh = mnl_nlmsg_get_payload(nlh);
	CHECK_INT(frh->family, AF_INET6);
	CHECK_INT(frh->table, RT_TABLE_UNSPEC);
	CHECK_INT(frh->action, FR_ACT_UNSPEC);
	CHECK_INT(frh->dst_len, 64);
	nl_attr_index(nlh, sizeof(*frh), tb, FRA_MAX);
	CHECK(tb[FRA_SRC] && mnl_attr_get_payload_len(tb[FRA_SRC]) == 16);
	CHECK(tb[FRA_DST] && memcmp(mnl_attr_get_payload(tb[FRA_DST]), r.dst, 16) == 0);
	CHECK(tb[FRA_PRIORITY] && mnl_attr_get_u32(tb[FRA_PRIORITY]) == 32765);
	CHECK(tb[FRA_TABLE] && mnl_attr_get_u32(tb[FRA_TABLE]) == 1000);

	/* From all: no FRA_SRC. */
	memset(&r, 0, sizeof(r));
	r.family = AF_INET;
	r.table = 254;
	CHECK_INT(nl_rule_build(buf, true, &r, &nlh, &err), 0);
	nl_attr_index(nlh, sizeof(*frh), tb, FRA_MAX);
	CHECK(tb[FRA_SRC] == NULL);

	r.src_len = 33;
	CHECK_INT(nl_rule_build(buf, true, &r, &nlh, &err), -EINVAL);
	r.src_len = 0;
	r.dst_len = 33;
	CHECK_INT(nl_rule_build(buf, true, &r, &nlh, &err), -EINVAL);
	r.dst_len = 0;
	r.family = AF_PACKET;
	CHECK_INT(nl_rule_build(buf, true, &r, &nlh, &err), -EAFNOSUPPORT);
}

static void test_parse_rule(void)
{
	struct cni_err err = {0};
	char buf[NL_MSG_BUF_SIZE];
	struct nlmsghdr *nlh;
	struct fib_rule_hdr *frh;
	struct nl_rule r, got;

	/* What the builder writes parses back to the same rule. */
	rule_from(&r, AF_INET6, "fd00::7", 128, 4242);
	r.has_priority = true;
	r.priority = 99;
	r.action = FR_ACT_TO_TBL;
	CHECK_INT(nl_rule_build(buf, true, &r, &nlh, &err), 0);
	CHECK_INT(nl_rule_parse(nlh, &got, &err), 0);
	CHECK(memcmp(&r, &got, sizeof(r)) == 0);

	/* The table from the header when FRA_TABLE is absent; selectors not kept are noted. */
	rule_from(&r, AF_INET, "192.168.1.0", 24, 0);
	CHECK_INT(nl_rule_build(buf, true, &r, &nlh, &err), 0);
	frh = mnl_nlmsg_get_payload(nlh);
	frh->table = 7;
	mnl_attr_put_strz(nlh, FRA_IIFNAME, "eth1");
	CHECK_INT(nl_rule_parse(nlh, &got, &err), 0);
	CHECK_INT(got.table, 7);
	CHECK_INT(got.src_len, 24);
	CHECK(!got.has_priority);
	CHECK(got.other_selectors);

	/* A zero mark is no selector; an inverted rule is. */
	CHECK_INT(nl_rule_build(buf, true, &r, &nlh, &err), 0);
	mnl_attr_put_u32(nlh, FRA_FWMARK, 0);
	CHECK_INT(nl_rule_parse(nlh, &got, &err), 0);
	CHECK(!got.other_selectors);
	frh = mnl_nlmsg_get_payload(nlh);
	frh->flags = FIB_RULE_INVERT;
	CHECK_INT(nl_rule_parse(nlh, &got, &err), 0);
	CHECK(got.other_selectors);

	/* Other families are skipped by listings, other messages refused. */
	frh->family = AF_BRIDGE;
	CHECK_INT(nl_rule_parse(nlh, &got, &err), -EAFNOSUPPORT);
	nlh->nlmsg_type = RTM_NEWROUTE;
	CHECK_INT(nl_rule_parse(nlh, &got, &err), -EBADMSG);
}

static const struct nl_rule *find_rule(const struct nl_rule *v, size_t n, int family,
				       const char *src, int src_len)
{
	uint8_t a[16];
	size_t i;

	parse_ip(family, src, a);
	for (i = 0; i < n; i++)
		if (v[i].family == family && v[i].src_len == src_len &&
		    memcmp(v[i].src, a, family == AF_INET ? 4 : 16) == 0)
			return &v[i];
	return NULL;
}

static void test_live_rules(void)
{
	_cleanup_nl_close_ struct nl_sock *sock = NULL;
	_cleanup_free_ struct nl_rule *rules = NULL;
	_cleanup_free_ char *out = NULL;
	struct cni_err err = {0};
	const struct nl_rule *f;
	struct nl_rule r, a, b, c;
	size_t n;

	LIVE_FRESH();
	OK(nl_open(&sock, &err));
	if (!sock)
		return;

	/* A fresh namespace: local, main and default for IPv4, local and main for IPv6. */
	OK(nl_rule_list(sock, AF_INET, 0, &rules, &n, &err));
	CHECK_INT(n, 3);
	free(TAKE_PTR(rules));
	OK(nl_rule_list(sock, AF_UNSPEC, 0, &rules, &n, &err));
	CHECK_INT(n, 5);
	free(TAKE_PTR(rules));

	rule_from(&a, AF_INET, "10.1.2.3", 32, 100);
	OK(nl_rule_add(sock, &a, &err));
	/* Identical at the same preference is refused (without one, the kernel would just
	 * make another at the next preference). */
	r = a;
	r.has_priority = true;
	r.priority = 32765;
	CHECK_INT(nl_rule_add(sock, &r, &err), -EEXIST);
	rule_from(&b, AF_INET, "10.1.2.4", 32, 101);
	OK(nl_rule_add(sock, &b, &err));
	rule_from(&c, AF_INET6, "fd00::5", 128, 1000);
	c.has_priority = true;
	c.priority = 500;
	OK(nl_rule_add(sock, &c, &err));

	/* The kernel's preferences: below the main table's rule, one less each time. */
	OK(nl_rule_list(sock, AF_INET, 100, &rules, &n, &err));
	CHECK_INT(n, 1);
	if (n == 1) {
		CHECK(rules[0].has_priority && rules[0].priority == 32765);
		CHECK_INT(rules[0].src_len, 32);
		CHECK_INT(rules[0].action, FR_ACT_TO_TBL);
		CHECK(!rules[0].other_selectors);
	}
	free(TAKE_PTR(rules));
	OK(nl_rule_list(sock, AF_UNSPEC, 0, &rules, &n, &err));
	CHECK_INT(n, 8);
	f = find_rule(rules, n, AF_INET, "10.1.2.4", 32);
	CHECK(f && f->table == 101 && f->priority == 32764);
	f = find_rule(rules, n, AF_INET6, "fd00::5", 128);
	CHECK(f && f->table == 1000 && f->priority == 500);
	free(TAKE_PTR(rules));
	out = live_output("ip -6 rule show");
	CHECK(out && strstr(out, "500:\tfrom fd00::5 lookup 1000"));
	free(TAKE_PTR(out));
	out = live_output("ip -4 rule show");
	CHECK(out && strstr(out, "32765:\tfrom 10.1.2.3 lookup 100") &&
	      strstr(out, "32764:\tfrom 10.1.2.4 lookup 101"));
	free(TAKE_PTR(out));

	/* A rule made by ip with another selector is listed as such. */
	CHECK(system("ip rule add from 10.9.9.9 iif lo table 300 pref 700") == 0);
	OK(nl_rule_list(sock, AF_INET, 300, &rules, &n, &err));
	CHECK(n == 1 && rules[0].other_selectors && rules[0].priority == 700);
	free(TAKE_PTR(rules));

	/* Delete by what was added (the preference is matched only when given). */
	OK(nl_rule_del(sock, &a, &err));
	CHECK_INT(nl_rule_del(sock, &a, &err), -ENOENT);
	r = b;
	r.has_priority = true;
	r.priority = 1;
	CHECK_INT(nl_rule_del(sock, &r, &err), -ENOENT);
	r.priority = 32764;
	OK(nl_rule_del(sock, &r, &err));
	OK(nl_rule_del(sock, &c, &err));
	OK(nl_rule_list(sock, AF_UNSPEC, 0, &rules, &n, &err));
	CHECK_INT(n, 6);
	CHECK(find_rule(rules, n, AF_INET6, "fd00::5", 128) == NULL);
}

int main(void)
{
	RUN(test_build_rule);
	RUN(test_parse_rule);
	live_enter(0);
	RUN(test_live_rules);
	UNIT_DONE();
}
