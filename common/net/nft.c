/* SPDX-License-Identifier: Apache-2.0 */
/* The write side of the nftables layer: transactions over libnftnl and the netlink
 * transport of nl.c (the read side is nft_read.c).
 *
 * A transaction queues messages in pages managed by mnl_nlmsg_batch; the commit frames
 * them with NFNL_MSG_BATCH_BEGIN/END and nl_batch() sends them with one sendmsg(): the
 * kernel applies the whole batch or nothing. Every message carries NLM_F_ACK, and the
 * description stored for its sequence number names the failing message in the error.
 *
 * Reads and the batch: the first read of a transaction (nft_read.c) records the ruleset's
 * generation. A batch that depends on what was read (a rule deleted by the handle a
 * listing gave) carries that generation in its BATCH_BEGIN (NFNL_BATCH_GENID, as nft sends
 * NFTA_GEN_ID), and the kernel refuses it whole with ERESTART when any commit came in
 * between; nft_txn_run() then reads and queues again. */
#include "net/nft.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>

#include "array.h"
#include "net/nft_priv.h"
#include "net/nl.h"
#include "net/test_priv.h"
#include "sleep.h"

/* Messages go to the current page until it holds this much. */
#define NFT_PAGE_LIMIT (32 * 1024)
/* Room past the limit for the message that overflows a page (rules are far smaller). */
#define NFT_PAGE_SLACK (32 * 1024)

/* One page of the batch. */
struct nft_page {
	char *buf;		   /* NFT_PAGE_LIMIT + NFT_PAGE_SLACK bytes */
	struct mnl_nlmsg_batch *b; /* libmnl batch cursor over buf */
};

/* What one queued message does, for error reports. */
struct nft_msg_desc {
	uint32_t seq; /* sequence number of the message */
	char *desc;   /* "add rule to chain 'x' in table ip t" */
};

const char *nft_family_name(int family)
{
	switch (family) {
	case NFPROTO_INET:
		return "inet";
	case NFPROTO_IPV4:
		return "ip";
	case NFPROTO_IPV6:
		return "ip6";
	case NFPROTO_BRIDGE:
		return "bridge";
	case NFPROTO_ARP:
		return "arp";
	case NFPROTO_NETDEV:
		return "netdev";
	default:
		return "unknown";
	}
}

int nft_txn_new(struct nft_txn **ret_txn, struct cni_err *err)
{
	_cleanup_(nft_txn_freep) struct nft_txn *txn = NULL;
	int r;

	txn = calloc(1, sizeof(*txn));
	if (!txn)
		return cni_err_nomem(err);
	/* Without /proc there is no lock: the generation check alone keeps commits safe. */
	txn->netns_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	r = nl_open_bus(NETLINK_NETFILTER, &txn->nl, err);
	if (r < 0)
		return r;
	*ret_txn = TAKE_PTR(txn);
	return 0;
}

/* Free pages and descriptions; the transaction is empty afterwards. */
void nft_txn_abort(struct nft_txn *txn)
{
	size_t i;

	if (!txn)
		return;
	for (i = 0; i < txn->npages; i++) {
		mnl_nlmsg_batch_stop(txn->pages[i].b);
		free(txn->pages[i].buf);
	}
	txn->npages = 0;
	for (i = 0; i < txn->nmsgs; i++)
		free(txn->msgs[i].desc);
	txn->nmsgs = 0;
	txn->gen_read = false;
	txn->gen_bound = false;
}

void nft_txn_free(struct nft_txn *txn)
{
	if (!txn)
		return;
	nft_txn_abort(txn);
	free(txn->pages);
	free(txn->msgs);
	nl_close_detached(txn->nl);
	if (txn->netns_fd >= 0)
		close(txn->netns_fd);
	free(txn);
}

size_t nft_txn_pending(const struct nft_txn *txn)
{
	return txn->nmsgs;
}

/* ---- batch pages ------------------------------------------------------------------- */

static int page_add(struct nft_txn *txn, struct cni_err *err)
{
	struct nft_page *p;

	if (ARRAY_RESERVE(txn->pages, txn->pages_cap, txn->npages + 1) < 0)
		return cni_err_nomem(err);
	p = &txn->pages[txn->npages];
	/* Zeroed: libmnl 1.0.4 does not clear attribute padding. */
	p->buf = calloc(1, NFT_PAGE_LIMIT + NFT_PAGE_SLACK);
	if (!p->buf)
		return cni_err_nomem(err);
	p->b = mnl_nlmsg_batch_start(p->buf, NFT_PAGE_LIMIT);
	if (!p->b) {
		free(p->buf);
		return cni_err_nomem(err);
	}
	txn->npages++;
	return 0;
}

