/* SPDX-License-Identifier: Apache-2.0 */
/* Tests of the nftables layer.
 *
 * Without privileges: messages are built into a buffer and parsed back with libnftnl;
 * rule builders are compared with the expressions `nft --debug=netlink` shows for the
 * same rule text.
 *
 * Live (root): the process first moves into a private network namespace
 * (unshare(CLONE_NEWNET)), so the host ruleset is never touched. The reference layouts
 * (REFERENCE.md 2.5, 2.6, 4.5) are built with this layer and compared with the same
 * rules loaded by `nft -f` from the golden files: `nft list` text, `nft --debug=netlink`
 * expressions and the rule messages byte for byte. */
#include "net/nft.h"
#include "net/test_priv.h"
#include "live.h"
#include "sleep.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <sched.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdint.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/netfilter/nfnetlink.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

/* Parse an address into one of a ring of static buffers. */
static const void *A(int af, const char *s)
{
	static uint8_t ring[8][16];
	static int next;
	uint8_t *b = ring[next++ % 8];

	memset(b, 0, 16);
	if (inet_pton(af, s, b) != 1) {
		fprintf(stderr, "bad test address %s\n", s);
		abort();
	}
	return b;
}

/* libnftnl's text form of a built rule (header line, expressions, userdata). */
static char *rule_text(const struct nft_rule *r)
{
	char *buf = malloc(8192);

	nftnl_rule_snprintf(buf, 8192, nft_rule_nlr(r), NFTNL_OUTPUT_DEFAULT, 0);
	return buf;
}

static struct nft_rule *new_rule(int family, const char *table, const char *chain,
				 const char *comment)
{
	struct nft_rule *r = NULL;

	OK(nft_rule_new(family, table, chain, comment, &r, &err));
	return r;
}

/* "meta mark <value>" (mask all ones) or "meta mark & <mask> == <value>", from the raw
 * expressions, as nft encodes them. */
static void mark_match(struct nft_rule *r, uint32_t mask, uint32_t value)
{
	OK(nft_rule_expr_meta(r, NFT_META_MARK, &err));
	if (mask != UINT32_MAX)
		OK(nft_rule_expr_mask(r, &mask, sizeof(mask), &err));
	OK(nft_rule_expr_cmp(r, NFT_CMP_EQ, &value, sizeof(value), &err));
}

/* ---- unprivileged: builders ------------------------------------------------------------ */

static void test_expr_masq_inet(void)
{
	_cleanup_(nft_rule_freep) struct nft_rule *r = new_rule(NFPROTO_INET, "t", "c", "hi");
	_cleanup_free_ char *txt = NULL;

	OK(nft_rule_match_ip_addr(r, AF_INET, NFT_ADDR_SADDR, A(AF_INET, "10.88.0.5"), -1,
				  NFT_CMP_EQ, &err));
	OK(nft_rule_match_ip_addr(r, AF_INET, NFT_ADDR_DADDR, A(AF_INET, "10.88.0.0"), 16,
				  NFT_CMP_NEQ, &err));
	OK(nft_rule_masquerade(r, &err));
	txt = rule_text(r);
	/* Exactly what `nft --debug=netlink` prints for
	 * "ip saddr == 10.88.0.5 ip daddr != 10.88.0.0/16 masquerade comment "hi"". */
	CHECK_STR(txt, "inet t c\n"
		       "  [ meta load nfproto => reg 1 ]\n"
		       "  [ cmp eq reg 1 0x00000002 ]\n"
		       "  [ payload load 4b @ network header + 12 => reg 1 ]\n"
		       "  [ cmp eq reg 1 0x0500580a ]\n"
		       "  [ payload load 2b @ network header + 16 => reg 1 ]\n"
		       "  [ cmp neq reg 1 0x0000580a ]\n"
		       "  [ masq ]\n"
		       "  userdata = { \\x00\\x03hi\\x00 }");
	CHECK_INT(nft_rule_expr_count(r), 7);
}

static void test_expr_prefixes(void)
{
	_cleanup_(nft_rule_freep) struct nft_rule *r4 = new_rule(NFPROTO_INET, "t", "c", NULL);
	_cleanup_(nft_rule_freep) struct nft_rule *r6 = new_rule(NFPROTO_INET, "t", "c", NULL);
	_cleanup_(nft_rule_freep) struct nft_rule *r0 = new_rule(NFPROTO_IPV4, "t", "c", NULL);
	_cleanup_free_ char *t4 = NULL, *t6 = NULL, *t0 = NULL;

	/* ip daddr == 224.0.0.0/4 return: unaligned prefix => bitwise. */
	OK(nft_rule_match_ip_addr(r4, AF_INET, NFT_ADDR_DADDR, A(AF_INET, "224.1.2.3"), 4,
				  NFT_CMP_EQ, &err));
	OK(nft_rule_verdict(r4, NFT_RETURN, NULL, &err));
	t4 = rule_text(r4);
	CHECK_STR(t4, "inet t c\n"
		      "  [ meta load nfproto => reg 1 ]\n"
		      "  [ cmp eq reg 1 0x00000002 ]\n"
		      "  [ payload load 4b @ network header + 16 => reg 1 ]\n"
		      "  [ bitwise reg 1 = ( reg 1 & 0x000000f0 ) ^ 0x00000000 ]\n"
		      "  [ cmp eq reg 1 0x000000e0 ]\n"
		      "  [ immediate reg 0 return ]\n");
	/* ip6 daddr == ff00::/8 return: aligned prefix => short load. */
	OK(nft_rule_match_ip_addr(r6, AF_INET6, NFT_ADDR_DADDR, A(AF_INET6, "ff00::"), 8,
				  NFT_CMP_EQ, &err));
	OK(nft_rule_verdict(r6, NFT_RETURN, NULL, &err));
	t6 = rule_text(r6);
	CHECK_STR(t6, "inet t c\n"
		      "  [ meta load nfproto => reg 1 ]\n"
		      "  [ cmp eq reg 1 0x0000000a ]\n"
		      "  [ payload load 1b @ network header + 24 => reg 1 ]\n"
		      "  [ cmp eq reg 1 0x000000ff ]\n"
		      "  [ immediate reg 0 return ]\n");
	/* ip saddr 0.0.0.0/0 in an ip table: no nfproto, full load + zero mask. */
	OK(nft_rule_match_ip_addr(r0, AF_INET, NFT_ADDR_SADDR, A(AF_INET, "0.0.0.0"), 0, NFT_CMP_EQ,
				  &err));
	OK(nft_rule_match_ip_addr(r0, AF_INET, NFT_ADDR_DADDR, A(AF_INET, "10.88.0.5"), 32,
				  NFT_CMP_EQ, &err));
	OK(nft_rule_masquerade(r0, &err));
	t0 = rule_text(r0);
	CHECK_STR(t0, "ip t c\n"
		      "  [ payload load 4b @ network header + 12 => reg 1 ]\n"
		      "  [ bitwise reg 1 = ( reg 1 & 0x00000000 ) ^ 0x00000000 ]\n"
		      "  [ cmp eq reg 1 0x00000000 ]\n"
		      "  [ payload load 4b @ network header + 16 => reg 1 ]\n"
		      "  [ cmp eq reg 1 0x0500580a ]\n"
		      "  [ masq ]\n");
}

static void test_expr_dnat(void)
{
	_cleanup_(nft_rule_freep) struct nft_rule *r = new_rule(NFPROTO_IPV4, "t", "c", "cid1");
	_cleanup_(nft_rule_freep) struct nft_rule *r6 = new_rule(NFPROTO_IPV6, "t", "c", NULL);
	_cleanup_free_ char *txt = NULL, *txt6 = NULL;

	OK(nft_rule_match_ip_addr(r, AF_INET, NFT_ADDR_DADDR, A(AF_INET, "192.168.1.1"), -1,
				  NFT_CMP_EQ, &err));
	OK(nft_rule_match_l4_dport(r, IPPROTO_UDP, 53, &err));
	OK(nft_rule_dnat(r, AF_INET, A(AF_INET, "10.88.0.5"), 53, &err));
	txt = rule_text(r);
	CHECK_STR(txt, "ip t c\n"
		       "  [ payload load 4b @ network header + 16 => reg 1 ]\n"
		       "  [ cmp eq reg 1 0x0101a8c0 ]\n"
		       "  [ meta load l4proto => reg 1 ]\n"
		       "  [ cmp eq reg 1 0x00000011 ]\n"
		       "  [ payload load 2b @ transport header + 2 => reg 1 ]\n"
		       "  [ cmp eq reg 1 0x00003500 ]\n"
		       "  [ immediate reg 1 0x0500580a ]\n"
		       "  [ immediate reg 2 0x00003500 ]\n"
		       "  [ nat dnat ip addr_min reg 1 proto_min reg 2 flags 0x2 ]\n"
		       "  userdata = { \\x00\\x05cid1\\x00 }");

	OK(nft_rule_match_l4_dport(r6, IPPROTO_TCP, 8080, &err));
	OK(nft_rule_dnat(r6, AF_INET6, A(AF_INET6, "fd00::5"), 80, &err));
	txt6 = rule_text(r6);
	CHECK_STR(txt6, "ip6 t c\n"
			"  [ meta load l4proto => reg 1 ]\n"
			"  [ cmp eq reg 1 0x00000006 ]\n"
			"  [ payload load 2b @ transport header + 2 => reg 1 ]\n"
			"  [ cmp eq reg 1 0x0000901f ]\n"
			"  [ immediate reg 1 0x000000fd 0x00000000 0x00000000 0x05000000 ]\n"
			"  [ immediate reg 2 0x00005000 ]\n"
			"  [ nat dnat ip6 addr_min reg 1 proto_min reg 2 flags 0x2 ]\n");
	/* Wrong family for the table. */
	CHECK(nft_rule_dnat(r6, AF_INET, A(AF_INET, "10.0.0.1"), 80, &err) == -EINVAL);
	CHECK(nft_rule_match_ip_addr(r6, AF_INET, NFT_ADDR_DADDR, A(AF_INET, "10.0.0.1"), -1,
				     NFT_CMP_EQ, &err) == -EINVAL);
}

/* Records what nft_rule_for_each_load_cmp() reports, "meta K op len" or "payload B+O/L op
 * len", stopping after stop_after calls (0: never). */
struct load_cmp_log {
	char text[512];
	size_t len;
	int calls;
	int stop_after;
};

static bool log_load_cmp(const struct nft_load_cmp *m, void *userdata)
{
	struct load_cmp_log *l = userdata;

	if (m->meta)
		l->len +=
			(size_t)snprintf(l->text + l->len, sizeof(l->text) - l->len,
					 "meta %u op %d len %u;", m->key, (int)m->op, m->data_len);
	else
		l->len += (size_t)snprintf(l->text + l->len, sizeof(l->text) - l->len,
					   "payload %u+%u/%u op %d len %u;", m->base, m->offset,
					   m->len, (int)m->op, m->data_len);
	return ++l->calls != l->stop_after;
}

