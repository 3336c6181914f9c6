/* SPDX-License-Identifier: Apache-2.0 */
/* bridge: SHA-512, the masquerade comment format, and the nftables rules of ipMasq and
 * macspoofchk encoded exactly as `nft -f` encodes the reference's rule text (golden
 * expression dumps taken from `nft --debug=netlink`), round-tripped through a netlink
 * message. */
#include "unit.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <libnftnl/rule.h>
#include <libnftnl/udata.h>

#include "cleanup.h"
#include "ipmasq/masq.h"
#include "bridge/spoofchk.h"
#include "sha512.h"

/* The comment of the reference nftables backend:
 * python3 -c "import hashlib;h=lambda s:hashlib.sha512(s.encode()).hexdigest()[:16];
 *             print(h('testnet')+'-'+h('eth0:c1'))" */
static void test_masq_comment(void)
{
	char c[NFT_COMMENT_MAX + 1], h[MASQ_INSTANCE_HASH_LEN + 1], n[MASQ_NET_HASH_LEN + 1];
	char longid[200];
	struct cni_err err = {0};
	_cleanup_free_ char *hugeid = malloc(5000);

	masq_network_hash("testnet", n);
	CHECK_STR(n, "c5964c6794a1152e");
	CHECK_INT(masq_instance_hash("testnet", "eth0", "c1", h, &err), 0);
	CHECK_STR(h, "c5964c6794a1152e-f4d01f2ef4b92245");
	CHECK_INT(masq_comment("testnet", "eth0", "c1", c, &err), 0);
	CHECK_STR(c, "c5964c6794a1152e-f4d01f2ef4b92245, net: testnet, if: eth0, id: c1");
	CHECK_INT(masq_comment("mynet", "eth0", "abc123", c, &err), 0);
	CHECK_STR(c, "d23676b4f2d9fe04-ebce0e3dd4dafae3, net: mynet, if: eth0, id: abc123");
	/* Quotes are dropped from the text (not from the hash input). */
	CHECK_INT(masq_comment("testnet", "e\"th0", "c1", c, &err), 0);
	CHECK(strstr(c, "if: eth0, id: c1") != NULL);
	/* Truncated to 128 bytes, hash prefix intact. */
	memset(longid, 'x', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	CHECK_INT(masq_comment("testnet", "eth0", longid, c, &err), 0);
	CHECK_INT(strlen(c), 128);
	CHECK(strncmp(c, "c5964c6794a1152e-", 17) == 0);
	/* IDs of any length hash all their bytes:
	 * python3 -c "import hashlib;print(hashlib.sha512(('eth0:'+'y'*4999).encode())
	 *             .hexdigest()[:16])" */
	if (!hugeid)
		abort();
	memset(hugeid, 'y', 4999);
	hugeid[4999] = '\0';
	CHECK_INT(masq_instance_hash("testnet", "eth0", hugeid, h, &err), 0);
	CHECK_STR(h, "c5964c6794a1152e-6cb59e35892d75c3");
}

/* The expression lines ("  [ ... ]") of a rule in libnftnl's debug form. */
static char *expr_dump(const struct nftnl_rule *r)
{
	static char buf[8192], out[8192];
	char *p, *o = out;

	nftnl_rule_snprintf(buf, sizeof(buf), r, NFTNL_OUTPUT_DEFAULT, 0);
	out[0] = '\0';
	for (p = strtok(buf, "\n"); p; p = strtok(NULL, "\n")) {
		char *b = strchr(p, '[');

		if (!b)
			continue;
		o += sprintf(o, "%s\n", b);
	}
	return out;
}

static const char *rule_comment(const struct nftnl_rule *r)
{
	static char out[256];
	const struct nftnl_udata *tb[NFTNL_UDATA_RULE_MAX + 1] = {0};
	const struct nftnl_udata *attr;
	const void *data;
	uint32_t len;

	out[0] = '\0';
	if (!nftnl_rule_is_set(r, NFTNL_RULE_USERDATA))
		return out;
	data = nftnl_rule_get_data(r, NFTNL_RULE_USERDATA, &len);
	nftnl_udata_for_each_data(data, len, attr)
	{
		if (nftnl_udata_type(attr) <= NFTNL_UDATA_RULE_MAX)
			tb[nftnl_udata_type(attr)] = attr;
	}
	if (tb[NFTNL_UDATA_RULE_COMMENT])
		snprintf(out, sizeof(out), "%s",
			 (const char *)nftnl_udata_get(tb[NFTNL_UDATA_RULE_COMMENT]));
	return out;
}

/* Serialize to a NFT_MSG_NEWRULE message and parse it back. */
static struct nftnl_rule *roundtrip(const struct nftnl_rule *r)
{
	static char buf[16384];
	struct nftnl_rule *copy = nftnl_rule_alloc();
	struct nlmsghdr *nlh;

	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_NEWRULE, nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY),
				    NLM_F_CREATE | NLM_F_APPEND, 1);
	nftnl_rule_nlmsg_build_payload(nlh, (struct nftnl_rule *)r);
	if (nftnl_rule_nlmsg_parse(nlh, copy) < 0) {
		nftnl_rule_free(copy);
		return NULL;
	}
	return copy;
}