static struct mnl_nlmsg_batch *cur_batch(struct nft_txn *txn)
{
	return txn->pages[txn->npages - 1].b;
}

/* Where the next message is to be written; starts the batch when it is empty (the
 * BATCH_BEGIN, which may carry the generation, is only written when the batch is sent). */
static int batch_cursor(struct nft_txn *txn, char **ret_cur, struct cni_err *err)
{
	if (txn->npages == 0) {
		int r = page_add(txn, err);

		if (r < 0)
			return r;
		txn->batch_seq = nl_seq_next(txn->nl);
	}
	*ret_cur = mnl_nlmsg_batch_current(cur_batch(txn));
	return 0;
}

/* Room for a BATCH_BEGIN message with its generation attribute. */
#define NFT_BEGIN_SIZE 64

/* Write the batch's BATCH_BEGIN into buf (NFT_BEGIN_SIZE bytes, zeroed): with the
 * generation the reads saw when the batch depends on them. Returns its length. */
static size_t batch_begin(const struct nft_txn *txn, char *buf)
{
	struct nlmsghdr *nlh = nftnl_batch_begin(buf, txn->batch_seq);

	if (txn->gen_read && txn->gen_bound)
		mnl_attr_put_u32(nlh, NFNL_BATCH_GENID, htonl(txn->gen));
	return NLMSG_ALIGN(nlh->nlmsg_len);
}

/* Account for the message just written at the cursor; moves it to a new page when
 * it does not fit in the current one. */
static int batch_advance(struct nft_txn *txn, struct cni_err *err)
{
	const struct nlmsghdr *nlh;
	int r;

	if (mnl_nlmsg_batch_next(cur_batch(txn)))
		return 0;
	nlh = mnl_nlmsg_batch_current(cur_batch(txn));
	r = page_add(txn, err);
	if (r < 0)
		return r;
	memcpy(mnl_nlmsg_batch_current(cur_batch(txn)), nlh, nlh->nlmsg_len);
	/* The previous page still counts its overflow flag; its length excludes the
	 * moved message, which is what is sent. */
	mnl_nlmsg_batch_next(cur_batch(txn));
	return 0;
}

/* ---- objects ----------------------------------------------------------------------- */
void nft_obj_clear(struct nft_obj *o)
{
	switch (o->kind) {
	case OBJ_TABLE:
		nftnl_table_freep(&o->t);
		break;
	case OBJ_CHAIN:
		nftnl_chain_freep(&o->c);
		break;
	case OBJ_RULE:
		nftnl_rule_freep(&o->r);
		break;
	case OBJ_SET:
	case OBJ_SET_ELEMS:
		nftnl_set_freep(&o->s);
		break;
	}
	o->t = NULL;
}

/* Validate a name argument. */
static int check_name(const char *what, const char *name, struct cni_err *err)
{
	if (!name || !*name || strlen(name) >= NFT_NAME_MAXLEN)
		return cni_err_set_errno(err, 0, EINVAL, "invalid nft %s name '%s'", what,
					 name ? name : "");
	return 0;
}

/* Allocate the object kind of family named by table and, but for a table, chain.
 * -EINVAL for a bad name, -ENOMEM. */
