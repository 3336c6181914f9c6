/* SPDX-License-Identifier: Apache-2.0 */
/* The container-interface layer (common/iface): results, prevResult lookups, the new-link
 * request, and, live in namespaces of the test's own, the temporary-name create and rename,
 * the default-route master, ConfigureIface and its CHECK validators. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include <libmnl/libmnl.h>

#include "iface/iface.h"
#include "net/netns.h"
#include "net/nl.h"
#include "net/sysctl.h"
#include "live.h"

static struct cni_result *parse(const char *json)
{
	struct cni_result *r = NULL;

	CHECK_INT(cni_result_parse_text(json, "1.0.0", &r, &err), 0);
	return r;
}

static void test_master_from_prev(void)
{
	_cleanup_(cni_result_freep) struct cni_result *one =
		parse("{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"net1\"}]}");
	_cleanup_(cni_result_freep) struct cni_result *two = parse(
		"{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"a\"},{\"name\":\"b\"}]}");
	_cleanup_(cni_result_freep) struct cni_result *unnamed = parse(
		"{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"mac\":\"0a:00:00:00:00:01\"}]}");

	CHECK_STR(iface_master_from_prev(one), "net1");
	CHECK(iface_master_from_prev(two) == NULL);
	CHECK(iface_master_from_prev(unnamed) == NULL);
	CHECK(iface_master_from_prev(NULL) == NULL);
}

static void test_prev_find_and_mac(void)
{
	_cleanup_(cni_result_freep) struct cni_result *prev = parse(
		"{\"cniVersion\":\"1.0.0\",\"interfaces\":["
		"{\"name\":\"eth0\",\"mac\":\"0a:00:00:00:00:01\"},"
		"{\"name\":\"eth0\",\"mac\":\"0a:00:00:00:00:02\",\"sandbox\":\"/run/netns/a\"}]}");
	const struct cni_iface *f = iface_prev_find(prev, "eth0", "/run/netns/a");
	struct nl_link l = {.mac = {0x0a, 0, 0, 0, 0, 2}, .mac_len = 6};

	CHECK(f == &prev->ifaces[1]);
	CHECK(iface_prev_find(prev, "eth0", "/run/netns/b") == NULL);
	CHECK(iface_prev_find(prev, "eth1", "/run/netns/a") == NULL);
	CHECK(f && iface_mac_matches(f, &l));
	CHECK(!iface_mac_matches(&prev->ifaces[0], &l));
}

static void test_result_new(void)
{
	_cleanup_(cni_result_freep) struct cni_result *ipam =
		parse("{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"10.1.0.5/24\","
		      "\"gateway\":\"10.1.0.1\"}],\"routes\":[{\"dst\":\"0.0.0.0/0\"}],"
		      "\"dns\":{\"nameservers\":[\"10.1.0.1\"]}}");
	struct nl_link l = {.mac = {0x0a, 0x58, 1, 2, 3, 4}, .mac_len = 6};
	_cleanup_(cni_result_freep) struct cni_result *res =
		iface_result_new("eth0", &l, "/run/netns/x", ipam);
	_cleanup_(cni_result_freep) struct cni_result *l2 =
		iface_result_new("eth0", &l, "/run/netns/x", NULL);

	CHECK(res != NULL && l2 != NULL);
	if (!res || !l2)
		return;
	CHECK_INT((int)res->n_ifaces, 1);
	CHECK_STR(res->ifaces[0].name, "eth0");
	CHECK_STR(res->ifaces[0].mac, "0a:58:01:02:03:04");
	CHECK_STR(res->ifaces[0].sandbox, "/run/netns/x");
	CHECK_INT((int)res->n_ips, 1);
	CHECK_INT(res->ips[0].iface, 0);
	CHECK_INT((int)res->n_routes, 1);
	CHECK(res->dns.nameservers && !strcmp(res->dns.nameservers[0], "10.1.0.1"));
	CHECK_INT((int)l2->n_ips, 0);
	CHECK(cni_dns_empty(&l2->dns));
}

static void test_build_new(void)
{
	const struct nlattr *tb[IFLA_MAX + 1], *info[IFLA_INFO_MAX + 1];
	const struct nlattr *mv[IFLA_MACVLAN_MAX + 1];
	static const uint8_t mac[6] = {0x0a, 0x58, 0, 0, 0, 9};
	struct nl_link_req req = {.kind = "macvlan",
				  .name = "veth01020304",
				  .link = 7,
				  .has_netns = true,
				  .netns_fd = 5,
				  .mtu = 1400,
				  .mac = mac,
				  .mac_len = 6,
				  .data = {{IFLA_MACVLAN_MODE, 4, MACVLAN_MODE_PRIVATE},
					   {IFLA_MACVLAN_BC_QUEUE_LEN, 4, 100}},
				  .n_data = 2};
	char buf[NL_MSG_BUF_SIZE];
	struct nlmsghdr *nlh;

	CHECK_INT(nl_link_build_new(buf, &req, &nlh, &err), 0);
	CHECK_INT(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL);
	nl_attr_index(nlh, sizeof(struct ifinfomsg), tb, IFLA_MAX);
	CHECK(tb[IFLA_IFNAME] && !strcmp(mnl_attr_get_str(tb[IFLA_IFNAME]), "veth01020304"));
	CHECK(tb[IFLA_LINK] && mnl_attr_get_u32(tb[IFLA_LINK]) == 7);
	CHECK(tb[IFLA_NET_NS_FD] && mnl_attr_get_u32(tb[IFLA_NET_NS_FD]) == 5);
	CHECK(tb[IFLA_MTU] && mnl_attr_get_u32(tb[IFLA_MTU]) == 1400);
	CHECK(tb[IFLA_ADDRESS] && mnl_attr_get_payload_len(tb[IFLA_ADDRESS]) == 6);
	CHECK(tb[IFLA_LINKINFO] != NULL);
	if (tb[IFLA_LINKINFO]) {
		nl_attr_index_nested(tb[IFLA_LINKINFO], info, IFLA_INFO_MAX);
		CHECK(info[IFLA_INFO_KIND] &&
		      !strcmp(mnl_attr_get_str(info[IFLA_INFO_KIND]), "macvlan"));
		CHECK(info[IFLA_INFO_DATA] != NULL);
		if (info[IFLA_INFO_DATA]) {
			nl_attr_index_nested(info[IFLA_INFO_DATA], mv, IFLA_MACVLAN_MAX);
			CHECK(mv[IFLA_MACVLAN_MODE] &&
			      mnl_attr_get_u32(mv[IFLA_MACVLAN_MODE]) == MACVLAN_MODE_PRIVATE);
			CHECK(mv[IFLA_MACVLAN_BC_QUEUE_LEN] &&
			      mnl_attr_get_u32(mv[IFLA_MACVLAN_BC_QUEUE_LEN]) == 100);
		}
	}
	/* Nothing optional: no lower device, namespace, MTU, address or data. */
	req = (struct nl_link_req){.kind = "dummy", .name = "d0"};
	CHECK_INT(nl_link_build_new(buf, &req, &nlh, &err), 0);
	nl_attr_index(nlh, sizeof(struct ifinfomsg), tb, IFLA_MAX);
	CHECK(!tb[IFLA_LINK] && !tb[IFLA_NET_NS_FD] && !tb[IFLA_MTU] && !tb[IFLA_ADDRESS]);
	/* Bad requests. */
	req.data[0] = (struct nl_link_data){IFLA_VLAN_ID, 3, 5};
	req.n_data = 1;
	CHECK_INT(nl_link_build_new(buf, &req, &nlh, &err), -EINVAL);
	req.n_data = NL_LINK_DATA_MAX + 1;
	CHECK_INT(nl_link_build_new(buf, &req, &nlh, &err), -EINVAL);
	req = (struct nl_link_req){.kind = "", .name = "d0"};
	CHECK_INT(nl_link_build_new(buf, &req, &nlh, &err), -EINVAL);
	req = (struct nl_link_req){.kind = "dummy", .name = "bad name"};
	CHECK_INT(nl_link_build_new(buf, &req, &nlh, &err), -EINVAL);
	CHECK_INT(nl_link_build_name(buf, 3, "eth0", &nlh, &err), 0);
	CHECK_INT(nl_link_build_name(buf, 0, "eth0", &nlh, &err), -EINVAL);
	CHECK_INT(nl_link_build_name(buf, 3, "a/b", &nlh, &err), -EINVAL);
}

