/* SPDX-License-Identifier: Apache-2.0 */
/* Raw expressions for rules of net/nft.h (see nftexpr.h). */
#include "portmap/nftexpr.h"

#include <errno.h>
#include <string.h>

#include <libnftnl/expr.h>
#include <libnftnl/rule.h>

/* Append e to the rule; takes e. */
static int push(struct pm_rule_build *b, struct nftnl_expr *e, struct cni_err *err)
{
	if (b->n >= PM_EXPR_MAX) {
		nftnl_expr_free(e);
		return cni_err_set_errno(err, CNI_ERR_INVALID_CONFIG, E2BIG,
					 "nft rule has more than %d expressions", PM_EXPR_MAX);
	}
	/* nft.h hands out the rule read-only; the rule object itself is ours and mutable. */
	nftnl_rule_add_expr((struct nftnl_rule *)nft_rule_nlr(b->rule), e);
	b->n++;
	return 0;
}

static struct nftnl_expr *new_expr(const char *name, struct cni_err *err)
{
	struct nftnl_expr *e = nftnl_expr_alloc(name);

	if (!e)
		cni_err_nomem(err);
	return e;
}

/* Set data attributes; on failure free e and record the error. */
static int set_data(struct nftnl_expr *e, uint16_t attr, const void *data, uint32_t len,
		    struct cni_err *err)
{
	if (nftnl_expr_set(e, attr, data, len) < 0) {
		nftnl_expr_free(e);
		return cni_err_nomem(err);
	}
	return 0;
}

int pm_expr_payload(struct pm_rule_build *b, uint32_t base, uint32_t offset, uint32_t len,
		    struct cni_err *err)
{
	struct nftnl_expr *e = new_expr("payload", err);

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	return push(b, e, err);
}

int pm_expr_meta(struct pm_rule_build *b, uint32_t key, struct cni_err *err)
{
	struct nftnl_expr *e = new_expr("meta", err);

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
	return push(b, e, err);
}

int pm_expr_ct(struct pm_rule_build *b, uint32_t key, struct cni_err *err)
{
	struct nftnl_expr *e = new_expr("ct", err);

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	return push(b, e, err);
}

int pm_expr_cmp(struct pm_rule_build *b, enum nft_cmp_ops op, const void *data, uint32_t len,
		struct cni_err *err)
{
	struct nftnl_expr *e = new_expr("cmp", err);

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	if (set_data(e, NFTNL_EXPR_CMP_DATA, data, len, err) < 0)
		return -ENOMEM;
	return push(b, e, err);
}

int pm_expr_mask(struct pm_rule_build *b, const void *mask, uint32_t len, struct cni_err *err)
{
	static const uint8_t zero[16];
	struct nftnl_expr *e;

	if (len > sizeof(zero))
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL,
					 "nft bitwise mask of %u bytes is too long", len);
	e = new_expr("bitwise", err);
	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_OP, NFT_BITWISE_BOOL);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
	if (set_data(e, NFTNL_EXPR_BITWISE_MASK, mask, len, err) < 0 ||
	    set_data(e, NFTNL_EXPR_BITWISE_XOR, zero, len, err) < 0)
		return -ENOMEM;
	return push(b, e, err);
}

int pm_expr_range(struct pm_rule_build *b, enum nft_range_ops op, const void *lo, const void *hi,
		  uint32_t len, struct cni_err *err)
{
	struct nftnl_expr *e = new_expr("range", err);

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_RANGE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_RANGE_OP, op);
	if (set_data(e, NFTNL_EXPR_RANGE_FROM_DATA, lo, len, err) < 0 ||
	    set_data(e, NFTNL_EXPR_RANGE_TO_DATA, hi, len, err) < 0)
		return -ENOMEM;
	return push(b, e, err);
}

int pm_expr_lookup(struct pm_rule_build *b, const char *set, uint32_t set_id, bool invert,
		   struct cni_err *err)
{
	struct nftnl_expr *e = new_expr("lookup", err);

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
	if (nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set) < 0) {
		nftnl_expr_free(e);
		return cni_err_nomem(err);
	}
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, set_id);
	/* nft sends the flags only for a negated lookup. */
	if (invert)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, NFT_LOOKUP_F_INV);
	return push(b, e, err);
}
