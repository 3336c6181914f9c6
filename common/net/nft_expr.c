/* SPDX-License-Identifier: Apache-2.0 */
/* Rule builders: each helper appends the expressions `nft -f` generates for the same
 * rule text (register numbers, load lengths, implicit dependencies), so that `nft list`
 * and `nft -j list` show our rules exactly like rules written by nft or the Go plugins. */
#include "net/nft.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/rtnetlink.h>

#include <libnftnl/expr.h>

#include "net/nft_priv.h"
#include "net/test_priv.h"

/* A rule under construction. */
struct nft_rule {
	struct nftnl_rule *nlr; /* libnftnl rule: family, table, chain, userdata, expressions */
	int family;		/* NFPROTO_* of the table */
	int l3;			/* network protocol established so far (AF_INET/AF_INET6), 0 none */
	int l4;			/* l4 protocol established so far (IPPROTO_*), -1 none */
	size_t nexpr;		/* number of expressions appended */
};

int nft_rule_new(int family, const char *table, const char *chain, const char *comment,
		 struct nft_rule **ret_rule, struct cni_err *err)
{
	_cleanup_(nftnl_rule_freep) struct nftnl_rule *nlr = NULL;
	_cleanup_free_ struct nft_rule *rule = NULL;

	if (!table || !*table || !chain || !*chain)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL,
					 "nft rule: missing table or chain name");
	if (comment && strlen(comment) > NFT_COMMENT_MAX)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL,
					 "nft rule comment '%s' is longer than %d characters",
					 comment, NFT_COMMENT_MAX);
	rule = calloc(1, sizeof(*rule));
	nlr = nftnl_rule_alloc();
	if (!rule || !nlr)
		return cni_err_nomem(err);
	nftnl_rule_set_u32(nlr, NFTNL_RULE_FAMILY, (uint32_t)family);
	if (nftnl_rule_set_str(nlr, NFTNL_RULE_TABLE, table) < 0 ||
	    nftnl_rule_set_str(nlr, NFTNL_RULE_CHAIN, chain) < 0)
		return cni_err_nomem(err);
	if (comment && *comment) {
		_cleanup_(nftnl_udata_buf_freep) struct nftnl_udata_buf *ud =
			nft_comment_udata(comment);

		if (!ud || nftnl_rule_set_data(nlr, NFTNL_RULE_USERDATA, nftnl_udata_buf_data(ud),
					       nftnl_udata_buf_len(ud)) < 0)
			return cni_err_nomem(err);
	}
	rule->family = family;
	rule->l3 = family == NFPROTO_IPV4 ? AF_INET : family == NFPROTO_IPV6 ? AF_INET6 : 0;
	rule->l4 = -1;
	rule->nlr = TAKE_PTR(nlr);
	*ret_rule = TAKE_PTR(rule);
	return 0;
}

void nft_rule_free(struct nft_rule *rule)
{
	if (!rule)
		return;
	nftnl_rule_freep(&rule->nlr);
	free(rule);
}

size_t nft_rule_expr_count(const struct nft_rule *rule)
{
	return rule->nexpr;
}

const struct nftnl_rule *nft_rule_nlr(const struct nft_rule *rule)
{
	return rule->nlr;
}

/* ---- raw expressions --------------------------------------------------------------- */

/* One attribute of an expression: a u32 value, or data[len] when data is not NULL. */
struct expr_attr {
	uint16_t type;	  /* NFTNL_EXPR_* */
	uint32_t u32;	  /* the value, when data is NULL */
	const void *data; /* the value's bytes, or NULL */
	uint32_t len;	  /* bytes at data */
};

#define EXPR_U32(t, v)                  \
	{                               \
		.type = (t), .u32 = (v) \
	}
#define EXPR_DATA(t, d, l)                           \
	{                                            \
		.type = (t), .data = (d), .len = (l) \
	}
#define EXPR_ATTRS(...) ((const struct expr_attr[]){__VA_ARGS__})
#define ADD_EXPR(r, name, err, ...) \
	add_expr(r, name, EXPR_ATTRS(__VA_ARGS__), ARRAY_SIZE(EXPR_ATTRS(__VA_ARGS__)), err)