int nft_obj_new(struct nft_obj *o, enum obj_kind kind, int family, const char *table,
		const char *chain, struct cni_err *err)
{
	bool ok = false;
	int r;

	r = check_name("table", table, err);
	if (r == 0 && kind != OBJ_TABLE)
		r = check_name("chain", chain, err);
	if (r < 0)
		return r;
	*o = (struct nft_obj){.kind = kind, .family = family, .table = table};
	switch (kind) {
	case OBJ_TABLE:
		o->t = nftnl_table_alloc();
		if (!o->t)
			break;
		nftnl_table_set_u32(o->t, NFTNL_TABLE_FAMILY, (uint32_t)family);
		ok = nftnl_table_set_str(o->t, NFTNL_TABLE_NAME, table) == 0;
		break;
	case OBJ_CHAIN:
		o->chain = chain;
		o->c = nftnl_chain_alloc();
		if (!o->c)
			break;
		nftnl_chain_set_u32(o->c, NFTNL_CHAIN_FAMILY, (uint32_t)family);
		ok = nftnl_chain_set_str(o->c, NFTNL_CHAIN_TABLE, table) == 0 &&
		     nftnl_chain_set_str(o->c, NFTNL_CHAIN_NAME, chain) == 0;
		break;
	case OBJ_RULE:
		o->chain = chain;
		o->r = nftnl_rule_alloc();
		if (!o->r)
			break;
		nftnl_rule_set_u32(o->r, NFTNL_RULE_FAMILY, (uint32_t)family);
		ok = nftnl_rule_set_str(o->r, NFTNL_RULE_TABLE, table) == 0 &&
		     nftnl_rule_set_str(o->r, NFTNL_RULE_CHAIN, chain) == 0;
		break;
	case OBJ_SET:
	case OBJ_SET_ELEMS:
		break; /* built by set_object() */
	}
	if (!ok) {
		nft_obj_clear(o);
		return cni_err_nomem(err);
	}
	return 0;
}

/* Give the object a comment (none when comment is NULL or empty). -EINVAL when it is
 * longer than nft accepts. */
static int obj_set_comment(struct nft_obj *o, const char *comment, struct cni_err *err)
{
	_cleanup_(nftnl_udata_buf_freep) struct nftnl_udata_buf *ud = NULL;
	const void *data;
	uint32_t len;
	int r = -1;

	if (comment && strlen(comment) > NFT_COMMENT_MAX)
		return cni_err_set_errno(err, 0, EINVAL,
					 "nft comment '%s' is longer than %d characters", comment,
					 NFT_COMMENT_MAX);
	if (!comment || !*comment)
		return 0;
	ud = nft_comment_udata(comment);
	if (!ud)
		return cni_err_nomem(err);
	data = nftnl_udata_buf_data(ud);
	len = nftnl_udata_buf_len(ud);
	switch (o->kind) {
	case OBJ_TABLE:
		r = nftnl_table_set_data(o->t, NFTNL_TABLE_USERDATA, data, len);
		break;
	case OBJ_CHAIN:
		r = nftnl_chain_set_data(o->c, NFTNL_CHAIN_USERDATA, data, len);
		break;
	case OBJ_RULE:
		r = nftnl_rule_set_data(o->r, NFTNL_RULE_USERDATA, data, len);
		break;
	case OBJ_SET:
	case OBJ_SET_ELEMS:
		break; /* sets carry nft's own userdata */
	}
	return r < 0 ? cni_err_nomem(err) : 0;
}

/* Write the object as the payload of nlh. */
void nft_obj_build_payload(struct nlmsghdr *nlh, const struct nft_obj *o)
{
	switch (o->kind) {
	case OBJ_TABLE:
		nftnl_table_nlmsg_build_payload(nlh, o->t);
		break;
	case OBJ_CHAIN:
		nftnl_chain_nlmsg_build_payload(nlh, o->c);
		break;
	case OBJ_RULE:
		nftnl_rule_nlmsg_build_payload(nlh, o->r);
		break;
	case OBJ_SET:
		nftnl_set_nlmsg_build_payload(nlh, o->s);
		break;
	case OBJ_SET_ELEMS:
		nftnl_set_elems_nlmsg_build_payload(nlh, o->s);
		break;
	}
}

/* "<verb> table ip t" or "<verb> chain 'c' in table ip t", malloc'ed (NULL: no memory). */
static char *obj_describe(const struct nft_obj *o, const char *verb)
{
	const char *family = nft_family_name(o->family);
	char *s = NULL;
	int n;

	if (o->kind == OBJ_SET)
		n = asprintf(&s, "%s set %s to table %s %s", verb, NFT_ANON_SET_NAME, family,
			     o->table);
	else if (o->kind == OBJ_SET_ELEMS)
		n = asprintf(&s, "%s elements to set %s in table %s %s", verb, NFT_ANON_SET_NAME,
			     family, o->table);
	else if (o->chain)
		n = asprintf(&s, "%s chain '%s' in table %s %s", verb, o->chain, family, o->table);
	else
		n = asprintf(&s, "%s table %s %s", verb, family, o->table);
	return n < 0 ? NULL : s;
}