static void test_rule_text(void)
{
	_cleanup_(nft_rule_freep) struct nft_rule *r = new_rule(NFPROTO_IPV4, "t", "c", NULL);
	_cleanup_(nft_rule_freep) struct nft_rule *lk = new_rule(NFPROTO_IPV4, "t", "c", NULL);
	_cleanup_free_ char *txt = NULL, *nat = NULL, *lk_txt = NULL, *lk_none = NULL;
	struct load_cmp_log log = {0}, first = {.stop_after = 1};
	uint8_t mask[4] = {0xff, 0xff, 0, 0};

	OK(nft_rule_match_ifname(r, NFT_IIFNAME, "eth0", NFT_CMP_NEQ, &err));
	OK(nft_rule_match_ip_addr(r, AF_INET, NFT_ADDR_SADDR, A(AF_INET, "10.1.0.0"), 20,
				  NFT_CMP_EQ, &err));
	OK(nft_rule_match_l4_dport(r, IPPROTO_UDP, 53, &err));
	OK(nft_rule_dnat(r, AF_INET, A(AF_INET, "10.0.0.2"), 5353, &err));
	txt = nft_rule_text(nft_rule_nlr(r), 0);
	CHECK_STR(txt, "meta load iifname => reg 1 \n"
		       "cmp neq reg 1 0x30687465 0x00000000 0x00000000 0x00000000 \n"
		       "payload load 4b @ network header + 12 => reg 1 \n"
		       "bitwise reg 1 = ( reg 1 & 0x00f0ffff ) ^ 0x00000000 \n"
		       "cmp eq reg 1 0x0000010a \n"
		       "meta load l4proto => reg 1 \n"
		       "cmp eq reg 1 0x00000011 \n"
		       "payload load 2b @ transport header + 2 => reg 1 \n"
		       "cmp eq reg 1 0x00003500 \n"
		       "immediate reg 1 0x0200000a \n"
		       "immediate reg 2 0x0000e914 \n"
		       "nat dnat ip addr_min reg 1 proto_min reg 2 flags 0x2 \n");
	/* Without what the kernel adds to a nat expression, as a listed rule may carry more. */
	nat = nft_rule_text(nft_rule_nlr(r), NFT_TEXT_NAT_AS_SENT);
	CHECK(nat && strstr(nat, "\nnat dnat ip addr_min reg 1 proto_min reg 2 \n"));
	CHECK(nat && !strstr(nat, "flags"));

	/* Loads followed by a comparison; the masked address load is not one. */
	nft_rule_for_each_load_cmp(nft_rule_nlr(r), log_load_cmp, &log);
	CHECK_STR(log.text, "meta 6 op 1 len 16;meta 16 op 0 len 1;payload 2+2/2 op 0 len 2;");
	nft_rule_for_each_load_cmp(nft_rule_nlr(r), log_load_cmp, &first);
	CHECK_INT(first.calls, 1);
	nft_rule_for_each_load_cmp(NULL, log_load_cmp, &first);
	CHECK_INT(first.calls, 1);

	/* A set lookup: printed, unless the caller compares rules. */
	OK(nft_rule_expr_payload(lk, NFT_PAYLOAD_NETWORK_HEADER, 12, 4, &err));
	OK(nft_rule_expr_mask(lk, mask, sizeof(mask), &err));
	OK(nft_rule_expr_lookup(lk, NFT_ANON_SET_NAME, 1, false, &err));
	lk_txt = nft_rule_text(nft_rule_nlr(lk), NFT_TEXT_NAT_AS_SENT);
	CHECK(lk_txt && strstr(lk_txt, "\nlookup reg 1 set __set%d"));
	lk_none = nft_rule_text(nft_rule_nlr(lk), NFT_TEXT_NO_LOOKUP);
	CHECK(lk_none == NULL);
}

static void test_expr_misc(void)
{
	static const uint8_t mac[6] = {0x0a, 0x58, 0x0a, 0xf4, 0x00, 0x05};
	_cleanup_(nft_rule_freep) struct nft_rule *r = new_rule(NFPROTO_IPV4, "t", "c", NULL);
	_cleanup_(nft_rule_freep) struct nft_rule *b = new_rule(NFPROTO_BRIDGE, "nat", "x", NULL);
	_cleanup_(nft_rule_freep) struct nft_rule *bad = NULL;
	_cleanup_free_ char *txt = NULL, *btxt = NULL;
	char longc[NFT_COMMENT_MAX + 2];

	OK(nft_rule_match_ifname(r, NFT_IIFNAME, "eth0", NFT_CMP_EQ, &err));
	OK(nft_rule_match_ifname(r, NFT_OIFNAME, "br0", NFT_CMP_NEQ, &err));
	mark_match(r, UINT32_MAX, 0x2000);
	mark_match(r, 0x2000, 0x2000);
	OK(nft_rule_match_fib_daddr_local(r, &err));
	OK(nft_rule_verdict(r, NFT_JUMP, "hostports_all", &err));
	txt = rule_text(r);
	CHECK_STR(txt, "ip t c\n"
		       "  [ meta load iifname => reg 1 ]\n"
		       "  [ cmp eq reg 1 0x30687465 0x00000000 0x00000000 0x00000000 ]\n"
		       "  [ meta load oifname => reg 1 ]\n"
		       "  [ cmp neq reg 1 0x00307262 0x00000000 0x00000000 0x00000000 ]\n"
		       "  [ meta load mark => reg 1 ]\n"
		       "  [ cmp eq reg 1 0x00002000 ]\n"
		       "  [ meta load mark => reg 1 ]\n"
		       "  [ bitwise reg 1 = ( reg 1 & 0x00002000 ) ^ 0x00000000 ]\n"
		       "  [ cmp eq reg 1 0x00002000 ]\n"
		       "  [ fib daddr type => reg 1 ]\n"
		       "  [ cmp eq reg 1 0x00000002 ]\n"
		       "  [ immediate reg 0 jump -> hostports_all ]\n");

	OK(nft_rule_match_ether_addr(b, NFT_ADDR_SADDR, mac, &err));
	OK(nft_rule_verdict(b, NFT_RETURN, NULL, &err));
	btxt = rule_text(b);
	CHECK_STR(btxt, "bridge nat x\n"
			"  [ payload load 6b @ link header + 6 => reg 1 ]\n"
			"  [ cmp eq reg 1 0xf40a580a 0x00000500 ]\n"
			"  [ immediate reg 0 return ]\n");

	/* Errors. */
	CHECK(nft_rule_verdict(r, NFT_JUMP, NULL, &err) == -EINVAL);
	CHECK(nft_rule_verdict(r, NF_DROP, "x", &err) == -EINVAL);
	CHECK(nft_rule_match_ifname(r, NFT_IIFNAME, "0123456789abcdef", NFT_CMP_EQ, &err) ==
	      -EINVAL);
	CHECK(nft_rule_match_ip_addr(b, AF_INET, NFT_ADDR_SADDR, A(AF_INET, "1.2.3.4"), -1,
				     NFT_CMP_EQ, &err) == -EINVAL);
	CHECK(nft_rule_match_ip_addr(r, AF_INET, NFT_ADDR_SADDR, A(AF_INET, "1.2.3.4"), 33,
				     NFT_CMP_EQ, &err) == -EINVAL);
	memset(longc, 'x', sizeof(longc) - 1);
	longc[sizeof(longc) - 1] = '\0';
	CHECK(nft_rule_new(NFPROTO_IPV4, "t", "c", longc, &bad, &err) == -EINVAL);
	CHECK(bad == NULL);
	CHECK(strstr(err.msg, "longer than 128") != NULL);
	longc[NFT_COMMENT_MAX] = '\0';
	OK(nft_rule_new(NFPROTO_IPV4, "t", "c", longc, &bad, &err));
}

/* The raw expressions, as `nft --debug=netlink` prints them; the limit counts them all. */
static void test_expr_raw(void)
{
	static const uint8_t lo[2] = {0, 80}, hi[2] = {0, 90}, st[4] = {0x02, 0, 0, 0},
			     m[4] = {0xff, 0xff, 0, 0};
	_cleanup_(nft_rule_freep) struct nft_rule *r = new_rule(NFPROTO_IPV4, "t", "c", NULL);
	_cleanup_(nft_rule_freep) struct nft_rule *full = new_rule(NFPROTO_IPV4, "t", "c", NULL);
	_cleanup_free_ char *txt = NULL;
	int i, rc = 0;

	OK(nft_rule_expr_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, &err));
	OK(nft_rule_expr_range(r, NFT_RANGE_NEQ, lo, hi, 2, &err));
	OK(nft_rule_expr_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, &err));
	OK(nft_rule_expr_cmp(r, NFT_CMP_GTE, lo, 2, &err));
	OK(nft_rule_expr_ct(r, NFT_CT_STATE, &err));
	OK(nft_rule_expr_mask(r, st, 4, &err));
	OK(nft_rule_expr_meta(r, NFT_META_MARK, &err));
	OK(nft_rule_expr_mask(r, m, 4, &err));
	OK(nft_rule_expr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 12, 4, &err));
	OK(nft_rule_expr_lookup(r, NFT_ANON_SET_NAME, 7, true, &err));
	OK(nft_rule_expr_lookup(r, "named", 0, false, &err));
	CHECK_INT(nft_rule_expr_count(r), 11);
	txt = rule_text(r);
	CHECK_STR(txt, "ip t c\n"
		       "  [ payload load 2b @ transport header + 2 => reg 1 ]\n"
		       "  [ range neq reg 1 0x00005000 0x00005a00 ]\n"
		       "  [ payload load 2b @ transport header + 2 => reg 1 ]\n"
		       "  [ cmp gte reg 1 0x00005000 ]\n"
		       "  [ ct load state => reg 1 ]\n"
		       "  [ bitwise reg 1 = ( reg 1 & 0x00000002 ) ^ 0x00000000 ]\n"
		       "  [ meta load mark => reg 1 ]\n"
		       "  [ bitwise reg 1 = ( reg 1 & 0x0000ffff ) ^ 0x00000000 ]\n"
		       "  [ payload load 4b @ network header + 12 => reg 1 ]\n"
		       "  [ lookup reg 1 set __set%d 0x1 ]\n"
		       "  [ lookup reg 1 set named ]\n");
	CHECK(nft_rule_expr_lookup(r, "", 0, false, &err) == -EINVAL);
	CHECK(nft_rule_expr_mask(r, m, 17, &err) == -EINVAL);
	for (i = 0; i < NFT_RULE_MAX_EXPRS && rc == 0; i++)
		rc = nft_rule_expr_meta(full, NFT_META_MARK, &err);
	CHECK_INT(rc, 0);
	CHECK_INT(nft_rule_expr_meta(full, NFT_META_MARK, &err), -E2BIG);
	CHECK_INT(nft_rule_verdict(full, NF_ACCEPT, NULL, &err), -E2BIG);
}