/* Append the expression name with attrs[0..n-1]. -E2BIG past NFT_RULE_MAX_EXPRS, -ENOMEM. */
static int add_expr(struct nft_rule *rule, const char *name, const struct expr_attr *attrs,
		    size_t n, struct cni_err *err)
{
	struct nftnl_expr *e;
	size_t i;

	if (rule->nexpr >= NFT_RULE_MAX_EXPRS)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, E2BIG,
					 "nft rule has more than %d expressions",
					 NFT_RULE_MAX_EXPRS);
	e = nftnl_expr_alloc(name);
	if (!e)
		return cni_err_errno(err, CNI_ERR_INTERNAL, ENOMEM,
				     "failed to allocate nft expression '%s'", name);
	for (i = 0; i < n; i++) {
		if (!attrs[i].data) {
			nftnl_expr_set_u32(e, attrs[i].type, attrs[i].u32);
		} else if (nftnl_expr_set(e, attrs[i].type, attrs[i].data, attrs[i].len) < 0) {
			nftnl_expr_free(e);
			return cni_err_errno(err, CNI_ERR_INTERNAL, ENOMEM,
					     "failed to set nft expression data");
		}
	}
	nftnl_rule_add_expr(rule->nlr, e);
	rule->nexpr++;
	return 0;
}

/* [ payload load len @ base + offset => reg 1 ] */
static int expr_payload(struct nft_rule *rule, enum nft_payload_bases base, uint32_t offset,
			uint32_t len, struct cni_err *err)
{
	return ADD_EXPR(rule, "payload", err, EXPR_U32(NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1),
			EXPR_U32(NFTNL_EXPR_PAYLOAD_BASE, base),
			EXPR_U32(NFTNL_EXPR_PAYLOAD_OFFSET, offset),
			EXPR_U32(NFTNL_EXPR_PAYLOAD_LEN, len));
}

/* [ meta load key => reg 1 ] */
static int expr_meta(struct nft_rule *rule, enum nft_meta_keys key, struct cni_err *err)
{
	return ADD_EXPR(rule, "meta", err, EXPR_U32(NFTNL_EXPR_META_KEY, key),
			EXPR_U32(NFTNL_EXPR_META_DREG, NFT_REG_1));
}

/* [ bitwise reg 1 = ( reg 1 & mask ) ^ 0 ] */
static int expr_bitwise_mask(struct nft_rule *rule, const void *mask, uint32_t len,
			     struct cni_err *err)
{
	static const uint8_t zero[16];

	if (len > sizeof(zero))
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL,
					 "nft bitwise mask of %u bytes is too long", len);
	return ADD_EXPR(rule, "bitwise", err, EXPR_U32(NFTNL_EXPR_BITWISE_SREG, NFT_REG_1),
			EXPR_U32(NFTNL_EXPR_BITWISE_DREG, NFT_REG_1),
			EXPR_U32(NFTNL_EXPR_BITWISE_OP, NFT_BITWISE_BOOL),
			EXPR_U32(NFTNL_EXPR_BITWISE_LEN, len),
			EXPR_DATA(NFTNL_EXPR_BITWISE_MASK, mask, len),
			EXPR_DATA(NFTNL_EXPR_BITWISE_XOR, zero, len));
}

/* [ cmp op reg 1 data ] */
static int expr_cmp(struct nft_rule *rule, enum nft_cmp_ops op, const void *data, uint32_t len,
		    struct cni_err *err)
{
	return ADD_EXPR(rule, "cmp", err, EXPR_U32(NFTNL_EXPR_CMP_SREG, NFT_REG_1),
			EXPR_U32(NFTNL_EXPR_CMP_OP, op), EXPR_DATA(NFTNL_EXPR_CMP_DATA, data, len));
}

/* [ immediate reg data ] */
static int expr_imm_data(struct nft_rule *rule, enum nft_registers reg, const void *data,
			 uint32_t len, struct cni_err *err)
{
	return ADD_EXPR(rule, "immediate", err, EXPR_U32(NFTNL_EXPR_IMM_DREG, reg),
			EXPR_DATA(NFTNL_EXPR_IMM_DATA, data, len));
}

int nft_rule_expr_payload(struct nft_rule *rule, enum nft_payload_bases base, uint32_t offset,
			  uint32_t len, struct cni_err *err)
{
	return expr_payload(rule, base, offset, len, err);
}

int nft_rule_expr_meta(struct nft_rule *rule, enum nft_meta_keys key, struct cni_err *err)
{
	return expr_meta(rule, key, err);
}