static void test_tmp_name(void)
{
	char a[IFACE_TMPNAME_SIZE], b[IFACE_TMPNAME_SIZE];

	CHECK_INT(iface_tmp_name(a, &err), 0);
	CHECK_INT(iface_tmp_name(b, &err), 0);
	CHECK_INT((int)strlen(a), 12);
	CHECK(strncmp(a, "veth", 4) == 0 && strspn(a + 4, "0123456789abcdef") == 8);
	CHECK(strcmp(a, b) != 0);
	CHECK(iface_is_tmp_name(a));
	CHECK(!iface_is_tmp_name("veth0123456"));
	CHECK(!iface_is_tmp_name("veth012345678"));
	CHECK(!iface_is_tmp_name("vethABCDEF01"));
	CHECK(!iface_is_tmp_name("eth01234567x"));
}

/* ---- live ------------------------------------------------------------------------------- */

/* A "node" namespace (the private one this binary entered) and a "container" one. */
struct live {
	int cns;	      /* the container namespace */
	struct nl_sock *host; /* rtnetlink in the node */
	struct nl_sock *cont; /* rtnetlink in the container */
};

static bool live_setup(struct live *lv)
{
	int self;

	lv->cns = -1;
	lv->host = lv->cont = NULL;
	if (live_enter(0) < 0)
		return false;
	live_skip = "the container namespace could not be set up";
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return false;
	if (unshare(CLONE_NEWNET) == 0)
		lv->cns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (setns(self, CLONE_NEWNET) < 0)
		abort(); /* anything further would act in the wrong namespace */
	close(self);
	if (lv->cns < 0 || nl_open(&lv->host, &err) < 0 ||
	    nl_open_in_netns(lv->cns, &lv->cont, &err) < 0)
		return false;
	live_skip = NULL;
	return true;
}

