/* SPDX-License-Identifier: Apache-2.0 */
/* Expressions net/nft.h has no builder for, appended to its rules as `nft -f` encodes
 * them: loads without a comparison (for lookups and ranges), ct, ordered comparisons,
 * ranges, masks and set lookups. Each belongs in common/net/nft_expr.c; they are here
 * until that file grows them. Every function returns 0 or a negative errno (-ENOMEM, or
 * -E2BIG past PM_EXPR_MAX expressions appended through this module to one rule). */
#ifndef PORTMAP_NFTEXPR_H
#define PORTMAP_NFTEXPR_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "net/nft.h"

/* Most expressions one rule gets through these builders. */
#define PM_EXPR_MAX 64

/* A rule being built with the builders below, and how many of its expressions they added. */
struct pm_rule_build {
	struct nft_rule *rule; /* the rule (net/nft.h), expressions of nft.h builders too */
	unsigned int n;	       /* expressions appended by this module */
};

/* [ payload load len @ base + offset => reg 1 ] */
int pm_expr_payload(struct pm_rule_build *b, uint32_t base, uint32_t offset, uint32_t len,
		    struct cni_err *err) CNI_MUST_USE;

/* [ meta load key => reg 1 ] */
int pm_expr_meta(struct pm_rule_build *b, uint32_t key, struct cni_err *err) CNI_MUST_USE;

/* [ ct load key => reg 1 ] (no direction) */
int pm_expr_ct(struct pm_rule_build *b, uint32_t key, struct cni_err *err) CNI_MUST_USE;

/* [ cmp op reg 1 data ] for any NFT_CMP_* (eq, neq, lt, lte, gt, gte). */
int pm_expr_cmp(struct pm_rule_build *b, enum nft_cmp_ops op, const void *data, uint32_t len,
		struct cni_err *err) CNI_MUST_USE;

/* [ bitwise reg 1 = ( reg 1 & mask ) ^ 0 ] */
int pm_expr_mask(struct pm_rule_build *b, const void *mask, uint32_t len,
		 struct cni_err *err) CNI_MUST_USE;

/* [ range op reg 1 lo hi ] (NFT_RANGE_EQ or NFT_RANGE_NEQ) */
int pm_expr_range(struct pm_rule_build *b, enum nft_range_ops op, const void *lo, const void *hi,
		  uint32_t len, struct cni_err *err) CNI_MUST_USE;

/* [ lookup reg 1 set <set> (inverted) ], the set named in the same batch by set_id. */
int pm_expr_lookup(struct pm_rule_build *b, const char *set, uint32_t set_id, bool invert,
		   struct cni_err *err) CNI_MUST_USE;

#endif