int nft_rule_expr_ct(struct nft_rule *rule, enum nft_ct_keys key, struct cni_err *err)
{
	return ADD_EXPR(rule, "ct", err, EXPR_U32(NFTNL_EXPR_CT_KEY, key),
			EXPR_U32(NFTNL_EXPR_CT_DREG, NFT_REG_1));
}

int nft_rule_expr_cmp(struct nft_rule *rule, enum nft_cmp_ops op, const void *data, uint32_t len,
		      struct cni_err *err)
{
	return expr_cmp(rule, op, data, len, err);
}

int nft_rule_expr_mask(struct nft_rule *rule, const void *mask, uint32_t len, struct cni_err *err)
{
	return expr_bitwise_mask(rule, mask, len, err);
}

int nft_rule_expr_range(struct nft_rule *rule, enum nft_range_ops op, const void *lo,
			const void *hi, uint32_t len, struct cni_err *err)
{
	return ADD_EXPR(rule, "range", err, EXPR_U32(NFTNL_EXPR_RANGE_SREG, NFT_REG_1),
			EXPR_U32(NFTNL_EXPR_RANGE_OP, op),
			EXPR_DATA(NFTNL_EXPR_RANGE_FROM_DATA, lo, len),
			EXPR_DATA(NFTNL_EXPR_RANGE_TO_DATA, hi, len));
}

int nft_rule_expr_lookup(struct nft_rule *rule, const char *set, uint32_t set_id, bool invert,
			 struct cni_err *err)
{
	if (!set || !*set || strlen(set) >= NFT_NAME_MAXLEN)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL,
					 "nft lookup: invalid set name '%s'", set ? set : "");
	/* nft sends the flags only for a negated lookup. */
	if (invert)
		return ADD_EXPR(rule, "lookup", err, EXPR_U32(NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1),
				EXPR_DATA(NFTNL_EXPR_LOOKUP_SET, set, (uint32_t)strlen(set) + 1),
				EXPR_U32(NFTNL_EXPR_LOOKUP_SET_ID, set_id),
				EXPR_U32(NFTNL_EXPR_LOOKUP_FLAGS, NFT_LOOKUP_F_INV));
	return ADD_EXPR(rule, "lookup", err, EXPR_U32(NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1),
			EXPR_DATA(NFTNL_EXPR_LOOKUP_SET, set, (uint32_t)strlen(set) + 1),
			EXPR_U32(NFTNL_EXPR_LOOKUP_SET_ID, set_id));
}

static int check_op(enum nft_cmp_ops op, struct cni_err *err)
{
	if (op != NFT_CMP_EQ && op != NFT_CMP_NEQ)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL,
					 "nft match: unsupported comparison %d", op);
	return 0;
}

int nft_rule_match_payload(struct nft_rule *rule, enum nft_payload_bases base, uint32_t offset,
			   uint32_t len, enum nft_cmp_ops op, const void *data, const void *mask,
			   struct cni_err *err)
{
	int r;

	if (len == 0 || len > 16)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL,
					 "nft payload match of %u bytes unsupported", len);
	r = expr_payload(rule, base, offset, len, err);
	if (r < 0)
		return r;
	if (mask) {
		r = expr_bitwise_mask(rule, mask, len, err);
		if (r < 0)
			return r;
	}
	return expr_cmp(rule, op, data, len, err);
}

int nft_rule_match_meta(struct nft_rule *rule, enum nft_meta_keys key, enum nft_cmp_ops op,
			const void *data, uint32_t len, struct cni_err *err)
{
	int r = expr_meta(rule, key, err);

	if (r < 0)
		return r;
	return expr_cmp(rule, op, data, len, err);
}

/* ---- matches ----------------------------------------------------------------------- */

int nft_rule_match_nfproto(struct nft_rule *rule, int af, struct cni_err *err)
{
	uint8_t nfproto;
	int r;

	if (af != AF_INET && af != AF_INET6)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL,
					 "nft nfproto match: unsupported family %d", af);
	nfproto = af == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6;
	r = nft_rule_match_meta(rule, NFT_META_NFPROTO, NFT_CMP_EQ, &nfproto, sizeof(nfproto), err);
	if (r < 0)
		return r;
	rule->l3 = af;
	return 0;
}

/* Make sure the rule only sees packets of network protocol af, adding the dependency
 * nft adds implicitly ("meta nfproto ipv4" in inet tables, once per rule). */
