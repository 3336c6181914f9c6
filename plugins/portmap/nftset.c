/* SPDX-License-Identifier: Apache-2.0 */
/* Anonymous sets as nft builds them, and a commit that carries them (see nftset.h). */
#include "portmap/nftset.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

#include "array.h"
#include "cleanup.h"
#include "net/nl.h"

/* nft's byte orders in set userdata (enum byteorder of nftables). */
#define PM_BYTEORDER_HOST 1
#define PM_BYTEORDER_BIG  2

/* Room for the fixed attributes of a NEWSET or NEWSETELEM message. */
#define PM_SET_MSG_BASE 512
/* Room per element: nest, flags, key nest, key, userdata. */
#define PM_SET_MSG_ELEM 64

DEFINE_TRIVIAL_CLEANUP_FUNC(struct nftnl_set *, nftnl_set_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nftnl_udata_buf *, nftnl_udata_buf_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nftnl_rule *, nftnl_rule_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nftnl_chain *, nftnl_chain_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nftnl_table *, nftnl_table_free)

void pm_sets_clear(struct pm_sets *sets)
{
	for (size_t i = 0; i < sets->n; i++)
		free(sets->v[i].elem);
	free(sets->v);
	sets->v = NULL;
	sets->n = sets->cap = 0;
	sets->next_id = 0;
}

/* ---- intervals ------------------------------------------------------------------------ */

static bool be_is_max(const uint8_t *v, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (v[i] != 0xff)
			return false;
	return true;
}

static bool be_is_zero(const uint8_t *v, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (v[i])
			return false;
	return true;
}

/* v + 1 into out; v must not be the largest key. */
static void be_next(const uint8_t *v, uint8_t *out, size_t len)
{
	memcpy(out, v, len);
	for (size_t i = len; i-- > 0;)
		if (++out[i] != 0)
			break;
}

/* Key length for the qsort comparator (qsort has no context argument). */
static size_t range_cmp_len;

static int range_cmp(const void *a, const void *b)
{
	return memcmp(((const struct pm_set_range *)a)->lo, ((const struct pm_set_range *)b)->lo,
		      range_cmp_len);
}

static int elem_push(struct pm_anon_set *s, const uint8_t *key, bool end, bool open,
		     struct cni_err *err)
{
	struct pm_set_elem *e;

	if (s->n >= PM_SET_ELEMS_MAX)
		return cni_err_set_errno(err, CNI_ERR_INVALID_CONFIG, E2BIG,
					 "a set has more than %d elements", PM_SET_ELEMS_MAX);
	if (ARRAY_RESERVE(s->elem, s->cap, s->n + 1) < 0)
		return cni_err_nomem(err);
	e = &s->elem[s->n++];
	memset(e, 0, sizeof(*e));
	memcpy(e->key, key, s->key.len);
	e->end = end;
	e->open = open;
	return 0;
}

/* Sorted, merged intervals as boundary elements (nft's interval encoding). */
static int fill_intervals(struct pm_anon_set *s, const struct pm_set_range *ranges, size_t n,
			  struct cni_err *err)
{
	_cleanup_free_ struct pm_set_range *r = calloc(n + 1, sizeof(*r));
	static const uint8_t zero[PM_SET_KEY_MAX];
	size_t len = s->key.len, m = 0;

	if (!r)
		return cni_err_nomem(err);
	memcpy(r, ranges, n * sizeof(*r));
	range_cmp_len = len;
	qsort(r, n, sizeof(*r), range_cmp);
	/* Merge overlapping and touching intervals in place. */
	for (size_t i = 1; i < n; i++) {
		struct pm_set_range *cur = &r[m];
		uint8_t after[PM_SET_KEY_MAX];

		if (be_is_max(cur->hi, len))
			continue; /* cur reaches the end: it swallows the rest */
		be_next(cur->hi, after, len);
		if (memcmp(r[i].lo, after, len) <= 0) {
			if (memcmp(r[i].hi, cur->hi, len) > 0)
				memcpy(cur->hi, r[i].hi, len);
			continue;
		}
		r[++m] = r[i];
	}
	if (n)
		m++;
	if (m && !be_is_zero(r[0].lo, len) && elem_push(s, zero, true, false, err) < 0)
		return cni_err_ret(err);
	for (size_t i = 0; i < m; i++) {
		bool open = be_is_max(r[i].hi, len);
		uint8_t after[PM_SET_KEY_MAX] = {0};

		if (elem_push(s, r[i].lo, false, open, err) < 0)
			return cni_err_ret(err);
		if (open)
			break;
		be_next(r[i].hi, after, len);
		if (elem_push(s, after, true, false, err) < 0)
			return cni_err_ret(err);
	}
	return 0;
}

