/* SPDX-License-Identifier: Apache-2.0 */
/* Tests of the rtnetlink layer, netns and sysctl helpers.
 *
 * Part 1 builds every request into a buffer and parses it back (no privileges).
 * Part 2 runs against the kernel inside a private network namespace (unshare(CLONE_NEWNET))
 * plus a second "container" namespace held by a child process; the host's own interfaces
 * are never touched. It is skipped when namespaces cannot be created. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/ip.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include <libmnl/libmnl.h>

#define LIVE_LOCAL_ERR
#include "live.h"
#include "unit.h"
#include "net/nl.h"
#include "net/rtnl.h"
#include "net/netns.h"
#include "net/sysctl.h"
#include "net/test_priv.h"

/* ---- helpers --------------------------------------------------------------------------- */

/* Index of the attributes in a flat payload (e.g. after the ifinfomsg of VETH_INFO_PEER). */
struct tb_data {
	const struct nlattr **tb; /* table */
	unsigned int max;	  /* highest index */
};

static int tb_cb(const struct nlattr *a, void *data)
{
	struct tb_data *d = data;

	if (mnl_attr_get_type(a) <= d->max)
		d->tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

static void index_payload(const void *p, size_t len, const struct nlattr **tb, unsigned int max)
{
	struct tb_data d = {tb, max};

	memset(tb, 0, (max + 1) * sizeof(*tb));
	mnl_attr_parse_payload(p, len, tb_cb, &d);
}

static void parse_ip(int family, const char *s, uint8_t *out)
{
	memset(out, 0, 16);
	CHECK(inet_pton(family, s, out) == 1);
}

/* Set a to ip/prefix_len of family on ifindex with flags (scope universe). */
static void addr_at(struct nl_addr *a, int family, int ifindex, const char *ip, int prefix_len,
		    uint32_t flags)
{
	memset(a, 0, sizeof(*a));
	a->family = family;
	a->ifindex = ifindex;
	parse_ip(family, ip, a->addr);
	a->prefix_len = (uint8_t)prefix_len;
	a->flags = flags;
}

/* Point r at dst/dst_len via gw with metric priority (other fields are kept). */
static void route_to(struct nl_route *r, int family, const char *dst, int dst_len, const char *gw,
		     uint32_t priority)
{
	r->family = family;
	parse_ip(family, dst, r->dst);
	r->dst_len = (uint8_t)dst_len;
	r->has_gw = true;
	parse_ip(family, gw, r->gw);
	r->priority = priority;
}

/* ---- part 1: round trips --------------------------------------------------------------- */

static void test_build_veth(void)
{
	static const uint8_t mac[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
	struct nl_veth_req req = {.name = "veth1234abcd",
				  .peer_name = "eth0",
				  .peer_netns_fd = 7,
				  .mtu = 1400,
				  .peer_mac = mac};
	const struct nlattr *tb[IFLA_MAX + 1], *info[IFLA_INFO_MAX + 1], *data[VETH_INFO_MAX + 1];
	const struct nlattr *peer[IFLA_MAX + 1];
	struct cni_err err = {0};
	char buf[NL_MSG_BUF_SIZE];
	const struct ifinfomsg *ifi;
	struct nlmsghdr *nlh;

	CHECK_INT(nl_link_build_veth(buf, &req, &nlh, &err), 0);
	CHECK_INT(nlh->nlmsg_type, RTM_NEWLINK);
	CHECK_INT(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL);
	ifi = mnl_nlmsg_get_payload(nlh);
	CHECK_INT(ifi->ifi_family, AF_UNSPEC);
	CHECK_INT(ifi->ifi_index, 0);
	nl_attr_index(nlh, sizeof(*ifi), tb, IFLA_MAX);
	CHECK(tb[IFLA_IFNAME] != NULL);
	CHECK_STR(mnl_attr_get_str(tb[IFLA_IFNAME]), "veth1234abcd");
	CHECK(tb[IFLA_MTU] && mnl_attr_get_u32(tb[IFLA_MTU]) == 1400);
	CHECK(tb[IFLA_NET_NS_FD] == NULL); /* this end stays in the socket's namespace */
	CHECK(tb[IFLA_LINKINFO] != NULL);
	if (!tb[IFLA_LINKINFO])
		return;
	nl_attr_index_nested(tb[IFLA_LINKINFO], info, IFLA_INFO_MAX);
	CHECK_STR(mnl_attr_get_str(info[IFLA_INFO_KIND]), "veth");
	CHECK(info[IFLA_INFO_DATA] != NULL);
	if (!info[IFLA_INFO_DATA])
		return;
	nl_attr_index_nested(info[IFLA_INFO_DATA], data, VETH_INFO_MAX);
	CHECK(data[VETH_INFO_PEER] != NULL);
	if (!data[VETH_INFO_PEER])
		return;
	/* The peer: a struct ifinfomsg, then its attributes. */
	CHECK(mnl_attr_get_payload_len(data[VETH_INFO_PEER]) > sizeof(struct ifinfomsg));
	index_payload((const char *)mnl_attr_get_payload(data[VETH_INFO_PEER]) +
			      sizeof(struct ifinfomsg),
		      mnl_attr_get_payload_len(data[VETH_INFO_PEER]) - sizeof(struct ifinfomsg),
		      peer, IFLA_MAX);
	CHECK_STR(mnl_attr_get_str(peer[IFLA_IFNAME]), "eth0");
	CHECK(peer[IFLA_MTU] && mnl_attr_get_u32(peer[IFLA_MTU]) == 1400);
	CHECK(peer[IFLA_NET_NS_FD] && mnl_attr_get_u32(peer[IFLA_NET_NS_FD]) == 7);
	CHECK(peer[IFLA_ADDRESS] && mnl_attr_get_payload_len(peer[IFLA_ADDRESS]) == 6 &&
	      memcmp(mnl_attr_get_payload(peer[IFLA_ADDRESS]), mac, 6) == 0);

	/* Without optional fields nothing optional is sent. */
	req.mtu = 0;
	req.peer_mac = NULL;
	req.peer_netns_fd = -1;
	CHECK_INT(nl_link_build_veth(buf, &req, &nlh, &err), 0);
	nl_attr_index(nlh, sizeof(*ifi), tb, IFLA_MAX);
	CHECK(tb[IFLA_MTU] == NULL);
	nl_attr_index_nested(tb[IFLA_LINKINFO], info, IFLA_INFO_MAX);
	nl_attr_index_nested(info[IFLA_INFO_DATA], data, VETH_INFO_MAX);
	index_payload((const char *)mnl_attr_get_payload(data[VETH_INFO_PEER]) +
			      sizeof(struct ifinfomsg),
		      mnl_attr_get_payload_len(data[VETH_INFO_PEER]) - sizeof(struct ifinfomsg),
		      peer, IFLA_MAX);
	CHECK(peer[IFLA_MTU] == NULL && peer[IFLA_ADDRESS] == NULL && peer[IFLA_NET_NS_FD] == NULL);

	/* Bad names are refused before anything is sent. */
	req.peer_name = "a-name-that-is-too-long";
	CHECK_INT(nl_link_build_veth(buf, &req, &nlh, &err), -EINVAL);
	CHECK(strstr(err.msg, "'a-name-that-is-too-long'") != NULL);
	req.peer_name = "a/b";
	CHECK_INT(nl_link_build_veth(buf, &req, &nlh, &err), -EINVAL);
}

static void test_build_bridge(void)
{
	const struct nlattr *tb[IFLA_MAX + 1], *info[IFLA_INFO_MAX + 1], *br[IFLA_BR_MAX + 1];
	struct cni_err err = {0};
	char buf[NL_MSG_BUF_SIZE];
	struct nlmsghdr *nlh;

	CHECK_INT(nl_link_build_bridge(buf, "cni0", 9000, true, &nlh, &err), 0);
	CHECK_INT(nlh->nlmsg_type, RTM_NEWLINK);
	CHECK_INT(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL);
	nl_attr_index(nlh, sizeof(struct ifinfomsg), tb, IFLA_MAX);
	CHECK_STR(mnl_attr_get_str(tb[IFLA_IFNAME]), "cni0");
	CHECK(tb[IFLA_MTU] && mnl_attr_get_u32(tb[IFLA_MTU]) == 9000);
	nl_attr_index_nested(tb[IFLA_LINKINFO], info, IFLA_INFO_MAX);
	CHECK_STR(mnl_attr_get_str(info[IFLA_INFO_KIND]), "bridge");
	CHECK(info[IFLA_INFO_DATA] != NULL);
	if (info[IFLA_INFO_DATA]) {
		nl_attr_index_nested(info[IFLA_INFO_DATA], br, IFLA_BR_MAX);
		CHECK(br[IFLA_BR_VLAN_FILTERING] &&
		      mnl_attr_get_u8(br[IFLA_BR_VLAN_FILTERING]) == 1);
	}

	CHECK_INT(nl_link_build_bridge(buf, "cni0", 0, false, &nlh, &err), 0);
	nl_attr_index(nlh, sizeof(struct ifinfomsg), tb, IFLA_MAX);
	CHECK(tb[IFLA_MTU] == NULL);
	nl_attr_index_nested(tb[IFLA_LINKINFO], info, IFLA_INFO_MAX);
	CHECK(info[IFLA_INFO_DATA] == NULL);

	CHECK_INT(nl_link_build_bridge(buf, "", 0, false, &nlh, &err), -EINVAL);
}

static void test_build_ifb_alias(void)
{
	const struct nlattr *tb[IFLA_MAX + 1], *info[IFLA_INFO_MAX + 1];
	const struct ifinfomsg *ifi;
	struct cni_err err = {0};
	char buf[NL_MSG_BUF_SIZE], alias[NL_ALIAS_MAX + 1];
	struct nlmsghdr *nlh;

	CHECK_INT(nl_link_build_ifb(buf, "bwpe88f49d94512", 1450, &nlh, &err), 0);
	CHECK_INT(nlh->nlmsg_type, RTM_NEWLINK);
	CHECK_INT(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL);
	ifi = mnl_nlmsg_get_payload(nlh);
	CHECK_INT(ifi->ifi_change, IFF_UP);
	CHECK_INT(ifi->ifi_flags, IFF_UP);
	CHECK_INT(ifi->ifi_index, 0);
	nl_attr_index(nlh, sizeof(*ifi), tb, IFLA_MAX);
	CHECK(tb[IFLA_IFNAME] && strcmp(mnl_attr_get_str(tb[IFLA_IFNAME]), "bwpe88f49d94512") == 0);
	CHECK(tb[IFLA_MTU] && mnl_attr_get_u32(tb[IFLA_MTU]) == 1450);
	CHECK(tb[IFLA_TXQLEN] && mnl_attr_get_u32(tb[IFLA_TXQLEN]) == 0);
	CHECK(tb[IFLA_LINKINFO] != NULL);
	if (tb[IFLA_LINKINFO]) {
		nl_attr_index_nested(tb[IFLA_LINKINFO], info, IFLA_INFO_MAX);
		CHECK(info[IFLA_INFO_KIND] &&
		      strcmp(mnl_attr_get_str(info[IFLA_INFO_KIND]), "ifb") == 0);
		CHECK(info[IFLA_INFO_DATA] == NULL);
	}
	CHECK_INT(nl_link_build_ifb(buf, "bwp0", 0, &nlh, &err), 0);
	nl_attr_index(nlh, sizeof(*ifi), tb, IFLA_MAX);
	CHECK(tb[IFLA_MTU] == NULL);
	CHECK_INT(nl_link_build_ifb(buf, "bwp-name-too-long", 0, &nlh, &err), -EINVAL);
	CHECK(strstr(err.msg, "'bwp-name-too-long'") != NULL);
	CHECK_INT(nl_link_build_ifb(buf, "a b", 0, &nlh, &err), -EINVAL);
	CHECK_INT(nl_link_build_ifb(buf, "", 0, &nlh, &err), -EINVAL);

	CHECK_INT(nl_link_build_alias(buf, 5, "cni-bandwidth net cid", &nlh, &err), 0);
	CHECK_INT(nlh->nlmsg_type, RTM_NEWLINK);
	CHECK_INT(nlh->nlmsg_flags, NLM_F_REQUEST);
	ifi = mnl_nlmsg_get_payload(nlh);
	CHECK_INT(ifi->ifi_index, 5);
	nl_attr_index(nlh, sizeof(*ifi), tb, IFLA_MAX);
	CHECK(tb[IFLA_IFALIAS] && mnl_attr_get_payload_len(tb[IFLA_IFALIAS]) == 21 &&
	      memcmp(mnl_attr_get_payload(tb[IFLA_IFALIAS]), "cni-bandwidth net cid", 21) == 0);
	memset(alias, 'a', NL_ALIAS_MAX);
	alias[NL_ALIAS_MAX] = '\0';
	CHECK_INT(nl_link_build_alias(buf, 5, alias, &nlh, &err), -EINVAL);
	alias[NL_ALIAS_MAX - 1] = '\0';
	CHECK_INT(nl_link_build_alias(buf, 5, alias, &nlh, &err), 0);
	CHECK_INT(nl_link_build_alias(buf, 0, "x", &nlh, &err), -EINVAL);
}

static void test_build_link_misc(void)
{
	static const uint8_t mac[6] = {0x02, 0, 0, 0, 0, 0x01};
	const struct nlattr *tb[IFLA_MAX + 1];
	struct cni_err err = {0};
	char buf[NL_MSG_BUF_SIZE];
	const struct ifinfomsg *ifi;
	struct nlmsghdr *nlh;

	nlh = nl_link_build_flags(buf, 5, IFF_UP, IFF_UP | IFF_PROMISC);
	ifi = mnl_nlmsg_get_payload(nlh);
	CHECK_INT(nlh->nlmsg_type, RTM_NEWLINK);
	CHECK_INT(ifi->ifi_index, 5);
	CHECK_INT(ifi->ifi_change, IFF_UP);
	CHECK_INT(ifi->ifi_flags, IFF_UP); /* only bits in change are sent */

	nlh = nl_link_build_u32(buf, 6, IFLA_MASTER, 3);
	nl_attr_index(nlh, sizeof(*ifi), tb, IFLA_MAX);
	CHECK(tb[IFLA_MASTER] && mnl_attr_get_u32(tb[IFLA_MASTER]) == 3);
	CHECK_INT(((const struct ifinfomsg *)mnl_nlmsg_get_payload(nlh))->ifi_index, 6);

	CHECK_INT(nl_link_build_mac(buf, 7, mac, 6, &nlh, &err), 0);
	nl_attr_index(nlh, sizeof(*ifi), tb, IFLA_MAX);
	CHECK(tb[IFLA_ADDRESS] && mnl_attr_get_payload_len(tb[IFLA_ADDRESS]) == 6 &&
	      memcmp(mnl_attr_get_payload(tb[IFLA_ADDRESS]), mac, 6) == 0);
	CHECK_INT(nl_link_build_mac(buf, 7, mac, 0, &nlh, &err), -EINVAL);

	CHECK_INT(nl_link_build_get(buf, 0, "eth0", &nlh, &err), 0);
	CHECK_INT(nlh->nlmsg_type, RTM_GETLINK);
	CHECK_INT(nlh->nlmsg_flags, NLM_F_REQUEST);
	nl_attr_index(nlh, sizeof(*ifi), tb, IFLA_MAX);
	CHECK_STR(mnl_attr_get_str(tb[IFLA_IFNAME]), "eth0");

	CHECK_INT(nl_link_build_del(buf, 9, NULL, &nlh, &err), 0);
	CHECK_INT(nlh->nlmsg_type, RTM_DELLINK);
	CHECK_INT(((const struct ifinfomsg *)mnl_nlmsg_get_payload(nlh))->ifi_index, 9);
}

static void test_build_brport(void)
{
	struct nl_brport_req req = {.ifindex = 4, .hairpin = 1, .isolated = 0};
	const struct nlattr *tb[IFLA_MAX + 1], *bp[IFLA_BRPORT_MAX + 1];
	char buf[NL_MSG_BUF_SIZE];
	const struct ifinfomsg *ifi;
	struct nlmsghdr *nlh;

	nlh = nl_link_build_brport(buf, &req);
	ifi = mnl_nlmsg_get_payload(nlh);
	CHECK_INT(nlh->nlmsg_type, RTM_SETLINK);
	CHECK_INT(nlh->nlmsg_flags, NLM_F_REQUEST);
	CHECK_INT(ifi->ifi_family, AF_BRIDGE);
	CHECK_INT(ifi->ifi_index, 4);
	nl_attr_index(nlh, sizeof(*ifi), tb, IFLA_MAX);
	CHECK(tb[IFLA_PROTINFO] != NULL);
	if (!tb[IFLA_PROTINFO])
		return;
	CHECK(tb[IFLA_PROTINFO]->nla_type & NLA_F_NESTED);
	nl_attr_index_nested(tb[IFLA_PROTINFO], bp, IFLA_BRPORT_MAX);
	CHECK(bp[IFLA_BRPORT_MODE] && mnl_attr_get_u8(bp[IFLA_BRPORT_MODE]) == 1);
	CHECK(bp[IFLA_BRPORT_ISOLATED] && mnl_attr_get_u8(bp[IFLA_BRPORT_ISOLATED]) == 0);

	req.hairpin = -1;
	req.isolated = 1;
	nlh = nl_link_build_brport(buf, &req);
	nl_attr_index(nlh, sizeof(*ifi), tb, IFLA_MAX);
	nl_attr_index_nested(tb[IFLA_PROTINFO], bp, IFLA_BRPORT_MAX);
	CHECK(bp[IFLA_BRPORT_MODE] == NULL);
	CHECK(bp[IFLA_BRPORT_ISOLATED] && mnl_attr_get_u8(bp[IFLA_BRPORT_ISOLATED]) == 1);
}

static void test_build_vlan(void)
{
	const struct nlattr *tb[IFLA_MAX + 1], *spec[IFLA_BRIDGE_MAX + 1];
	const struct bridge_vlan_info *vi;
	struct cni_err err = {0};
	char buf[NL_MSG_BUF_SIZE];
	struct nlmsghdr *nlh;

	CHECK_INT(nl_link_build_vlan(buf, true, 8, 100,
				     BRIDGE_VLAN_INFO_PVID | BRIDGE_VLAN_INFO_UNTAGGED,
				     BRIDGE_FLAGS_MASTER, &nlh, &err),
		  0);
	CHECK_INT(nlh->nlmsg_type, RTM_SETLINK);
	CHECK_INT(((const struct ifinfomsg *)mnl_nlmsg_get_payload(nlh))->ifi_family, AF_BRIDGE);
	CHECK_INT(((const struct ifinfomsg *)mnl_nlmsg_get_payload(nlh))->ifi_index, 8);
	nl_attr_index(nlh, sizeof(struct ifinfomsg), tb, IFLA_MAX);
	CHECK(tb[IFLA_AF_SPEC] != NULL);
	nl_attr_index_nested(tb[IFLA_AF_SPEC], spec, IFLA_BRIDGE_MAX);
	CHECK(spec[IFLA_BRIDGE_FLAGS] &&
	      mnl_attr_get_u16(spec[IFLA_BRIDGE_FLAGS]) == BRIDGE_FLAGS_MASTER);
	CHECK(spec[IFLA_BRIDGE_VLAN_INFO] &&
	      mnl_attr_get_payload_len(spec[IFLA_BRIDGE_VLAN_INFO]) == sizeof(*vi));
	vi = mnl_attr_get_payload(spec[IFLA_BRIDGE_VLAN_INFO]);
	CHECK_INT(vi->vid, 100);
	CHECK_INT(vi->flags, BRIDGE_VLAN_INFO_PVID | BRIDGE_VLAN_INFO_UNTAGGED);

	CHECK_INT(nl_link_build_vlan(buf, false, 8, 4094, 0, 0, &nlh, &err), 0);
	CHECK_INT(nlh->nlmsg_type, RTM_DELLINK);
	nl_attr_index(nlh, sizeof(struct ifinfomsg), tb, IFLA_MAX);
	nl_attr_index_nested(tb[IFLA_AF_SPEC], spec, IFLA_BRIDGE_MAX);
	CHECK(spec[IFLA_BRIDGE_FLAGS] == NULL);
	vi = mnl_attr_get_payload(spec[IFLA_BRIDGE_VLAN_INFO]);
	CHECK_INT(vi->vid, 4094);
	CHECK_INT(vi->flags, 0);

	CHECK_INT(nl_link_build_vlan(buf, true, 8, 0, 0, 0, &nlh, &err), -EINVAL);
	CHECK_INT(nl_link_build_vlan(buf, true, 8, 4095, 0, 0, &nlh, &err), -EINVAL);
}

static void test_build_addr(void)
{
	struct nl_addr a = {.family = AF_INET, .ifindex = 3, .prefix_len = 24};
	const struct nlattr *tb[IFA_MAX + 1];
	const struct ifaddrmsg *ifa;
	struct cni_err err = {0};
	char buf[NL_MSG_BUF_SIZE];
	struct nlmsghdr *nlh;
	uint8_t want[16];

	parse_ip(AF_INET, "10.1.2.3", a.addr);
	CHECK_INT(nl_addr_build(buf, true, &a, &nlh, &err), 0);
	CHECK_INT(nlh->nlmsg_type, RTM_NEWADDR);
	CHECK_INT(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL);
	ifa = mnl_nlmsg_get_payload(nlh);
	CHECK_INT(ifa->ifa_family, AF_INET);
	CHECK_INT(ifa->ifa_prefixlen, 24);
	CHECK_INT(ifa->ifa_index, 3);
	CHECK_INT(ifa->ifa_flags, 0);
	nl_attr_index(nlh, sizeof(*ifa), tb, IFA_MAX);
	CHECK(tb[IFA_LOCAL] && memcmp(mnl_attr_get_payload(tb[IFA_LOCAL]), a.addr, 4) == 0);
	CHECK(tb[IFA_ADDRESS] && memcmp(mnl_attr_get_payload(tb[IFA_ADDRESS]), a.addr, 4) == 0);
	parse_ip(AF_INET, "10.1.2.255", want);
	CHECK(tb[IFA_BROADCAST] && memcmp(mnl_attr_get_payload(tb[IFA_BROADCAST]), want, 4) == 0);
	CHECK(tb[IFA_FLAGS] == NULL);

	/* A /31 has no broadcast. */
	a.prefix_len = 31;
	CHECK_INT(nl_addr_build(buf, true, &a, &nlh, &err), 0);
	nl_attr_index(nlh, sizeof(*ifa), tb, IFA_MAX);
	CHECK(tb[IFA_BROADCAST] == NULL);

	a.family = AF_INET6;
	a.prefix_len = 64;
	a.flags = IFA_F_NODAD;
	parse_ip(AF_INET6, "fd00::5", a.addr);
	CHECK_INT(nl_addr_build(buf, true, &a, &nlh, &err), 0);
	ifa = mnl_nlmsg_get_payload(nlh);
	CHECK_INT(ifa->ifa_family, AF_INET6);
	CHECK_INT(ifa->ifa_flags, IFA_F_NODAD);
	nl_attr_index(nlh, sizeof(*ifa), tb, IFA_MAX);
	CHECK(tb[IFA_LOCAL] == NULL && tb[IFA_BROADCAST] == NULL);
	CHECK(tb[IFA_ADDRESS] && memcmp(mnl_attr_get_payload(tb[IFA_ADDRESS]), a.addr, 16) == 0);
	CHECK(tb[IFA_FLAGS] && mnl_attr_get_u32(tb[IFA_FLAGS]) == IFA_F_NODAD);

	CHECK_INT(nl_addr_build(buf, false, &a, &nlh, &err), 0);
	CHECK_INT(nlh->nlmsg_type, RTM_DELADDR);
	CHECK_INT(nlh->nlmsg_flags, NLM_F_REQUEST);

	a.prefix_len = 129;
	CHECK_INT(nl_addr_build(buf, true, &a, &nlh, &err), -EINVAL);
	a.family = AF_PACKET;
	CHECK_INT(nl_addr_build(buf, true, &a, &nlh, &err), -EAFNOSUPPORT);
}

static void test_build_route(void)
{
	struct nl_route r = {.family = AF_INET,
			     .dst_len = 16,
			     .has_gw = true,
			     .oif = 5,
			     .priority = 100,
			     .table = 200,
			     .scope = RT_SCOPE_UNIVERSE};
	const struct nlattr *tb[RTA_MAX + 1];
	struct cni_err err = {0};
	char buf[NL_MSG_BUF_SIZE];
	const struct rtmsg *rtm;
	struct nlmsghdr *nlh;

	parse_ip(AF_INET, "10.2.0.0", r.dst);
	parse_ip(AF_INET, "10.1.0.1", r.gw);
	CHECK_INT(nl_route_build(buf, true, &r, &nlh, &err), 0);
	CHECK_INT(nlh->nlmsg_type, RTM_NEWROUTE);
	CHECK_INT(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_CREATE);
	rtm = mnl_nlmsg_get_payload(nlh);
	CHECK_INT(rtm->rtm_family, AF_INET);
	CHECK_INT(rtm->rtm_dst_len, 16);
	CHECK_INT(rtm->rtm_table, 200);
	CHECK_INT(rtm->rtm_protocol, RTPROT_BOOT);
	CHECK_INT(rtm->rtm_scope, RT_SCOPE_UNIVERSE);
	CHECK_INT(rtm->rtm_type, RTN_UNICAST);
	nl_attr_index(nlh, sizeof(*rtm), tb, RTA_MAX);
	CHECK(tb[RTA_DST] && memcmp(mnl_attr_get_payload(tb[RTA_DST]), r.dst, 4) == 0);
	CHECK(tb[RTA_GATEWAY] && memcmp(mnl_attr_get_payload(tb[RTA_GATEWAY]), r.gw, 4) == 0);
	CHECK(tb[RTA_OIF] && mnl_attr_get_u32(tb[RTA_OIF]) == 5);
	CHECK(tb[RTA_PRIORITY] && mnl_attr_get_u32(tb[RTA_PRIORITY]) == 100);
	CHECK(tb[RTA_TABLE] && mnl_attr_get_u32(tb[RTA_TABLE]) == 200);

	/* Defaults: main table, no dst for a default route, no gateway, link scope honoured. */
	memset(&r, 0, sizeof(r));
	r.family = AF_INET6;
	r.oif = 2;
	r.scope = RT_SCOPE_LINK;
	r.excl = true;
	CHECK_INT(nl_route_build(buf, true, &r, &nlh, &err), 0);
	CHECK_INT(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL);
	rtm = mnl_nlmsg_get_payload(nlh);
	CHECK_INT(rtm->rtm_table, RT_TABLE_MAIN);
	CHECK_INT(rtm->rtm_scope, RT_SCOPE_LINK);
	nl_attr_index(nlh, sizeof(*rtm), tb, RTA_MAX);
	CHECK(tb[RTA_DST] == NULL && tb[RTA_GATEWAY] == NULL && tb[RTA_PRIORITY] == NULL);
	CHECK(tb[RTA_TABLE] && mnl_attr_get_u32(tb[RTA_TABLE]) == RT_TABLE_MAIN);

	/* Delete: wildcards for scope/protocol/type. */
	CHECK_INT(nl_route_build(buf, false, &r, &nlh, &err), 0);
	CHECK_INT(nlh->nlmsg_type, RTM_DELROUTE);
	CHECK_INT(nlh->nlmsg_flags, NLM_F_REQUEST);
	rtm = mnl_nlmsg_get_payload(nlh);
	CHECK_INT(rtm->rtm_scope, RT_SCOPE_NOWHERE);
	CHECK_INT(rtm->rtm_protocol, 0);
	CHECK_INT(rtm->rtm_type, 0);

	/* Tables above 255 only travel in RTA_TABLE. */
	r.table = 1000;
	CHECK_INT(nl_route_build(buf, true, &r, &nlh, &err), 0);
	rtm = mnl_nlmsg_get_payload(nlh);
	CHECK_INT(rtm->rtm_table, RT_TABLE_UNSPEC);
	nl_attr_index(nlh, sizeof(*rtm), tb, RTA_MAX);
	CHECK(tb[RTA_TABLE] && mnl_attr_get_u32(tb[RTA_TABLE]) == 1000);

	r.dst_len = 129;
	CHECK_INT(nl_route_build(buf, true, &r, &nlh, &err), -EINVAL);

	parse_ip(AF_INET, "10.9.8.7", r.dst);
	CHECK_INT(nl_route_build_get(buf, AF_INET, r.dst, &nlh, &err), 0);
	CHECK_INT(nlh->nlmsg_type, RTM_GETROUTE);
	CHECK_INT(nlh->nlmsg_flags, NLM_F_REQUEST);
	rtm = mnl_nlmsg_get_payload(nlh);
	CHECK_INT(rtm->rtm_dst_len, 32);
	nl_attr_index(nlh, sizeof(*rtm), tb, RTA_MAX);
	CHECK(tb[RTA_DST] && memcmp(mnl_attr_get_payload(tb[RTA_DST]), r.dst, 4) == 0);
}

/* The parsers, fed with messages shaped like the kernel's. */
static void test_parse(void)
{
	static const uint8_t mac[6] = {0x02, 1, 2, 3, 4, 5};
	struct nlattr *linkinfo, *slave;
	struct cni_err err = {0};
	char buf[NL_MSG_BUF_SIZE];
	struct ifinfomsg *ifi;
	struct ifaddrmsg *ifa;
	struct nlmsghdr *nlh;
	struct nl_link l;
	struct nl_addr a;

	nlh = nl_msg_init(buf, RTM_NEWLINK, 0);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_index = 12;
	ifi->ifi_flags = IFF_UP | IFF_PROMISC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "vethx");
	mnl_attr_put(nlh, IFLA_IFALIAS, 5, "tag 1");
	mnl_attr_put_u32(nlh, IFLA_MTU, 1450);
	mnl_attr_put_u32(nlh, IFLA_MASTER, 3);
	mnl_attr_put_u32(nlh, IFLA_LINK, 2);
	mnl_attr_put_u32(nlh, IFLA_LINK_NETNSID, 0);
	mnl_attr_put_u8(nlh, IFLA_OPERSTATE, IF_OPER_UP);
	mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac);
	linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	mnl_attr_put_strz(nlh, IFLA_INFO_SLAVE_KIND, "bridge");
	slave = mnl_attr_nest_start(nlh, IFLA_INFO_SLAVE_DATA);
	mnl_attr_put_u8(nlh, IFLA_BRPORT_MODE, 1);
	mnl_attr_put_u8(nlh, IFLA_BRPORT_ISOLATED, 0);
	mnl_attr_nest_end(nlh, slave);
	mnl_attr_nest_end(nlh, linkinfo);
	CHECK_INT(nl_link_parse(nlh, &l, &err), 0);
	CHECK_INT(l.index, 12);
	CHECK_STR(l.name, "vethx");
	CHECK_STR(l.alias, "tag 1");
	CHECK_STR(l.kind, "veth");
	CHECK_STR(l.slave_kind, "bridge");
	CHECK_INT(l.mtu, 1450);
	CHECK_INT(l.master, 3);
	CHECK_INT(l.link, 2);
	CHECK(l.has_link_netnsid && l.link_netnsid == 0);
	CHECK_INT(l.operstate, IF_OPER_UP);
	CHECK(l.flags & IFF_PROMISC);
	CHECK(l.mac_len == 6 && memcmp(l.mac, mac, 6) == 0);
	CHECK_INT(l.hairpin, 1);
	CHECK_INT(l.isolated, 0);
	CHECK_INT(l.vlan_filtering, -1);
	CHECK_STR(nl_operstate_name(l.operstate), "up");
	CHECK_STR(nl_operstate_name(IF_OPER_LOWERLAYERDOWN), "lowerlayerdown");
	CHECK_STR(nl_operstate_name(200), "unknown");

	nlh = nl_msg_init(buf, RTM_NEWADDR, 0);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET6;
	ifa->ifa_prefixlen = 64;
	ifa->ifa_index = 4;
	ifa->ifa_flags = IFA_F_PERMANENT;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	mnl_attr_put(nlh, IFA_ADDRESS, 16, "\xfd\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x07");
	mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_PERMANENT | IFA_F_NOPREFIXROUTE);
	CHECK_INT(nl_addr_parse(nlh, &a, &err), 0);
	CHECK_INT(a.family, AF_INET6);
	CHECK_INT(a.ifindex, 4);
	CHECK_INT(a.prefix_len, 64);
	CHECK_INT(a.flags, IFA_F_PERMANENT | IFA_F_NOPREFIXROUTE); /* IFA_FLAGS wins */
	CHECK_INT(a.addr[15], 7);

	nlh->nlmsg_type = RTM_NEWLINK;
	CHECK_INT(nl_addr_parse(nlh, &a, &err), -EBADMSG);
}

