/* SPDX-License-Identifier: Apache-2.0 */
/* The iptables-nft rule builder: the expressions iptables-nft 1.8.9 sends for the same
 * iptables command line (tests/unit/golden/xt_*.txt hold what it sent). */
#include "net/xt.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/x_tables.h>
#include <linux/netfilter/xt_addrtype.h>
#include <linux/netfilter/xt_comment.h>
#include <linux/netfilter/xt_conntrack.h>
#include <linux/netfilter/xt_mark.h>
#include <linux/netfilter/xt_multiport.h>
#include <linux/netfilter/xt_sctp.h>

#include <libnftnl/expr.h>
#include <libnftnl/rule.h>

#include "array.h"
#include "net/xt_priv.h"

/* Most matches one rule holds. */
#define XT_RULE_MAX_EXPRS 64

/* The -s or -d address of a rule, owned. */
struct xt_addr_own {
	bool given;	  /* the flag was given */
	uint8_t addr[16]; /* the address, masked */
	int len;	  /* its prefix length */
	bool inv;	  /* negated */
};

/* The header part of a rule, owned. */
struct xt_hdr_own {
	char in[IFNAMSIZ_XT];	/* -i, "" for any */
	bool in_inv;		/* ! -i */
	char out[IFNAMSIZ_XT];	/* -o, "" for any */
	bool out_inv;		/* ! -o */
	uint8_t proto;		/* -p, 0 for any */
	struct xt_addr_own src; /* -s */
	struct xt_addr_own dst; /* -d */
};

struct xt_rule {
	struct nft_rule *nr;	/* the nftables rule carrying it (expressions added on finish) */
	int family;		/* NFPROTO_IPV4 or NFPROTO_IPV6 */
	struct xt_hdr_own hdr;	/* -i/-o/-p/-s/-d */
	struct nftnl_expr **mt; /* the matches, in order, until the target comes */
	size_t nmt;		/* number of matches */
	size_t mt_cap;		/* capacity of mt */
	bool done;		/* the target is there; nr is complete */
};

/* The libnftnl rule inside an nft_rule. nft_rule_nlr() hands it out read-only; the rule
 * was allocated writable by nft_rule_new() and this layer is its only writer. */
struct nftnl_rule *xt_nlr(const struct nft_rule *nr)
{
	return (struct nftnl_rule *)nft_rule_nlr(nr);
}

const struct nft_rule *xt_rule_nft(const struct xt_rule *rule)
{
	return rule->nr;
}

int xt_rule_family(const struct xt_rule *rule)
{
	return rule->family;
}

static int addr_len(int family)
{
	return family == NFPROTO_IPV6 ? 16 : 4;
}

/* Copy addr masked to prefix bits into out. */
static void mask_addr(uint8_t *out, const void *addr, int len, int prefix)
{
	int i;

	memcpy(out, addr, (size_t)len);
	for (i = 0; i < len; i++) {
		int bits = prefix - i * 8;

		if (bits <= 0)
			out[i] = 0;
		else if (bits < 8)
			out[i] &= (uint8_t)(0xff << (8 - bits));
	}
}

/* Set one address field of the header. */
static int hdr_set_addr(struct xt_rule *rule, bool dst, const void *addr, int prefix, bool inv,
			struct cni_err *err)
{
	struct xt_addr_own *a = dst ? &rule->hdr.dst : &rule->hdr.src;
	int len = addr_len(rule->family);

	if (prefix < 0)
		prefix = len * 8;
	if (prefix > len * 8)
		return cni_err_set_errno(err, CNI_ERR_INVALID_CONFIG, EINVAL,
					 "iptables rule: prefix length %d out of range", prefix);
	if (a->given)
		return cni_err_set_errno(err, CNI_ERR_INVALID_CONFIG, EINVAL,
					 "iptables rule: multiple %s flags not allowed",
					 dst ? "-d" : "-s");
	a->given = true;
	mask_addr(a->addr, addr, len, prefix);
	a->len = prefix;
	a->inv = inv;
	return 0;
}

/* Set -i or -o. */
static int hdr_set_iface(struct xt_rule *rule, bool out, const char *name, bool inv,
			 struct cni_err *err)
{
	char *dst = out ? rule->hdr.out : rule->hdr.in;