static struct live lv;

/* The names of the container's links, space-separated, from our own listing. */
static void cont_names(char *buf, size_t size)
{
	_cleanup_free_ struct nl_link *links = NULL;
	size_t n = 0;

	buf[0] = '\0';
	if (nl_link_list_kind(lv.cont, NULL, &links, &n, &err) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		strncat(buf, links[i].name, size - strlen(buf) - 2);
		strncat(buf, " ", size - strlen(buf) - 1);
	}
}

static void test_live_create_renamed(void)
{
	struct nl_veth_req veth = {.name = "master0", .peer_name = "peer0", .peer_netns_fd = -1};
	struct nl_link master, l, other;
	struct nl_link_req req;
	char names[256];

	LIVE_REQUIRED();
	OK(nl_link_add_veth(lv.host, &veth, &err));
	OK(nl_link_get_by_name(lv.host, "master0", &master, &err));
	req = (struct nl_link_req){.kind = "macvlan",
				   .link = master.index,
				   .has_netns = true,
				   .netns_fd = lv.cns,
				   .mtu = 1400,
				   .data = {{IFLA_MACVLAN_MODE, 4, MACVLAN_MODE_VEPA}},
				   .n_data = 1};
	OK(iface_create_renamed(lv.host, &req, lv.cont, "eth0", "macvlan", &l, &err));
	CHECK_STR(l.name, "eth0");
	CHECK_STR(l.kind, "macvlan");
	CHECK_INT(l.info_mode, MACVLAN_MODE_VEPA);
	CHECK_INT((int)l.mtu, 1400);
	cont_names(names, sizeof(names));
	CHECK_STR(names, "lo eth0 ");

	/* The name is taken in the container: the rename fails and nothing is left. */
	CHECK_INT(iface_create_renamed(lv.host, &req, lv.cont, "eth0", "macvlan", &other, &err),
		  -EEXIST);
	CHECK(strncmp(err.msg, "failed to rename macvlan to \"eth0\"", 34) == 0);
	cont_names(names, sizeof(names));
	CHECK_STR(names, "lo eth0 ");

	/* The kernel refuses the link: "failed to create", nothing anywhere. */
	req.link = 999999;
	CHECK(iface_create_renamed(lv.host, &req, lv.cont, "eth1", "macvlan", &other, &err) < 0);
	CHECK(strncmp(err.msg, "failed to create macvlan", 24) == 0);
	cont_names(names, sizeof(names));
	CHECK_STR(names, "lo eth0 ");
	OK(nl_link_del(lv.cont, l.index, &err));
}