/* ---- part 1b: the transport's receive half on crafted replies ------------------------- */

#define MY_PORT 4711u

/* Append a message header of type for seq (from the kernel to MY_PORT) at *off of buf. */
static struct nlmsghdr *put_msg(char *buf, size_t *off, uint16_t type, uint16_t flags, uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf + *off);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_pid = MY_PORT;
	return nlh;
}

/* Finish the message started at *off: the next one starts after it. */
static void end_msg(size_t *off, const struct nlmsghdr *nlh)
{
	*off += MNL_ALIGN(nlh->nlmsg_len);
}

/* Append the kernel's NLMSG_ERROR for seq: error (0 = ACK or -errno), the echoed request
 * (only its header when capped, else 8 bytes of payload too), and the extack text. */
static void put_ack(char *buf, size_t *off, uint32_t seq, int error, bool capped,
		    const char *extack)
{
	struct nlmsghdr *nlh = put_msg(buf, off, NLMSG_ERROR, capped ? NLM_F_CAPPED : 0, seq);
	struct nlmsgerr *me = mnl_nlmsg_put_extra_header(nlh, sizeof(*me));

	me->error = error;
	me->msg.nlmsg_len = sizeof(struct nlmsghdr) + (capped ? 0 : 8);
	me->msg.nlmsg_seq = seq;
	if (!capped)
		mnl_nlmsg_put_extra_header(nlh, 8);
	if (extack) {
		nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
		mnl_attr_put_u32(nlh, NLMSGERR_ATTR_OFFS, 20);
		mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, extack);
	}
	end_msg(off, nlh);
}