	if (!*name || strlen(name) >= IFNAMSIZ_XT)
		return cni_err_set_errno(err, CNI_ERR_INVALID_CONFIG, EINVAL,
					 "iptables rule: invalid interface name '%s'", name);
	if (*dst)
		return cni_err_set_errno(err, CNI_ERR_INVALID_CONFIG, EINVAL,
					 "iptables rule: multiple %s flags not allowed",
					 out ? "-o" : "-i");
	strcpy(dst, name);
	if (out)
		rule->hdr.out_inv = inv;
	else
		rule->hdr.in_inv = inv;
	return 0;
}

int xt_rule_new(int family, const char *table, const char *chain, const struct xt_hdr *hdr,
		struct xt_rule **ret_rule, struct cni_err *err)
{
	_cleanup_(xt_rule_freep) struct xt_rule *rule = NULL;
	int r;

	if (family != NFPROTO_IPV4 && family != NFPROTO_IPV6)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL,
					 "iptables rule: unsupported family %d", family);
	if (!chain || !*chain || strlen(chain) > XT_CHAIN_MAX)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL,
					 "iptables rule: invalid chain name '%s'",
					 chain ? chain : "");
	rule = calloc(1, sizeof(*rule));
	if (!rule)
		return cni_err_nomem(err);
	rule->family = family;
	r = nft_rule_new(family, table, chain, NULL, &rule->nr, err);
	if (r < 0)
		return r;
	if (hdr) {
		if (hdr->in && (r = hdr_set_iface(rule, false, hdr->in, hdr->in_inv, err)) < 0)
			return r;
		if (hdr->out && (r = hdr_set_iface(rule, true, hdr->out, hdr->out_inv, err)) < 0)
			return r;
		rule->hdr.proto = hdr->proto;
		if (hdr->src &&
		    (r = hdr_set_addr(rule, false, hdr->src, hdr->src_len, hdr->src_inv, err)) < 0)
			return r;
		if (hdr->dst &&
		    (r = hdr_set_addr(rule, true, hdr->dst, hdr->dst_len, hdr->dst_inv, err)) < 0)
			return r;
	}
	*ret_rule = TAKE_PTR(rule);
	return 0;
}

void xt_rule_free(struct xt_rule *rule)
{
	size_t i;

	if (!rule)
		return;
	for (i = 0; i < rule->nmt; i++)
		nftnl_expr_free(rule->mt[i]);
	free(rule->mt);
	nft_rule_free(rule->nr);
	free(rule);
}

const char *xt_rule_chain(const struct xt_rule *rule)
{
	return nftnl_rule_get_str(nft_rule_nlr(rule->nr), NFTNL_RULE_CHAIN);
}

/* ---- expressions ------------------------------------------------------------------- */

static int not_done(struct xt_rule *rule, struct cni_err *err)
{
	if (rule->done)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL,
					 "iptables rule: already has a target");
	return 0;
}

/* Keep e as the next match (or, with direct, add it to the rule now). Takes e. */
static int push(struct xt_rule *rule, struct nftnl_expr *e, bool direct, struct cni_err *err)
{
	if (!e)
		return cni_err_nomem(err);
	if (direct) {
		nftnl_rule_add_expr(xt_nlr(rule->nr), e);
		return 0;
	}
	if (rule->nmt >= XT_RULE_MAX_EXPRS) {
		nftnl_expr_free(e);
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, E2BIG,
					 "iptables rule has more than %d matches",
					 XT_RULE_MAX_EXPRS);
	}
	if (ARRAY_RESERVE(rule->mt, rule->mt_cap, rule->nmt + 1) < 0) {
		nftnl_expr_free(e);
		return cni_err_nomem(err);
	}
	rule->mt[rule->nmt++] = e;
	return 0;
}

static struct nftnl_expr *e_payload(uint32_t base, uint32_t off, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("payload");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	}
	return e;
}

static struct nftnl_expr *e_meta(uint32_t key)
{
	struct nftnl_expr *e = nftnl_expr_alloc("meta");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
	}
	return e;
}

static struct nftnl_expr *e_cmp(uint32_t op, const void *data, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("cmp");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
		nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	}
	return e;
}

static struct nftnl_expr *e_bitwise(const void *mask, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("bitwise");
	static const uint8_t zero[16];

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, len);
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, zero, len);
	}
	return e;
}

/* A compat match or target (target: xt "target" expression) with a copy of info padded to
 * XT_ALIGN(len). */
