/* SPDX-License-Identifier: Apache-2.0 */
/* What the vrf plugin needs from common/net: a VRF link's table (IFLA_VRF_TABLE), multipath
 * routes built, listed per nexthop with their weights and grouped again, and waiting for a
 * rtnetlink notification with a deadline. Live parts run in a private namespace; the VRF
 * one skips where the kernel has no VRF (it runs in the QEMU tier). */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include <libmnl/libmnl.h>

#define LIVE_LOCAL_ERR
#include "live.h"
#include "unit.h"
#include "cleanup.h"
#include "net/nl.h"
#include "net/rtnl.h"

static void parse_ip(int family, const char *s, uint8_t *out)
{
	memset(out, 0, 16);
	CHECK(inet_pton(family, s, out) == 1);
}

/* A nexthop of a multipath route to dst/dst_len via gw (NULL: none) on oif. */
static struct nl_route hop(int family, const char *dst, int dst_len, const char *gw, int oif,
			   uint16_t weight)
{
	struct nl_route r = {.family = family, .dst_len = (uint8_t)dst_len, .oif = oif};

	parse_ip(family, dst, r.dst);
	if (gw) {
		parse_ip(family, gw, r.gw);
		r.has_gw = true;
	}
	r.weight = weight;
	return r;
}

static void test_build_multipath(void)
{
	struct nl_route hops[2] = {hop(AF_INET, "10.9.0.0", 16, "10.5.0.1", 3, 0),
				   hop(AF_INET, "10.9.0.0", 16, "10.6.0.1", 4, 5)};
	const struct nlattr *tb[RTA_MAX + 1] = {0};
	struct cni_err err = {0};
	char buf[NL_MSG_BUF_SIZE];
	struct nlmsghdr *nlh;
	const struct nlattr *a;
	const struct rtmsg *rtm;
	const struct rtnexthop *nh;
	int seen = 0;

	hops[0].table = 1001;
	hops[0].replace = true;
	hops[0].priority = 20;
	CHECK_INT(nl_route_build_multipath(buf, hops, 2, &nlh, &err), 0);
	CHECK(nlh->nlmsg_flags & NLM_F_REPLACE);
	rtm = mnl_nlmsg_get_payload(nlh);
	CHECK_INT(rtm->rtm_dst_len, 16);
	CHECK_INT(rtm->rtm_family, AF_INET);
	mnl_attr_for_each (a, nlh, sizeof(*rtm))
		tb[mnl_attr_get_type(a)] = a;
	CHECK(tb[RTA_OIF] == NULL && tb[RTA_GATEWAY] == NULL);
	CHECK(tb[RTA_TABLE] && mnl_attr_get_u32(tb[RTA_TABLE]) == 1001);
	CHECK(tb[RTA_PRIORITY] && mnl_attr_get_u32(tb[RTA_PRIORITY]) == 20);
	CHECK(tb[RTA_MULTIPATH] != NULL);
	if (!tb[RTA_MULTIPATH])
		return;
	nh = mnl_attr_get_payload(tb[RTA_MULTIPATH]);
	for (size_t left = mnl_attr_get_payload_len(tb[RTA_MULTIPATH]); left >= sizeof(*nh);
	     seen++) {
		const struct nlattr *gw = (const struct nlattr *)((const char *)nh + sizeof(*nh));

		CHECK_INT(nh->rtnh_ifindex, seen ? 4 : 3);
		CHECK_INT(nh->rtnh_hops, seen ? 4 : 0);
		CHECK_INT(nh->rtnh_len, sizeof(*nh) + 8);
		CHECK_INT(mnl_attr_get_type(gw), RTA_GATEWAY);
		CHECK_INT(((const uint8_t *)mnl_attr_get_payload(gw))[1], seen ? 6 : 5);
		left -= RTNH_ALIGN(nh->rtnh_len);
		nh = (const struct rtnexthop *)((const char *)nh + RTNH_ALIGN(nh->rtnh_len));
	}
	CHECK_INT(seen, 2);

	/* Refused: no nexthop, a nexthop without a link, mixed families, a weight too big. */
	CHECK_INT(nl_route_build_multipath(buf, hops, 0, &nlh, &err), -EINVAL);
	hops[1].oif = 0;
	CHECK_INT(nl_route_build_multipath(buf, hops, 2, &nlh, &err), -EINVAL);
	hops[1] = hop(AF_INET6, "fd00::", 64, NULL, 4, 0);
	CHECK_INT(nl_route_build_multipath(buf, hops, 2, &nlh, &err), -EINVAL);
	hops[1] = hop(AF_INET, "10.9.0.0", 16, NULL, 4, 257);
	CHECK_INT(nl_route_build_multipath(buf, hops, 2, &nlh, &err), -EINVAL);
	hops[1].weight = 256;
	CHECK_INT(nl_route_build_multipath(buf, hops, 2, &nlh, &err), 0);
}