/* An anonymous set's messages, as nft 1.0.6 sends them. */
static void test_anon_set_msgs(void)
{
	static const struct nft_set_elem elems[] = {
		{.key = {0, 0, 0, 0}, .end = true},
		{.key = {10, 0, 0, 0}},
		{.key = {11, 0, 0, 0}, .end = true},
		{.key = {192, 168, 0, 0}, .open = true},
	};
	const struct nft_anon_set set = {
		.family = NFPROTO_IPV4,
		.table = "t",
		.id = 3,
		.interval = true,
		.key = {NFT_SET_TYPE_IPADDR, 4, true, NFT_TYPEOF_PAYLOAD, 12, 11},
		.elem = elems,
		.n = ARRAY_SIZE(elems),
	};
	_cleanup_(nft_txn_freep) struct nft_txn *txn = NULL;
	_cleanup_free_ void *buf = NULL;
	const struct nlmsghdr *nlh;
	size_t len = 0;
	int left, idx = 0;

	OK(nft_txn_new(&txn, &err));
	if (!txn)
		return;
	OK(nft_txn_add_anon_set(txn, &set, &err));
	CHECK_INT(nft_txn_pending(txn), 2);
	{
		struct nft_anon_set bad = set;

		bad.key.len = 17;
		CHECK(nft_txn_add_anon_set(txn, &bad, &err) == -EINVAL);
		bad = set;
		bad.table = "";
		CHECK(nft_txn_add_anon_set(txn, &bad, &err) == -EINVAL);
		CHECK_INT(nft_txn_pending(txn), 2);
	}
	OK(nft_txn_copy_batch(txn, &buf, &len, &err));
	left = (int)len;
	for (nlh = buf; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left), idx++) {
		struct nftnl_set *s;

		if (idx == 0)
			continue;
		s = nftnl_set_alloc();
		CHECK(nlh->nlmsg_flags & NLM_F_CREATE);
		CHECK(nlh->nlmsg_flags & NLM_F_ACK);
		if (idx == 1) {
			CHECK_INT(nlh->nlmsg_type & 0xff, NFT_MSG_NEWSET);
			CHECK(nftnl_set_nlmsg_parse(nlh, s) == 0);
			CHECK_STR(nftnl_set_get_str(s, NFTNL_SET_NAME), "__set%d");
			CHECK_STR(nftnl_set_get_str(s, NFTNL_SET_TABLE), "t");
			CHECK_INT(nftnl_set_get_u32(s, NFTNL_SET_FLAGS),
				  NFT_SET_ANONYMOUS | NFT_SET_CONSTANT | NFT_SET_INTERVAL);
			CHECK_INT(nftnl_set_get_u32(s, NFTNL_SET_ID), 3);
			CHECK_INT(nftnl_set_get_u32(s, NFTNL_SET_KEY_TYPE), NFT_SET_TYPE_IPADDR);
			CHECK_INT(nftnl_set_get_u32(s, NFTNL_SET_KEY_LEN), 4);
			/* An open last interval counts its missing end element. */
			CHECK_INT(nftnl_set_get_u32(s, NFTNL_SET_DESC_SIZE), 5);
		} else {
			const struct nlattr *a;
			size_t nelems = 0;
			uint32_t id = 0;

			CHECK_INT(nlh->nlmsg_type & 0xff, NFT_MSG_NEWSETELEM);
			mnl_attr_for_each (a, nlh, sizeof(struct nfgenmsg)) {
				const struct nlattr *e;

				if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_SET_ID)
					id = ntohl(mnl_attr_get_u32(a));
				if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_ELEMENTS)
					mnl_attr_for_each_nested (e, a)
						nelems++;
			}
			CHECK_INT(id, 3);
			CHECK_INT(nelems, 4);
		}
		nftnl_set_free(s);
	}
	CHECK_INT(idx, 3);
}

/* ---- unprivileged: messages round trip ------------------------------------------------ */

static int comment_cb(const struct nftnl_udata *attr, void *data)
{
	if (nftnl_udata_type(attr) == 0)
		*(const char **)data = nftnl_udata_get(attr);
	return 0;
}

static const char *udata_comment(const void *ud, uint32_t len)
{
	const char *c = NULL;

	if (ud)
		nftnl_udata_parse(ud, len, comment_cb, &c);
	return c;
}

static void test_msg_roundtrip(void)
{
	_cleanup_(nft_txn_freep) struct nft_txn *txn = NULL;
	_cleanup_(nft_rule_freep) struct nft_rule *r = NULL;
	_cleanup_free_ void *buf = NULL;
	struct nft_base_chain post = {.type = "nat", .hook = NF_INET_POST_ROUTING, .priority = 100};
	const struct nlmsghdr *nlh;
	size_t len = 0;
	int left, idx = 0;

	OK(nft_txn_new(&txn, &err));
	if (!txn)
		return;
	OK(nft_txn_add_table(txn, NFPROTO_INET, "tbl", "table comment", &err));
	OK(nft_txn_add_chain(txn, NFPROTO_INET, "tbl", "post", &post, "chain comment", &err));
	r = new_rule(NFPROTO_INET, "tbl", "post", "rule comment");
	OK(nft_rule_verdict(r, NFT_GOTO, "post", &err));
	OK(nft_txn_add_rule(txn, r, &err));
	OK(nft_txn_delete_rule(txn, NFPROTO_INET, "tbl", "post", 42, &err));
	OK(nft_txn_flush_chain(txn, NFPROTO_INET, "tbl", "post", &err));
	OK(nft_txn_delete_chain(txn, NFPROTO_INET, "tbl", "post", &err));
	CHECK_INT(nft_txn_pending(txn), 6);
	CHECK(nft_txn_add_chain(txn, NFPROTO_INET, "tbl", "", NULL, NULL, &err) == -EINVAL);
	CHECK_INT(nft_txn_pending(txn), 6);

	OK(nft_txn_copy_batch(txn, &buf, &len, &err));
	left = (int)len;
	for (nlh = buf; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left), idx++) {
		const struct nfgenmsg *nfg = mnl_nlmsg_get_payload(nlh);
		uint16_t type = nlh->nlmsg_type & 0xff;

		if (idx == 0) {
			CHECK_INT(nlh->nlmsg_type, NFNL_MSG_BATCH_BEGIN);
			CHECK_INT(ntohs(nfg->res_id), NFNL_SUBSYS_NFTABLES);
			continue;
		}
		CHECK_INT(nlh->nlmsg_type >> 8, NFNL_SUBSYS_NFTABLES);
		CHECK_INT(nfg->nfgen_family, NFPROTO_INET);
		CHECK(nlh->nlmsg_flags & NLM_F_ACK);
		CHECK(!(nlh->nlmsg_flags & NLM_F_EXCL));
		if (idx == 1) {
			struct nftnl_table *t = nftnl_table_alloc();
			const void *ud;
			uint32_t udlen = 0;

			CHECK_INT(type, NFT_MSG_NEWTABLE);
			CHECK(nlh->nlmsg_flags & NLM_F_CREATE);
			CHECK(nftnl_table_nlmsg_parse(nlh, t) == 0);
			CHECK_STR(nftnl_table_get_str(t, NFTNL_TABLE_NAME), "tbl");
			ud = nftnl_table_get_data(t, NFTNL_TABLE_USERDATA, &udlen);
			CHECK_STR(udata_comment(ud, udlen), "table comment");
			nftnl_table_free(t);
		} else if (idx == 2) {
			struct nftnl_chain *c = nftnl_chain_alloc();
			const void *ud;
			uint32_t udlen = 0;

			CHECK_INT(type, NFT_MSG_NEWCHAIN);
			CHECK(nftnl_chain_nlmsg_parse(nlh, c) == 0);
			CHECK_STR(nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE), "tbl");
			CHECK_STR(nftnl_chain_get_str(c, NFTNL_CHAIN_NAME), "post");
			CHECK_STR(nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE), "nat");
			CHECK_INT(nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM),
				  NF_INET_POST_ROUTING);
			CHECK_INT(nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO), 100);
			CHECK(!nftnl_chain_is_set(c, NFTNL_CHAIN_POLICY));
			ud = nftnl_chain_get_data(c, NFTNL_CHAIN_USERDATA, &udlen);
			CHECK_STR(udata_comment(ud, udlen), "chain comment");
			nftnl_chain_free(c);
		} else if (idx >= 3 && idx <= 5) {
			struct nftnl_rule *pr = nftnl_rule_alloc();
			const void *ud;
			uint32_t udlen = 0;

			CHECK(nftnl_rule_nlmsg_parse(nlh, pr) == 0);
			CHECK_STR(nftnl_rule_get_str(pr, NFTNL_RULE_TABLE), "tbl");
			CHECK_STR(nftnl_rule_get_str(pr, NFTNL_RULE_CHAIN), "post");
			if (idx == 3) {
				char txt[1024];

				CHECK_INT(type, NFT_MSG_NEWRULE);
				CHECK(nlh->nlmsg_flags & NLM_F_APPEND);
				ud = nftnl_rule_get_data(pr, NFTNL_RULE_USERDATA, &udlen);
				CHECK_STR(udata_comment(ud, udlen), "rule comment");
				nftnl_rule_snprintf(txt, sizeof(txt), pr, NFTNL_OUTPUT_DEFAULT, 0);
				CHECK(strstr(txt, "[ immediate reg 0 goto -> post ]") != NULL);
			} else if (idx == 4) {
				CHECK_INT(type, NFT_MSG_DELRULE);
				CHECK_INT(nftnl_rule_get_u64(pr, NFTNL_RULE_HANDLE), 42);
			} else {
				CHECK_INT(type, NFT_MSG_DELRULE);
				CHECK(!nftnl_rule_is_set(pr, NFTNL_RULE_HANDLE));
			}
			nftnl_rule_free(pr);
		} else if (idx == 6) {
			CHECK_INT(type, NFT_MSG_DELCHAIN);
		}
	}
	CHECK_INT(idx, 7);
	/* Sequence numbers increase by one. */
	nft_txn_abort(txn);
	CHECK_INT(nft_txn_pending(txn), 0);
}

/* ---- live: helpers --------------------------------------------------------------------- */

/* Run a shell command; its stdout+stderr, or NULL when it failed. */
static char *run(const char *cmd)
{
	_cleanup_free_ char *full = NULL;
	char *out = NULL;
	size_t len = 0, cap = 0;
	char chunk[4096];
	size_t n;
	FILE *f;
	int status;

	if (asprintf(&full, "%s 2>&1", cmd) < 0)
		return NULL;
	f = popen(full, "r");
	if (!f)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (len + n + 1 > cap) {
			cap = (len + n + 1) * 2;
			out = realloc(out, cap);
		}
		memcpy(out + len, chunk, n);
		len += n;
	}
	status = pclose(f);
	if (!out)
		out = calloc(1, 1);
	else
		out[len] = '\0';
	if (status != 0) {
		fprintf(stderr, "  command failed (%d): %s\n%s", status, cmd, out);
		free(out);
		return NULL;
	}
	return out;
}