/* A failed exchange about o, in the words of the messages before the transport was
 * shared: "failed to <verb> table ip t", errno text (and extack) as details. */
int nft_obj_failed(struct nft_txn *txn, const struct nft_obj *o, const char *verb,
		   struct cni_err *err)
{
	_cleanup_free_ char *what = obj_describe(o, verb);

	return nl_err_wrap(txn->nl, err, "failed to %s", what ? what : verb);
}

/* ---- queueing ---------------------------------------------------------------------- */

/* Queue one message of type/flags about o, described as "<verb> <where o is>". */
static int queue_msg(struct nft_txn *txn, uint16_t type, uint16_t flags, const struct nft_obj *o,
		     const char *verb, struct cni_err *err)
{
	_cleanup_free_ char *desc = obj_describe(o, verb);
	struct nlmsghdr *nlh;
	uint32_t seq;
	char *cur;
	int r;

	/* Room for the description first, so that every queued message has one. */
	if (!desc || ARRAY_RESERVE(txn->msgs, txn->msgs_cap, txn->nmsgs + 1) < 0)
		return cni_err_nomem(err);
	r = batch_cursor(txn, &cur, err);
	if (r < 0)
		return r;
	seq = nl_seq_next(txn->nl);
	nlh = nftnl_nlmsg_build_hdr(cur, type, (uint16_t)o->family, flags | NLM_F_ACK, seq);
	nft_obj_build_payload(nlh, o);
	if (nlh->nlmsg_len > NFT_PAGE_SLACK)
		/* Cannot happen with the builders' expression limit; refuse rather than
		 * overrun the page. */
		return cni_err_set_errno(err, 0, EMSGSIZE, "%s: message too large", desc);
	r = batch_advance(txn, err);
	if (r < 0)
		return r;
	txn->msgs[txn->nmsgs].seq = seq;
	txn->msgs[txn->nmsgs].desc = TAKE_PTR(desc);
	txn->nmsgs++;
	return 0;
}

/* Queue a message about an object that is nothing but its name. */
static int queue_named(struct nft_txn *txn, uint16_t type, enum obj_kind kind, int family,
		       const char *table, const char *chain, const char *verb, struct cni_err *err)
{
	_cleanup_(nft_obj_clear) struct nft_obj o = {0};
	int r;

	r = nft_obj_new(&o, kind, family, table, chain, err);
	if (r < 0)
		return r;
	return queue_msg(txn, type, 0, &o, verb, err);
}

int nft_txn_add_table(struct nft_txn *txn, int family, const char *name, const char *comment,
		      struct cni_err *err)
{
	_cleanup_(nft_obj_clear) struct nft_obj o = {0};
	int r;

	r = nft_obj_new(&o, OBJ_TABLE, family, name, NULL, err);
	if (r == 0)
		r = obj_set_comment(&o, comment, err);
	if (r < 0)
		return r;
	/* No NLM_F_EXCL: an existing table is fine ("nft add", not "nft create"). */
	return queue_msg(txn, NFT_MSG_NEWTABLE, NLM_F_CREATE, &o, "add", err);
}

int nft_txn_delete_table(struct nft_txn *txn, int family, const char *name, struct cni_err *err)
{
	return queue_named(txn, NFT_MSG_DELTABLE, OBJ_TABLE, family, name, NULL, "delete", err);
}

/* Make a chain a base chain. */
static int chain_set_base(struct nftnl_chain *c, const char *chain,
			  const struct nft_base_chain *base, struct cni_err *err)
{
	if (!base->type || !*base->type)
		return cni_err_set_errno(err, 0, EINVAL, "base chain '%s' needs a type", chain);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, (uint32_t)base->hook);
	nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, base->priority);
	if (nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, base->type) < 0)
		return cni_err_nomem(err);
	if (base->policy != NFT_POLICY_DEFAULT)
		nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY,
				    base->policy == NFT_POLICY_DROP ? NF_DROP : NF_ACCEPT);
	return 0;
}

