/* SPDX-License-Identifier: Apache-2.0 */
/* What the files of the nftables layer share and nobody else needs: the transaction, which
 * the write side (nft.c: batches, commit) and the read side (nft_read.c: GETs, dumps, a
 * rule's text) both use; the wrapper of a table, chain, rule or set as one message names
 * it; scope guards for libnftnl objects; the comment encoding of nft. */
#ifndef CNI_NFT_PRIV_H
#define CNI_NFT_PRIV_H

#include "net/nft.h"

#include <libnftnl/chain.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

#include "cleanup.h"

struct nft_page;
struct nft_msg_desc;
struct nl_sock;
struct nlmsghdr;

/* A transaction (net/nft.h): its socket, the read state the batch may be bound to, and the
 * queued messages. */
struct nft_txn {
	struct nl_sock *nl;	   /* NETLINK_NETFILTER socket (nl.c's transport) */
	uint32_t batch_seq;	   /* sequence number of the NFNL_MSG_BATCH_BEGIN to send */
	uint32_t gen;		   /* ruleset generation before the first read, if gen_read */
	bool gen_read;		   /* something was read since the last commit or abort */
	bool gen_bound;		   /* the batch depends on the reads: send gen with it */
	int netns_fd;		   /* the socket's network namespace (its lock), or -1 */
	struct nft_page *pages;	   /* batch pages of the queued messages (BEGIN/END apart) */
	size_t npages;		   /* pages in use */
	size_t pages_cap;	   /* allocated entries of pages */
	struct nft_msg_desc *msgs; /* descriptions of queued messages, in order */
	size_t nmsgs;		   /* number of queued messages (without BEGIN/END) */
	size_t msgs_cap;	   /* allocated entries of msgs */
};

/* Which libnftnl object a struct nft_obj holds. */
enum obj_kind { OBJ_TABLE, OBJ_CHAIN, OBJ_RULE, OBJ_SET, OBJ_SET_ELEMS };

/* A libnftnl table, chain or rule, and where it is as messages about it name it. */
struct nft_obj {
	enum obj_kind kind; /* which member of the union */
	int family;	    /* NFPROTO_* */
	const char *table;  /* table name */
	const char *chain;  /* chain name (of a chain, or a rule's); NULL for a table */
	union {
		struct nftnl_table *t;
		struct nftnl_chain *c;
		struct nftnl_rule *r;
		struct nftnl_set *s; /* a set, or its elements (OBJ_SET_ELEMS) */
	};
};

/* Free the libnftnl object of o (for _cleanup_). */
void nft_obj_clear(struct nft_obj *o);

/* Allocate the object kind of family named by table and, but for a table, chain.
 * -EINVAL for a bad name, -ENOMEM. */
int nft_obj_new(struct nft_obj *o, enum obj_kind kind, int family, const char *table,
		const char *chain, struct cni_err *err);

/* Write the object as the payload of nlh. */
void nft_obj_build_payload(struct nlmsghdr *nlh, const struct nft_obj *o);

/* A failed exchange about o: "failed to <verb> table ip t", errno text (and extack) as
 * details. Returns the error. */
int nft_obj_failed(struct nft_txn *txn, const struct nft_obj *o, const char *verb,
		   struct cni_err *err);

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