static char *slurp(const char *path)
{
	_cleanup_free_ char *cmd = NULL;

	if (asprintf(&cmd, "cat '%s'", path) < 0)
		return NULL;
	return run(cmd);
}

/* Path of a golden file, next to this source file. */
static char *golden(const char *name)
{
	const char *slash = strrchr(__FILE__, '/');
	char *p = NULL;

	if (asprintf(&p, "%.*sgolden/%s", slash ? (int)(slash - __FILE__ + 1) : 0, __FILE__, name) <
	    0)
		return NULL;
	return p;
}

/* One chain to compare byte for byte. */
struct chain_ref {
	int family;	   /* NFPROTO_* */
	const char *table; /* table name */
	const char *chain; /* chain name */
};

/* A reference layout. */
struct layout {
	const char *golden;		 /* golden file name */
	const char *tables;		 /* "inet cni_plugins_masquerade" etc., ';' separated */
	struct chain_ref chains[12];	 /* chains compared message by message */
	void (*build)(struct nft_txn *); /* builds the layout with this layer */
};

/* The rule messages of the chains, re-serialized by libnftnl from the kernel's dump:
 * equal blobs mean identical expressions, data lengths and comments. */
static void rules_blob(struct nft_txn *txn, const struct layout *l, char **ret, size_t *ret_len)
{
	char *blob = NULL;
	size_t len = 0;
	int i;

	for (i = 0; l->chains[i].table; i++) {
		_cleanup_(nft_rule_list_freep) struct nft_rule_list *list = NULL;
		size_t j;

		OK(nft_list_rules(txn, l->chains[i].family, l->chains[i].table, l->chains[i].chain,
				  &list, &err));
		for (j = 0; list && j < list->n; j++) {
			char buf[8192] = {0}; /* libmnl 1.0.4 leaves attribute padding as is */
			struct nlmsghdr *nlh;

			nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_NEWRULE, l->chains[i].family, 0,
						    0);
			nftnl_rule_nlmsg_build_payload(nlh, list->rule[j].nlr);
			blob = realloc(blob, len + nlh->nlmsg_len);
			memcpy(blob + len, nlh, nlh->nlmsg_len);
			len += nlh->nlmsg_len;
		}
	}
	*ret = blob;
	*ret_len = len;
}

/* nft list / nft --debug=netlink list of every table of the layout. */
static char *list_tables(const struct layout *l, bool debug)
{
	_cleanup_free_ char *tables = strdup(l->tables);
	_cleanup_free_ char *cmd = strdup("true");
	char *save = NULL, *t;

	for (t = strtok_r(tables, ";", &save); t; t = strtok_r(NULL, ";", &save)) {
		char *next = NULL;

		if (asprintf(&next, "%s && nft %s list table %s", cmd,
			     debug ? "--debug=netlink" : "", t) < 0)
			return NULL;
		free(cmd);
		cmd = next;
	}
	return run(cmd);
}

static void delete_tables(struct nft_txn *txn, const struct layout *l)
{
	_cleanup_free_ char *tables = strdup(l->tables);
	char *save = NULL, *t;

	for (t = strtok_r(tables, ";", &save); t; t = strtok_r(NULL, ";", &save)) {
		char fam[16], name[64];
		int family;

		if (sscanf(t, "%15s %63s", fam, name) != 2)
			abort();
		family = !strcmp(fam, "inet")  ? NFPROTO_INET
			 : !strcmp(fam, "ip")  ? NFPROTO_IPV4
			 : !strcmp(fam, "ip6") ? NFPROTO_IPV6
					       : NFPROTO_BRIDGE;
		OK(nft_txn_delete_table(txn, family, name, &err));
	}
	OK(nft_txn_commit(txn, &err));
}

static void compare_layout(const struct layout *l)
{
	_cleanup_(nft_txn_freep) struct nft_txn *txn = NULL;
	_cleanup_free_ char *path = golden(l->golden), *want = slurp(path);
	_cleanup_free_ char *mine = NULL, *mine_dbg = NULL, *theirs = NULL, *theirs_dbg = NULL;
	_cleanup_free_ char *blob_mine = NULL, *blob_theirs = NULL, *cmd = NULL;
	size_t len_mine = 0, len_theirs = 0;

	CHECK(want != NULL);
	OK(nft_txn_new(&txn, &err));
	if (!txn || !want)
		return;

	/* Ours. */
	l->build(txn);
	OK(nft_txn_commit(txn, &err));
	mine = list_tables(l, false);
	mine_dbg = list_tables(l, true);
	rules_blob(txn, l, &blob_mine, &len_mine);
	delete_tables(txn, l);

	/* nft's, from the golden text. */
	if (asprintf(&cmd, "nft -f '%s'", path) < 0)
		return;
	free(run(cmd));
	theirs = list_tables(l, false);
	theirs_dbg = list_tables(l, true);
	rules_blob(txn, l, &blob_theirs, &len_theirs);
	delete_tables(txn, l);

	CHECK_STR(mine, want);
	CHECK_STR(theirs, want);
	CHECK_STR(mine_dbg, theirs_dbg);
	CHECK(len_mine > 0);
	CHECK_INT(len_mine, len_theirs);
	CHECK(len_mine == len_theirs && memcmp(blob_mine, blob_theirs, len_mine) == 0);
	if (len_mine == len_theirs && memcmp(blob_mine, blob_theirs, len_mine) != 0) {
		size_t i;

		for (i = 0; i < len_mine && blob_mine[i] == blob_theirs[i]; i++)
			;
		fprintf(stderr, "  %s: rule messages differ at byte %zu\n", l->golden, i);
	}
}

/* Append a rule and free it. */
static void add(struct nft_txn *txn, struct nft_rule *r)
{
	OK(nft_txn_add_rule(txn, r, &err));
	nft_rule_free(r);
}

/* ---- live: the reference layouts ------------------------------------------------------ */

#define MASQ_TABLE "cni_plugins_masquerade"
#define MASQ_C1	   "a7cd4aa9f5cf07d5-8d6a3c8f3b7e2f41, net: mynet, if: eth0, id: cid1"
#define MASQ_C2	   "a7cd4aa9f5cf07d5-0f1e2d3c4b5a6978, net: mynet, if: eth0, id: cid2"

/* "ip saddr == A ip daddr != N/len masquerade" in table inet cni_plugins_masquerade. */
static void masq_rule(struct nft_txn *txn, int af, const char *ip, const char *net, int len,
		      const char *comment)
{
	struct nft_rule *r = new_rule(NFPROTO_INET, MASQ_TABLE, "masq_checks", comment);

	OK(nft_rule_match_ip_addr(r, af, NFT_ADDR_SADDR, A(af, ip), -1, NFT_CMP_EQ, &err));
	OK(nft_rule_match_ip_addr(r, af, NFT_ADDR_DADDR, A(af, net), len, NFT_CMP_NEQ, &err));
	OK(nft_rule_masquerade(r, &err));
	add(txn, r);
}

static void build_masq(struct nft_txn *txn)
{
	struct nft_base_chain post = {.type = "nat", .hook = NF_INET_POST_ROUTING, .priority = 100};
	struct nft_rule *r;

	OK(nft_txn_add_table(txn, NFPROTO_INET, MASQ_TABLE,
			     "Masquerading for plugins from github.com/containernetworking/plugins",
			     &err));
	OK(nft_txn_add_chain(txn, NFPROTO_INET, MASQ_TABLE, "masq_checks", NULL,
			     "Masquerade traffic from certain IPs to any (non-multicast) IP "
			     "outside their subnet",
			     &err));
	OK(nft_txn_add_chain(txn, NFPROTO_INET, MASQ_TABLE, "postrouting", &post, NULL, &err));
	masq_rule(txn, AF_INET, "10.88.0.5", "10.88.0.0", 16, MASQ_C1);
	masq_rule(txn, AF_INET6, "fd00:88::5", "fd00:88::", 64, MASQ_C1);
	masq_rule(txn, AF_INET, "10.89.16.7", "10.89.16.0", 20, MASQ_C2);

	r = new_rule(NFPROTO_INET, MASQ_TABLE, "postrouting", NULL);
	OK(nft_rule_match_ip_addr(r, AF_INET, NFT_ADDR_DADDR, A(AF_INET, "224.0.0.0"), 4,
				  NFT_CMP_EQ, &err));
	OK(nft_rule_verdict(r, NFT_RETURN, NULL, &err));
	add(txn, r);
	r = new_rule(NFPROTO_INET, MASQ_TABLE, "postrouting", NULL);
	OK(nft_rule_match_ip_addr(r, AF_INET6, NFT_ADDR_DADDR, A(AF_INET6, "ff00::"), 8, NFT_CMP_EQ,
				  &err));
	OK(nft_rule_verdict(r, NFT_RETURN, NULL, &err));
	add(txn, r);
	r = new_rule(NFPROTO_INET, MASQ_TABLE, "postrouting", NULL);
	OK(nft_rule_verdict(r, NFT_GOTO, "masq_checks", &err));
	add(txn, r);
}

/* "[ip daddr H] proto dport P dnat to A:P2" in chain of table cni_hostport. */
static void dnat_rule(struct nft_txn *txn, int family, const char *chain, const char *host_ip,
		      uint8_t proto, uint16_t hport, const char *cip, uint16_t cport,
		      const char *comment)
{
	int af = family == NFPROTO_IPV4 ? AF_INET : AF_INET6;
	struct nft_rule *r = new_rule(family, "cni_hostport", chain, comment);

	if (host_ip)
		OK(nft_rule_match_ip_addr(r, af, NFT_ADDR_DADDR, A(af, host_ip), -1, NFT_CMP_EQ,
					  &err));
	OK(nft_rule_match_l4_dport(r, proto, hport, &err));
	OK(nft_rule_dnat(r, af, A(af, cip), cport, &err));
	add(txn, r);
}

/* "ip saddr S[/len] ip daddr D masquerade" in chain masquerading. */
static void hp_masq_rule(struct nft_txn *txn, int family, const char *src, int srclen,
			 const char *dst, const char *comment)
{
	int af = family == NFPROTO_IPV4 ? AF_INET : AF_INET6;
	struct nft_rule *r = new_rule(family, "cni_hostport", "masquerading", comment);

	OK(nft_rule_match_ip_addr(r, af, NFT_ADDR_SADDR, A(af, src), srclen, NFT_CMP_EQ, &err));
	OK(nft_rule_match_ip_addr(r, af, NFT_ADDR_DADDR, A(af, dst), -1, NFT_CMP_EQ, &err));
	OK(nft_rule_masquerade(r, &err));
	add(txn, r);
}