int nft_txn_add_chain(struct nft_txn *txn, int family, const char *table, const char *chain,
		      const struct nft_base_chain *base, const char *comment, struct cni_err *err)
{
	_cleanup_(nft_obj_clear) struct nft_obj o = {0};
	int r;

	r = nft_obj_new(&o, OBJ_CHAIN, family, table, chain, err);
	if (r == 0)
		r = obj_set_comment(&o, comment, err);
	if (r == 0 && base)
		r = chain_set_base(o.c, chain, base, err);
	if (r < 0)
		return r;
	return queue_msg(txn, NFT_MSG_NEWCHAIN, NLM_F_CREATE, &o, "add", err);
}

int nft_txn_flush_chain(struct nft_txn *txn, int family, const char *table, const char *chain,
			struct cni_err *err)
{
	/* A rule message without a handle deletes every rule of the chain. */
	return queue_named(txn, NFT_MSG_DELRULE, OBJ_RULE, family, table, chain, "flush", err);
}

int nft_txn_delete_chain(struct nft_txn *txn, int family, const char *table, const char *chain,
			 struct cni_err *err)
{
	return queue_named(txn, NFT_MSG_DELCHAIN, OBJ_CHAIN, family, table, chain, "delete", err);
}

int nft_txn_delete_rule(struct nft_txn *txn, int family, const char *table, const char *chain,
			uint64_t handle, struct cni_err *err)
{
	_cleanup_(nft_obj_clear) struct nft_obj o = {0};
	char verb[64];
	int r;

	r = nft_obj_new(&o, OBJ_RULE, family, table, chain, err);
	if (r < 0)
		return r;
	nftnl_rule_set_u64(o.r, NFTNL_RULE_HANDLE, handle);
	snprintf(verb, sizeof(verb), "delete rule handle %" PRIu64 " in", handle);
	r = queue_msg(txn, NFT_MSG_DELRULE, 0, &o, verb, err);
	/* The handle comes from a listing: valid for the ruleset as it was read. */
	if (r == 0)
		nft_txn_bind_generation(txn);
	return r;
}

void nft_txn_bind_generation(struct nft_txn *txn)
{
	txn->gen_bound = true;
}

/* Queue NEWRULE of rule (borrowed: the caller keeps it) with flags. */
static int queue_new_rule(struct nft_txn *txn, const struct nft_rule *rule, uint16_t flags,
			  const char *verb, struct cni_err *err)
{
	const struct nftnl_rule *nlr = nft_rule_nlr(rule);
	const struct nft_obj o = {
		.kind = OBJ_RULE,
		.family = (int)nftnl_rule_get_u32(nlr, NFTNL_RULE_FAMILY),
		.table = nftnl_rule_get_str(nlr, NFTNL_RULE_TABLE),
		.chain = nftnl_rule_get_str(nlr, NFTNL_RULE_CHAIN),
		.r = (struct nftnl_rule *)nlr,
	};

	return queue_msg(txn, NFT_MSG_NEWRULE, flags, &o, verb, err);
}

int nft_txn_add_rule(struct nft_txn *txn, const struct nft_rule *rule, struct cni_err *err)
{
	return queue_new_rule(txn, rule, NLM_F_CREATE | NLM_F_APPEND, "add rule to", err);
}

int nft_txn_insert_rule(struct nft_txn *txn, const struct nft_rule *rule, struct cni_err *err)
{
	/* No NLM_F_APPEND: the kernel puts the rule before the one at its position, and
	 * without a position at the head of the chain (as nft insert and iptables -I). */
	return queue_new_rule(txn, rule, NLM_F_CREATE, "insert rule into", err);
}

int nft_txn_copy_batch(const struct nft_txn *txn, void **ret_buf, size_t *ret_len,
		       struct cni_err *err)
{
	char begin[NFT_BEGIN_SIZE] = {0};
	size_t i, len = 0;
	char *buf;

	for (i = 0; i < txn->npages; i++)
		len += mnl_nlmsg_batch_size(txn->pages[i].b);
	if (len == 0 || txn->nmsgs == 0) {
		*ret_buf = NULL;
		*ret_len = 0;
		return 0;
	}
	buf = malloc(len + NFT_BEGIN_SIZE);
	if (!buf)
		return cni_err_nomem(err);
	len = batch_begin(txn, begin);
	memcpy(buf, begin, len);
	for (i = 0; i < txn->npages; i++) {
		memcpy(buf + len, mnl_nlmsg_batch_head(txn->pages[i].b),
		       mnl_nlmsg_batch_size(txn->pages[i].b));
		len += mnl_nlmsg_batch_size(txn->pages[i].b);
	}
	*ret_buf = buf;
	*ret_len = len;
	return 0;
}