/* Append NLMSG_DONE for seq with status (and extack when status < 0). */
static void put_done(char *buf, size_t *off, uint32_t seq, int status, const char *extack)
{
	struct nlmsghdr *nlh = put_msg(buf, off, NLMSG_DONE, NLM_F_MULTI, seq);
	int *p = mnl_nlmsg_put_extra_header(nlh, sizeof(int));

	*p = status;
	if (extack) {
		nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
		mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, extack);
	}
	end_msg(off, nlh);
}

/* Append a data message (an empty RTM_NEWLINK) for seq. */
static void put_data(char *buf, size_t *off, uint32_t seq, uint16_t flags)
{
	struct nlmsghdr *nlh = put_msg(buf, off, RTM_NEWLINK, flags, seq);

	mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
	end_msg(off, nlh);
}

/* Counts the data messages it sees; fails on the one numbered fail_at (1-based). */
struct count_cb {
	int seen;    /* messages passed on */
	int fail_at; /* 0: never fail */
};

static int count_cb(const struct nlmsghdr *nlh, void *data, struct cni_err *err)
{
	struct count_cb *c = data;

	if (nlh && ++c->seen == c->fail_at)
		return cni_err_errno(err, CNI_ERR_INTERNAL, ENOMEM, "callback failed");
	return 0;
}