static struct nftnl_expr *e_xt(bool target, const char *name, uint32_t rev, const void *info,
			       size_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc(target ? "target" : "match");
	size_t alen = XT_ALIGN(len);
	void *copy = calloc(1, alen);

	if (!e || !copy) {
		free(copy);
		if (e)
			nftnl_expr_free(e);
		return NULL;
	}
	memcpy(copy, info, len);
	nftnl_expr_set_str(e, target ? NFTNL_EXPR_TG_NAME : NFTNL_EXPR_MT_NAME, name);
	nftnl_expr_set_u32(e, target ? NFTNL_EXPR_TG_REV : NFTNL_EXPR_MT_REV, rev);
	/* libnftnl takes ownership of the info buffer. */
	nftnl_expr_set(e, target ? NFTNL_EXPR_TG_INFO : NFTNL_EXPR_MT_INFO, copy, (uint32_t)alen);
	return e;
}

/* "payload load; [bitwise;] cmp" of an address as iptables-nft's add_addr(): a prefix on a
 * byte boundary loads only its bytes, any other one loads the whole address and masks. */
static int add_addr(struct xt_rule *rule, uint32_t off, const uint8_t *addr, int prefix, bool inv,
		    struct cni_err *err)
{
	uint32_t len = (uint32_t)addr_len(rule->family);
	uint8_t mask[16] = {0};
	int r;

	mask_addr(mask,
		  (const uint8_t[16]){0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
				      0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		  (int)len, prefix);
	if (prefix % 8 == 0) {
		len = (uint32_t)prefix / 8;
		r = push(rule, e_payload(NFT_PAYLOAD_NETWORK_HEADER, off, len), true, err);
	} else {
		r = push(rule, e_payload(NFT_PAYLOAD_NETWORK_HEADER, off, len), true, err);
		if (r == 0)
			r = push(rule, e_bitwise(mask, len), true, err);
	}
	if (r == 0)
		r = push(rule, e_cmp(inv ? NFT_CMP_NEQ : NFT_CMP_EQ, addr, len), true, err);
	return r;
}

static int add_iface(struct xt_rule *rule, uint32_t key, const char *name, bool inv,
		     struct cni_err *err)
{
	int r = push(rule, e_meta(key), true, err);

	if (r == 0)
		r = push(rule,
			 e_cmp(inv ? NFT_CMP_NEQ : NFT_CMP_EQ, name, (uint32_t)strlen(name) + 1),
			 true, err);
	return r;
}

/* Emit the header fields, the matches, the counter and the compat attribute. */
static int finish_matches(struct xt_rule *rule, struct cni_err *err)
{
	const struct xt_hdr_own *h = &rule->hdr;
	struct nftnl_rule *nlr = xt_nlr(rule->nr);
	struct nftnl_expr *ctr;
	bool v6 = rule->family == NFPROTO_IPV6;
	size_t i;
	int r = 0;

	if (*h->in)
		r = add_iface(rule, NFT_META_IIFNAME, h->in, h->in_inv, err);
	if (r == 0 && *h->out)
		r = add_iface(rule, NFT_META_OIFNAME, h->out, h->out_inv, err);
	if (r == 0 && h->proto) {
		r = push(rule, e_meta(NFT_META_L4PROTO), true, err);
		if (r == 0)
			r = push(rule, e_cmp(NFT_CMP_EQ, &h->proto, 1), true, err);
	}
	if (r == 0 && h->src.given && (h->src.len > 0 || h->src.inv))
		r = add_addr(rule, v6 ? 8 : 12, h->src.addr, h->src.len, h->src.inv, err);
	if (r == 0 && h->dst.given && (h->dst.len > 0 || h->dst.inv))
		r = add_addr(rule, v6 ? 24 : 16, h->dst.addr, h->dst.len, h->dst.inv, err);
	if (r < 0)
		return r;
	for (i = 0; i < rule->nmt; i++)
		nftnl_rule_add_expr(nlr, TAKE_PTR(rule->mt[i]));
	rule->nmt = 0;
	ctr = nftnl_expr_alloc("counter");
	if (!ctr)
		return cni_err_nomem(err);
	nftnl_expr_set_u64(ctr, NFTNL_EXPR_CTR_PACKETS, 0);
	nftnl_expr_set_u64(ctr, NFTNL_EXPR_CTR_BYTES, 0);
	nftnl_rule_add_expr(nlr, ctr);
	nftnl_rule_set_u32(nlr, NFTNL_RULE_COMPAT_PROTO, h->proto);
	nftnl_rule_set_u32(nlr, NFTNL_RULE_COMPAT_FLAGS, 0);
	return 0;
}

/* Finish the rule with the target expression e (taken). */
static int finish(struct xt_rule *rule, struct nftnl_expr *e, struct cni_err *err)
{
	int r = not_done(rule, err);

	if (r == 0)
		r = finish_matches(rule, err);
	if (r < 0) {
		if (e)
			nftnl_expr_free(e);
		return r;
	}
	r = push(rule, e, true, err);
	if (r == 0)
		rule->done = true;
	return r;
}

int xt_rule_comment(struct xt_rule *rule, const char *text, struct cni_err *err)
{
	struct xt_comment_info info = {0};
	int r = not_done(rule, err);

	if (r < 0)
		return r;
	if (strlen(text) > XT_COMMENT_MAX)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL,
					 "iptables comment '%s' is longer than %d characters", text,
					 XT_COMMENT_MAX);
	memcpy(info.comment, text, strlen(text));
	return push(rule, e_xt(false, "comment", 0, &info, sizeof(info)), false, err);
}