/* ---- anonymous sets ---------------------------------------------------------------- */

/* nft's byte orders in set userdata (enum byteorder of nftables). */
#define NFT_BYTEORDER_HOST 1
#define NFT_BYTEORDER_BIG  2

/* Most elements one set message is allowed (a bound on message sizes). */
#define NFT_SET_ELEMS_MAX 512

/* The set's userdata as nft 1.0.6 writes it: key byte order, automerge for interval sets,
 * and the "typeof" of the key (the expression it came from). NULL: no memory. */
static struct nftnl_udata_buf *set_udata(const struct nft_anon_set *set)
{
	_cleanup_(nftnl_udata_buf_freep) struct nftnl_udata_buf *ud =
		nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);
	const struct nft_set_key *k = &set->key;
	struct nftnl_udata *outer, *inner;

	if (!ud ||
	    !nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_KEYBYTEORDER,
				 k->big_endian ? NFT_BYTEORDER_BIG : NFT_BYTEORDER_HOST) ||
	    (set->interval && !nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_MERGE_ELEMENTS, 1)))
		return NULL;
	outer = nftnl_udata_nest_start(ud, NFTNL_UDATA_SET_KEY_TYPEOF);
	if (!outer || !nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_TYPEOF_EXPR, k->typeof_expr))
		return NULL;
	inner = nftnl_udata_nest_start(ud, NFTNL_UDATA_SET_TYPEOF_DATA);
	/* Attribute 0 is the protocol description (payload) or the key (meta, ct); 1 the
	 * header field (payload) or the direction (ct); meta has no second one. */
	if (!inner || !nftnl_udata_put_u32(ud, 0, k->typeof_a) ||
	    (k->typeof_expr != NFT_TYPEOF_META && !nftnl_udata_put_u32(ud, 1, k->typeof_b)))
		return NULL;
	nftnl_udata_nest_end(ud, inner);
	nftnl_udata_nest_end(ud, outer);
	return TAKE_PTR(ud);
}

/* An element's userdata: nft's "open interval" flag. */
static int elem_set_open(struct nftnl_set_elem *ne)
{
	_cleanup_(nftnl_udata_buf_freep) struct nftnl_udata_buf *eu =
		nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);

	if (!eu ||
	    !nftnl_udata_put_u32(eu, NFTNL_UDATA_SET_ELEM_FLAGS, NFTNL_SET_ELEM_F_INTERVAL_OPEN))
		return -ENOMEM;
	return nftnl_set_elem_set(ne, NFTNL_SET_ELEM_USERDATA, nftnl_udata_buf_data(eu),
				  nftnl_udata_buf_len(eu)) < 0
		       ? -ENOMEM
		       : 0;
}

/* The libnftnl set of set, with its elements, into o (kind OBJ_SET). */
static int set_object(const struct nft_anon_set *set, struct nft_obj *o, struct cni_err *err)
{
	_cleanup_(nftnl_set_freep) struct nftnl_set *ns = nftnl_set_alloc();
	_cleanup_(nftnl_udata_buf_freep) struct nftnl_udata_buf *ud = set_udata(set);
	uint32_t flags = NFT_SET_ANONYMOUS | NFT_SET_CONSTANT;

	if (!ns || !ud)
		return cni_err_nomem(err);
	if (set->interval)
		flags |= NFT_SET_INTERVAL;
	if (nftnl_set_set_str(ns, NFTNL_SET_TABLE, set->table) < 0 ||
	    nftnl_set_set_str(ns, NFTNL_SET_NAME, NFT_ANON_SET_NAME) < 0)
		return cni_err_nomem(err);
	nftnl_set_set_u32(ns, NFTNL_SET_FAMILY, (uint32_t)set->family);
	nftnl_set_set_u32(ns, NFTNL_SET_FLAGS, flags);
	nftnl_set_set_u32(ns, NFTNL_SET_KEY_TYPE, set->key.type);
	nftnl_set_set_u32(ns, NFTNL_SET_KEY_LEN, set->key.len);
	nftnl_set_set_u32(ns, NFTNL_SET_ID, set->id);
	/* nft sizes an interval set as if an open last interval had its end element too. */
	nftnl_set_set_u32(ns, NFTNL_SET_DESC_SIZE,
			  (uint32_t)set->n + (set->n && set->elem[set->n - 1].open ? 1 : 0));
	if (nftnl_set_set_data(ns, NFTNL_SET_USERDATA, nftnl_udata_buf_data(ud),
			       nftnl_udata_buf_len(ud)) < 0)
		return cni_err_nomem(err);
	for (size_t i = 0; i < set->n; i++) {
		const struct nft_set_elem *e = &set->elem[i];
		struct nftnl_set_elem *ne = nftnl_set_elem_alloc();

		if (!ne)
			return cni_err_nomem(err);
		/* Added first, so that it is freed with the set whatever happens next. */
		nftnl_set_elem_add(ns, ne);
		if (e->end)
			nftnl_set_elem_set_u32(ne, NFTNL_SET_ELEM_FLAGS, NFT_SET_ELEM_INTERVAL_END);
		if (nftnl_set_elem_set(ne, NFTNL_SET_ELEM_KEY, e->key, set->key.len) < 0 ||
		    (e->open && elem_set_open(ne) < 0))
			return cni_err_nomem(err);
	}
	*o = (struct nft_obj){.kind = OBJ_SET, .family = set->family, .table = set->table};
	o->s = TAKE_PTR(ns);
	return 0;
}

