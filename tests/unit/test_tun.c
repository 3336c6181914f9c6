/* SPDX-License-Identifier: Apache-2.0 */
/* tun: persistent taps through /dev/net/tun, checked against what the kernel reports. */
#include <fcntl.h>
#include <net/if.h>
#include <linux/if_tun.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "unit.h"
#include "live.h"

#include "cleanup.h"
#include "net/netns.h"
#include "net/nl.h"
#include "net/rtnl.h"
#include "net/tun.h"

/* Skip a live test when this kernel has no tun driver. */
#define TUN_REQUIRED()                                                   \
	do {                                                             \
		LIVE_REQUIRED();                                         \
		if (access(TUN_DEV_PATH, R_OK | W_OK) != 0)              \
			UNIT_SKIP("no %s on this kernel", TUN_DEV_PATH); \
	} while (0)

/* `ip -d -j link show dev name` in this namespace ("" when it does not exist). */
static char *link_json(const char *name)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "ip -d -j link show dev %s 2>/dev/null", name);
	return live_output(cmd);
}

/* A plain tap: persistent, no PI header, no vnet header, single queue, no owner, down. */
static void test_create_plain(void)
{
	struct tun_tap_req req = {.name = "tap0"};
	_cleanup_free_ char *j = NULL;

	TUN_REQUIRED();
	OK(tun_tap_create(-1, &req, &err));
	j = link_json("tap0");
	CHECK(j && strstr(j, "\"info_kind\":\"tun\""));
	CHECK(j && strstr(j, "\"type\":\"tap\""));
	CHECK(j && strstr(j, "\"pi\":false"));
	CHECK(j && strstr(j, "\"vnet_hdr\":false"));
	CHECK(j && strstr(j, "\"multi_queue\":false"));
	CHECK(j && strstr(j, "\"persist\":true"));
	CHECK(j && !strstr(j, "\"user\""));
	CHECK(j && !strstr(j, "\"group\":\"4"));
	CHECK(j && strstr(j, "\"operstate\":\"DOWN\""));
}

/* Owner, group and multiqueue as asked (ids without a passwd entry print as numbers). */
static void test_create_owner_group_mq(void)
{
	struct tun_tap_req req = {.name = "tap1",
				  .multi_queue = true,
				  .has_owner = true,
				  .owner = 4242,
				  .has_group = true,
				  .group = 4343};
	_cleanup_free_ char *j = NULL;

	TUN_REQUIRED();
	OK(tun_tap_create(-1, &req, &err));
	j = link_json("tap1");
	CHECK(j && strstr(j, "\"multi_queue\":true"));
	CHECK(j && strstr(j, "\"user\":4242"));
	CHECK(j && strstr(j, "\"group\":4343"));
	CHECK(j && strstr(j, "\"persist\":true"));
}

/* A taken name is -EBUSY and the existing device is not touched (no attachment to it). */
static void test_name_taken(void)
{
	struct tun_tap_req req = {.name = "tapx", .has_owner = true, .owner = 4242};
	struct tun_tap_req again = {.name = "tapx", .has_owner = true, .owner = 4444};
	_cleanup_free_ char *j = NULL;

	TUN_REQUIRED();
	OK(tun_tap_create(-1, &req, &err));
	CHECK_INT(tun_tap_create(-1, &again, &err), -EBUSY);
	CHECK_STR(err.msg, "failed to create tap 'tapx': device or resource busy");
	CHECK_INT(err.code, CNI_ERR_INTERNAL);
	j = link_json("tapx");
	CHECK(j && strstr(j, "\"user\":4242"));
}

/* Created inside another namespace given by fd; the caller's namespace does not change. */
static void test_create_in_netns(void)
{
	_cleanup_close_ int target = -1;
	_cleanup_free_ char *here = NULL, *there = NULL;
	struct tun_tap_req req = {.name = "tapns"};

	TUN_REQUIRED();
	target = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	CHECK(target >= 0);
	LIVE_FRESH();
	OK(tun_tap_create(target, &req, &err));
	here = link_json("tapns");
	CHECK_STR(here, "");
	{
		_cleanup_(netns_restorep) int saved = -1;

		OK(netns_enter(target, &saved, &err));
		there = link_json("tapns");
	}
	CHECK(there && strstr(there, "\"persist\":true"));
}

/* A reader attaching gives carrier (IFF_LOWER_UP, set as it attaches; the operstate follows
 * later); frames written by the reader are counted received. */
static void test_reader_carrier(void)
{
	struct tun_tap_req req = {.name = "tapr"};
	_cleanup_nl_close_ struct nl_sock *nl = NULL;
	_cleanup_close_ int fd = -1;
	struct nl_link l;
	struct ifreq ifr;
	uint8_t frame[60] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 1, 0x88, 0xb5};
	_cleanup_free_ char *j = NULL;

	TUN_REQUIRED();
	OK(tun_tap_create(-1, &req, &err));
	OK(nl_open(&nl, &err));
	OK(nl_link_get_by_name(nl, "tapr", &l, &err));
	OK(nl_link_set_up(nl, l.index, true, &err));
	OK(nl_link_get_by_index(nl, l.index, &l, &err));
	CHECK(!(l.flags & IFF_LOWER_UP));
	fd = open(TUN_DEV_PATH, O_RDWR | O_CLOEXEC);
	CHECK(fd >= 0);
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	strcpy(ifr.ifr_name, "tapr");
	CHECK_INT(ioctl(fd, TUNSETIFF, &ifr), 0);
	OK(nl_link_get_by_index(nl, l.index, &l, &err));
	CHECK(l.flags & IFF_LOWER_UP);
	CHECK_INT((int)write(fd, frame, sizeof(frame)), (int)sizeof(frame));
	j = live_output("ip -s -j link show dev tapr");
	CHECK(j && strstr(j, "\"rx\":{\"bytes\":60,\"packets\":1,"));
}

/* A label without SELinux fails clearly and creates nothing. */
static void test_label_without_selinux(void)
{
	struct tun_tap_req req = {.name = "tapl", .label = "system_u:system_r:container_t:s0"};
	_cleanup_free_ char *j = NULL;

	TUN_REQUIRED();
	if (tun_selinux_enabled())
		UNIT_SKIP("SELinux is enabled on this node");
	CHECK_INT(tun_tap_create(-1, &req, &err), -EOPNOTSUPP);
	CHECK_STR(err.msg, "failed set socket label: SELinux is not enabled on this node");
	j = link_json("tapl");
	CHECK_STR(j, "");
}

/* Names the kernel cannot take are refused before anything is opened. */
static void test_bad_name(void)
{
	struct tun_tap_req req = {.name = "a-name-too-long-for-it"};

	CHECK_INT(tun_tap_create(-1, &req, &err), -EINVAL);
	req.name = "";
	CHECK_INT(tun_tap_create(-1, &req, &err), -EINVAL);
}

int main(void)
{
	RUN(test_bad_name);
	live_enter(0);
	RUN(test_create_plain);
	RUN(test_create_owner_group_mq);
	RUN(test_name_taken);
	RUN(test_reader_carrier);
	RUN(test_label_without_selinux);
	RUN(test_create_in_netns);
	UNIT_DONE();
}