/* The chains of table ip|ip6 cni_hostport; the per-ADD chains are flushed. */
static void hostport_chains(struct nft_txn *txn, int family)
{
	struct nft_base_chain pre = {.type = "nat", .hook = NF_INET_PRE_ROUTING, .priority = -100};
	struct nft_base_chain out = {.type = "nat", .hook = NF_INET_LOCAL_OUT, .priority = -100};
	struct nft_base_chain post = {.type = "nat", .hook = NF_INET_POST_ROUTING, .priority = 100};
	const char *T = "cni_hostport";

	OK(nft_txn_add_table(txn, family, T, "CNI portmap plugin", &err));
	OK(nft_txn_add_chain(txn, family, T, "hostports", NULL, NULL, &err));
	OK(nft_txn_add_chain(txn, family, T, "hostip_hostports", NULL, NULL, &err));
	OK(nft_txn_add_chain(txn, family, T, "hostports_all", NULL, NULL, &err));
	OK(nft_txn_add_chain(txn, family, T, "prerouting", &pre, NULL, &err));
	OK(nft_txn_add_chain(txn, family, T, "output", &out, NULL, &err));
	OK(nft_txn_add_chain(txn, family, T, "masquerading", &post, NULL, &err));
	OK(nft_txn_flush_chain(txn, family, T, "hostports_all", &err));
	OK(nft_txn_flush_chain(txn, family, T, "prerouting", &err));
	OK(nft_txn_flush_chain(txn, family, T, "output", &err));
}

/* The rules of the chains rewritten on every ADD. */
static void hostport_entry_rules(struct nft_txn *txn, int family,
				 void (*conditions)(struct nft_rule *r))
{
	const char *T = "cni_hostport";
	struct nft_rule *r;

	r = new_rule(family, T, "hostports_all", NULL);
	OK(nft_rule_verdict(r, NFT_JUMP, "hostip_hostports", &err));
	add(txn, r);
	r = new_rule(family, T, "hostports_all", NULL);
	OK(nft_rule_verdict(r, NFT_JUMP, "hostports", &err));
	add(txn, r);
	r = new_rule(family, T, "prerouting", NULL);
	conditions(r);
	OK(nft_rule_match_fib_daddr_local(r, &err));
	OK(nft_rule_verdict(r, NFT_JUMP, "hostports_all", &err));
	add(txn, r);
	r = new_rule(family, T, "output", NULL);
	OK(nft_rule_match_fib_daddr_local(r, &err));
	OK(nft_rule_verdict(r, NFT_JUMP, "hostports_all", &err));
	add(txn, r);
}

/* "ip saddr 10.0.0.0/20 iifname "eth0" meta mark & 0x00002000 == 0x00002000" */
static void hostport_conditions_v4(struct nft_rule *r)
{
	OK(nft_rule_match_ip_addr(r, AF_INET, NFT_ADDR_SADDR, A(AF_INET, "10.0.0.0"), 20,
				  NFT_CMP_EQ, &err));
	OK(nft_rule_match_ifname(r, NFT_IIFNAME, "eth0", NFT_CMP_EQ, &err));
	mark_match(r, 0x2000, 0x2000);
}

/* "ip6 saddr fd00::/64 oifname != lo meta mark 0x1" */
static void hostport_conditions_v6(struct nft_rule *r)
{
	OK(nft_rule_match_ip_addr(r, AF_INET6, NFT_ADDR_SADDR, A(AF_INET6, "fd00::"), 64,
				  NFT_CMP_EQ, &err));
	OK(nft_rule_match_ifname(r, NFT_OIFNAME, "lo", NFT_CMP_NEQ, &err));
	mark_match(r, UINT32_MAX, 1);
}

static void build_hostport(struct nft_txn *txn)
{
	/* Rules are added chain by chain in listing order, as `nft -f` creates them, so
	 * that handles match too. */
	hostport_chains(txn, NFPROTO_IPV4);
	dnat_rule(txn, NFPROTO_IPV4, "hostports", NULL, IPPROTO_TCP, 8080, "10.88.0.5", 80, "cid1");
	dnat_rule(txn, NFPROTO_IPV4, "hostports", "192.168.1.1", IPPROTO_UDP, 5353, "10.88.0.5", 53,
		  "cid1");
	dnat_rule(txn, NFPROTO_IPV4, "hostports", NULL, IPPROTO_SCTP, 9999, "10.88.0.5", 9999,
		  "cid1");
	dnat_rule(txn, NFPROTO_IPV4, "hostports", NULL, IPPROTO_TCP, 8081, "10.88.0.6", 80, "cid2");
	dnat_rule(txn, NFPROTO_IPV4, "hostip_hostports", "192.168.1.1", IPPROTO_TCP, 8443,
		  "10.88.0.5", 443, "cid1");
	hostport_entry_rules(txn, NFPROTO_IPV4, hostport_conditions_v4);
	hp_masq_rule(txn, NFPROTO_IPV4, "10.88.0.5", -1, "10.88.0.5", "cid1");
	hp_masq_rule(txn, NFPROTO_IPV4, "127.0.0.1", -1, "10.88.0.5", "cid1");
	hp_masq_rule(txn, NFPROTO_IPV4, "0.0.0.0", 0, "10.88.0.6", "cid2");

	hostport_chains(txn, NFPROTO_IPV6);
	dnat_rule(txn, NFPROTO_IPV6, "hostports", NULL, IPPROTO_TCP, 8080, "fd00:88::5", 80,
		  "cid1");
	dnat_rule(txn, NFPROTO_IPV6, "hostports", "fd00::1", IPPROTO_UDP, 5353, "fd00:88::5", 53,
		  "cid1");
	hostport_entry_rules(txn, NFPROTO_IPV6, hostport_conditions_v6);
	hp_masq_rule(txn, NFPROTO_IPV6, "fd00:88::5", -1, "fd00:88::5", "cid1");
}

static void build_bridge(struct nft_txn *txn)
{
	static const uint8_t mac[6] = {0x0a, 0x58, 0x0a, 0x58, 0x00, 0x05};
	struct nft_base_chain pre = {.type = "filter",
				     .hook = NFT_BR_PRE_ROUTING,
				     .priority = -300,
				     .policy = NFT_POLICY_ACCEPT};
	const char *C = "macspoofchk-cid1-eth0";
	struct nft_rule *r;

	OK(nft_txn_add_table(txn, NFPROTO_BRIDGE, "nat", NULL, &err));
	OK(nft_txn_add_chain(txn, NFPROTO_BRIDGE, "nat", "PREROUTING", &pre, NULL, &err));
	OK(nft_txn_add_chain(txn, NFPROTO_BRIDGE, "nat", "cni-br-iface-cid1-eth0", NULL, NULL,
			     &err));
	OK(nft_txn_add_chain(txn, NFPROTO_BRIDGE, "nat", "cni-br-iface-cid1-eth0-mac", NULL, NULL,
			     &err));
	r = new_rule(NFPROTO_BRIDGE, "nat", "PREROUTING", C);
	OK(nft_rule_match_ifname(r, NFT_IIFNAME, "veth1a2b3c4d", NFT_CMP_EQ, &err));
	OK(nft_rule_verdict(r, NFT_JUMP, "cni-br-iface-cid1-eth0", &err));
	add(txn, r);
	r = new_rule(NFPROTO_BRIDGE, "nat", "cni-br-iface-cid1-eth0", C);
	OK(nft_rule_verdict(r, NFT_JUMP, "cni-br-iface-cid1-eth0-mac", &err));
	add(txn, r);
	r = new_rule(NFPROTO_BRIDGE, "nat", "cni-br-iface-cid1-eth0-mac", C);
	OK(nft_rule_match_ether_addr(r, NFT_ADDR_SADDR, mac, &err));
	OK(nft_rule_verdict(r, NFT_RETURN, NULL, &err));
	add(txn, r);
	r = new_rule(NFPROTO_BRIDGE, "nat", "cni-br-iface-cid1-eth0-mac", C);
	OK(nft_rule_verdict(r, NF_DROP, NULL, &err));
	add(txn, r);
}

static const struct layout masq_layout = {
	.golden = "nft_masq.nft",
	.tables = "inet " MASQ_TABLE,
	.chains = {{NFPROTO_INET, MASQ_TABLE, "masq_checks"},
		   {NFPROTO_INET, MASQ_TABLE, "postrouting"}},
	.build = build_masq,
};

static const struct layout hostport_layout = {
	.golden = "nft_hostport.nft",
	.tables = "ip cni_hostport;ip6 cni_hostport",
	.chains = {{NFPROTO_IPV4, "cni_hostport", "hostports"},
		   {NFPROTO_IPV4, "cni_hostport", "hostip_hostports"},
		   {NFPROTO_IPV4, "cni_hostport", "hostports_all"},
		   {NFPROTO_IPV4, "cni_hostport", "prerouting"},
		   {NFPROTO_IPV4, "cni_hostport", "output"},
		   {NFPROTO_IPV4, "cni_hostport", "masquerading"},
		   {NFPROTO_IPV6, "cni_hostport", "hostports"},
		   {NFPROTO_IPV6, "cni_hostport", "prerouting"}},
	.build = build_hostport,
};

static const struct layout bridge_layout = {
	.golden = "nft_bridge.nft",
	.tables = "bridge nat",
	.chains = {{NFPROTO_BRIDGE, "nat", "PREROUTING"},
		   {NFPROTO_BRIDGE, "nat", "cni-br-iface-cid1-eth0"},
		   {NFPROTO_BRIDGE, "nat", "cni-br-iface-cid1-eth0-mac"}},
	.build = build_bridge,
};

static void test_live_masq_layout(void)
{
	LIVE_REQUIRED_TOOL(LIVE_NFT, "the layout comparison");
	compare_layout(&masq_layout);
}

static void test_live_hostport_layout(void)
{
	LIVE_REQUIRED_TOOL(LIVE_NFT, "the layout comparison");
	compare_layout(&hostport_layout);
}

static void test_live_bridge_layout(void)
{
	LIVE_REQUIRED_TOOL(LIVE_NFT, "the layout comparison");
	compare_layout(&bridge_layout);
}

/* ---- live: semantics ------------------------------------------------------------------ */

static bool table_exists(struct nft_txn *txn, int family, const char *name)
{
	bool exists = true;

	OK(nft_table_exists(txn, family, name, &exists, &err));
	return exists;
}

static size_t count_rules(struct nft_txn *txn, int family, const char *table, const char *chain)
{
	_cleanup_(nft_rule_list_freep) struct nft_rule_list *list = NULL;

	OK(nft_list_rules(txn, family, table, chain, &list, &err));
	return list ? list->n : 0;
}