/* Build-then-parse, and compare with the golden `nft --debug=netlink` lines. */
static void check_rule(const struct nft_rule *rule, const char *table, const char *chain,
		       const char *comment, const char *golden)
{
	struct nftnl_rule *copy = roundtrip(nft_rule_nlr(rule));

	CHECK(copy != NULL);
	if (!copy)
		return;
	CHECK_STR(nftnl_rule_get_str(copy, NFTNL_RULE_TABLE), table);
	CHECK_STR(nftnl_rule_get_str(copy, NFTNL_RULE_CHAIN), chain);
	CHECK_STR(rule_comment(copy), comment);
	CHECK_STR(expr_dump(copy), golden);
	nftnl_rule_free(copy);
}

/* The masquerade rule of the address cidr, with comment, against golden. */
static void check_masq_rule(const char *cidr, const char *comment, const char *golden)
{
	struct cni_err err = {0};
	struct nft_rule *r = NULL;
	struct ip_net ip;

	CHECK_INT(ipnet_parse(cidr, &ip), 0);
	CHECK_INT(masq_build_rule(&ip, comment, &r, &err), 0);
	if (r)
		check_rule(r, MASQ_TABLE, MASQ_CHAIN, comment, golden);
	nft_rule_free(r);
}

static void test_masq_rules(void)
{
	struct cni_err err = {0};
	struct nft_rule *post[3] = {NULL};

	check_masq_rule("10.88.0.5/16", "x",
			"[ meta load nfproto => reg 1 ]\n"
			"[ cmp eq reg 1 0x00000002 ]\n"
			"[ payload load 4b @ network header + 12 => reg 1 ]\n"
			"[ cmp eq reg 1 0x0500580a ]\n"
			"[ payload load 2b @ network header + 16 => reg 1 ]\n"
			"[ cmp neq reg 1 0x0000580a ]\n"
			"[ masq ]\n");
	check_masq_rule("fd00::5/64", "y",
			"[ meta load nfproto => reg 1 ]\n"
			"[ cmp eq reg 1 0x0000000a ]\n"
			"[ payload load 16b @ network header + 8 => reg 1 ]\n"
			"[ cmp eq reg 1 0x000000fd 0x00000000 0x00000000 0x05000000 ]\n"
			"[ payload load 8b @ network header + 24 => reg 1 ]\n"
			"[ cmp neq reg 1 0x000000fd 0x00000000 ]\n"
			"[ masq ]\n");

	CHECK(masq_build_postrouting(post, &err) == 0);
	if (post[0]) {
		check_rule(post[0], MASQ_TABLE, "postrouting", "",
			   "[ meta load nfproto => reg 1 ]\n"
			   "[ cmp eq reg 1 0x00000002 ]\n"
			   "[ payload load 4b @ network header + 16 => reg 1 ]\n"
			   "[ bitwise reg 1 = ( reg 1 & 0x000000f0 ) ^ 0x00000000 ]\n"
			   "[ cmp eq reg 1 0x000000e0 ]\n"
			   "[ immediate reg 0 return ]\n");
		check_rule(post[1], MASQ_TABLE, "postrouting", "",
			   "[ meta load nfproto => reg 1 ]\n"
			   "[ cmp eq reg 1 0x0000000a ]\n"
			   "[ payload load 1b @ network header + 24 => reg 1 ]\n"
			   "[ cmp eq reg 1 0x000000ff ]\n"
			   "[ immediate reg 0 return ]\n");
		check_rule(post[2], MASQ_TABLE, "postrouting", "",
			   "[ immediate reg 0 goto -> masq_checks ]\n");
	}
	for (int i = 0; i < 3; i++)
		nft_rule_free(post[i]);
}