static void test_parse_vrf(void)
{
	struct cni_err err = {0};
	char buf[NL_MSG_BUF_SIZE];
	struct nlattr *info, *data;
	struct ifinfomsg *ifi;
	struct nlmsghdr *nlh;
	struct nl_link l;

	nlh = nl_msg_init(buf, RTM_NEWLINK, 0);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_index = 7;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "blue");
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "vrf");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	mnl_attr_put_u32(nlh, IFLA_VRF_TABLE, 1001);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	CHECK_INT(nl_link_parse(nlh, &l, &err), 0);
	CHECK_STR(l.kind, "vrf");
	CHECK_INT(l.vrf_table, 1001);

	/* Another kind with the same attribute number is not a VRF. */
	nlh = nl_msg_init(buf, RTM_NEWLINK, 0);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_index = 8;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "br0");
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "macvlan");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	mnl_attr_put_u32(nlh, IFLA_VRF_TABLE, 1001);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	CHECK_INT(nl_link_parse(nlh, &l, &err), 0);
	CHECK_INT(l.vrf_table, 0);
}

static void test_group_len(void)
{
	struct nl_route r[6] = {0};

	/* plain, multipath of 2, multipath of 2 right after it, plain */
	r[1].multipath = r[2].multipath = r[3].multipath = r[4].multipath = true;
	r[2].nh_index = 1;
	r[4].nh_index = 1;
	CHECK_INT(nl_route_group_len(r, 6, 0), 1);
	CHECK_INT(nl_route_group_len(r, 6, 1), 2);
	CHECK_INT(nl_route_group_len(r, 6, 3), 2);
	CHECK_INT(nl_route_group_len(r, 6, 5), 1);
	CHECK_INT(nl_route_group_len(r, 6, 6), 0);
	CHECK_INT(nl_route_group_len(r, 4, 3), 1); /* cut short by n */
}

/* ---- live ------------------------------------------------------------------------------ */

/* Two veth pairs, a0-b0 and a1-b1, up, with addresses on a0 and a1. */
static int live_links(struct nl_sock *nl, int *ret_a0, int *ret_a1, struct cni_err *err)
{
	static const char *const v4[2] = {"10.5.0.2", "10.6.0.2"};
	static const char *const v6[2] = {"fd05::2", "fd06::2"};
	char a[8], b[8];

	for (int i = 0; i < 2; i++) {
		struct nl_veth_req req = {.name = a, .peer_name = b, .peer_netns_fd = -1};
		struct nl_addr ad = {.family = AF_INET, .prefix_len = 24};
		struct nl_link l, p;
		int r;

		snprintf(a, sizeof(a), "a%d", i);
		snprintf(b, sizeof(b), "b%d", i);
		r = nl_link_add_veth(nl, &req, err);
		if (r == 0)
			r = nl_link_get_by_name(nl, a, &l, err);
		if (r == 0)
			r = nl_link_get_by_name(nl, b, &p, err);
		if (r == 0)
			r = nl_link_set_up(nl, p.index, true, err);
		ad.ifindex = l.index;
		parse_ip(AF_INET, v4[i], ad.addr);
		if (r == 0)
			r = nl_addr_add(nl, &ad, err);
		ad.family = AF_INET6;
		ad.prefix_len = 64;
		ad.flags = IFA_F_NODAD;
		parse_ip(AF_INET6, v6[i], ad.addr);
		if (r == 0)
			r = nl_addr_add(nl, &ad, err);
		if (r == 0)
			r = nl_link_set_up(nl, l.index, true, err);
		if (r < 0)
			return r;
		*(i ? ret_a1 : ret_a0) = l.index;
	}
	return 0;
}