static void test_live_default_route(void)
{
	struct nl_addr a = {.family = AF_INET, .prefix_len = 24, .addr = {10, 7, 0, 2}};
	struct nl_route def = {.family = AF_INET, .has_gw = true, .gw = {10, 7, 0, 1}};
	char name[NL_IFNAMSIZ];
	struct nl_link m;

	LIVE_REQUIRED();
	CHECK_INT(iface_default_route_link(lv.host, name, &err), -ENOENT);
	CHECK_STR(err.msg, "no default route interface found");
	OK(nl_link_get_by_name(lv.host, "master0", &m, &err));
	a.ifindex = m.index;
	OK(nl_addr_add(lv.host, &a, &err));
	OK(nl_link_set_up(lv.host, m.index, true, &err));
	def.oif = m.index;
	OK(nl_route_add(lv.host, &def, &err));
	OK(iface_default_route_link(lv.host, name, &err));
	CHECK_STR(name, "master0");
}

static void test_live_configure_and_check(void)
{
	_cleanup_(cni_result_freep) struct cni_result *ipam = parse(
		"{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"10.7.0.5/24\",\"gateway\":"
		"\"10.7.0.1\"}],\"routes\":[{\"dst\":\"0.0.0.0/0\"},{\"dst\":\"10.99.0.0/16\"}]}");
	_cleanup_(cni_result_freep) struct cni_result *res = NULL;
	_cleanup_(cni_result_freep) struct cni_result *wrong = NULL;
	struct nl_route extra = {.family = AF_INET, .dst = {10, 99}, .dst_len = 16};
	struct nl_link m, l;
	struct nl_link_req req;
	char buf[16];
	int saved = -1;

	LIVE_REQUIRED();
	OK(nl_link_get_by_name(lv.host, "master0", &m, &err));
	req = (struct nl_link_req){.kind = "macvlan",
				   .link = m.index,
				   .has_netns = true,
				   .netns_fd = lv.cns,
				   .data = {{IFLA_MACVLAN_MODE, 4, MACVLAN_MODE_BRIDGE}},
				   .n_data = 1};
	OK(iface_create_renamed(lv.host, &req, lv.cont, "eth0", "macvlan", &l, &err));
	res = iface_result_new("eth0", &l, "/x", ipam);
	CHECK(res != NULL);
	if (!res)
		return;
	OK(iface_ipv6_enable(lv.cns, "eth0", &err));
	iface_ipv6_no_autoconf(lv.cns, "eth0", NULL);
	iface_announce(lv.cont, lv.cns, l.index, "eth0");
	OK(netns_enter(lv.cns, &saved, &err));
	OK(sysctl_read("net/ipv6/conf/eth0/accept_ra", buf, sizeof(buf), &err));
	CHECK_STR(buf, "0");
	OK(sysctl_read("net/ipv6/conf/eth0/autoconf", buf, sizeof(buf), &err));
	CHECK_STR(buf, "0");
	OK(sysctl_read("net/ipv6/conf/eth0/keep_addr_on_down", buf, sizeof(buf), &err));
	CHECK_STR(buf, "1");
	OK(sysctl_read("net/ipv4/conf/eth0/arp_notify", buf, sizeof(buf), &err));
	CHECK_STR(buf, "1");
	OK(sysctl_read("net/ipv6/conf/eth0/ndisc_notify", buf, sizeof(buf), &err));
	CHECK_STR(buf, "1");
	OK(netns_restore(saved, &err));

	OK(iface_configure(lv.cont, l.index, "eth0", res, true, &err));
	OK(iface_check_ips_routes(lv.cont, "eth0", res, true, &err));
	/* 10.99.0.0/16 went via the first IPv4 gateway; without it CHECK fails. */
	memcpy(extra.gw, (uint8_t[]){10, 7, 0, 1}, 4);
	extra.has_gw = true;
	extra.oif = l.index;
	{
		char b[NL_MSG_BUF_SIZE];
		struct nlmsghdr *nlh;

		OK(nl_route_build(b, false, &extra, &nlh, &err));
		OK(nl_request(lv.cont, nlh, &err));
	}
	CHECK(iface_check_ips_routes(lv.cont, "eth0", res, true, &err) < 0);
	CHECK(strstr(err.msg, "Expected Route {Dst:{IP:10.99.0.0 Mask:ffff0000}") != NULL);
	OK(iface_check_ips_routes(lv.cont, "eth0", res, false, &err));

	/* An address pointing at another interface is refused. */
	wrong = parse("{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"eth9\"}],"
		      "\"ips\":[{\"address\":\"10.7.0.6/24\",\"interface\":0}]}");
	CHECK(wrong && iface_configure(lv.cont, l.index, "eth0", wrong, false, &err) < 0);
	CHECK_STR(err.msg,
		  "failed to add IP addr 10.7.0.6/24 to \"eth0\": invalid interface index");
	OK(nl_link_del(lv.cont, l.index, &err));
}

