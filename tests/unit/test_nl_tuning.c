/* SPDX-License-Identifier: Apache-2.0 */
/* Tests of the rtnetlink link-attribute helpers the tuning plugin uses: the allmulti and
 * txqueuelen builders parsed back by nl_link_parse(), and, inside a private network
 * namespace (skipped when one cannot be created), reading and changing MTU, MAC,
 * promiscuous mode, allmulti and txqueuelen of a veth. */
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include <libmnl/libmnl.h>

#define LIVE_LOCAL_ERR
#include "live.h"
#include "unit.h"
#include "net/nl.h"
#include "net/rtnl.h"

static struct nlattr *find_attr(const struct nlmsghdr *nlh, uint16_t type)
{
	struct nlattr *a;

	mnl_attr_for_each (a, nlh, sizeof(struct ifinfomsg))
		if (mnl_attr_get_type(a) == type)
			return a;
	return NULL;
}

static void test_build_allmulti(void)
{
	char buf[NL_MSG_BUF_SIZE];
	struct cni_err err = {0};
	struct nl_link a;
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;

	nlh = nl_link_build_allmulti(buf, 7, true);
	CHECK_INT(nlh->nlmsg_type, RTM_NEWLINK);
	ifi = mnl_nlmsg_get_payload(nlh);
	CHECK_INT(ifi->ifi_change, IFF_ALLMULTI);
	CHECK_INT(nl_link_parse(nlh, &a, &err), 0);
	CHECK_INT(a.index, 7);
	CHECK_INT(a.flags, IFF_ALLMULTI);
	CHECK_INT(a.mac_len, 0);

	nlh = nl_link_build_allmulti(buf, 9, false);
	ifi = mnl_nlmsg_get_payload(nlh);
	CHECK_INT(ifi->ifi_change, IFF_ALLMULTI);
	CHECK_INT(nl_link_parse(nlh, &a, &err), 0);
	CHECK_INT(a.index, 9);
	CHECK_INT(a.flags, 0);
}

static void test_build_txqlen(void)
{
	char buf[NL_MSG_BUF_SIZE];
	struct cni_err err = {0};
	struct nl_link a;
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	struct nlattr *at;

	nlh = nl_link_build_txqlen(buf, 3, 4294967295u);
	CHECK_INT(nlh->nlmsg_type, RTM_NEWLINK);
	ifi = mnl_nlmsg_get_payload(nlh);
	CHECK_INT(ifi->ifi_change, 0);
	at = find_attr(nlh, IFLA_TXQLEN);
	CHECK(at != NULL);
	CHECK(at && mnl_attr_get_payload_len(at) == 4);
	CHECK_INT(nl_link_parse(nlh, &a, &err), 0);
	CHECK_INT(a.index, 3);
	CHECK(a.txqlen == 4294967295u);
	CHECK_INT(a.mtu, 0);

	nlh = nl_link_build_txqlen(buf, 3, 0);
	CHECK_INT(nl_link_parse(nlh, &a, &err), 0);
	CHECK_INT(a.txqlen, 0);
}

/* The other setters' messages decode into the same struct. */
static void test_parse_attrs(void)
{
	static const uint8_t mac[6] = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x01};
	char buf[NL_MSG_BUF_SIZE];
	struct cni_err err = {0};
	struct nl_link a;
	struct nlmsghdr *nlh;

	CHECK_INT(nl_link_build_mac(buf, 4, mac, sizeof(mac), &nlh, &err), 0);
	CHECK_INT(nl_link_parse(nlh, &a, &err), 0);
	CHECK_INT(a.mac_len, 6);
	CHECK(memcmp(a.mac, mac, 6) == 0);

	nlh = nl_link_build_u32(buf, 4, IFLA_MTU, 1400);
	CHECK_INT(nl_link_parse(nlh, &a, &err), 0);
	CHECK_INT(a.mtu, 1400);

	nlh = nl_link_build_flags(buf, 4, IFF_PROMISC, IFF_PROMISC);
	CHECK_INT(nl_link_parse(nlh, &a, &err), 0);
	CHECK_INT(a.flags, IFF_PROMISC);

	/* Not a RTM_NEWLINK. */
	CHECK_INT(nl_link_build_del(buf, 4, NULL, &nlh, &err), 0);
	CHECK_INT(nl_link_parse(nlh, &a, &err), -EBADMSG);
}