/* A fresh exchange of mode for the single sequence number seq, data messages to c. */
static void rx_start(struct nl_rx *rx, enum nl_rx_mode mode, uint32_t seq, struct count_cb *c)
{
	memset(rx, 0, sizeof(*rx));
	rx->mode = mode;
	rx->portid = MY_PORT;
	rx->seq_first = rx->seq_last = seq;
	if (c) {
		memset(c, 0, sizeof(*c));
		rx->cb = count_cb;
		rx->data = c;
	}
}

static void test_rx_ack_and_extack(void)
{
	static char buf[4096];
	struct cni_err err = {0};
	struct nl_rx rx;
	size_t off = 0;

	rx_start(&rx, NL_RX_ACK, 7, NULL);
	memset(buf, 0, sizeof(buf));
	/* Left over from another exchange: other sequence number, other port. */
	put_ack(buf, &off, 6, -EBUSY, true, "stale");
	put_ack(buf, &off, 7, -EEXIST, true, "Object exists");
	CHECK_INT(nl_rx_feed(&rx, buf, off, &err), 0);
	CHECK(rx.done);
	/* The second one answers seq 7: refused with the kernel's text. */
	CHECK_INT(rx.acks, 1);
	CHECK_INT(rx.refusal.error, EEXIST);
	CHECK_INT(rx.refusal.seq, 7);
	CHECK_STR(rx.refusal.extack, "Object exists");
	CHECK_INT(nl_rx_status(&rx, &err), -EEXIST);
	CHECK_STR(err.msg, "file exists: Object exists");
	CHECK_STR(err.details, "Object exists");
	CHECK_INT(err.sys_errno, EEXIST);
	CHECK_INT(err.code, CNI_ERR_INTERNAL);

	/* Another port's message is skipped; the echoed request (not capped) is stepped over. */
	memset(buf, 0, sizeof(buf));
	rx_start(&rx, NL_RX_ACK, 8, NULL);
	off = 0;
	put_ack(buf, &off, 8, 0, true, NULL);
	((struct nlmsghdr *)buf)->nlmsg_pid = MY_PORT + 1;
	CHECK_INT(nl_rx_feed(&rx, buf, off, &err), 0);
	CHECK(!rx.done);
	off = 0;
	put_ack(buf, &off, 8, -ENODEV, false, "Device not found");
	CHECK_INT(nl_rx_feed(&rx, buf, off, &err), 0);
	CHECK(rx.done);
	CHECK_INT(nl_rx_status(&rx, &err), -ENODEV);
	CHECK_STR(err.msg, "no such device: Device not found");

	/* A plain ACK; an error without extack is Go's errno text alone. */
	rx_start(&rx, NL_RX_ACK, 9, NULL);
	off = 0;
	put_ack(buf, &off, 9, 0, true, NULL);
	CHECK_INT(nl_rx_feed(&rx, buf, off, &err), 0);
	CHECK(rx.done);
	CHECK_INT(nl_rx_status(&rx, &err), 0);
	rx_start(&rx, NL_RX_ACK, 9, NULL);
	off = 0;
	put_ack(buf, &off, 9, -EPERM, true, NULL);
	CHECK_INT(nl_rx_feed(&rx, buf, off, &err), 0);
	CHECK_INT(nl_rx_status(&rx, &err), -EPERM);
	CHECK_STR(err.msg, "operation not permitted");
	CHECK_STR(err.details, "");

	/* A truncated error message is refused. */
	rx_start(&rx, NL_RX_ACK, 9, NULL);
	off = 0;
	put_ack(buf, &off, 9, -EPERM, true, NULL);
	((struct nlmsghdr *)buf)->nlmsg_len = sizeof(struct nlmsghdr) + 4;
	CHECK_INT(nl_rx_feed(&rx, buf, sizeof(struct nlmsghdr) + 4, &err), -EBADMSG);
	CHECK_STR(err.msg, "truncated netlink error message");
}

static void test_rx_dump_intr(void)
{
	static char buf[4096];
	struct cni_err err = {0};
	struct count_cb c;
	struct nl_rx rx;
	size_t off = 0;

	rx_start(&rx, NL_RX_DUMP, 20, &c);
	memset(buf, 0, sizeof(buf));
	put_data(buf, &off, 20, NLM_F_MULTI);
	put_data(buf, &off, 19, NLM_F_MULTI); /* not ours */
	put_data(buf, &off, 20, NLM_F_MULTI | NLM_F_DUMP_INTR);
	put_data(buf, &off, 20, NLM_F_MULTI);
	CHECK_INT(nl_rx_feed(&rx, buf, off, &err), 0);
	CHECK(!rx.done);
	CHECK(rx.intr);
	/* Once the dump is known to be stale nothing more reaches the callback. */
	CHECK_INT(c.seen, 1);
	off = 0;
	put_done(buf, &off, 20, 0, NULL);
	CHECK_INT(nl_rx_feed(&rx, buf, off, &err), 0);
	CHECK(rx.done);
	CHECK_INT(nl_rx_status(&rx, &err), -EINTR);
	CHECK_INT(err.code, CNI_ERR_TRY_AGAIN);
	CHECK_INT(err.sys_errno, EINTR);
	CHECK(strstr(err.msg, "interrupted") != NULL);

	/* Without the flag: every message, then NLMSG_DONE ends it; an ACK inside a dump does
	 * not. */
	rx_start(&rx, NL_RX_DUMP, 21, &c);
	off = 0;
	put_data(buf, &off, 21, NLM_F_MULTI);
	put_ack(buf, &off, 21, 0, true, NULL);
	put_data(buf, &off, 21, NLM_F_MULTI);
	put_done(buf, &off, 21, 0, NULL);
	put_data(buf, &off, 21, NLM_F_MULTI); /* after the end: not looked at */
	CHECK_INT(nl_rx_feed(&rx, buf, off, &err), 0);
	CHECK(rx.done && !rx.intr);
	CHECK_INT(c.seen, 2);
	CHECK_INT(nl_rx_status(&rx, &err), 0);

	/* A failed dump: NLMSG_DONE with a negative status and extack. */
	rx_start(&rx, NL_RX_DUMP, 22, NULL);
	off = 0;
	put_done(buf, &off, 22, -EOPNOTSUPP, "dump not supported");
	CHECK_INT(nl_rx_feed(&rx, buf, off, &err), 0);
	CHECK(rx.done);
	CHECK_INT(nl_rx_status(&rx, &err), -EOPNOTSUPP);
	CHECK_STR(err.details, "dump not supported");

	/* A callback failure wins and stops the callbacks; the dump is still read to its end. */
	rx_start(&rx, NL_RX_DUMP, 23, &c);
	c.fail_at = 1;
	off = 0;
	put_data(buf, &off, 23, NLM_F_MULTI);
	put_data(buf, &off, 23, NLM_F_MULTI);
	put_done(buf, &off, 23, 0, NULL);
	CHECK_INT(nl_rx_feed(&rx, buf, off, &err), 0);
	CHECK(rx.done);
	CHECK_INT(c.seen, 1);
	CHECK_INT(nl_rx_status(&rx, &err), -ENOMEM);
	CHECK_STR(err.msg, "callback failed");
}