int nft_txn_add_anon_set(struct nft_txn *txn, const struct nft_anon_set *set, struct cni_err *err)
{
	_cleanup_(nft_obj_clear) struct nft_obj o = {0};
	int r;

	r = check_name("table", set->table, err);
	if (r < 0)
		return r;
	if (set->key.len == 0 || set->key.len > NFT_SET_KEY_MAX)
		return cni_err_set_errno(err, 0, EINVAL, "anonymous set: bad key length %u",
					 set->key.len);
	if (set->n > NFT_SET_ELEMS_MAX)
		return cni_err_set_errno(err, 0, EMSGSIZE, "anonymous set: more than %d elements",
					 NFT_SET_ELEMS_MAX);
	r = set_object(set, &o, err);
	if (r < 0)
		return r;
	r = queue_msg(txn, NFT_MSG_NEWSET, NLM_F_CREATE, &o, "add", err);
	if (r < 0)
		return r;
	/* The same object, as its elements. */
	o.kind = OBJ_SET_ELEMS;
	return queue_msg(txn, NFT_MSG_NEWSETELEM, NLM_F_CREATE, &o, "add", err);
}

/* ---- commit ------------------------------------------------------------------------ */

static const char *desc_of(const struct nft_txn *txn, uint32_t seq)
{
	size_t i;

	for (i = 0; i < txn->nmsgs; i++)
		if (txn->msgs[i].seq == seq)
			return txn->msgs[i].desc;
	return "nftables batch";
}

/* Name the message the kernel refused first: "<desc>: <strerror>", with the kernel's
 * extended ACK text as details. */
static int name_refused(const struct nft_txn *txn, struct cni_err *err)
{
	const struct nl_refusal *ref = &txn->nl->refusal;

	if (ref->error == ERESTART && ref->seq == txn->batch_seq)
		/* The BATCH_BEGIN: the generation check failed. */
		return cni_err_errno(err, CNI_ERR_TRY_AGAIN, ERESTART,
				     "the nftables ruleset changed since it was read "
				     "(generation %" PRIu32 ")",
				     txn->gen);
	cni_err_set_errno(err, 0, ref->error, "%s: %s", desc_of(txn, ref->seq),
			  strerror(ref->error));
	if (ref->extack[0])
		cni_err_details(err, "%s", ref->extack);
	return -ref->error;
}