int xt_rule_dport(struct xt_rule *rule, uint16_t port, bool invert, struct cni_err *err)
{
	uint16_t be = htons(port);
	int r = not_done(rule, err);

	if (r < 0)
		return r;
	if (rule->hdr.proto == IPPROTO_SCTP) {
		/* iptables-nft has no native sctp ports: the compat sctp match, as libxt_sctp
		 * fills it (no chunk flags: chunktype 0xff). */
		struct xt_sctp_info info = {
			.dpts = {port, port},
			.flags = XT_SCTP_DEST_PORTS,
			.invflags = invert ? XT_SCTP_DEST_PORTS : 0,
		};

		for (size_t i = 0; i < XT_NUM_SCTP_FLAGS; i++)
			info.flag_info[i].chunktype = 0xff;
		return push(rule, e_xt(false, "sctp", 0, &info, sizeof(info)), false, err);
	}
	if (rule->hdr.proto != IPPROTO_TCP && rule->hdr.proto != IPPROTO_UDP)
		return cni_err_set_errno(err, CNI_ERR_INVALID_CONFIG, EINVAL,
					 "iptables rule: --dport needs -p tcp, udp or sctp");
	r = push(rule, e_payload(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2), false, err);
	if (r == 0)
		r = push(rule, e_cmp(invert ? NFT_CMP_NEQ : NFT_CMP_EQ, &be, 2), false, err);
	return r;
}

int xt_rule_multiport_dports(struct xt_rule *rule, const uint16_t *ports, size_t n,
			     struct cni_err *err)
{
	struct xt_multiport_v1 info = {.flags = XT_MULTIPORT_DESTINATION};
	int r = not_done(rule, err);

	if (r < 0)
		return r;
	if (n == 0 || n > XT_MULTIPORT_MAX)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL,
					 "iptables multiport: %zu ports (1..%d)", n,
					 XT_MULTIPORT_MAX);
	if (!rule->hdr.proto)
		return cni_err_set_errno(err, CNI_ERR_INVALID_CONFIG, EINVAL,
					 "iptables multiport: needs -p");
	info.count = (uint8_t)n;
	memcpy(info.ports, ports, n * sizeof(*ports));
	return push(rule, e_xt(false, "multiport", 1, &info, sizeof(info)), false, err);
}

int xt_rule_addrtype_dst(struct xt_rule *rule, uint16_t type, bool invert, struct cni_err *err)
{
	struct xt_addrtype_info_v1 info = {
		.dest = type,
		.flags = invert ? XT_ADDRTYPE_INVERT_DEST : 0,
	};
	int r = not_done(rule, err);

	if (r < 0)
		return r;
	return push(rule, e_xt(false, "addrtype", 1, &info, sizeof(info)), false, err);
}

int xt_rule_mark(struct xt_rule *rule, uint32_t value, uint32_t mask, bool invert,
		 struct cni_err *err)
{
	int r = not_done(rule, err);