static void test_rx_batch(void)
{
	static char buf[4096];
	struct nl_rx rx = {.mode = NL_RX_BATCH,
			   .portid = MY_PORT,
			   .seq_first = 0xfffffffe, /* the counter wraps inside the batch */
			   .seq_last = 2,
			   .acks_wanted = 3};
	struct cni_err err = {0};
	struct nl_sock sock = {0};
	size_t off = 0;

	memset(buf, 0, sizeof(buf));
	put_ack(buf, &off, 0xffffffff, 0, true, NULL);
	put_ack(buf, &off, 0, -ENOENT, true, "No such file or directory");
	put_ack(buf, &off, 5, -EPERM, true, NULL); /* outside the batch */
	CHECK_INT(nl_rx_feed(&rx, buf, off, &err), 0);
	CHECK(!rx.done);
	CHECK_INT(rx.acks, 2);
	off = 0;
	put_ack(buf, &off, 1, -EBUSY, true, NULL);
	CHECK_INT(nl_rx_feed(&rx, buf, off, &err), 0);
	CHECK(rx.done);
	/* The first refusal names the failing message. */
	CHECK_INT(rx.refusal.seq, 0);
	CHECK_INT(rx.refusal.error, ENOENT);
	CHECK_INT(nl_rx_status(&rx, &err), -ENOENT);

	/* Callers with their own words keep the errno and the kernel's reason. */
	sock.refusal = rx.refusal;
	CHECK_INT(nl_err_wrap(&sock, &err, "failed to %s", "list things"), -ENOENT);
	CHECK_STR(err.msg, "failed to list things");
	CHECK_STR(err.details, "No such file or directory: No such file or directory");
	CHECK_INT(err.sys_errno, ENOENT);
	cni_err_errno(&err, CNI_ERR_INTERNAL, EPERM, "send failed");
	CHECK_INT(nl_err_wrap(&sock, &err, "failed to %s", "list things"), -EPERM);
	CHECK_STR(err.details, "Operation not permitted");
}

/* The container-namespace opener: the reference's words, and DEL's "gone". */
static void test_netns_open_container(void)
{
	char path[] = "/tmp/test_nl_XXXXXX";
	_cleanup_nl_close_ struct nl_sock *sock = NULL;
	struct cni_err err = {0};
	char want[128];
	int fd = -1, tmp, r;

	tmp = mkstemp(path);
	CHECK(tmp >= 0);
	if (tmp >= 0)
		close(tmp);
	/* Not a namespace. */
	CHECK_INT(netns_open_container(path, 0, &fd, &sock, &err), -EINVAL);
	snprintf(want, sizeof(want), "failed to open netns \"%s\": unknown FS magic on '%s'", path,
		 path);
	CHECK(strncmp(err.msg, want, strlen(want)) == 0);
	CHECK(err.details[0] == '\0');
	CHECK_INT(netns_open_container(path, NETNS_BARE, &fd, NULL, &err), -EINVAL);
	CHECK(strncmp(err.msg, "unknown FS magic on '", 21) == 0);
	CHECK_INT(netns_open_container(path, NETNS_GONE_OK, &fd, &sock, &err), 1);
	CHECK(err.msg[0] == '\0');
	unlink(path);
	/* Missing. */
	CHECK_INT(netns_open_container(path, 0, &fd, NULL, &err), -ENOENT);
	CHECK_INT(err.code, CNI_ERR_INTERNAL);
	snprintf(want, sizeof(want), "failed to open netns \"%s\": ", path);
	CHECK(strncmp(err.msg, want, strlen(want)) == 0);
	CHECK_INT(netns_open_container(path, NETNS_BARE, &fd, NULL, &err), -ENOENT);
	snprintf(want, sizeof(want), "failed to Statfs \"%s\": no such file or directory", path);
	CHECK_STR(err.msg, want);
	CHECK_INT(netns_open_container(path, NETNS_GONE_OK | NETNS_BARE, &fd, NULL, &err), 1);
	CHECK(fd == -1 && sock == NULL);

	/* A namespace: its fd, and a socket inside (entering it needs CAP_SYS_ADMIN). */
	r = netns_open_container("/proc/self/ns/net", 0, &fd, &sock, &err);
	if (r == -EPERM) {
		CHECK(strncmp(err.msg, "failed to open netns \"/proc/self/ns/net\": ", 43) == 0);
		CHECK_INT(netns_open_container("/proc/self/ns/net", 0, &fd, NULL, &err), 0);
	} else {
		CHECK_INT(r, 0);
		CHECK(sock != NULL);
	}
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	/* Without ret_fd the namespace fd is not kept. */
	nl_close(TAKE_PTR(sock));
	CHECK_INT(netns_open_container("/proc/self/ns/net", NETNS_GONE_OK, NULL, NULL, &err), 0);
}

static void test_netns_and_sysctl_unprivileged(void)
{
	char path[] = "/tmp/test_nl_XXXXXX";
	struct cni_err err = {0};
	char buf[64];
	bool self;
	int fd = -1, tmp;

	tmp = mkstemp(path);
	CHECK(tmp >= 0);
	if (tmp >= 0)
		close(tmp);
	CHECK_INT(netns_open(path, &fd, &err), -EINVAL);
	CHECK(strstr(err.msg, "unknown FS magic on '") != NULL);
	CHECK_INT(cni_err_ret(&err), -EINVAL); /* what err says agrees with the value */
	unlink(path);
	/* Now it is gone: ENOENT, which DEL treats as "already gone". */
	CHECK_INT(netns_open(path, &fd, &err), -ENOENT);
	CHECK(fd == -1);

	if (netns_open("/proc/self/ns/net", &fd, &err) == 0) {
		CHECK_INT(netns_is_current(fd, &self, &err), 0);
		CHECK(self);
		close(fd);
	}

	CHECK_INT(sysctl_read("kernel.ostype", buf, sizeof(buf), &err), 0);
	CHECK_STR(buf, "Linux");
	CHECK_INT(sysctl_read("/proc/sys/kernel/ostype", buf, sizeof(buf), &err), 0);
	CHECK_STR(buf, "Linux");
	CHECK_INT(sysctl_read("kernel/../../etc/passwd", buf, sizeof(buf), &err), -EINVAL);
	CHECK_INT(cni_err_ret(&err), -EINVAL);
	/* A path that does not fit is refused, never cut. */
	{
		char name[PATH_MAX + 16];

		memset(name, 'a', sizeof(name) - 1);
		name[sizeof(name) - 1] = '\0';
		CHECK_INT(sysctl_read(name, buf, sizeof(buf), &err), -ENAMETOOLONG);
		CHECK(strncmp(err.msg, "sysctl name 'aaa", 16) == 0);
		CHECK_INT(cni_err_ret(&err), -ENAMETOOLONG);
	}
	CHECK_INT(sysctl_read("net/ipv4/conf/no-such-if.100/forwarding", buf, sizeof(buf), &err),
		  -ENOENT);
}

/* ---- part 2: live ---------------------------------------------------------------------- */

/* The test's world: a private "host" namespace and a child holding a "container" one. */
struct live {
	pid_t child;	      /* the process holding the container namespace */
	int cns;	      /* fd of the container namespace */
	struct nl_sock *host; /* socket in our private namespace */
	struct nl_sock *cont; /* socket in the container namespace */
};

/* Run a shell command (inside our private namespace) and return its stdout, malloc'ed. */
static char *run(const char *fmt, ...) CNI_PRINTF(1, 2);
static char *run(const char *fmt, ...)
{
	char cmd[512], *out;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	out = live_output(cmd);
	return out ? out : strdup("");
}

/* CHECK that the output of a command contains needle. */
#define CHECK_CMD_HAS(needle, ...)                                 \
	do {                                                       \
		char *_o = run(__VA_ARGS__);                       \
		CHECK(strstr(_o, needle) != NULL);                 \
		if (!strstr(_o, needle))                           \
			fprintf(stderr, "  output was: %s\n", _o); \
		free(_o);                                          \
	} while (0)

/* The binary's private namespace (live_enter()) and the container side of the live tests: a
 * child process in a namespace of its own, with a socket there and one in ours. Returns true
 * when everything is set up; live_skip says why not. */
static bool live_setup(struct live *lv)
{
	struct cni_err err = {0};
	char path[64], c;
	int pfd[2];

	memset(lv, 0, sizeof(*lv));
	lv->cns = -1;
	lv->child = -1;
	if (live_enter(0) < 0)
		return false;
	live_skip = "the live namespace could not be set up";
	if (pipe(pfd) < 0)
		return false;
	lv->child = fork();
	if (lv->child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		c = unshare(CLONE_NEWNET) == 0 ? 'y' : 'n';
		(void)!write(pfd[1], &c, 1);
		for (;;)
			pause();
	}
	close(pfd[1]);
	c = 'n';
	(void)!read(pfd[0], &c, 1);
	close(pfd[0]);
	CHECK(c == 'y');
	if (c != 'y')
		return false;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)lv->child);
	CHECK_INT(netns_open(path, &lv->cns, &err), 0);
	CHECK_INT(nl_open(&lv->host, &err), 0);
	CHECK_INT(nl_open_in_netns(lv->cns, &lv->cont, &err), 0);
	return lv->cns >= 0 && lv->host && lv->cont;
}