static void test_live_atomic(void)
{
	LIVE_REQUIRED();
	_cleanup_(nft_txn_freep) struct nft_txn *txn = NULL;
	struct nft_rule *r;

	OK(nft_txn_new(&txn, &err));
	if (!txn)
		return;
	OK(nft_txn_add_table(txn, NFPROTO_IPV4, "t_atomic", NULL, &err));
	OK(nft_txn_add_chain(txn, NFPROTO_IPV4, "t_atomic", "c1", NULL, NULL, &err));
	r = new_rule(NFPROTO_IPV4, "t_atomic", "c1", "ok");
	OK(nft_rule_verdict(r, NF_ACCEPT, NULL, &err));
	add(txn, r);
	r = new_rule(NFPROTO_IPV4, "t_atomic", "c1", "bad");
	OK(nft_rule_verdict(r, NFT_JUMP, "missing_chain", &err));
	add(txn, r);
	OK(nft_txn_add_chain(txn, NFPROTO_IPV4, "t_atomic", "c2", NULL, NULL, &err));
	cni_err_clear(&err);
	CHECK_INT(nft_txn_commit(txn, &err), -ENOENT);
	CHECK_STR(err.msg,
		  "add rule to chain 'c1' in table ip t_atomic: No such file or directory");
	CHECK_INT(nft_txn_pending(txn), 0);
	/* Nothing of the batch was applied. */
	CHECK(!table_exists(txn, NFPROTO_IPV4, "t_atomic"));

	/* The transaction is reusable; deleting a missing rule names the message. */
	OK(nft_txn_add_table(txn, NFPROTO_IPV4, "t_atomic", NULL, &err));
	OK(nft_txn_add_chain(txn, NFPROTO_IPV4, "t_atomic", "c1", NULL, NULL, &err));
	OK(nft_txn_commit(txn, &err));
	CHECK(table_exists(txn, NFPROTO_IPV4, "t_atomic"));
	OK(nft_txn_delete_rule(txn, NFPROTO_IPV4, "t_atomic", "c1", 999, &err));
	CHECK_INT(nft_txn_commit(txn, &err), -ENOENT);
	CHECK_STR(err.msg, "delete rule handle 999 in chain 'c1' in table ip t_atomic: No such "
			   "file or directory");
	/* A bad chain type carries the kernel's text, if any, in details. */
	{
		struct nft_base_chain bogus = {.type = "bogus", .hook = NF_INET_PRE_ROUTING};

		OK(nft_txn_add_chain(txn, NFPROTO_IPV4, "t_atomic", "b", &bogus, NULL, &err));
		CHECK(nft_txn_commit(txn, &err) < 0);
		CHECK(strncmp(err.msg, "add chain 'b' in table ip t_atomic: ", 36) == 0);
	}
	OK(nft_txn_delete_table(txn, NFPROTO_IPV4, "t_atomic", &err));
	OK(nft_txn_commit(txn, &err));
	/* An empty commit is fine. */
	OK(nft_txn_commit(txn, &err));
}

static bool keep_cid1(const struct nft_rule_info *rule, void *userdata)
{
	/* GC: delete commented rules whose comment is not in the valid set. */
	const char *const *valid = userdata;
	size_t i;

	if (!rule->comment)
		return false;
	for (i = 0; valid[i]; i++)
		if (!strcmp(valid[i], rule->comment))
			return false;
	return true;
}

static void test_live_delete_by_comment(void)
{
	LIVE_REQUIRED();
	static const char *const valid[] = {"cid1", NULL};
	static const char *const chains[] = {"hostports", "hostip_hostports", "masquerading"};
	_cleanup_(nft_txn_freep) struct nft_txn *txn = NULL;
	_cleanup_(nft_rule_list_freep) struct nft_rule_list *list = NULL;
	size_t i, n, total = 0;
	int f;

	OK(nft_txn_new(&txn, &err));
	if (!txn)
		return;
	build_hostport(txn);
	OK(nft_txn_commit(txn, &err));

	/* portmap DEL of cid1: both families, three chains. */
	for (f = 0; f < 2; f++) {
		for (i = 0; i < ARRAY_SIZE(chains); i++) {
			n = 0;
			OK(nft_txn_delete_rules_by_comment(txn, f ? NFPROTO_IPV6 : NFPROTO_IPV4,
							   "cni_hostport", chains[i], "cid1", &n,
							   &err));
			total += n;
		}
	}
	CHECK_INT(total, 6 + 3);
	OK(nft_txn_commit(txn, &err));
	OK(nft_list_rules(txn, NFPROTO_IPV4, "cni_hostport", "hostports", &list, &err));
	CHECK(list && list->n == 1 && list->rule[0].comment &&
	      !strcmp(list->rule[0].comment, "cid2"));
	CHECK_INT(count_rules(txn, NFPROTO_IPV4, "cni_hostport", "masquerading"), 1);
	CHECK_INT(count_rules(txn, NFPROTO_IPV4, "cni_hostport", "hostip_hostports"), 0);
	CHECK_INT(count_rules(txn, NFPROTO_IPV4, "cni_hostport", "hostports_all"), 2);
	CHECK_INT(count_rules(txn, NFPROTO_IPV4, "cni_hostport", "prerouting"), 1);
	CHECK_INT(count_rules(txn, NFPROTO_IPV6, "cni_hostport", "hostports"), 0);
	/* DEL again: nothing left, nothing queued. */
	n = 1;
	OK(nft_txn_delete_rules_by_comment(txn, NFPROTO_IPV4, "cni_hostport", "hostports", "cid1",
					   &n, &err));
	CHECK_INT(n, 0);
	CHECK_INT(nft_txn_pending(txn), 0);
	delete_tables(txn, &hostport_layout);

	/* GC with a predicate: keep cid1, delete cid2; uncommented rules stay. */
	build_hostport(txn);
	OK(nft_txn_commit(txn, &err));
	OK(nft_txn_delete_rules_if(txn, NFPROTO_IPV4, "cni_hostport", "hostports", keep_cid1,
				   (void *)valid, &n, &err));
	CHECK_INT(n, 1);
	OK(nft_txn_delete_rules_if(txn, NFPROTO_IPV4, "cni_hostport", "hostports_all", keep_cid1,
				   (void *)valid, &n, &err));
	CHECK_INT(n, 0);
	OK(nft_txn_commit(txn, &err));
	CHECK_INT(count_rules(txn, NFPROTO_IPV4, "cni_hostport", "hostports"), 3);
	delete_tables(txn, &hostport_layout);

	/* bridge masq teardown: comment prefix. */
	build_masq(txn);
	OK(nft_txn_commit(txn, &err));
	OK(nft_txn_delete_rules_by_comment_prefix(txn, NFPROTO_INET, MASQ_TABLE, "masq_checks",
						  "a7cd4aa9f5cf07d5-8d6a3c8f3b7e2f41", &n, &err));
	CHECK_INT(n, 2);
	OK(nft_txn_commit(txn, &err));
	nft_rule_list_free(list);
	list = NULL;
	OK(nft_list_rules(txn, NFPROTO_INET, MASQ_TABLE, "masq_checks", &list, &err));
	CHECK(list && list->n == 1 && !strcmp(list->rule[0].comment, MASQ_C2));
	CHECK(list && list->n == 1 && list->rule[0].handle > 0);
	if (list && list->n == 1) {
		_cleanup_free_ char *txt = NULL;

		txt = nft_rule_text(list->rule[0].nlr, 0);
		CHECK(txt &&
		      strstr(txt, "\nbitwise reg 1 = ( reg 1 & 0x00f0ffff ) ^ 0x00000000 \n"));
	}
	delete_tables(txn, &masq_layout);
}

static void test_live_missing(void)
{
	LIVE_REQUIRED();
	_cleanup_(nft_txn_freep) struct nft_txn *txn = NULL;
	_cleanup_(nft_rule_list_freep) struct nft_rule_list *list = NULL;
	bool exists = true;
	size_t n = 7;

	OK(nft_txn_new(&txn, &err));
	if (!txn)
		return;
	CHECK_INT(nft_list_rules(txn, NFPROTO_IPV4, "nope", "c", &list, &err), -ENOENT);
	CHECK(list == NULL);
	CHECK_STR(err.msg, "chain 'c' in table ip nope does not exist");
	CHECK_INT(cni_err_ret(&err), -ENOENT);
	OK(nft_list_rules_or_empty(txn, NFPROTO_IPV4, "nope", "c", &list, &err));
	CHECK(list && list->n == 0);
	nft_rule_list_free(list);
	list = NULL;
	OK(nft_table_exists(txn, NFPROTO_IPV4, "nope", &exists, &err));
	CHECK(!exists);
	exists = true;
	OK(nft_chain_exists(txn, NFPROTO_IPV4, "nope", "c", &exists, &err));
	CHECK(!exists);
	OK(nft_txn_delete_rules_by_comment(txn, NFPROTO_IPV4, "nope", "c", "x", &n, &err));
	CHECK_INT(n, 0);

	/* Existing table, missing chain. */
	OK(nft_txn_add_table(txn, NFPROTO_IPV6, "t_missing", NULL, &err));
	OK(nft_txn_commit(txn, &err));
	CHECK_INT(nft_list_rules(txn, NFPROTO_IPV6, "t_missing", "c", &list, &err), -ENOENT);
	OK(nft_table_exists(txn, NFPROTO_IPV6, "t_missing", &exists, &err));
	CHECK(exists);
	/* Same name, other family. */
	OK(nft_table_exists(txn, NFPROTO_IPV4, "t_missing", &exists, &err));
	CHECK(!exists);
	OK(nft_txn_delete_table(txn, NFPROTO_IPV6, "t_missing", &err));
	OK(nft_txn_commit(txn, &err));
}

static void test_live_idempotent(void)
{
	LIVE_REQUIRED();
	_cleanup_(nft_txn_freep) struct nft_txn *txn = NULL;
	struct nft_base_chain post = {.type = "nat", .hook = NF_INET_POST_ROUTING, .priority = 100};
	bool exists = false;
	struct nft_rule *r;
	int i;

	OK(nft_txn_new(&txn, &err));
	if (!txn)
		return;
	for (i = 0; i < 3; i++) {
		OK(nft_txn_add_table(txn, NFPROTO_INET, "t_idem", "c", &err));
		OK(nft_txn_add_chain(txn, NFPROTO_INET, "t_idem", "plain", NULL, NULL, &err));
		OK(nft_txn_add_chain(txn, NFPROTO_INET, "t_idem", "post", &post, NULL, &err));
		if (i == 0) {
			r = new_rule(NFPROTO_INET, "t_idem", "plain", "keep");
			OK(nft_rule_verdict(r, NFT_RETURN, NULL, &err));
			add(txn, r);
		}
		OK(nft_txn_commit(txn, &err));
		CHECK_INT(count_rules(txn, NFPROTO_INET, "t_idem", "plain"), 1);
	}
	/* Flush and delete a chain in one transaction. */
	OK(nft_txn_flush_chain(txn, NFPROTO_INET, "t_idem", "plain", &err));
	OK(nft_txn_delete_chain(txn, NFPROTO_INET, "t_idem", "plain", &err));
	OK(nft_txn_commit(txn, &err));
	OK(nft_chain_exists(txn, NFPROTO_INET, "t_idem", "plain", &exists, &err));
	CHECK(!exists);
	OK(nft_chain_exists(txn, NFPROTO_INET, "t_idem", "post", &exists, &err));
	CHECK(exists);
	OK(nft_txn_delete_table(txn, NFPROTO_INET, "t_idem", &err));
	OK(nft_txn_commit(txn, &err));
}