	if (r < 0)
		return r;
	r = push(rule, e_meta(NFT_META_MARK), false, err);
	if (r == 0 && mask != 0xffffffff)
		r = push(rule, e_bitwise(&mask, 4), false, err);
	if (r == 0)
		r = push(rule, e_cmp(invert ? NFT_CMP_NEQ : NFT_CMP_EQ, &value, 4), false, err);
	return r;
}

int xt_rule_ctstate(struct xt_rule *rule, uint32_t states, struct cni_err *err)
{
	struct xt_conntrack_mtinfo3 info = {
		.match_flags = XT_CONNTRACK_STATE,
		.state_mask = (uint16_t)states,
	};
	int r = not_done(rule, err);

	if (r < 0)
		return r;
	return push(rule, e_xt(false, "conntrack", 3, &info, sizeof(info)), false, err);
}

/* ---- targets ----------------------------------------------------------------------- */

static struct nftnl_expr *e_verdict(int verdict, const char *chain)
{
	struct nftnl_expr *e = nftnl_expr_alloc("immediate");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
		if (chain)
			nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain);
	}
	return e;
}

int xt_rule_verdict(struct xt_rule *rule, int verdict, struct cni_err *err)
{
	if (verdict != NF_ACCEPT && verdict != NF_DROP && verdict != NFT_RETURN)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL,
					 "iptables rule: unsupported verdict %d", verdict);
	return finish(rule, e_verdict(verdict, NULL), err);
}

int xt_rule_jump(struct xt_rule *rule, const char *chain, struct cni_err *err)
{
	if (!chain || !*chain || strlen(chain) > XT_CHAIN_MAX)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL,
					 "iptables rule: invalid jump target '%s'",
					 chain ? chain : "");
	return finish(rule, e_verdict(NFT_JUMP, chain), err);
}

int xt_rule_masquerade(struct xt_rule *rule, struct cni_err *err)
{
	if (rule->family == NFPROTO_IPV6) {
		struct nf_nat_range info = {0};

		return finish(rule, e_xt(true, "MASQUERADE", 0, &info, sizeof(info)), err);
	} else {
		struct nf_nat_ipv4_multi_range_compat info = {.rangesize = 1};

		return finish(rule, e_xt(true, "MASQUERADE", 0, &info, sizeof(info)), err);
	}
}

int xt_rule_dnat(struct xt_rule *rule, const void *addr, uint16_t port, struct cni_err *err)
{
	struct nf_nat_range2 info = {.flags = NF_NAT_RANGE_MAP_IPS};

	memcpy(&info.min_addr, addr, (size_t)addr_len(rule->family));
	memcpy(&info.max_addr, addr, (size_t)addr_len(rule->family));
	if (port) {
		if (rule->hdr.proto != IPPROTO_TCP && rule->hdr.proto != IPPROTO_UDP &&
		    rule->hdr.proto != IPPROTO_SCTP)
			return cni_err_set_errno(err, CNI_ERR_INVALID_CONFIG, EINVAL,
						 "iptables DNAT: a port needs -p tcp, udp or sctp");
		info.flags |= NF_NAT_RANGE_PROTO_SPECIFIED;
		info.min_proto.all = htons(port);
		info.max_proto.all = htons(port);
	}
	return finish(rule, e_xt(true, "DNAT", 2, &info, sizeof(info)), err);
}

int xt_rule_set_xmark(struct xt_rule *rule, uint32_t value, uint32_t mask, struct cni_err *err)
{
	struct xt_mark_tginfo2 info = {.mark = value, .mask = mask};

	return finish(rule, e_xt(true, "MARK", 2, &info, sizeof(info)), err);
}

int xt_rule_format(const struct xt_rule *rule, char **ret_text, struct cni_err *err)
{
	_cleanup_(xt_rule_view_clear) struct xt_rule_view v = {0};
	char *s = NULL;
	int r;

	if (!rule->done)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL,
					 "iptables rule: no target yet");
	r = xt_rule_parse(nft_rule_nlr(rule->nr), rule->family, &v, err);
	if (r < 0)
		return r;
	if (asprintf(&s, "-A %s %s", xt_rule_chain(rule), v.text) < 0)
		return cni_err_nomem(err);
	*ret_text = s;
	return 0;
}

/* ---- condition argument lists ------------------------------------------------------ */