static void live_teardown(struct live *lv)
{
	nl_close(lv->host);
	nl_close(lv->cont);
	if (lv->cns >= 0)
		close(lv->cns);
	if (lv->child > 0) {
		kill(lv->child, SIGKILL);
		waitpid(lv->child, NULL, 0);
	}
}

/* Find an address in a list. */
static const struct nl_addr *find_addr(const struct nl_addr *v, size_t n, int family, const char *s)
{
	uint8_t a[16];
	size_t i;

	parse_ip(family, s, a);
	for (i = 0; i < n; i++)
		if (v[i].family == family && memcmp(v[i].addr, a, family == AF_INET ? 4 : 16) == 0)
			return &v[i];
	return NULL;
}

/* Find a route by dst/len in a list. */
static const struct nl_route *find_route(const struct nl_route *v, size_t n, int family,
					 const char *dst, int dst_len)
{
	uint8_t a[16];
	size_t i;

	parse_ip(family, dst, a);
	for (i = 0; i < n; i++)
		if (v[i].family == family && v[i].dst_len == dst_len &&
		    memcmp(v[i].dst, a, family == AF_INET ? 4 : 16) == 0)
			return &v[i];
	return NULL;
}

static void live_vlan(struct live *lv)
{
	struct nl_veth_req req = {.name = "vport0", .peer_name = "vport1", .peer_netns_fd = -1};
	struct cni_err err = {0};
	struct nl_link br, port;
	struct nl_vlan *vlans = NULL;
	size_t n = 0, i;
	bool has100 = false, has1 = false;
	int r;

	r = nl_link_add_bridge(lv->host, "brvlan", 0, true, &err);
	if (r == -EOPNOTSUPP) {
		UNIT_SKIP("kernel lacks bridge VLAN filtering (%s)", err.msg);
	}
	CHECK_INT(r, 0);
	CHECK_INT(nl_link_get_by_name(lv->host, "brvlan", &br, &err), 0);
	CHECK_INT(br.vlan_filtering, 1);
	CHECK_INT(nl_link_add_veth(lv->host, &req, &err), 0);
	CHECK_INT(nl_link_get_by_name(lv->host, "vport0", &port, &err), 0);
	CHECK_INT(nl_link_set_master(lv->host, port.index, br.index, &err), 0);
	CHECK_INT(nl_link_vlan_add(lv->host, port.index, 100,
				   BRIDGE_VLAN_INFO_PVID | BRIDGE_VLAN_INFO_UNTAGGED,
				   BRIDGE_FLAGS_MASTER, &err),
		  0);
	CHECK_INT(nl_link_vlan_list(lv->host, port.index, &vlans, &n, &err), 0);
	for (i = 0; i < n; i++) {
		if (vlans[i].vid == 100)
			has100 = (vlans[i].flags & BRIDGE_VLAN_INFO_PVID) &&
				 (vlans[i].flags & BRIDGE_VLAN_INFO_UNTAGGED);
		if (vlans[i].vid == 1)
			has1 = true;
	}
	free(vlans);
	CHECK(has100);
	CHECK(has1); /* the default PVID 1 entry, still there */
	CHECK_INT(nl_link_vlan_del(lv->host, port.index, 1, BRIDGE_FLAGS_MASTER, &err), 0);
	CHECK_INT(nl_link_vlan_list(lv->host, port.index, &vlans, &n, &err), 0);
	CHECK_INT(n, 1);
	free(vlans);
	CHECK_INT(nl_link_del(lv->host, port.index, &err), 0);
	CHECK_INT(nl_link_del(lv->host, br.index, &err), 0);
}

/* Poll until the link's operstate is up (up true) or anything else (up false), for at most
 * a minute: a bound on a hang, never what decides a result when the kernel works. */
static bool wait_operstate(struct nl_sock *sock, int ifindex, bool up)
{
	for (int i = 0; i < 6000; i++) {
		struct cni_err e = {0};
		struct nl_link l;

		if (nl_link_get_by_index(sock, ifindex, &l, &e) < 0)
			return false;
		if ((l.operstate == IF_OPER_UP) == up)
			return true;
		usleep(10 * 1000);
	}
	return false;
}