static void test_live_attrs(void)
{
	static const uint8_t mac[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
	struct nl_veth_req req = {.name = "tun0", .peer_name = "tun1", .peer_netns_fd = -1};
	_cleanup_nl_close_ struct nl_sock *sock = NULL;
	struct nl_link before, a;
	struct cni_err err = {0};

	LIVE_REQUIRED();
	CHECK_INT(nl_open(&sock, &err), 0);
	if (!sock)
		return;
	CHECK_INT(nl_link_add_veth(sock, &req, &err), 0);
	CHECK_INT(nl_link_get_by_name(sock, "tun0", &before, &err), 0);
	CHECK(before.index > 0);
	CHECK_INT(before.mtu, 1500);
	CHECK_INT(before.txqlen, 1000);
	CHECK_INT(before.mac_len, 6);
	CHECK_INT(before.flags & (IFF_PROMISC | IFF_ALLMULTI), 0);

	CHECK_INT(nl_link_set_mtu(sock, before.index, 1400, &err), 0);
	CHECK_INT(nl_link_set_mac(sock, before.index, mac, sizeof(mac), &err), 0);
	CHECK_INT(nl_link_set_promisc(sock, before.index, true, &err), 0);
	CHECK_INT(nl_link_set_allmulti(sock, before.index, true, &err), 0);
	CHECK_INT(nl_link_set_txqlen(sock, before.index, 42, &err), 0);
	CHECK_INT(nl_link_get_by_name(sock, "tun0", &a, &err), 0);
	CHECK_INT(a.index, before.index);
	CHECK_INT(a.mtu, 1400);
	CHECK_INT(a.txqlen, 42);
	CHECK(memcmp(a.mac, mac, 6) == 0);
	CHECK_INT(a.flags & (IFF_PROMISC | IFF_ALLMULTI), IFF_PROMISC | IFF_ALLMULTI);

	/* Put everything back; allmulti off leaves promisc alone. */
	CHECK_INT(nl_link_set_allmulti(sock, before.index, false, &err), 0);
	CHECK_INT(nl_link_get_by_name(sock, "tun0", &a, &err), 0);
	CHECK_INT(a.flags & (IFF_PROMISC | IFF_ALLMULTI), IFF_PROMISC);
	CHECK_INT(nl_link_set_promisc(sock, before.index, false, &err), 0);
	CHECK_INT(nl_link_set_txqlen(sock, before.index, before.txqlen, &err), 0);
	CHECK_INT(nl_link_set_mac(sock, before.index, before.mac, before.mac_len, &err), 0);
	CHECK_INT(nl_link_set_mtu(sock, before.index, before.mtu, &err), 0);
	CHECK_INT(nl_link_get_by_name(sock, "tun0", &a, &err), 0);
	CHECK_INT(a.mtu, before.mtu);
	CHECK_INT(a.txqlen, before.txqlen);
	CHECK(memcmp(a.mac, before.mac, 6) == 0);
	CHECK_INT(a.flags & (IFF_PROMISC | IFF_ALLMULTI), 0);

	/* The kernel's refusal comes back as its errno. */
	CHECK_INT(nl_link_set_mtu(sock, before.index, 70000, &err), -EINVAL);
	CHECK_INT(nl_link_set_txqlen(sock, 999999, 1, &err), -ENODEV);

	CHECK_INT(nl_link_del_by_name(sock, "tun0", &err), 0);
	CHECK_INT(nl_link_get_by_name(sock, "tun0", &a, &err), -ENODEV);
	CHECK_STR(err.msg, "link 'tun0' not found");
	CHECK_INT(nl_link_get_by_name(sock, "bad/name", &a, &err), -EINVAL);
}

int main(void)
{
	RUN(test_build_allmulti);
	RUN(test_build_txqlen);
	RUN(test_parse_attrs);
	/* This process only: the test namespace disappears with it. */
	live_enter(0);
	RUN(test_live_attrs);
	UNIT_DONE();
}