/* The listed nexthops of the routes to dst/dst_len in table, as a group; the count. */
static size_t list_hops(struct nl_sock *nl, int family, const char *dst, int dst_len,
			uint32_t table, struct nl_route *out, size_t max)
{
	_cleanup_free_ struct nl_route *routes = NULL;
	struct cni_err err = {0};
	uint8_t want[16];
	size_t n = 0, got = 0;

	parse_ip(family, dst, want);
	OK(nl_route_list(nl, family, 0, table, &routes, &n, &err));
	for (size_t i = 0; i < n; i += nl_route_group_len(routes, n, i)) {
		if (routes[i].dst_len != dst_len || memcmp(routes[i].dst, want, 16) != 0)
			continue;
		for (size_t j = 0; j < nl_route_group_len(routes, n, i) && got < max; j++)
			out[got++] = routes[i + j];
	}
	return got;
}

static void test_live_multipath(void)
{
	_cleanup_nl_close_ struct nl_sock *nl = NULL;
	struct cni_err err = {0};
	struct nl_route hops[2], got[4];
	int a0 = 0, a1 = 0;

	LIVE_FRESH();
	OK(nl_open(&nl, &err));
	OK(live_links(nl, &a0, &a1, &err));

	hops[0] = hop(AF_INET, "10.9.0.0", 16, "10.5.0.1", a0, 1);
	hops[1] = hop(AF_INET, "10.9.0.0", 16, "10.6.0.1", a1, 3);
	OK(nl_route_add_multipath(nl, hops, 2, &err));
	CHECK_INT(list_hops(nl, AF_INET, "10.9.0.0", 16, RT_TABLE_MAIN, got, 4), 2);
	CHECK(got[0].multipath && got[0].nh_index == 0 && got[0].oif == a0 && got[0].weight == 1);
	CHECK(got[1].multipath && got[1].nh_index == 1 && got[1].oif == a1 && got[1].weight == 3);
	CHECK(got[1].has_gw && got[1].gw[1] == 6);
	/* Replaced by one nexthop: a plain route. */
	hops[1].replace = true;
	OK(nl_route_add_multipath(nl, &hops[1], 1, &err));
	CHECK_INT(list_hops(nl, AF_INET, "10.9.0.0", 16, RT_TABLE_MAIN, got, 4), 1);
	CHECK(!got[0].multipath && got[0].oif == a1 && got[0].has_gw);

	/* IPv6: a default route over both links, in another table too. */
	hops[0] = hop(AF_INET6, "::", 0, "fd05::1", a0, 0);
	hops[1] = hop(AF_INET6, "::", 0, "fd06::1", a1, 0);
	OK(nl_route_add_multipath(nl, hops, 2, &err));
	CHECK_INT(list_hops(nl, AF_INET6, "::", 0, RT_TABLE_MAIN, got, 4), 2);
	CHECK(got[0].multipath && got[1].multipath && got[0].oif != got[1].oif);
	hops[0].table = 77;
	OK(nl_route_add_multipath(nl, hops, 1, &err));
	CHECK_INT(list_hops(nl, AF_INET6, "::", 0, 77, got, 4), 1);
	CHECK(got[0].oif == a0 && got[0].table == 77);
}