static void live_links(struct live *lv)
{
	static const uint8_t cmac[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
	static const uint8_t bmac[6] = {0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0x01};
	struct nl_veth_req req = {.name = "vethtest0",
				  .peer_name = "eth0",
				  .peer_netns_fd = lv->cns,
				  .mtu = 1400,
				  .peer_mac = cmac};
	struct nl_brport_req bp = {.hairpin = 1, .isolated = 1};
	struct cni_err err = {0};
	struct nl_link br, hv, cv, tmp;
	struct nl_link *links = NULL;
	size_t n = 0, i;
	bool self = true, seen_br = false, seen_veth = false;
	struct nl_vlan *vlans = NULL;

	CHECK_INT(netns_is_current(lv->cns, &self, &err), 0);
	CHECK(!self);

	CHECK_INT(nl_link_add_bridge(lv->host, "brtest0", 1400, false, &err), 0);
	CHECK_INT(nl_link_add_bridge(lv->host, "brtest0", 1400, false, &err), -EEXIST);
	CHECK_STR(err.msg, "file exists");
	CHECK_INT(nl_link_get_by_name(lv->host, "brtest0", &br, &err), 0);
	CHECK_STR(br.kind, "bridge");
	CHECK_INT(br.mtu, 1400);
	CHECK_INT(br.vlan_filtering, 0);
	CHECK_INT(br.master, 0);
	CHECK_INT(nl_link_get_by_index(lv->host, br.index, &tmp, &err), 0);
	CHECK_STR(tmp.name, "brtest0");

	CHECK_INT(nl_link_get_by_name(lv->host, "nosuchlink", &tmp, &err), -ENODEV);
	CHECK_STR(err.msg, "link 'nosuchlink' not found");
	CHECK_INT(nl_link_get_by_index(lv->host, 99999, &tmp, &err), -ENODEV);

	/* Host end here, peer "eth0" straight into the container. */
	CHECK_INT(nl_link_add_veth(lv->host, &req, &err), 0);
	CHECK_INT(nl_link_add_veth(lv->host, &req, &err), -EEXIST);
	CHECK_INT(nl_link_get_by_name(lv->host, "vethtest0", &hv, &err), 0);
	CHECK_INT(nl_link_get_by_name(lv->cont, "eth0", &cv, &err), 0);
	CHECK_INT(nl_link_get_by_name(lv->host, "eth0", &tmp, &err), -ENODEV);
	CHECK_STR(hv.kind, "veth");
	CHECK_STR(cv.kind, "veth");
	CHECK_INT(hv.mtu, 1400);
	CHECK_INT(cv.mtu, 1400);
	CHECK_INT(hv.link, cv.index);
	CHECK_INT(cv.link, hv.index);
	CHECK(hv.has_link_netnsid);
	CHECK(cv.mac_len == 6 && memcmp(cv.mac, cmac, 6) == 0);
	CHECK_INT(hv.hairpin, -1);
	CHECK_CMD_HAS("\"address\":\"02:11:22:33:44:55\"",
		      "nsenter --net=/proc/%d/ns/net ip -j link show dev eth0", (int)lv->child);

	/* Enslave and set port flags. */
	CHECK_INT(nl_link_set_master(lv->host, hv.index, br.index, &err), 0);
	bp.ifindex = hv.index;
	CHECK_INT(nl_link_set_brport(lv->host, &bp, &err), 0);
	CHECK_INT(nl_link_get_by_name(lv->host, "vethtest0", &hv, &err), 0);
	CHECK_INT(hv.master, br.index);
	CHECK_STR(hv.slave_kind, "bridge");
	CHECK_INT(hv.hairpin, 1);
	CHECK_INT(hv.isolated, 1);
	CHECK_CMD_HAS("\"hairpin\":true", "bridge -j -d link show dev vethtest0");
	CHECK_CMD_HAS("\"isolated\":true", "bridge -j -d link show dev vethtest0");
	bp.hairpin = 0;
	bp.isolated = 0;
	CHECK_INT(nl_link_set_brport(lv->host, &bp, &err), 0);
	CHECK_INT(nl_link_get_by_index(lv->host, hv.index, &hv, &err), 0);
	CHECK_INT(hv.hairpin, 0);
	CHECK_INT(hv.isolated, 0);
	/* Without VLAN filtering a port lists no VLANs (and the dump itself works). */
	CHECK_INT(nl_link_vlan_list(lv->host, hv.index, &vlans, &n, &err), 0);
	free(vlans);

	/* Up, and the port comes up once both ends are. */
	CHECK_INT(nl_link_set_up(lv->host, br.index, true, &err), 0);
	CHECK_INT(nl_link_set_up(lv->host, hv.index, true, &err), 0);
	CHECK_INT(nl_link_set_up(lv->cont, cv.index, true, &err), 0);
	/* The kernel publishes a carrier change later (its linkwatch work, up to a second and
	 * more on a slow machine): wait for it here, then the plugin's wait must see it. */
	CHECK(wait_operstate(lv->host, hv.index, true));
	CHECK_INT(nl_link_wait_oper_up(lv->host, hv.index, &err), 0);
	CHECK_INT(nl_link_get_by_index(lv->host, hv.index, &hv, &err), 0);
	CHECK(hv.flags & IFF_UP);
	CHECK_INT(hv.operstate, IF_OPER_UP);
	/* A down link times out with the reference's message (takes ~2.5 s), once the kernel
	 * has published that it is down. */
	CHECK_INT(nl_link_set_up(lv->cont, cv.index, false, &err), 0);
	CHECK(wait_operstate(lv->host, hv.index, false));
	CHECK_INT(nl_link_wait_oper_up(lv->host, hv.index, &err), -ETIMEDOUT);
	/* The kernel's operstate name: 6.1 reports the peer's state as the lower layer's. */
	if (strcmp(err.msg, "bridge port in error state: lowerlayerdown") != 0)
		CHECK_STR(err.msg, "bridge port in error state: down");
	CHECK_INT(nl_link_set_up(lv->cont, cv.index, true, &err), 0);

	/* Promisc on and off. */
	CHECK_INT(nl_link_set_promisc(lv->host, br.index, true, &err), 0);
	CHECK_INT(nl_link_get_by_index(lv->host, br.index, &br, &err), 0);
	CHECK(br.flags & IFF_PROMISC);
	CHECK_CMD_HAS("PROMISC", "ip -j link show dev brtest0");
	CHECK_INT(nl_link_set_promisc(lv->host, br.index, false, &err), 0);
	CHECK_INT(nl_link_get_by_index(lv->host, br.index, &br, &err), 0);
	CHECK(!(br.flags & IFF_PROMISC));

	/* MTU and MAC. */
	CHECK_INT(nl_link_set_mtu(lv->host, hv.index, 1300, &err), 0);
	CHECK_INT(nl_link_get_by_index(lv->host, hv.index, &hv, &err), 0);
	CHECK_INT(hv.mtu, 1300);
	CHECK_INT(nl_link_set_mac(lv->host, br.index, bmac, 6, &err), 0);
	CHECK_INT(nl_link_get_by_index(lv->host, br.index, &br, &err), 0);
	CHECK(br.mac_len == 6 && memcmp(br.mac, bmac, 6) == 0);
	CHECK_CMD_HAS("\"address\":\"02:aa:bb:cc:dd:01\"", "ip -j link show dev brtest0");

	/* List. */
	CHECK_INT(nl_link_list_kind(lv->host, NULL, &links, &n, &err), 0);
	for (i = 0; i < n; i++) {
		seen_br |= strcmp(links[i].name, "brtest0") == 0 && links[i].index == br.index;
		seen_veth |= strcmp(links[i].name, "vethtest0") == 0 && links[i].master == br.index;
	}
	free(links);
	CHECK(seen_br && seen_veth);

	/* nomaster and back. */
	CHECK_INT(nl_link_set_master(lv->host, hv.index, 0, &err), 0);
	CHECK_INT(nl_link_get_by_index(lv->host, hv.index, &hv, &err), 0);
	CHECK_INT(hv.master, 0);
	CHECK_INT(nl_link_set_master(lv->host, hv.index, br.index, &err), 0);
}

static void live_addrs_routes(struct live *lv)
{
	struct nl_addr a = {0};
	struct nl_route r = {0}, got;
	struct nl_addr *addrs = NULL;
	struct nl_route *routes = NULL;
	const struct nl_addr *fa;
	const struct nl_route *fr;
	struct cni_err err = {0};
	struct nl_link br, cv;
	size_t n = 0;

	CHECK_INT(nl_link_get_by_name(lv->host, "brtest0", &br, &err), 0);
	CHECK_INT(nl_link_get_by_name(lv->cont, "eth0", &cv, &err), 0);

	/* Bridge: gateway addresses. */
	addr_at(&a, AF_INET, br.index, "10.77.0.1", 24, 0);
	CHECK_INT(nl_addr_add(lv->host, &a, &err), 0);
	CHECK_INT(nl_addr_add(lv->host, &a, &err), -EEXIST);
	addr_at(&a, AF_INET6, br.index, "fd77::1", 64, IFA_F_NODAD);
	CHECK_INT(nl_addr_add(lv->host, &a, &err), 0);
	CHECK_CMD_HAS("\"local\":\"10.77.0.1\",\"prefixlen\":24,\"broadcast\":\"10.77.0.255\"",
		      "ip -j addr show dev brtest0");
	CHECK_CMD_HAS("\"local\":\"fd77::1\",\"prefixlen\":64", "ip -j addr show dev brtest0");

	CHECK_INT(nl_addr_list(lv->host, AF_INET, br.index, &addrs, &n, &err), 0);
	CHECK_INT(n, 1);
	fa = find_addr(addrs, n, AF_INET, "10.77.0.1");
	CHECK(fa && fa->prefix_len == 24 && fa->scope == RT_SCOPE_UNIVERSE &&
	      (fa->flags & IFA_F_PERMANENT));
	free(addrs);
	CHECK_INT(nl_addr_list(lv->host, AF_INET6, br.index, &addrs, &n, &err), 0);
	fa = find_addr(addrs, n, AF_INET6, "fd77::1");
	CHECK(fa && fa->prefix_len == 64 && (fa->flags & IFA_F_NODAD));
	CHECK(find_addr(addrs, n, AF_INET, "10.77.0.1") == NULL);
	free(addrs);
	/* Filtered by the kernel or not, only the bridge's addresses, and the unfiltered dump
	 * after it still has the others (lo's). */
	CHECK_INT(nl_link_set_up(lv->host, 1, true, &err), 0); /* lo of a new namespace */
	CHECK_INT(nl_addr_list(lv->host, AF_UNSPEC, br.index, &addrs, &n, &err), 0);
	for (size_t i = 0; i < n; i++)
		CHECK_INT(addrs[i].ifindex, br.index);
	CHECK(find_addr(addrs, n, AF_INET, "10.77.0.1") != NULL);
	free(addrs);
	CHECK_INT(nl_addr_list(lv->host, AF_INET, 0, &addrs, &n, &err), 0);
	CHECK(find_addr(addrs, n, AF_INET, "10.77.0.1") != NULL);
	CHECK(find_addr(addrs, n, AF_INET, "127.0.0.1") != NULL);
	free(addrs);

	/* Container: its addresses. */
	addr_at(&a, AF_INET, cv.index, "10.77.0.2", 24, 0);
	CHECK_INT(nl_addr_add(lv->cont, &a, &err), 0);
	addr_at(&a, AF_INET6, cv.index, "fd77::2", 64, IFA_F_NODAD);
	CHECK_INT(nl_addr_add(lv->cont, &a, &err), 0);
	CHECK_INT(nl_addr_list(lv->cont, AF_UNSPEC, cv.index, &addrs, &n, &err), 0);
	CHECK(find_addr(addrs, n, AF_INET, "10.77.0.2") != NULL);
	CHECK(find_addr(addrs, n, AF_INET6, "fd77::2") != NULL);
	free(addrs);

	/* Container routes via the gateway. */
	route_to(&r, AF_INET, "10.88.0.0", 16, "10.77.0.1", 50);
	r.oif = cv.index;
	CHECK_INT(nl_route_add(lv->cont, &r, &err), 0);
	CHECK_INT(nl_route_add(lv->cont, &r, &err), -EEXIST);
	memset(&r.dst, 0, sizeof(r.dst));
	r.dst_len = 0;
	r.priority = 0;
	CHECK_INT(nl_route_add(lv->cont, &r, &err), 0); /* default route */
	CHECK_CMD_HAS("\"dst\":\"10.88.0.0/16\",\"gateway\":\"10.77.0.1\",\"dev\":\"eth0\"",
		      "nsenter --net=/proc/%d/ns/net ip -j route show", (int)lv->child);

	route_to(&r, AF_INET6, "fd88::", 64, "fd77::1", 0);
	CHECK_INT(nl_route_add(lv->cont, &r, &err), 0);
	CHECK_INT(nl_route_add(lv->cont, &r, &err), -EEXIST);

	CHECK_INT(nl_route_list(lv->cont, AF_INET, cv.index, RT_TABLE_MAIN, &routes, &n, &err), 0);
	fr = find_route(routes, n, AF_INET, "10.88.0.0", 16);
	CHECK(fr && fr->has_gw && fr->priority == 50 && fr->oif == cv.index &&
	      fr->table == RT_TABLE_MAIN && fr->protocol == RTPROT_BOOT);
	CHECK(find_route(routes, n, AF_INET, "0.0.0.0", 0) != NULL);
	CHECK(find_route(routes, n, AF_INET, "10.77.0.0", 24) != NULL); /* prefix route */
	CHECK(find_route(routes, n, AF_INET6, "fd88::", 64) == NULL);	/* family filter */
	free(routes);
	CHECK_INT(nl_route_list(lv->cont, AF_INET6, 0, 0, &routes, &n, &err), 0);
	fr = find_route(routes, n, AF_INET6, "fd88::", 64);
	CHECK(fr && fr->has_gw && fr->gw[15] == 1 && fr->oif == cv.index);
	free(routes);

	/* A preferred source, replaced in place, then deleted (twice). */
	memset(&r, 0, sizeof(r));
	route_to(&r, AF_INET, "10.66.0.0", 16, "10.77.0.1", 0);
	r.oif = cv.index;
	r.has_src = true;
	parse_ip(AF_INET, "10.77.0.9", r.src);
	CHECK(nl_route_add(lv->cont, &r, &err) < 0); /* not an address of the container */
	parse_ip(AF_INET, "10.77.0.2", r.src);
	CHECK_INT(nl_route_add(lv->cont, &r, &err), 0);
	r.has_src = false;
	r.replace = true;
	r.scope = RT_SCOPE_LINK;
	r.has_gw = false;
	CHECK_INT(nl_route_add(lv->cont, &r, &err), 0);
	CHECK_INT(nl_route_list(lv->cont, AF_INET, cv.index, RT_TABLE_MAIN, &routes, &n, &err), 0);
	fr = find_route(routes, n, AF_INET, "10.66.0.0", 16);
	CHECK(fr && !fr->has_gw && !fr->has_src && fr->scope == RT_SCOPE_LINK && !fr->multipath);
	free(routes);
	CHECK_INT(nl_route_del(lv->cont, &r, &err), 0);
	CHECK_INT(nl_route_del(lv->cont, &r, &err), -ESRCH);
	r.replace = false;
	r.scope = RT_SCOPE_UNIVERSE;
	r.has_gw = true;
	r.has_src = true;
	CHECK_INT(nl_route_add(lv->cont, &r, &err), 0);
	CHECK_INT(nl_route_list(lv->cont, AF_INET, cv.index, RT_TABLE_MAIN, &routes, &n, &err), 0);
	fr = find_route(routes, n, AF_INET, "10.66.0.0", 16);
	CHECK(fr && fr->has_src && memcmp(fr->src, r.src, 4) == 0);
	free(routes);

	/* Two IPv6 gateways to one destination make a multipath route, listed per nexthop. */
	memset(&r, 0, sizeof(r));
	route_to(&r, AF_INET6, "fd99::", 64, "fd77::1", 0);
	r.oif = cv.index;
	CHECK_INT(nl_route_add(lv->cont, &r, &err), 0);
	parse_ip(AF_INET6, "fd77::5", r.gw);
	CHECK_INT(nl_route_add(lv->cont, &r, &err), 0);
	CHECK_INT(nl_route_list(lv->cont, AF_INET6, cv.index, 0, &routes, &n, &err), 0);
	{
		size_t hops = 0;

		for (size_t i = 0; i < n; i++)
			if (routes[i].dst_len == 64 && routes[i].dst[1] == 0x99 &&
			    routes[i].multipath)
				hops++;
		CHECK_INT(hops, 2);
	}
	free(routes);

	/* Which interface routes to an address. */
	parse_ip(AF_INET, "10.88.3.4", a.addr);
	CHECK_INT(nl_route_get(lv->cont, AF_INET, a.addr, &got, &err), 0);
	CHECK_INT(got.oif, cv.index);
	CHECK(got.has_gw && got.gw[3] == 1);
	parse_ip(AF_INET, "10.77.0.2", a.addr);
	CHECK_INT(nl_route_get(lv->host, AF_INET, a.addr, &got, &err), 0);
	CHECK_INT(got.oif, br.index);
	parse_ip(AF_INET6, "fd77::2", a.addr);
	CHECK_INT(nl_route_get(lv->host, AF_INET6, a.addr, &got, &err), 0);
	CHECK_INT(got.oif, br.index);
	parse_ip(AF_INET, "192.0.2.1", a.addr);
	CHECK(nl_route_get(lv->host, AF_INET, a.addr, &got, &err) < 0); /* no default route */

	/* Delete an address, twice. */
	addr_at(&a, AF_INET, cv.index, "10.77.0.2", 24, 0);
	CHECK_INT(nl_addr_del(lv->cont, &a, &err), 0);
	CHECK_INT(nl_addr_del(lv->cont, &a, &err), -EADDRNOTAVAIL);
	CHECK_INT(nl_addr_list(lv->cont, AF_INET, cv.index, &addrs, &n, &err), 0);
	CHECK_INT(n, 0);
	free(addrs);

	/* The kernel's extended ACK reaches the error. */
	a.ifindex = 4242;
	CHECK_INT(nl_addr_add(lv->cont, &a, &err), -ENODEV);
	printf("# extack example: %s\n", err.msg);
	/* (Older kernels, 6.1, give no extended ACK for this one: the route below has one.) */
	if (strcmp(err.msg, "no such device") != 0) {
		CHECK(strncmp(err.msg, "no such device: ", 16) == 0);
		CHECK(err.details[0] != '\0');
	}
	route_to(&r, AF_INET, "10.99.0.0", 16, "192.0.2.1", 0); /* gateway not on any link */
	CHECK(nl_route_add(lv->cont, &r, &err) < 0);
	CHECK(strchr(err.msg, ':') != NULL);
	if (strchr(err.msg, ':') == NULL)
		fprintf(stderr, "  no extack in: %s\n", err.msg);
}

/* sysctl_read()/sysctl_write()/sysctl_write_if_changed() run inside the container's
 * namespace (value NULL: read into buf; ret_changed not NULL: write if changed). */
static int cns_sysctl(struct live *lv, const char *path, const char *value, char *buf, size_t size,
		      bool *ret_changed, struct cni_err *err)
{
	int saved = -1, r;

	r = netns_enter(lv->cns, &saved, err);
	if (r < 0)
		return r;
	if (!value)
		r = sysctl_read(path, buf, size, err);
	else if (ret_changed)
		r = sysctl_write_if_changed(path, value, ret_changed, err);
	else
		r = sysctl_write(path, value, err);
	if (netns_restore(saved, err) < 0)
		abort();
	return r;
}

static void live_sysctl(struct live *lv)
{
	struct cni_err err = {0};
	struct nl_link l;
	bool changed = true;
	int fwd = -1;
	char buf[64];
	int saved = -1;
	bool self = false;

	/* eth0 exists only in the container, so these prove we write inside it. */
	CHECK_INT(sysctl_read("net/ipv4/conf/eth0/arp_notify", buf, sizeof(buf), &err), -ENOENT);
	CHECK_INT(
		cns_sysctl(lv, "net/ipv4/conf/eth0/arp_notify", NULL, buf, sizeof(buf), NULL, &err),
		0);
	CHECK_STR(buf, "0");
	CHECK_INT(cns_sysctl(lv, "net/ipv4/conf/eth0/arp_notify", "1", NULL, 0, NULL, &err), 0);
	CHECK_INT(
		cns_sysctl(lv, "net.ipv4.conf.eth0.arp_notify", NULL, buf, sizeof(buf), NULL, &err),
		0);
	CHECK_STR(buf, "1");
	CHECK_INT(cns_sysctl(lv, "net/ipv4/conf/eth0/arp_notify", "1", NULL, 0, &changed, &err), 0);
	CHECK(!changed);
	CHECK_INT(cns_sysctl(lv, "net/ipv4/conf/eth0/arp_notify", "0", NULL, 0, &changed, &err), 0);
	CHECK(changed);
	CHECK_CMD_HAS("0",
		      "nsenter --net=/proc/%d/ns/net cat /proc/sys/net/ipv4/conf/eth0/arp_notify",
		      (int)lv->child);
	/* We are back home afterwards. */
	CHECK_INT(sysctl_read("net/ipv4/conf/brtest0/arp_notify", buf, sizeof(buf), &err), 0);

	/* Interface names with dots: slash paths are taken as they are. */
	CHECK_INT(nl_link_add_bridge(lv->host, "br.5", 0, false, &err), 0);
	CHECK_INT(sysctl_write("net/ipv6/conf/br.5/accept_ra", "0", &err), 0);
	CHECK_INT(sysctl_read("net/ipv6/conf/br.5/accept_ra", buf, sizeof(buf), &err), 0);
	CHECK_STR(buf, "0");
	CHECK_INT(nl_link_del_by_name(lv->host, "br.5", &err), 0);

	/* Our private namespace's forwarding switch, also as netlink reports it. */
	CHECK_INT(nl_netconf_forwarding(lv->host, AF_INET, &fwd, &err), 0);
	CHECK_INT(fwd, 0);
	CHECK_INT(sysctl_write_if_changed("net.ipv4.ip_forward", "1", &changed, &err), 0);
	CHECK(changed);
	CHECK_INT(sysctl_read("/proc/sys/net/ipv4/ip_forward", buf, sizeof(buf), &err), 0);
	CHECK_STR(buf, "1");
	CHECK_INT(nl_netconf_forwarding(lv->host, AF_INET, &fwd, &err), 0);
	CHECK_INT(fwd, 1);
	CHECK_INT(sysctl_read("net/ipv6/conf/all/forwarding", buf, sizeof(buf), &err), 0);
	CHECK_INT(nl_netconf_forwarding(lv->host, AF_INET6, &fwd, &err), 0);
	CHECK_INT(fwd, atoi(buf));

	/* accept_ra as the link reports it follows the sysctl. */
	CHECK_INT(sysctl_write("net/ipv6/conf/brtest0/accept_ra", "2", &err), 0);
	CHECK_INT(nl_link_get_by_name(lv->host, "brtest0", &l, &err), 0);
	CHECK_INT(l.accept_ra, 2);
	CHECK_INT(sysctl_write("net/ipv6/conf/brtest0/accept_ra", "0", &err), 0);
	CHECK_INT(nl_link_get_by_name(lv->host, "brtest0", &l, &err), 0);
	CHECK_INT(l.accept_ra, 0);

	/* An IPv4 interface setting through netlink is the sysctl's value. */
	CHECK_INT(nl_link_get_by_name(lv->cont, "eth0", &l, &err), 0);
	CHECK_INT(nl_link_set_inet_conf(lv->cont, l.index, IPV4_DEVCONF_ARP_NOTIFY, 1, &err), 0);
	CHECK_INT(
		cns_sysctl(lv, "net/ipv4/conf/eth0/arp_notify", NULL, buf, sizeof(buf), NULL, &err),
		0);
	CHECK_STR(buf, "1");
	CHECK_INT(nl_link_set_inet_conf(lv->cont, l.index, IPV4_DEVCONF_ARP_NOTIFY, 0, &err), 0);
	CHECK_INT(
		cns_sysctl(lv, "net/ipv4/conf/eth0/arp_notify", NULL, buf, sizeof(buf), NULL, &err),
		0);
	CHECK_STR(buf, "0");
	CHECK(nl_link_set_inet_conf(lv->cont, l.index, 4242, 1, &err) < 0);
	CHECK_INT(cns_sysctl(lv, "net/ipv4/conf/nosuch/arp_notify", "1", NULL, 0, NULL, &err),
		  -ENOENT);

	/* Scoped enter/restore. */
	CHECK_INT(netns_enter(lv->cns, &saved, &err), 0);
	CHECK_INT(netns_is_current(lv->cns, &self, &err), 0);
	CHECK(self);
	CHECK_INT(netns_restore(saved, &err), 0);
	CHECK_INT(netns_is_current(lv->cns, &self, &err), 0);
	CHECK(!self);
}

static void live_delete(struct live *lv)
{
	struct cni_err err = {0};
	struct nl_link l;

	CHECK_INT(nl_link_del_by_name(lv->host, "vethtest0", &err), 0);
	CHECK_INT(nl_link_get_by_name(lv->cont, "eth0", &l, &err), -ENODEV);
	CHECK_INT(nl_link_del_by_name(lv->host, "vethtest0", &err), -ENODEV);
	CHECK_INT(nl_link_get_by_name(lv->host, "brtest0", &l, &err), 0);
	CHECK_INT(nl_link_del(lv->host, l.index, &err), 0);
	CHECK_INT(nl_link_del(lv->host, l.index, &err), -ENODEV);
}

/* The live tests share one host/container namespace pair, set up in main(). */
static struct live live_env;

#define LIVE_TEST(name)               \
	static void test_##name(void) \
	{                             \
		LIVE_REQUIRED();      \
		name(&live_env);      \
	}
LIVE_TEST(live_links)
LIVE_TEST(live_addrs_routes)
LIVE_TEST(live_sysctl)
LIVE_TEST(live_vlan)
LIVE_TEST(live_delete)

int main(void)
{
	RUN(test_build_veth);
	RUN(test_build_bridge);
	RUN(test_build_ifb_alias);
	RUN(test_build_link_misc);
	RUN(test_build_brport);
	RUN(test_build_vlan);
	RUN(test_build_addr);
	RUN(test_build_route);
	RUN(test_parse);
	RUN(test_rx_ack_and_extack);
	RUN(test_rx_dump_intr);
	RUN(test_rx_batch);
	RUN(test_netns_and_sysctl_unprivileged);
	RUN(test_netns_open_container);
	if (live_setup(&live_env))
		live_skip = NULL;
	RUN(test_live_links);
	RUN(test_live_addrs_routes);
	RUN(test_live_sysctl);
	RUN(test_live_vlan);
	RUN(test_live_delete);
	live_teardown(&live_env);
	UNIT_DONE();
}