static int bad_arg(const char *word, const char *why, struct cni_err *err)
{
	return cni_err_set_errno(err, CNI_ERR_INVALID_CONFIG, EINVAL,
				 "invalid iptables condition at '%s': %s", word, why);
}

/* Parse "A[/len]" of the rule's family. */
static int parse_prefix(int family, const char *text, uint8_t *addr, int *len, struct cni_err *err)
{
	char buf[INET6_ADDRSTRLEN + 8];
	char *slash, *end;
	long l = -1;

	if (strlen(text) >= sizeof(buf))
		return bad_arg(text, "not an address", err);
	strcpy(buf, text);
	slash = strchr(buf, '/');
	if (slash) {
		*slash = '\0';
		l = strtol(slash + 1, &end, 10);
		if (!slash[1] || *end || l < 0 || l > addr_len(family) * 8)
			return bad_arg(text, "invalid prefix length", err);
	}
	if (inet_pton(family == NFPROTO_IPV6 ? AF_INET6 : AF_INET, buf, addr) != 1)
		return bad_arg(text,
			       family == NFPROTO_IPV6 ? "not an IPv6 address"
						      : "not an IPv4 address",
			       err);
	*len = (int)l;
	return 0;
}

int xt_rule_parse_args(struct xt_rule *rule, const char *const *argv, size_t argc,
		       struct cni_err *err)
{
	size_t i = 0;
	int r;

	while (i < argc) {
		const char *w = argv[i];
		bool inv = false;

		if (!strcmp(w, "!")) {
			inv = true;
			if (++i >= argc)
				return bad_arg(w, "'!' at the end", err);
			w = argv[i];
		}
		if (i + 1 >= argc)
			return bad_arg(w, "missing argument", err);
		if (!strcmp(w, "-s") || !strcmp(w, "--source") || !strcmp(w, "-d") ||
		    !strcmp(w, "--destination")) {
			uint8_t a[16];
			int len = -1;

			r = parse_prefix(rule->family, argv[i + 1], a, &len, err);
			if (r == 0)
				r = hdr_set_addr(rule, w[1] == 'd' || w[2] == 'd', a, len, inv,
						 err);
			i += 2;
		} else if (!strcmp(w, "-i") || !strcmp(w, "--in-interface") || !strcmp(w, "-o") ||
			   !strcmp(w, "--out-interface")) {
			r = hdr_set_iface(rule, w[1] == 'o' || w[2] == 'o', argv[i + 1], inv, err);
			i += 2;
		} else if (!strcmp(w, "-m") && !inv && !strcmp(argv[i + 1], "comment") &&
			   i + 3 < argc + 0 && !strcmp(argv[i + 2], "--comment")) {
			r = xt_rule_comment(rule, argv[i + 3], err);
			i += 4;
		} else if (!strcmp(w, "-m") && !inv && !strcmp(argv[i + 1], "mark") &&
			   i + 3 < argc) {
			bool minv = !strcmp(argv[i + 2], "!");
			size_t k = i + 2 + (minv ? 1 : 0);
			unsigned long v, m = 0xffffffff;
			char *end;

			if (k + 1 >= argc || strcmp(argv[k], "--mark"))
				return bad_arg(argv[i + 2], "expected --mark", err);
			v = strtoul(argv[k + 1], &end, 0);
			if (*end == '/')
				m = strtoul(end + 1, &end, 0);
			if (*end || v > 0xffffffff || m > 0xffffffff)
				return bad_arg(argv[k + 1], "invalid mark", err);
			r = xt_rule_mark(rule, (uint32_t)v, (uint32_t)m, minv, err);
			i = k + 2;
		} else if (!strcmp(w, "-m") && !inv && !strcmp(argv[i + 1], "addrtype") &&
			   i + 3 < argc) {
			bool ainv = !strcmp(argv[i + 2], "!");
			size_t k = i + 2 + (ainv ? 1 : 0);
			uint16_t t;

			if (k + 1 >= argc || strcmp(argv[k], "--dst-type"))
				return bad_arg(argv[i + 2], "expected --dst-type", err);
			t = xt_addrtype_parse(argv[k + 1]);
			if (!t)
				return bad_arg(argv[k + 1], "unknown address type", err);
			r = xt_rule_addrtype_dst(rule, t, ainv, err);
			i = k + 2;
		} else {
			return bad_arg(w, "unsupported option", err);
		}
		if (r < 0)
			return r;
	}
	return 0;
}