int pm_sets_add(struct pm_sets *sets, int family, const char *table, const struct pm_set_key *key,
		bool interval, const struct pm_set_range *ranges, size_t n, uint32_t *ret_id,
		struct cni_err *err)
{
	struct pm_anon_set *s;
	int r = 0;

	if (key->len == 0 || key->len > PM_SET_KEY_MAX || strlen(table) >= sizeof(s->table))
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL,
					 "anonymous set: bad key length %u or table name",
					 key->len);
	if (ARRAY_RESERVE(sets->v, sets->cap, sets->n + 1) < 0)
		return cni_err_nomem(err);
	s = &sets->v[sets->n];
	memset(s, 0, sizeof(*s));
	s->family = family;
	snprintf(s->table, sizeof(s->table), "%s", table);
	s->interval = interval;
	s->key = *key;
	if (interval)
		r = fill_intervals(s, ranges, n, err);
	else
		for (size_t i = 0; i < n && r == 0; i++)
			r = elem_push(s, ranges[i].lo, false, false, err);
	if (r < 0) {
		free(s->elem);
		return r;
	}
	s->id = ++sets->next_id;
	sets->n++;
	*ret_id = s->id;
	return 0;
}

/* ---- messages ------------------------------------------------------------------------- */

size_t pm_set_msgs_size(const struct pm_anon_set *s)
{
	return 2 * PM_SET_MSG_BASE + s->n * PM_SET_MSG_ELEM;
}

/* The set's userdata as nft 1.0.6 writes it: key byte order, automerge for interval sets,
 * and the "typeof" of the key (the expression it came from). */
static struct nftnl_udata_buf *set_udata(const struct pm_anon_set *s)
{
	_cleanup_(nftnl_udata_buf_freep) struct nftnl_udata_buf *ud =
		nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);
	struct nftnl_udata *outer, *inner;
	const struct pm_set_key *k = &s->key;

	if (!ud ||
	    !nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_KEYBYTEORDER,
				 k->big_endian ? PM_BYTEORDER_BIG : PM_BYTEORDER_HOST) ||
	    (s->interval && !nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_MERGE_ELEMENTS, 1)))
		return NULL;
	outer = nftnl_udata_nest_start(ud, NFTNL_UDATA_SET_KEY_TYPEOF);
	if (!outer || !nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_TYPEOF_EXPR, k->typeof_expr))
		return NULL;
	inner = nftnl_udata_nest_start(ud, NFTNL_UDATA_SET_TYPEOF_DATA);
	/* Attribute 0 is the protocol description (payload) or the key (meta, ct); 1 the
	 * header field (payload) or the direction (ct); meta has no second one. */
	if (!inner || !nftnl_udata_put_u32(ud, 0, k->typeof_a) ||
	    (k->typeof_expr != PM_TYPEOF_META && !nftnl_udata_put_u32(ud, 1, k->typeof_b)))
		return NULL;
	nftnl_udata_nest_end(ud, inner);
	nftnl_udata_nest_end(ud, outer);
	return TAKE_PTR(ud);
}

/* Record an allocation failure and return NULL, for the builders returning objects. */
static void *null_nomem(struct cni_err *err)
{
	cni_err_nomem(err);
	return NULL;
}