static int need_l3(struct nft_rule *rule, int af, struct cni_err *err)
{
	const char *what = af == AF_INET ? "ip" : "ip6";

	if (rule->l3 == af)
		return 0;
	if (rule->l3 != 0)
		return cni_err_set_errno(
			err, CNI_ERR_INTERNAL, EINVAL,
			"nft rule: '%s' match conflicts with the %s table or earlier matches", what,
			nft_family_name(rule->family));
	if (rule->family != NFPROTO_INET)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL,
					 "nft rule: '%s' match unsupported in %s tables", what,
					 nft_family_name(rule->family));
	return nft_rule_match_nfproto(rule, af, err);
}

int nft_rule_match_ip_addr(struct nft_rule *rule, int af, enum nft_addr_field field,
			   const void *addr, int prefix, enum nft_cmp_ops op, struct cni_err *err)
{
	uint8_t masked[16] = {0}, mask[16] = {0};
	uint32_t alen, bits, offset;
	int r, i;

	if (af != AF_INET && af != AF_INET6)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL,
					 "nft address match: unsupported family %d", af);
	alen = af == AF_INET ? 4 : 16;
	bits = alen * 8;
	if (prefix < 0)
		prefix = (int)bits;
	if ((uint32_t)prefix > bits)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL,
					 "nft address match: invalid prefix length %d", prefix);
	r = check_op(op, err);
	if (r < 0)
		return r;
	r = need_l3(rule, af, err);
	if (r < 0)
		return r;
	if (af == AF_INET)
		offset = field == NFT_ADDR_SADDR ? 12 : 16;
	else
		offset = field == NFT_ADDR_SADDR ? 8 : 24;

	if ((uint32_t)prefix == bits)
		return nft_rule_match_payload(rule, NFT_PAYLOAD_NETWORK_HEADER, offset, alen, op,
					      addr, NULL, err);
	for (i = 0; i < prefix / 8; i++)
		mask[i] = 0xff;
	if (prefix % 8)
		mask[prefix / 8] = (uint8_t)(0xff << (8 - prefix % 8));
	for (i = 0; i < (int)alen; i++)
		masked[i] = ((const uint8_t *)addr)[i] & mask[i];
	/* nft loads only the prefix bytes when the prefix is byte aligned, and the whole
	 * address plus a mask otherwise (including /0). */
	if (prefix > 0 && prefix % 8 == 0)
		return nft_rule_match_payload(rule, NFT_PAYLOAD_NETWORK_HEADER, offset,
					      (uint32_t)prefix / 8, op, masked, NULL, err);
	return nft_rule_match_payload(rule, NFT_PAYLOAD_NETWORK_HEADER, offset, alen, op, masked,
				      mask, err);
}

int nft_rule_match_l4proto(struct nft_rule *rule, uint8_t proto, struct cni_err *err)
{
	int r = nft_rule_match_meta(rule, NFT_META_L4PROTO, NFT_CMP_EQ, &proto, sizeof(proto), err);

	if (r < 0)
		return r;
	rule->l4 = proto;
	return 0;
}

/* "<proto> sport|dport <port>" at transport header offset 0 (sport) or 2 (dport). */
static int match_l4_port(struct nft_rule *rule, uint8_t proto, uint32_t offset, uint16_t port,
			 struct cni_err *err)
{
	uint16_t be = htons(port);
	int r;

	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP && proto != IPPROTO_SCTP &&
	    proto != IPPROTO_UDPLITE && proto != IPPROTO_DCCP)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL,
					 "nft port match: unsupported protocol %u", proto);
	if (rule->l4 != proto) {
		if (rule->l4 != -1)
			return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL,
						 "nft port match: protocol %u conflicts with %d",
						 proto, rule->l4);
		r = nft_rule_match_l4proto(rule, proto, err);
		if (r < 0)
			return r;
	}
	return nft_rule_match_payload(rule, NFT_PAYLOAD_TRANSPORT_HEADER, offset, sizeof(be),
				      NFT_CMP_EQ, &be, NULL, err);
}

int nft_rule_match_l4_dport(struct nft_rule *rule, uint8_t proto, uint16_t port,
			    struct cni_err *err)
{
	return match_l4_port(rule, proto, 2, port, err);
}

int nft_rule_match_ifname(struct nft_rule *rule, enum nft_ifname_key key, const char *name,
			  enum nft_cmp_ops op, struct cni_err *err)
{
	char buf[IFNAMSIZ] = {0};
	size_t len = name ? strlen(name) : 0;
	enum nft_meta_keys mkey = key == NFT_IIFNAME ? NFT_META_IIFNAME : NFT_META_OIFNAME;
	int r;