static void test_live_big_batch(void)
{
	LIVE_REQUIRED();
	_cleanup_(nft_txn_freep) struct nft_txn *txn = NULL;
	size_t n = 0;
	int i;

	OK(nft_txn_new(&txn, &err));
	if (!txn)
		return;
	OK(nft_txn_add_table(txn, NFPROTO_IPV4, "t_big", NULL, &err));
	OK(nft_txn_add_chain(txn, NFPROTO_IPV4, "t_big", "c", NULL, NULL, &err));
	for (i = 0; i < 3000; i++) {
		char comment[64];
		struct nft_rule *r;

		snprintf(comment, sizeof(comment), "%s-%05d", i % 2 ? "odd" : "even", i);
		r = new_rule(NFPROTO_IPV4, "t_big", "c", comment);
		OK(nft_rule_match_l4_dport(r, IPPROTO_TCP, (uint16_t)(1000 + i), &err));
		OK(nft_rule_dnat(r, AF_INET, A(AF_INET, "10.1.2.3"), 80, &err));
		add(txn, r);
	}
	CHECK_INT(nft_txn_pending(txn), 3002);
	OK(nft_txn_commit(txn, &err));
	CHECK_INT(count_rules(txn, NFPROTO_IPV4, "t_big", "c"), 3000);
	OK(nft_txn_delete_rules_by_comment_prefix(txn, NFPROTO_IPV4, "t_big", "c", "odd-", &n,
						  &err));
	CHECK_INT(n, 1500);
	OK(nft_txn_commit(txn, &err));
	CHECK_INT(count_rules(txn, NFPROTO_IPV4, "t_big", "c"), 1500);
	OK(nft_txn_delete_table(txn, NFPROTO_IPV4, "t_big", &err));
	OK(nft_txn_commit(txn, &err));
}

/* An anonymous set and the rule that looks it up, in one batch; a refused set is named. */
static void test_live_anon_set(void)
{
	LIVE_REQUIRED();
	static const struct nft_set_elem elems[] = {{.key = {10, 0, 0, 1}}, {.key = {10, 0, 0, 2}}};
	struct nft_anon_set set = {
		.family = NFPROTO_IPV4,
		.table = "t_set",
		.id = 1,
		.key = {NFT_SET_TYPE_IPADDR, 4, true, NFT_TYPEOF_PAYLOAD, 12, 11},
		.elem = elems,
		.n = 2,
	};
	_cleanup_(nft_txn_freep) struct nft_txn *txn = NULL;
	struct nft_rule *r;

	OK(nft_txn_new(&txn, &err));
	if (!txn)
		return;
	OK(nft_txn_add_table(txn, NFPROTO_IPV4, "t_set", NULL, &err));
	OK(nft_txn_add_chain(txn, NFPROTO_IPV4, "t_set", "c", NULL, NULL, &err));
	OK(nft_txn_add_anon_set(txn, &set, &err));
	r = new_rule(NFPROTO_IPV4, "t_set", "c", "uses a set");
	OK(nft_rule_expr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 12, 4, &err));
	OK(nft_rule_expr_lookup(r, NFT_ANON_SET_NAME, 1, false, &err));
	OK(nft_rule_verdict(r, NF_ACCEPT, NULL, &err));
	add(txn, r);
	OK(nft_txn_commit(txn, &err));
	CHECK_INT(count_rules(txn, NFPROTO_IPV4, "t_set", "c"), 1);
	if (!(live_missing & LIVE_NFT)) {
		FILE *f = popen("nft list chain ip t_set c", "r");
		char out[4096] = {0};

		CHECK(f && fread(out, 1, sizeof(out) - 1, f) > 0);
		if (f)
			pclose(f);
		CHECK(strstr(out, "ip saddr { 10.0.0.1, 10.0.0.2 } accept comment \"uses a set\""));
	}
	/* Into a table that does not exist: the batch fails at the set, nothing applies. */
	set.table = "t_nope";
	OK(nft_txn_add_chain(txn, NFPROTO_IPV4, "t_set", "c2", NULL, NULL, &err));
	OK(nft_txn_add_anon_set(txn, &set, &err));
	CHECK_INT(nft_txn_commit(txn, &err), -ENOENT);
	CHECK_STR(err.msg, "add set __set%d to table ip t_nope: No such file or directory");
	{
		bool exists = true;

		OK(nft_chain_exists(txn, NFPROTO_IPV4, "t_set", "c2", &exists, &err));
		CHECK(!exists);
	}
	OK(nft_txn_delete_table(txn, NFPROTO_IPV4, "t_set", &err));
	OK(nft_txn_commit(txn, &err));
}

/* ---- live: reads and the generation ------------------------------------------------- */

/* A table t with chain c holding rules commented "r0".."r<n-1>". */
static void make_chain(struct nft_txn *txn, const char *t, int n)
{
	OK(nft_txn_add_table(txn, NFPROTO_IPV4, t, NULL, &err));
	OK(nft_txn_add_chain(txn, NFPROTO_IPV4, t, "c", NULL, NULL, &err));
	for (int i = 0; i < n; i++) {
		char comment[32];
		struct nft_rule *r;

		snprintf(comment, sizeof(comment), "r%d", i);
		r = new_rule(NFPROTO_IPV4, t, "c", comment);
		OK(nft_rule_match_l4_dport(r, IPPROTO_TCP, (uint16_t)(1000 + i), &err));
		OK(nft_rule_verdict(r, NF_ACCEPT, NULL, &err));
		add(txn, r);
	}
	OK(nft_txn_commit(txn, &err));
}

/* Commit one change of another table from a transaction of its own. */
static void foreign_commit(const char *t)
{
	_cleanup_(nft_txn_freep) struct nft_txn *other = NULL;
	struct nft_rule *r;

	OK(nft_txn_new(&other, &err));
	if (!other)
		return;
	OK(nft_txn_add_table(other, NFPROTO_IPV4, t, NULL, &err));
	OK(nft_txn_add_chain(other, NFPROTO_IPV4, t, "c", NULL, NULL, &err));
	OK(nft_txn_flush_chain(other, NFPROTO_IPV4, t, "c", &err));
	r = new_rule(NFPROTO_IPV4, t, "c", NULL);
	OK(nft_rule_verdict(r, NF_ACCEPT, NULL, &err));
	add(other, r);
	OK(nft_txn_commit(other, &err));
}

/* The NFNL_BATCH_GENID of the BATCH_BEGIN a copy of the batch starts with, 0 if none. */
static uint32_t batch_genid(struct nft_txn *txn)
{
	_cleanup_free_ void *buf = NULL;
	const struct nlattr *a;
	size_t len = 0;
	uint32_t gen = 0;

	OK(nft_txn_copy_batch(txn, &buf, &len, &err));
	if (!buf)
		return 0;
	CHECK_INT(((const struct nlmsghdr *)buf)->nlmsg_type, NFNL_MSG_BATCH_BEGIN);
	mnl_attr_for_each (a, (const struct nlmsghdr *)buf, sizeof(struct nfgenmsg))
		if (mnl_attr_get_type(a) == NFNL_BATCH_GENID)
			gen = ntohl(mnl_attr_get_u32(a));
	return gen;
}

static void test_live_generation(void)
{
	LIVE_REQUIRED();
	_cleanup_(nft_txn_freep) struct nft_txn *txn = NULL;
	uint32_t g1 = 0, g2 = 0, g3 = 0;
	size_t n = 0;

	OK(nft_txn_new(&txn, &err));
	if (!txn)
		return;
	make_chain(txn, "t_gen", 3);
	OK(nft_get_generation(txn, &g1, &err));
	foreign_commit("t_gen_other");
	OK(nft_get_generation(txn, &g2, &err));
	CHECK(g2 != g1);
	/* A read-only exchange does not change it. */
	CHECK_INT(count_rules(txn, NFPROTO_IPV4, "t_gen", "c"), 3);
	OK(nft_get_generation(txn, &g3, &err));
	CHECK_INT(g3, g2);
	nft_txn_abort(txn);

	/* A delete by listed handle carries the generation of the first read... */
	OK(nft_txn_delete_rules_by_comment(txn, NFPROTO_IPV4, "t_gen", "c", "r1", &n, &err));
	CHECK_INT(n, 1);
	CHECK_INT(batch_genid(txn), g3);
	/* ... and is refused whole once another commit came in between. */
	foreign_commit("t_gen_other");
	OK(nft_txn_add_chain(txn, NFPROTO_IPV4, "t_gen", "c2", NULL, NULL, &err));
	cni_err_clear(&err);
	CHECK_INT(nft_txn_commit(txn, &err), -ERESTART);
	CHECK_INT(err.code, CNI_ERR_TRY_AGAIN);
	{
		char want[128];

		snprintf(want, sizeof(want),
			 "the nftables ruleset changed since it was read (generation %u)", g3);
		CHECK_STR(err.msg, want);
	}
	CHECK_INT(nft_txn_pending(txn), 0);
	CHECK_INT(count_rules(txn, NFPROTO_IPV4, "t_gen", "c"), 3);
	{
		bool exists = true;

		OK(nft_chain_exists(txn, NFPROTO_IPV4, "t_gen", "c2", &exists, &err));
		CHECK(!exists);
	}
	nft_txn_abort(txn);

	/* Read again: it applies. */
	OK(nft_txn_delete_rules_by_comment(txn, NFPROTO_IPV4, "t_gen", "c", "r1", &n, &err));
	OK(nft_txn_commit(txn, &err));
	CHECK_INT(count_rules(txn, NFPROTO_IPV4, "t_gen", "c"), 2);
	nft_txn_abort(txn);

	/* A batch that only adds after a read is not bound: other commits do not matter. */
	CHECK_INT(count_rules(txn, NFPROTO_IPV4, "t_gen", "c"), 2);
	OK(nft_txn_add_chain(txn, NFPROTO_IPV4, "t_gen", "c3", NULL, NULL, &err));
	CHECK_INT(batch_genid(txn), 0);
	foreign_commit("t_gen_other");
	OK(nft_txn_commit(txn, &err));
	/* Bound by hand, it is refused like a delete. */
	CHECK_INT(count_rules(txn, NFPROTO_IPV4, "t_gen", "c"), 2);
	nft_txn_bind_generation(txn);
	OK(nft_txn_add_chain(txn, NFPROTO_IPV4, "t_gen", "c4", NULL, NULL, &err));
	foreign_commit("t_gen_other");
	CHECK_INT(nft_txn_commit(txn, &err), -ERESTART);
	/* Binding without a read sends no generation. */
	nft_txn_bind_generation(txn);
	OK(nft_txn_add_chain(txn, NFPROTO_IPV4, "t_gen", "c4", NULL, NULL, &err));
	CHECK_INT(batch_genid(txn), 0);
	OK(nft_txn_commit(txn, &err));

	OK(nft_txn_delete_table(txn, NFPROTO_IPV4, "t_gen", &err));
	OK(nft_txn_delete_table(txn, NFPROTO_IPV4, "t_gen_other", &err));
	OK(nft_txn_commit(txn, &err));
}

/* nft_txn_run() fill: delete the rule commented userdata->comment, with a foreign commit
 * between the read and the commit on the first attempt. */