/* The libnftnl set with its elements. */
static struct nftnl_set *set_object(const struct pm_anon_set *s, struct cni_err *err)
{
	_cleanup_(nftnl_set_freep) struct nftnl_set *ns = nftnl_set_alloc();
	_cleanup_(nftnl_udata_buf_freep) struct nftnl_udata_buf *ud = set_udata(s);
	uint32_t flags = NFT_SET_ANONYMOUS | NFT_SET_CONSTANT;

	if (!ns || !ud)
		return null_nomem(err);
	if (s->interval)
		flags |= NFT_SET_INTERVAL;
	if (nftnl_set_set_str(ns, NFTNL_SET_TABLE, s->table) < 0 ||
	    nftnl_set_set_str(ns, NFTNL_SET_NAME, PM_ANON_SET_NAME) < 0)
		return null_nomem(err);
	nftnl_set_set_u32(ns, NFTNL_SET_FAMILY, (uint32_t)s->family);
	nftnl_set_set_u32(ns, NFTNL_SET_FLAGS, flags);
	nftnl_set_set_u32(ns, NFTNL_SET_KEY_TYPE, s->key.type);
	nftnl_set_set_u32(ns, NFTNL_SET_KEY_LEN, s->key.len);
	nftnl_set_set_u32(ns, NFTNL_SET_ID, s->id);
	/* nft sizes an interval set as if an open last interval had its end element too. */
	nftnl_set_set_u32(ns, NFTNL_SET_DESC_SIZE,
			  (uint32_t)s->n + (s->n && s->elem[s->n - 1].open ? 1 : 0));
	if (nftnl_set_set_data(ns, NFTNL_SET_USERDATA, nftnl_udata_buf_data(ud),
			       nftnl_udata_buf_len(ud)) < 0)
		return null_nomem(err);
	for (size_t i = 0; i < s->n; i++) {
		const struct pm_set_elem *e = &s->elem[i];
		struct nftnl_set_elem *ne = nftnl_set_elem_alloc();

		if (!ne)
			return null_nomem(err);
		/* Added first, so that it is freed with the set whatever happens next. */
		nftnl_set_elem_add(ns, ne);
		if (e->end)
			nftnl_set_elem_set_u32(ne, NFTNL_SET_ELEM_FLAGS, NFT_SET_ELEM_INTERVAL_END);
		if (nftnl_set_elem_set(ne, NFTNL_SET_ELEM_KEY, e->key, s->key.len) < 0)
			return null_nomem(err);
		if (e->open) {
			_cleanup_(nftnl_udata_buf_freep) struct nftnl_udata_buf *eu =
				nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);

			if (!eu ||
			    !nftnl_udata_put_u32(eu, NFTNL_UDATA_SET_ELEM_FLAGS,
						 NFTNL_SET_ELEM_F_INTERVAL_OPEN) ||
			    nftnl_set_elem_set(ne, NFTNL_SET_ELEM_USERDATA,
					       nftnl_udata_buf_data(eu),
					       nftnl_udata_buf_len(eu)) < 0)
				return null_nomem(err);
		}
	}
	return TAKE_PTR(ns);
}

size_t pm_set_msgs_build(const struct pm_anon_set *s, void *buf, uint32_t seq, struct cni_err *err)
{
	_cleanup_(nftnl_set_freep) struct nftnl_set *ns = set_object(s, err);
	struct nlmsghdr *nlh;
	size_t off;

	if (!ns)
		return 0;
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_NEWSET, (uint16_t)s->family,
				    NLM_F_CREATE | NLM_F_ACK, seq);
	nftnl_set_nlmsg_build_payload(nlh, ns);
	off = MNL_ALIGN(nlh->nlmsg_len);
	nlh = nftnl_nlmsg_build_hdr((char *)buf + off, NFT_MSG_NEWSETELEM, (uint16_t)s->family,
				    NLM_F_CREATE | NLM_F_ACK, seq + 1);
	nftnl_set_elems_nlmsg_build_payload(nlh, ns);
	return off + MNL_ALIGN(nlh->nlmsg_len);
}