	if (len == 0 || len >= IFNAMSIZ)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL,
					 "nft interface match: invalid name '%s'",
					 name ? name : "");
	r = check_op(op, err);
	if (r < 0)
		return r;
	if (name[len - 1] == '*') {
		/* "eth*": nft compares only the prefix, without the terminating NUL. */
		if (len == 1)
			return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL,
						 "nft interface match: invalid name '%s'", name);
		return nft_rule_match_meta(rule, mkey, op, name, (uint32_t)len - 1, err);
	}
	/* An exact name is compared over the whole IFNAMSIZ, NUL padded, as nft does. */
	memcpy(buf, name, len);
	return nft_rule_match_meta(rule, mkey, op, buf, sizeof(buf), err);
}

int nft_rule_match_fib_daddr_local(struct nft_rule *rule, struct cni_err *err)
{
	uint32_t type = RTN_LOCAL;
	int r;

	r = ADD_EXPR(rule, "fib", err, EXPR_U32(NFTNL_EXPR_FIB_DREG, NFT_REG_1),
		     EXPR_U32(NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE),
		     EXPR_U32(NFTNL_EXPR_FIB_FLAGS, NFTA_FIB_F_DADDR));
	if (r < 0)
		return r;
	return expr_cmp(rule, NFT_CMP_EQ, &type, sizeof(type), err);
}

int nft_rule_match_ether_addr(struct nft_rule *rule, enum nft_addr_field field,
			      const uint8_t mac[6], struct cni_err *err)
{
	if (rule->family != NFPROTO_BRIDGE)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL,
					 "nft rule: 'ether' match unsupported in %s tables",
					 nft_family_name(rule->family));
	return nft_rule_match_payload(rule, NFT_PAYLOAD_LL_HEADER, field == NFT_ADDR_SADDR ? 6 : 0,
				      6, NFT_CMP_EQ, mac, NULL, err);
}

/* ---- statements -------------------------------------------------------------------- */

int nft_rule_masquerade(struct nft_rule *rule, struct cni_err *err)
{
	return add_expr(rule, "masq", NULL, 0, err);
}

int nft_rule_dnat(struct nft_rule *rule, int af, const void *addr, uint16_t port,
		  struct cni_err *err)
{
	int nfproto = af == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6;
	uint16_t be = htons(port);
	/* The last two only with a port. */
	const struct expr_attr nat[] = {
		EXPR_U32(NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT),
		EXPR_U32(NFTNL_EXPR_NAT_FAMILY, (uint32_t)nfproto),
		EXPR_U32(NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1),
		EXPR_U32(NFTNL_EXPR_NAT_REG_PROTO_MIN, NFT_REG_2),
		EXPR_U32(NFTNL_EXPR_NAT_FLAGS, NF_NAT_RANGE_PROTO_SPECIFIED),
	};
	int r;

	if ((af != AF_INET && af != AF_INET6) || rule->family != nfproto)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL,
					 "nft dnat: address family %d unsupported in %s tables", af,
					 nft_family_name(rule->family));
	r = expr_imm_data(rule, NFT_REG_1, addr, af == AF_INET ? 4 : 16, err);
	if (r == 0 && port)
		r = expr_imm_data(rule, NFT_REG_2, &be, sizeof(be), err);
	if (r < 0)
		return r;
	return add_expr(rule, "nat", nat, port ? ARRAY_SIZE(nat) : ARRAY_SIZE(nat) - 2, err);
}

int nft_rule_verdict(struct nft_rule *rule, int verdict, const char *chain, struct cni_err *err)
{
	bool needs_chain = verdict == NFT_JUMP || verdict == NFT_GOTO;
	/* The chain only for jump and goto. */
	const struct expr_attr imm[] = {
		EXPR_U32(NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT),
		EXPR_U32(NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict),
		EXPR_DATA(NFTNL_EXPR_IMM_CHAIN, chain, chain ? (uint32_t)strlen(chain) + 1 : 0),
	};

	if (verdict != NF_ACCEPT && verdict != NF_DROP && verdict != NFT_RETURN && !needs_chain)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL,
					 "nft verdict %d unsupported", verdict);
	if (needs_chain != (chain && *chain))
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL, "nft verdict: %s",
					 needs_chain ? "jump/goto needs a chain"
						     : "only jump/goto take a chain");
	return add_expr(rule, "immediate", imm, needs_chain ? 3 : 2, err);
}