static void test_live_monitor(void)
{
	static const unsigned int groups[] = {RTNLGRP_IPV4_IFADDR};
	_cleanup_nl_close_ struct nl_sock *nl = NULL, *mon = NULL;
	_cleanup_close_ int fd = -1;
	struct cni_err err = {0};
	struct nl_addr ad = {.family = AF_INET, .prefix_len = 32};
	struct nl_link l;
	int64_t start;

	LIVE_FRESH();
	fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0);
	OK(nl_open(&nl, &err));
	OK(nl_monitor_open(fd, groups, 1, &mon, &err));
	/* Nothing happened: the deadline ends the wait. */
	start = nl_monotonic_ms();
	CHECK_INT(nl_monitor_wait(mon, start + 50, &err), -ETIMEDOUT);
	CHECK(nl_monotonic_ms() >= start + 50);
	CHECK_STR(err.msg, "timed out");
	/* A new address is announced: the wait ends long before its deadline. */
	OK(nl_link_get_by_name(nl, "lo", &l, &err));
	ad.ifindex = l.index;
	parse_ip(AF_INET, "127.0.0.9", ad.addr);
	OK(nl_addr_add(nl, &ad, &err));
	OK(nl_monitor_wait(mon, nl_monotonic_ms() + 600000, &err));
	/* It was read: nothing is left to wake the next wait. */
	CHECK_INT(nl_monitor_wait(mon, nl_monotonic_ms(), &err), -ETIMEDOUT);
}

static void test_live_vrf(void)
{
	_cleanup_nl_close_ struct nl_sock *nl = NULL;
	_cleanup_free_ struct nl_link *vrfs = NULL;
	struct nl_link_req req = {.kind = "vrf", .name = "blue"};
	struct cni_err err = {0};
	struct nl_route got[4];
	struct nl_link vrf, l;
	int a0 = 0, a1 = 0, r;
	size_t n = 0;

	LIVE_FRESH();
	OK(nl_open(&nl, &err));
	req.data[req.n_data++] = (struct nl_link_data){IFLA_VRF_TABLE, 4, 1001};
	r = nl_link_add(nl, &req, &err);
	if (r == -EOPNOTSUPP)
		UNIT_SKIP("the kernel has no VRF (%s)", err.msg);
	OK(r);
	OK(nl_link_get_by_name(nl, "blue", &vrf, &err));
	CHECK_STR(vrf.kind, "vrf");
	CHECK_INT(vrf.vrf_table, 1001);
	OK(nl_link_set_up(nl, vrf.index, true, &err));
	OK(nl_link_list_kind(nl, "vrf", &vrfs, &n, &err));
	CHECK(n == 1 && vrfs[0].vrf_table == 1001);

	/* A member: its connected routes move into the VRF's table; master 0 takes it out. */
	OK(live_links(nl, &a0, &a1, &err));
	OK(nl_link_set_master(nl, a0, vrf.index, &err));
	OK(nl_link_get_by_index(nl, a0, &l, &err));
	CHECK_INT(l.master, vrf.index);
	CHECK_STR(l.slave_kind, "vrf");
	CHECK_INT(list_hops(nl, AF_INET, "10.5.0.0", 24, 1001, got, 4), 1);
	CHECK_INT(list_hops(nl, AF_INET, "10.5.0.0", 24, RT_TABLE_MAIN, got, 4), 0);
	OK(nl_link_set_master(nl, a0, 0, &err));
	OK(nl_link_get_by_index(nl, a0, &l, &err));
	CHECK_INT(l.master, 0);
	CHECK_INT(list_hops(nl, AF_INET, "10.5.0.0", 24, RT_TABLE_MAIN, got, 4), 1);
	OK(nl_link_del(nl, vrf.index, &err));
}

int main(void)
{
	RUN(test_build_multipath);
	RUN(test_parse_vrf);
	RUN(test_group_len);
	live_enter(0);
	RUN(test_live_multipath);
	RUN(test_live_monitor);
	RUN(test_live_vrf);
	UNIT_DONE();
}