/* ---- commit --------------------------------------------------------------------------- */

/* What a message of the batch does, in nft.c's words, for naming a refused one. */
static char *describe(const struct nlmsghdr *nlh)
{
	const struct nfgenmsg *g = mnl_nlmsg_get_payload(nlh);
	const char *fam = nft_family_name(g->nfgen_family);
	uint16_t type = NFNL_MSG_TYPE(nlh->nlmsg_type);
	char *s = NULL;
	int n = -1;

	if (type == NFT_MSG_NEWTABLE) {
		_cleanup_(nftnl_table_freep) struct nftnl_table *t = nftnl_table_alloc();

		if (t && nftnl_table_nlmsg_parse(nlh, t) == 0)
			n = asprintf(&s, "add table %s %s", fam,
				     nftnl_table_get_str(t, NFTNL_TABLE_NAME));
	} else if (type == NFT_MSG_NEWCHAIN) {
		_cleanup_(nftnl_chain_freep) struct nftnl_chain *c = nftnl_chain_alloc();

		if (c && nftnl_chain_nlmsg_parse(nlh, c) == 0)
			n = asprintf(&s, "add chain '%s' in table %s %s",
				     nftnl_chain_get_str(c, NFTNL_CHAIN_NAME), fam,
				     nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE));
	} else if (type == NFT_MSG_NEWRULE || type == NFT_MSG_DELRULE) {
		_cleanup_(nftnl_rule_freep) struct nftnl_rule *r = nftnl_rule_alloc();

		if (r && nftnl_rule_nlmsg_parse(nlh, r) == 0) {
			const char *chain = nftnl_rule_get_str(r, NFTNL_RULE_CHAIN);
			const char *table = nftnl_rule_get_str(r, NFTNL_RULE_TABLE);

			if (type == NFT_MSG_NEWRULE)
				n = asprintf(&s, "add rule to chain '%s' in table %s %s", chain,
					     fam, table);
			else if (nftnl_rule_is_set(r, NFTNL_RULE_HANDLE))
				n = asprintf(&s,
					     "delete rule handle %" PRIu64
					     " in chain '%s' in table %s %s",
					     nftnl_rule_get_u64(r, NFTNL_RULE_HANDLE), chain, fam,
					     table);
			else
				n = asprintf(&s, "flush chain '%s' in table %s %s", chain, fam,
					     table);
		}
	} else if (type == NFT_MSG_NEWSET) {
		_cleanup_(nftnl_set_freep) struct nftnl_set *st = nftnl_set_alloc();

		if (st && nftnl_set_nlmsg_parse(nlh, st) == 0)
			n = asprintf(&s, "add set %s to table %s %s",
				     nftnl_set_get_str(st, NFTNL_SET_NAME), fam,
				     nftnl_set_get_str(st, NFTNL_SET_TABLE));
	} else if (type == NFT_MSG_NEWSETELEM) {
		n = asprintf(&s, "add elements to set %s in table %s", PM_ANON_SET_NAME, fam);
	}
	return n < 0 ? NULL : s;
}

/* The message of buf[0..len) whose sequence number is seq, or NULL. */
static const struct nlmsghdr *find_seq(const void *buf, size_t len, uint32_t seq)
{
	const struct nlmsghdr *nlh = buf;
	int left = (int)len;

	while (mnl_nlmsg_ok(nlh, left)) {
		if (nlh->nlmsg_seq == seq)
			return nlh;
		nlh = mnl_nlmsg_next(nlh, &left);
	}
	return NULL;
}