static void test_live_del_unlisted(void)
{
	struct nl_veth_req veth = {.name = "dv0", .peer_name = "dv1", .peer_netns_fd = -1};
	struct nl_link l;

	LIVE_REQUIRED();
	OK(nl_link_add_veth(lv.cont, &veth, &err));
	OK(nl_link_get_by_name(lv.cont, "dv0", &l, &err));
	OK(nl_link_del_unlisted(lv.cns, l.index, &err));
	/* Gone from the namespace the moment it returns, with its peer. */
	CHECK_INT(nl_link_get_by_index(lv.cont, l.index, &l, &err), -ENODEV);
	CHECK_INT(nl_link_get_by_name(lv.cont, "dv1", &l, &err), -ENODEV);
	/* The name is free again at once. */
	OK(nl_link_add_veth(lv.cont, &veth, &err));
	OK(nl_link_del_by_name(lv.cont, "dv0", &err));
	/* A link that is not there: the child's answer, -ENODEV. */
	CHECK_INT(nl_link_del_unlisted(lv.cns, l.index, &err), -ENODEV);
	CHECK_INT(nl_link_del_unlisted(lv.cns, 0, &err), -EINVAL);
}

static void test_live_del_tmp_links(void)
{
	struct nl_link_req req = {
		.kind = "macvlan", .data = {{IFLA_MACVLAN_MODE, 4, 4}}, .n_data = 1};
	struct nl_link m, l;
	char names[256];

	LIVE_REQUIRED();
	OK(nl_link_get_by_name(lv.host, "master0", &m, &err));
	req.link = m.index;
	req.has_netns = true;
	req.netns_fd = lv.cns;
	/* What a killed ADD leaves (down, temporary name), one that is up, and one named. */
	req.name = "veth0badf00d";
	OK(nl_link_add(lv.host, &req, &err));
	req.name = "veth12345678";
	OK(nl_link_add(lv.host, &req, &err));
	OK(nl_link_get_by_name(lv.cont, "veth12345678", &l, &err));
	OK(nl_link_set_up(lv.cont, l.index, true, &err));
	req.name = "net1";
	OK(nl_link_add(lv.host, &req, &err));
	iface_del_tmp_links(lv.cont, "macvlan", NULL);
	cont_names(names, sizeof(names));
	CHECK_STR(names, "lo veth12345678 net1 ");
	OK(nl_link_del_by_name(lv.cont, "veth12345678", &err));
	OK(nl_link_del_by_name(lv.cont, "net1", &err));
}

int main(void)
{
	RUN(test_master_from_prev);
	RUN(test_prev_find_and_mac);
	RUN(test_result_new);
	RUN(test_build_new);
	RUN(test_tmp_name);
	live_setup(&lv);
	RUN(test_live_create_renamed);
	RUN(test_live_default_route);
	RUN(test_live_configure_and_check);
	RUN(test_live_del_unlisted);
	RUN(test_live_del_tmp_links);
	nl_close(lv.host);
	nl_close(lv.cont);
	if (lv.cns >= 0)
		close(lv.cns);
	UNIT_DONE();
}
