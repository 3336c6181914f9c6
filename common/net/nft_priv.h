/* SPDX-License-Identifier: Apache-2.0 */
/* What nft.c and nft_expr.c share and nobody else needs: scope guards for libnftnl objects
 * and the comment encoding of nft. */
#ifndef CNI_NFT_PRIV_H
#define CNI_NFT_PRIV_H

#include "net/nft.h"

#include <libnftnl/chain.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

#include "cleanup.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct nftnl_table *, nftnl_table_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nftnl_chain *, nftnl_chain_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nftnl_rule *, nftnl_rule_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nftnl_set *, nftnl_set_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nftnl_udata_buf *, nftnl_udata_buf_free)

/* A comment as nft encodes it: a NUL-terminated TLV of type 0 (the *_COMMENT type of
 * tables, chains and rules is 0 in every case), which `nft list` and `nft -j` read back.
 * NULL when out of memory. */
static inline struct nftnl_udata_buf *nft_comment_udata(const char *comment)
{
	struct nftnl_udata_buf *ud = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);

	if (ud && !nftnl_udata_put_strz(ud, NFTNL_UDATA_RULE_COMMENT, comment)) {
		nftnl_udata_buf_free(ud);
		return NULL;
	}
	return ud;
}

#endif