/* A refusal, named as nft_txn_commit() names it. */
static int name_refused(const struct nl_sock *sock, const void *head, size_t head_len,
			const void *tail, size_t tail_len, struct cni_err *err)
{
	const struct nl_refusal *ref = &sock->refusal;
	const struct nlmsghdr *nlh = find_seq(head, head_len, ref->seq);
	_cleanup_free_ char *what = NULL;

	if (!nlh)
		nlh = find_seq(tail, tail_len, ref->seq);
	if (nlh && nlh->nlmsg_type == NFNL_MSG_BATCH_BEGIN && ref->error == ERESTART)
		/* The generation check of a batch bound to its reads, as nft.c says it. */
		return cni_err_errno(err, CNI_ERR_TRY_AGAIN, ERESTART,
				     "the nftables ruleset changed since it was read");
	what = nlh ? describe(nlh) : NULL;
	cni_err_set_errno(err, 0, ref->error, "%s: %s", what ? what : "nftables batch",
			  strerror(ref->error));
	if (ref->extack[0])
		cni_err_details(err, "%s", ref->extack);
	return -ref->error;
}

int pm_txn_commit_with_sets(struct nft_txn *txn, const struct pm_sets *sets,
			    struct nft_rule *const *rules, size_t n_rules, struct cni_err *err)
{
	_cleanup_(nl_closep) struct nl_sock *sock = NULL;
	_cleanup_free_ void *head = NULL;
	_cleanup_free_ char *tail = NULL;
	const struct nlmsghdr *nlh;
	uint32_t seq_first, seq = 0;
	size_t head_len = 0, tail_len = 0, cap = MNL_NLMSG_HDRLEN * 2, acks = 0;
	struct iovec iov[2];
	int left, r;

	r = nft_txn_copy_batch(txn, &head, &head_len, err);
	nft_txn_abort(txn);
	if (r < 0)
		return r;
	if (!head)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL,
					 "anonymous sets need a transaction to go with");
	/* The copy starts with BATCH_BEGIN; every other message wants an ACK. */
	seq_first = ((const struct nlmsghdr *)head)->nlmsg_seq;
	left = (int)head_len;
	for (nlh = head; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		if (nlh->nlmsg_seq > seq)
			seq = nlh->nlmsg_seq;
		if (nlh != head)
			acks++;
	}

	for (size_t i = 0; i < sets->n; i++)
		cap += pm_set_msgs_size(&sets->v[i]);
	cap += n_rules * (size_t)MNL_SOCKET_BUFFER_SIZE;
	tail = calloc(1, cap); /* zeroed: libmnl 1.0.4 leaves attribute padding as is */
	if (!tail)
		return cni_err_nomem(err);
	for (size_t i = 0; i < sets->n; i++) {
		size_t n = pm_set_msgs_build(&sets->v[i], tail + tail_len, seq + 1, err);

		if (!n)
			return cni_err_ret(err);
		seq += 2;
		acks += 2;
		tail_len += n;
	}
	for (size_t i = 0; i < n_rules; i++) {
		const struct nftnl_rule *nlr = nft_rule_nlr(rules[i]);
		struct nlmsghdr *m;

		m = nftnl_nlmsg_build_hdr(tail + tail_len, NFT_MSG_NEWRULE,
					  (uint16_t)nftnl_rule_get_u32(nlr, NFTNL_RULE_FAMILY),
					  NLM_F_CREATE | NLM_F_APPEND | NLM_F_ACK, ++seq);
		/* The payload builder only reads the rule. */
		nftnl_rule_nlmsg_build_payload(m, (struct nftnl_rule *)nlr);
		if (m->nlmsg_len > MNL_SOCKET_BUFFER_SIZE)
			return cni_err_set_errno(err, CNI_ERR_INTERNAL, EMSGSIZE,
						 "nft rule message too large");
		tail_len += MNL_ALIGN(m->nlmsg_len);
		acks++;
	}
	nftnl_batch_end(tail + tail_len, ++seq);
	tail_len += MNL_ALIGN(((struct nlmsghdr *)(tail + tail_len))->nlmsg_len);

	r = nl_open_bus(NETLINK_NETFILTER, &sock, err);
	if (r < 0)
		return r;
	iov[0] = (struct iovec){head, head_len};
	iov[1] = (struct iovec){tail, tail_len};
	r = nl_batch(sock, iov, 2, seq_first, seq, acks, err);
	if (r < 0 && sock->refusal.error)
		return name_refused(sock, head, head_len, tail, tail_len, err);
	return r;
}