static void test_spoofchk_rules(void)
{
	static const uint8_t mac[6] = {0x0a, 0x58, 0x0a, 0x00, 0x00, 0x02};
	struct cni_err err = {0};
	struct nft_rule *r[4] = {NULL};
	const char *cm = "macspoofchk-c1-eth0";

	CHECK(spoofchk_build_rules("veth1234abcd", mac, "c1", "eth0", r, &err) == 0);
	if (!r[0])
		return;
	check_rule(r[0], "nat", "PREROUTING", cm,
		   "[ meta load iifname => reg 1 ]\n"
		   "[ cmp eq reg 1 0x68746576 0x34333231 0x64636261 0x00000000 ]\n"
		   "[ immediate reg 0 jump -> cni-br-iface-c1-eth0 ]\n");
	check_rule(r[1], "nat", "cni-br-iface-c1-eth0", cm,
		   "[ immediate reg 0 jump -> cni-br-iface-c1-eth0-mac ]\n");
	check_rule(r[2], "nat", "cni-br-iface-c1-eth0-mac", cm,
		   "[ payload load 6b @ link header + 6 => reg 1 ]\n"
		   "[ cmp eq reg 1 0x000a580a 0x00000200 ]\n"
		   "[ immediate reg 0 return ]\n");
	check_rule(r[3], "nat", "cni-br-iface-c1-eth0-mac", cm, "[ immediate reg 0 drop ]\n");
	CHECK_INT(nftnl_rule_get_u32(nft_rule_nlr(r[0]), NFTNL_RULE_FAMILY), NFPROTO_BRIDGE);
	for (int i = 0; i < 4; i++)
		nft_rule_free(r[i]);
}

/* The reference's <id> wherever "macspoofchk-<id>" fits a comment, a bounded one past. */
static void test_spoofchk_long_ids(void)
{
	struct cni_err err = {0};
	char cid[5001], want[5100], hash[17], key[5200];
	char *id = NULL;
	struct nft_rule *r[4] = {NULL};

	/* 111 + "-eth0" = 116 bytes: "macspoofchk-" + 116 = 128, the reference's names. */
	memset(cid, 'a', sizeof(cid));
	cid[111] = '\0';
	CHECK(spoofchk_ref_id(cid, "eth0", &id, &err) == 0);
	snprintf(want, sizeof(want), "%s-eth0", cid);
	CHECK_STR(id, want);
	free(id);
	id = NULL;
	/* One more byte: the first 64 bytes of the ID and h16 of "<containerID>-<ifname>". */
	for (size_t n = 112; n <= 5000; n = n == 112 ? 300 : n == 300 ? 5000 : 5001) {
		memset(cid, 'b', sizeof(cid));
		cid[n] = '\0';
		snprintf(key, sizeof(key), "%s-eth1", cid);
		sha512_hex(key, strlen(key), 16, hash);
		snprintf(want, sizeof(want), "%.64s-%s", cid, hash);
		CHECK(spoofchk_ref_id(cid, "eth1", &id, &err) == 0);
		CHECK_STR(id, want);
		free(id);
		id = NULL;
		/* Every name and comment is within the kernel's and nft's limits. */
		CHECK(spoofchk_build_rules("veth0", (const uint8_t *)"\x0a\x58\0\0\0\1", cid,
					   "eth1", r, &err) == 0);
		if (!r[0])
			continue;
		snprintf(key, sizeof(key), "cni-br-iface-%s", want);
		CHECK_STR(nftnl_rule_get_str(nft_rule_nlr(r[1]), NFTNL_RULE_CHAIN), key);
		snprintf(key, sizeof(key), "cni-br-iface-%s-mac", want);
		CHECK_STR(nftnl_rule_get_str(nft_rule_nlr(r[2]), NFTNL_RULE_CHAIN), key);
		for (int i = 0; i < 4; i++) {
			nft_rule_free(r[i]);
			r[i] = NULL;
		}
	}
	/* Another interface of the same long ID gets other names. */
	{
		char *a = NULL, *b = NULL;

		CHECK(spoofchk_ref_id(cid, "eth0", &a, &err) == 0);
		CHECK(spoofchk_ref_id(cid, "eth1", &b, &err) == 0);
		CHECK(a && b && strcmp(a, b) != 0);
		free(a);
		free(b);
	}
}

int main(void)
{
	RUN(test_masq_comment);
	RUN(test_masq_rules);
	RUN(test_spoofchk_rules);
	RUN(test_spoofchk_long_ids);
	UNIT_DONE();
}