struct run_ctx {
	const char *comment; /* rule to delete */
	int calls;	     /* fill calls */
	int interfere;	     /* attempts to disturb */
	int fail_with;	     /* error to fail the fill with, 0 for none */
};

static int run_fill(struct nft_txn *txn, void *userdata, struct cni_err *e)
{
	struct run_ctx *x = userdata;
	size_t n = 0;
	int r;

	x->calls++;
	if (x->fail_with)
		return cni_err_set_errno(e, CNI_ERR_INVALID_CONFIG, -x->fail_with, "fill failed");
	r = nft_txn_delete_rules_by_comment(txn, NFPROTO_IPV4, "t_run", "c", x->comment, &n, e);
	if (r < 0)
		return r;
	if (x->calls <= x->interfere)
		foreign_commit("t_run_other");
	return 0;
}

static void test_live_run_retries(void)
{
	LIVE_REQUIRED();
	_cleanup_(nft_txn_freep) struct nft_txn *txn = NULL;
	struct run_ctx x = {.comment = "r0", .interfere = 2};

	OK(nft_txn_new(&txn, &err));
	if (!txn)
		return;
	make_chain(txn, "t_run", 3);
	/* Two attempts refused, the third applies. */
	OK(nft_txn_run(txn, run_fill, NULL, &x, &err));
	CHECK_INT(x.calls, 3);
	CHECK_INT(count_rules(txn, NFPROTO_IPV4, "t_run", "c"), 2);
	/* Disturbed every time: gives up with code 11 after NFT_TXN_ATTEMPTS. */
	x = (struct run_ctx){.comment = "r1", .interfere = 1000};
	CHECK_INT(nft_txn_run(txn, run_fill, NULL, &x, &err), -ERESTART);
	CHECK_INT(x.calls, NFT_TXN_ATTEMPTS);
	CHECK_INT(err.code, CNI_ERR_TRY_AGAIN);
	CHECK(strncmp(err.msg, "gave up after 40 attempts: the nftables ruleset changed", 55) == 0);
	CHECK_INT(nft_txn_pending(txn), 0);
	CHECK_INT(count_rules(txn, NFPROTO_IPV4, "t_run", "c"), 2);
	/* Other failures of the fill are returned at once. */
	x = (struct run_ctx){.comment = "r1", .fail_with = -ENOENT};
	CHECK_INT(nft_txn_run(txn, run_fill, NULL, &x, &err), -ENOENT);
	CHECK_INT(x.calls, 1);
	CHECK_STR(err.msg, "fill failed");
	OK(nft_txn_delete_table(txn, NFPROTO_IPV4, "t_run", &err));
	OK(nft_txn_delete_table(txn, NFPROTO_IPV4, "t_run_other", &err));
	OK(nft_txn_commit(txn, &err));
}

static int noop_fill(struct nft_txn *txn, void *userdata, struct cni_err *e)
{
	(void)txn;
	(void)userdata;
	(void)e;
	return 0;
}

/* The lock test's run of nft_txn_run() in a thread of its own. */
struct lock_run {
	struct nft_txn *txn;
	atomic_bool released; /* set before the holder lets the lock go */
	atomic_int fills;     /* calls of the fill */
	atomic_int tid;	      /* the thread's ID, once it runs */
	bool early;	      /* a fill ran while the holder held the lock */
	int r;		      /* what nft_txn_run() returned */
};

static int lock_fill(struct nft_txn *txn, void *userdata, struct cni_err *e)
{
	struct lock_run *x = userdata;

	(void)txn;
	(void)e;
	if (!atomic_load(&x->released))
		x->early = true;
	atomic_fetch_add(&x->fills, 1);
	return 0;
}

static void *lock_runner(void *arg)
{
	struct lock_run *x = arg;
	struct cni_err e = {0};

	atomic_store(&x->tid, (int)gettid());
	x->r = nft_txn_run(x->txn, lock_fill, NULL, x, &e);
	return NULL;
}

/* Whether thread tid of this process is in nanosleep() (glibc: clock_nanosleep): the pause
 * between two tries of a lock that another process holds (nothing else sleeps before the
 * fill). */
static bool thread_sleeping(int tid)
{
	char path[64], buf[64] = "";
	_cleanup_close_ int fd = -1;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return atol(buf) == SYS_nanosleep || atol(buf) == SYS_clock_nanosleep;
}

/* nft_txn_run() waits for the namespace's lock, held here by a child process: its fill runs
 * only after the holder lets go, and the lock is free when it returns. */
static void test_live_run_lock(void)
{
	LIVE_REQUIRED();
	_cleanup_(nft_txn_freep) struct nft_txn *txn = NULL;
	struct lock_run x = {0};
	int locked[2], release[2], status = 0, fd;
	long long deadline;
	pthread_t thread;
	char c = 'r';
	pid_t pid;

	OK(nft_txn_new(&txn, &err));
	if (!txn || pipe(locked) < 0)
		return;
	if (pipe(release) < 0)
		return;
	pid = fork();
	if (pid == 0) {
		fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
		if (fd < 0 || flock(fd, LOCK_EX) < 0)
			_exit(1);
		if (write(locked[1], "l", 1) != 1 || read(release[0], &c, 1) != 1)
			_exit(1);
		_exit(0);
	}
	close(locked[1]);
	close(release[0]);
	CHECK(read(locked[0], &c, 1) == 1);
	close(locked[0]);
	x.txn = txn;
	CHECK_INT(pthread_create(&thread, NULL, lock_runner, &x), 0);
	/* Until the run pauses for the lock (the deadline only bounds a hang). */
	deadline = (long long)time(NULL) + 60;
	while (!(atomic_load(&x.tid) && thread_sleeping(atomic_load(&x.tid))) &&
	       atomic_load(&x.fills) == 0 && time(NULL) < deadline)
		sleep_ms(1);
	CHECK_INT(atomic_load(&x.fills), 0);
	atomic_store(&x.released, true);
	CHECK(write(release[1], "r", 1) == 1);
	close(release[1]);
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	pthread_join(thread, NULL);
	CHECK_INT(x.r, 0);
	CHECK_INT(atomic_load(&x.fills), 1);
	CHECK(!x.early);
	/* Released: another open file of the namespace takes the lock at once. */
	fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0);
	if (fd >= 0)
		close(fd);
	OK(nft_txn_run(txn, noop_fill, NULL, NULL, &err));
}

/* The dump hook of the listing tests: another table is committed to while a dump of t_busy
 * is between its parts, commits times (-1: in every dump). */
struct commit_hook {
	int commits; /* commits still to make, -1 for one in every dump */
	int calls;   /* dumps of the listing that went past their first part */
	bool busy;   /* inside foreign_commit(), whose own exchanges are not counted */
};

static void commit_hook(struct nl_sock *sock, void *data)
{
	struct commit_hook *h = data;

	(void)sock;
	if (h->busy)
		return;
	h->calls++;
	if (h->commits == 0)
		return;
	if (h->commits > 0)
		h->commits--;
	h->busy = true;
	foreign_commit("t_busy_other");
	h->busy = false;
}

/* List t_busy's 2,000 rules with h as the dump hook: 0 and the rules complete and in order,
 * or the listing's error. */
static int list_busy(struct nft_txn *txn, struct commit_hook *h)
{
	_cleanup_(nft_rule_list_freep) struct nft_rule_list *list = NULL;
	int r;

	nl_test_set_dump_hook(commit_hook, h);
	r = nft_list_rules(txn, NFPROTO_IPV4, "t_busy", "c", &list, &err);
	nl_test_set_dump_hook(NULL, NULL);
	nft_txn_abort(txn);
	if (r < 0)
		return r;
	CHECK(list && list->n == 2000);
	for (size_t i = 0; list && i < list->n; i++) {
		char want[32];

		snprintf(want, sizeof(want), "r%zu", i);
		if (strcmp(list->rule[i].comment, want) != 0) {
			CHECK_STR(list->rule[i].comment, want);
			break;
		}
	}
	return 0;
}

/* A multi-part listing: complete and exact when nothing commits, redone when the kernel
 * flags it interrupted (NLM_F_DUMP_INTR: nf_tables dumps carry the ruleset generation, which
 * a commit between two parts changes), code 11 when every attempt is interrupted -- never a
 * partial list. The commits happen at a fixed point of the dump (the transport's test hook),
 * so the outcome does not depend on the machine's speed. */
static void test_live_list_under_commits(void)
{
	LIVE_REQUIRED();
	_cleanup_(nft_txn_freep) struct nft_txn *txn = NULL;
	struct commit_hook h;

	OK(nft_txn_new(&txn, &err));
	if (!txn)
		return;
	make_chain(txn, "t_busy", 2000);
	/* No writer: complete, and the dump took more than one part (the hook ran once). */
	h = (struct commit_hook){.commits = 0};
	OK(list_busy(txn, &h));
	CHECK_INT(h.calls, 1);
	/* One commit after the first part: that dump is interrupted and redone once. */
	h = (struct commit_hook){.commits = 1};
	OK(list_busy(txn, &h));
	CHECK_INT(h.calls, 2);
	CHECK_INT(h.commits, 0);
	/* A commit in every dump: given up after NL_DUMP_RETRIES attempts, code 11. */
	h = (struct commit_hook){.commits = -1};
	CHECK_INT(list_busy(txn, &h), -EINTR);
	CHECK_INT(h.calls, NL_DUMP_RETRIES);
	CHECK_INT(err.code, CNI_ERR_TRY_AGAIN);
	CHECK_INT(err.sys_errno, EINTR);
	CHECK_STR(err.msg, "failed to list rules of chain 'c' in table ip t_busy");
	/* The next listing without a writer is complete again. */
	h = (struct commit_hook){.commits = 0};
	OK(list_busy(txn, &h));
	CHECK_INT(h.calls, 1);
	OK(nft_txn_delete_table(txn, NFPROTO_IPV4, "t_busy", &err));
	OK(nft_txn_delete_table(txn, NFPROTO_IPV4, "t_busy_other", &err));
	OK(nft_txn_commit(txn, &err));
}

int main(void)
{
	RUN(test_expr_masq_inet);
	RUN(test_expr_prefixes);
	RUN(test_expr_dnat);
	RUN(test_expr_misc);
	RUN(test_rule_text);
	RUN(test_expr_raw);
	RUN(test_anon_set_msgs);
	RUN(test_msg_roundtrip);

	/* Everything below runs in a private network namespace only. */
	live_enter(LIVE_NFT);
	RUN(test_live_masq_layout);
	RUN(test_live_hostport_layout);
	RUN(test_live_bridge_layout);
	RUN(test_live_atomic);
	RUN(test_live_delete_by_comment);
	RUN(test_live_missing);
	RUN(test_live_idempotent);
	RUN(test_live_big_batch);
	RUN(test_live_anon_set);
	RUN(test_live_generation);
	RUN(test_live_run_retries);
	RUN(test_live_run_lock);
	RUN(test_live_list_under_commits);
	UNIT_DONE();
}
