/* SPDX-License-Identifier: Apache-2.0 */
/* Tests of the conntrack helper, live in a private network namespace: UDP packets over
 * loopback create conntrack entries (conntrack is enabled in the namespace by a nat
 * chain), ct_delete_by_dport() removes those of one port and leaves the others,
 * ct_delete_by_dports() those of several ports of both families in one search. */
#include "net/conntrack.h"
#include "net/nft.h"
#include "net/nl.h"
#include "net/test_priv.h"
#include "live.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

static int lo_up(void)
{
	struct ifreq ifr = {0};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r;

	if (fd < 0)
		return -1;
	strcpy(ifr.ifr_name, "lo");
	r = ioctl(fd, SIOCGIFFLAGS, &ifr);
	if (r == 0) {
		ifr.ifr_flags |= IFF_UP;
		r = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
	return r;
}

/* Load nat chains with a masquerade rule: this registers the conntrack hooks of both
 * families in this namespace. The rule matches nothing that the test sends. */
static void enable_conntrack(void)
{
	_cleanup_(nft_txn_freep) struct nft_txn *txn = NULL;
	struct nft_base_chain post = {.type = "nat", .hook = NF_INET_POST_ROUTING, .priority = 100};
	struct in_addr none4;
	struct nft_rule *r = NULL;

	inet_pton(AF_INET, "192.0.2.1", &none4);
	OK(nft_txn_new(&txn, &err));
	if (!txn)
		return;
	OK(nft_txn_add_table(txn, NFPROTO_INET, "ct_test", NULL, &err));
	OK(nft_txn_add_chain(txn, NFPROTO_INET, "ct_test", "post", &post, NULL, &err));
	OK(nft_rule_new(NFPROTO_INET, "ct_test", "post", NULL, &r, &err));
	OK(nft_rule_match_ip_addr(r, AF_INET, NFT_ADDR_DADDR, &none4, -1, NFT_CMP_EQ, &err));
	OK(nft_rule_masquerade(r, &err));
	OK(nft_txn_add_rule(txn, r, &err));
	nft_rule_free(r);
	OK(nft_txn_commit(txn, &err));
}

/* Send one UDP datagram from a fresh socket (new source port => new entry). */
static void send_udp(int af, uint16_t port)
{
	struct sockaddr_storage ss = {0};
	socklen_t len;
	int fd = socket(af, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	CHECK(fd >= 0);
	if (af == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		sin6->sin6_addr = in6addr_loopback;
		len = sizeof(*sin6);
	}
	CHECK(sendto(fd, "x", 1, 0, (struct sockaddr *)&ss, len) == 1);
	close(fd);
}

static unsigned int count(int af, uint16_t port)
{
	unsigned int n = 12345;

	OK(ct_count_by_dport(af, IPPROTO_UDP, port, &n, &err));
	return n;
}

/* Cross-check with the conntrack CLI when it is installed. */
static void cli_check(int af, uint16_t port, unsigned int want)
{
	char cmd[256];
	FILE *f;
	unsigned int lines = 0;
	int c;

	if (system("conntrack --version >/dev/null 2>&1") != 0)
		return;
	snprintf(cmd, sizeof(cmd), "conntrack -L -f %s -p udp --dport %u 2>/dev/null",
		 af == AF_INET ? "ipv4" : "ipv6", port);
	f = popen(cmd, "r");
	if (!f)
		return;
	while ((c = fgetc(f)) != EOF)
		if (c == '\n')
			lines++;
	pclose(f);
	CHECK_INT(lines, want);
}

static void test_delete_by_port(int af)
{
	unsigned int deleted = 99;
	int i;

	for (i = 0; i < 3; i++)
		send_udp(af, 5353);
	for (i = 0; i < 2; i++)
		send_udp(af, 5454);
	CHECK_INT(count(af, 5353), 3);
	CHECK_INT(count(af, 5454), 2);
	cli_check(af, 5353, 3);

	OK(ct_delete_by_dport(af, IPPROTO_UDP, 5353, &deleted, &err));
	CHECK_INT(deleted, 3);
	CHECK_INT(count(af, 5353), 0);
	CHECK_INT(count(af, 5454), 2);
	cli_check(af, 5353, 0);
	cli_check(af, 5454, 2);
	/* Other protocol on the same port: untouched; nothing left: zero, no error. */
	OK(ct_delete_by_dport(af, IPPROTO_TCP, 5454, &deleted, &err));
	CHECK_INT(deleted, 0);
	CHECK_INT(count(af, 5454), 2);
	OK(ct_delete_by_dport(af, IPPROTO_UDP, 5353, &deleted, &err));
	CHECK_INT(deleted, 0);
	OK(ct_delete_by_dport(af, IPPROTO_UDP, 5454, &deleted, &err));
	CHECK_INT(deleted, 2);
}

static void test_ipv4(void)
{
	LIVE_REQUIRED();
	test_delete_by_port(AF_INET);
}

static void test_ipv6(void)
{
	LIVE_REQUIRED();
	test_delete_by_port(AF_INET6);
}

/* One search over both families and several ports deletes exactly their entries; the
 * namespace's entry count sees them come and go. */
static void test_delete_by_ports(void)
{
	static const uint16_t p4[] = {6001, 6002}, p6[] = {6003};
	const struct ct_port_set sets[] = {{AF_INET, p4, 2}, {AF_INET6, p6, 1}};
	_cleanup_nl_close_ struct nl_sock *sock = NULL;
	unsigned int deleted = 99, before = 0, after = 0;

	LIVE_REQUIRED();
	send_udp(AF_INET, 6001);
	send_udp(AF_INET, 6002);
	send_udp(AF_INET, 6003); /* IPv4 to an IPv6-only port: kept */
	send_udp(AF_INET6, 6003);
	send_udp(AF_INET6, 6001); /* IPv6 to an IPv4-only port: kept */
	send_udp(AF_INET, 6004);
	OK(ct_open(&sock, &err));
	if (!sock)
		return;
	OK(ct_count_entries(sock, &before, &err));
	CHECK(before >= 6);
	OK(ct_delete_by_dports(sock, IPPROTO_UDP, sets, 2, &deleted, &err));
	CHECK_INT(deleted, 3);
	OK(ct_count_entries(sock, &after, &err));
	CHECK_INT(after, before - 3);
	CHECK_INT(count(AF_INET, 6001), 0);
	CHECK_INT(count(AF_INET, 6002), 0);
	CHECK_INT(count(AF_INET6, 6003), 0);
	CHECK_INT(count(AF_INET, 6003), 1);
	CHECK_INT(count(AF_INET6, 6001), 1);
	CHECK_INT(count(AF_INET, 6004), 1);
	/* One family only, and no port at all. */
	OK(ct_delete_by_dports(sock, IPPROTO_UDP, &sets[1], 1, &deleted, &err));
	CHECK_INT(deleted, 0);
	OK(ct_delete_by_dports(sock, IPPROTO_UDP, sets, 0, &deleted, &err));
	CHECK_INT(deleted, 0);
	OK(ct_delete_by_dport(AF_INET, IPPROTO_UDP, 6003, &deleted, &err));
	OK(ct_delete_by_dport(AF_INET6, IPPROTO_UDP, 6001, &deleted, &err));
	OK(ct_delete_by_dport(AF_INET, IPPROTO_UDP, 6004, &deleted, &err));
}

static void test_bad_family(void)
{
	unsigned int n;

	CHECK(ct_delete_by_dport(AF_UNIX, IPPROTO_UDP, 1, &n, &err) == -EINVAL);
	CHECK_STR(err.msg, "conntrack: unsupported address family 1");
}

int main(void)
{
	RUN(test_bad_family);
	if (live_enter(0) == 0) {
		CHECK(lo_up() == 0);
		enable_conntrack();
	}
	RUN(test_ipv4);
	RUN(test_ipv6);
	RUN(test_delete_by_ports);
	UNIT_DONE();
}