int nft_txn_commit(struct nft_txn *txn, struct cni_err *err)
{
	_cleanup_free_ struct iovec *iov = NULL;
	char begin[NFT_BEGIN_SIZE] = {0};
	uint32_t end_seq;
	size_t i;
	int r;

	if (txn->nmsgs == 0) {
		nft_txn_abort(txn);
		return 0;
	}
	end_seq = nl_seq_next(txn->nl);
	nftnl_batch_end(mnl_nlmsg_batch_current(cur_batch(txn)), end_seq);
	r = batch_advance(txn, err);
	if (r == 0) {
		iov = calloc(txn->npages + 1, sizeof(*iov));
		if (!iov)
			r = cni_err_nomem(err);
	}
	if (r == 0) {
		iov[0].iov_base = begin;
		iov[0].iov_len = batch_begin(txn, begin);
		for (i = 0; i < txn->npages; i++) {
			iov[i + 1].iov_base = mnl_nlmsg_batch_head(txn->pages[i].b);
			iov[i + 1].iov_len = mnl_nlmsg_batch_size(txn->pages[i].b);
		}
		r = nl_batch(txn->nl, iov, txn->npages + 1, txn->batch_seq, end_seq, txn->nmsgs,
			     err);
		if (r < 0 && txn->nl->refusal.error)
			r = name_refused(txn, err);
	}
	nft_txn_abort(txn);
	return r;
}

/* ---- retried transactions ---------------------------------------------------------- */

/* Worth redoing from the reads on: the ruleset changed since it was read (ERESTART), a
 * listing kept being interrupted (EINTR), or, from the commit, something the batch refers
 * to was removed or is still referenced by a concurrent change (ENOENT, EBUSY). */
static bool txn_retryable(int r, bool committing)
{
	return r == -ERESTART || r == -EINTR || (committing && (r == -ENOENT || r == -EBUSY));
}

/* Milliseconds of CLOCK_MONOTONIC. */
static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A random pause before attempt (2, 3, ...): up to 1 ms doubled per attempt, at most
 * NFT_TXN_PAUSE_MAX_MS, so that competing writers spread out. */
static void txn_pause(int attempt, unsigned int *seed)
{
	long max_us = 1000L << (attempt < 8 ? attempt - 1 : 7);

	if (max_us > NFT_TXN_PAUSE_MAX_MS * 1000L)
		max_us = NFT_TXN_PAUSE_MAX_MS * 1000L;
	sleep_us((unsigned long)rand_r(seed) % (unsigned long)max_us + 1);
}

/*
 * Take the namespace's lock: flock() on the namespace's nsfs file, which every process of
 * the namespace opens as the same inode, so that the suite's own commands read and commit
 * one after the other (and released by the kernel when a holder dies). Gives up after
 * NFT_LOCK_WAIT_MS (a holder that hangs): the commit is then only guarded by the
 * generation check. Returns whether the lock is held.
 */
static bool txn_lock(struct nft_txn *txn, unsigned int *seed)
{
	long long deadline;

	if (txn->netns_fd < 0)
		return false;
	if (flock(txn->netns_fd, LOCK_EX | LOCK_NB) == 0)
		return true;
	deadline = now_ms() + NFT_LOCK_WAIT_MS;
	while (errno == EWOULDBLOCK || errno == EINTR) {
		if (now_ms() >= deadline)
			return false;
		/* 0.2..1.2 ms: short next to one command's reads and commit. */
		sleep_us(200 + (unsigned long)(rand_r(seed) % 1000));
		if (flock(txn->netns_fd, LOCK_EX | LOCK_NB) == 0)
			return true;
	}
	return false;
}

static void txn_unlock(struct nft_txn *txn, bool locked)
{
	if (locked)
		(void)flock(txn->netns_fd, LOCK_UN);
}

int nft_txn_run(struct nft_txn *txn, nft_txn_fill_fn fill, nft_txn_send_fn send, void *userdata,
		struct cni_err *err)
{
	struct timespec now;
	unsigned int seed;

	clock_gettime(CLOCK_MONOTONIC, &now);
	seed = (unsigned int)getpid() ^ (unsigned int)now.tv_nsec;
	for (int attempt = 1;; attempt++) {
		bool committing = false, locked;
		int r;

		nft_txn_abort(txn);
		cni_err_clear(err);
		locked = txn_lock(txn, &seed);
		r = fill(txn, userdata, err);
		if (r == 0) {
			committing = true;
			r = send ? send(txn, userdata, err) : nft_txn_commit(txn, err);
		}
		txn_unlock(txn, locked);
		if (r == 0 || !txn_retryable(r, committing))
			return r;
		if (attempt == NFT_TXN_ATTEMPTS) {
			nft_txn_abort(txn);
			if (r == -ERESTART || r == -EINTR)
				cni_err_prefix(err, "gave up after %d attempts", attempt);
			return r;
		}
		txn_pause(attempt + 1, &seed);
	}
}
