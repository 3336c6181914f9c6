/* SPDX-License-Identifier: Apache-2.0 */
/* nftables transactions over libnftnl + libmnl.
 *
 * A transaction queues messages in pages managed by mnl_nlmsg_batch, framed by
 * NFNL_MSG_BATCH_BEGIN/END, and sends them with one sendmsg(): the kernel applies the
 * whole batch or nothing. Every message carries NLM_F_ACK, and the description stored
 * for its sequence number names the failing message in the error. */
#include "net/nft.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

/* Messages go to the current page until it holds this much. */
#define NFT_PAGE_LIMIT (32 * 1024)
/* Room past the limit for the message that overflows a page (rules are far smaller). */
#define NFT_PAGE_SLACK (32 * 1024)
/* Receive buffer for dumps and ACKs. */
#define NFT_RECV_SIZE (64 * 1024)

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

struct nft_txn {
	struct mnl_socket *nl;	   /* NETLINK_NETFILTER socket */
	uint32_t portid;	   /* our netlink port id */
	uint32_t seq;		   /* next sequence number */
	struct nft_page *pages;	   /* batch pages; pages[0] starts with BATCH_BEGIN */
	size_t npages;		   /* pages in use */
	struct nft_msg_desc *msgs; /* descriptions of queued messages, in order */
	size_t nmsgs;		   /* number of queued messages (without BEGIN/END) */
	size_t msgs_cap;	   /* allocated entries of msgs */
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
	struct nft_txn *txn;
	int one = 1, e;

	txn = calloc(1, sizeof(*txn));
	if (!txn) {
		cni_err_errno(err, CNI_ERR_INTERNAL, ENOMEM, "failed to allocate nft transaction");
		return -ENOMEM;
	}
	txn->nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!txn->nl) {
		e = errno;
		cni_err_errno(err, CNI_ERR_INTERNAL, e, "failed to open netfilter netlink socket");
		goto fail;
	}
	if (mnl_socket_bind(txn->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		e = errno;
		cni_err_errno(err, CNI_ERR_INTERNAL, e, "failed to bind netfilter netlink socket");
		goto fail;
	}
	/* Extended ACK text for errors; ACKs without the echoed request. Both are
	 * best effort (old kernels lack them). */
	(void)mnl_socket_setsockopt(txn->nl, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)mnl_socket_setsockopt(txn->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	txn->portid = mnl_socket_get_portid(txn->nl);
	txn->seq = (uint32_t)time(NULL);
	*ret_txn = txn;
	return 0;
fail:
	nft_txn_free(txn);
	return -e;
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
	free(txn->pages);
	txn->pages = NULL;
	txn->npages = 0;
	for (i = 0; i < txn->nmsgs; i++)
		free(txn->msgs[i].desc);
	txn->nmsgs = 0;
}

void nft_txn_free(struct nft_txn *txn)
{
	if (!txn)
		return;
	nft_txn_abort(txn);
	free(txn->msgs);
	if (txn->nl)
		mnl_socket_close(txn->nl);
	free(txn);
}

size_t nft_txn_pending(const struct nft_txn *txn)
{
	return txn->nmsgs;
}

/* ---- batch pages ------------------------------------------------------------------- */

static int page_add(struct nft_txn *txn, struct cni_err *err)
{
	struct nft_page *pages, *p;

	pages = realloc(txn->pages, (txn->npages + 1) * sizeof(*pages));
	if (!pages)
		goto nomem;
	txn->pages = pages;
	p = &pages[txn->npages];
	/* Zeroed: libmnl 1.0.4 does not clear attribute padding. */
	p->buf = calloc(1, NFT_PAGE_LIMIT + NFT_PAGE_SLACK);
	if (!p->buf)
		goto nomem;
	p->b = mnl_nlmsg_batch_start(p->buf, NFT_PAGE_LIMIT);
	if (!p->b) {
		free(p->buf);
		goto nomem;
	}
	txn->npages++;
	return 0;
nomem:
	cni_err_errno(err, CNI_ERR_INTERNAL, ENOMEM, "failed to allocate nft batch");
	return -ENOMEM;
}

static struct mnl_nlmsg_batch *cur_batch(struct nft_txn *txn)
{
	return txn->pages[txn->npages - 1].b;
}

/* Where the next message is to be written; starts the batch when it is empty. */
static char *batch_cursor(struct nft_txn *txn, struct cni_err *err)
{
	if (txn->npages == 0) {
		if (page_add(txn, err) < 0)
			return NULL;
		nftnl_batch_begin(mnl_nlmsg_batch_current(cur_batch(txn)), txn->seq++);
		mnl_nlmsg_batch_next(cur_batch(txn));
	}
	return mnl_nlmsg_batch_current(cur_batch(txn));
}

/* Account for the message just written at the cursor; moves it to a new page when
 * it does not fit in the current one. */
static int batch_advance(struct nft_txn *txn, struct cni_err *err)
{
	const struct nlmsghdr *nlh;

	if (mnl_nlmsg_batch_next(cur_batch(txn)))
		return 0;
	nlh = mnl_nlmsg_batch_current(cur_batch(txn));
	if (page_add(txn, err) < 0)
		return -ENOMEM;
	memcpy(mnl_nlmsg_batch_current(cur_batch(txn)), nlh, nlh->nlmsg_len);
	/* The previous page still counts its overflow flag; its length excludes the
	 * moved message, which is what is sent. */
	mnl_nlmsg_batch_next(cur_batch(txn));
	return 0;
}

/* Make room for one more description before queueing a message, so that every
 * queued message has one. */
static int desc_reserve(struct nft_txn *txn, struct cni_err *err)
{
	struct nft_msg_desc *m;
	size_t cap;

	if (txn->nmsgs < txn->msgs_cap)
		return 0;
	cap = txn->msgs_cap ? txn->msgs_cap * 2 : 16;
	m = realloc(txn->msgs, cap * sizeof(*m));
	if (!m) {
		cni_err_errno(err, CNI_ERR_INTERNAL, ENOMEM, "failed to allocate nft batch");
		return -ENOMEM;
	}
	txn->msgs = m;
	txn->msgs_cap = cap;
	return 0;
}

/* ---- object builders --------------------------------------------------------------- */

static void nftnl_table_freep(struct nftnl_table **p)
{
	if (*p)
		nftnl_table_free(*p);
}

static void nftnl_chain_freep(struct nftnl_chain **p)
{
	if (*p)
		nftnl_chain_free(*p);
}

static void nftnl_rule_freep(struct nftnl_rule **p)
{
	if (*p)
		nftnl_rule_free(*p);
}

static void nftnl_udata_buf_freep(struct nftnl_udata_buf **p)
{
	if (*p)
		nftnl_udata_buf_free(*p);
}

/* Validate a name argument. */
static int check_name(const char *what, const char *name, struct cni_err *err)
{
	if (!name || !*name || strlen(name) >= NFT_NAME_MAXLEN) {
		cni_err_set(err, CNI_ERR_INTERNAL, "invalid nft %s name '%s'", what,
			    name ? name : "");
		return -EINVAL;
	}
	return 0;
}

static int check_comment(const char *comment, struct cni_err *err)
{
	if (comment && strlen(comment) > NFT_COMMENT_MAX) {
		cni_err_set(err, CNI_ERR_INTERNAL, "nft comment '%s' is longer than %d characters",
			    comment, NFT_COMMENT_MAX);
		return -EINVAL;
	}
	return 0;
}

/* Encode a comment as nft does: a NUL-terminated TLV of type 0 (the *_COMMENT type of
 * tables, chains and rules is 0 in every case). */
static struct nftnl_udata_buf *comment_udata(const char *comment)
{
	struct nftnl_udata_buf *ud = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);

	if (ud && !nftnl_udata_put_strz(ud, NFTNL_UDATA_TABLE_COMMENT, comment)) {
		nftnl_udata_buf_free(ud);
		return NULL;
	}
	return ud;
}

static int nomem(struct cni_err *err)
{
	cni_err_errno(err, CNI_ERR_INTERNAL, ENOMEM, "failed to build nft message");
	return -ENOMEM;
}

/* Queue one message: a header of type/flags, the payload written by build(obj), and
 * its description. */
enum obj_kind { OBJ_TABLE, OBJ_CHAIN, OBJ_RULE };

static int queue_msg(struct nft_txn *txn, uint16_t type, int family, uint16_t flags,
		     enum obj_kind kind, const void *obj, const char *desc, struct cni_err *err)
{
	struct nlmsghdr *nlh;
	uint32_t seq;
	char *cur, *copy;

	if (desc_reserve(txn, err) < 0)
		return -ENOMEM;
	cur = batch_cursor(txn, err);
	if (!cur)
		return -ENOMEM;
	seq = txn->seq++;
	nlh = nftnl_nlmsg_build_hdr(cur, type, (uint16_t)family, flags | NLM_F_ACK, seq);
	switch (kind) {
	case OBJ_TABLE:
		nftnl_table_nlmsg_build_payload(nlh, obj);
		break;
	case OBJ_CHAIN:
		nftnl_chain_nlmsg_build_payload(nlh, obj);
		break;
	case OBJ_RULE:
		nftnl_rule_nlmsg_build_payload(nlh, (struct nftnl_rule *)obj);
		break;
	}
	if (nlh->nlmsg_len > NFT_PAGE_SLACK) {
		/* Cannot happen with the builders' expression limit; refuse rather than
		 * overrun the page. */
		cni_err_set(err, CNI_ERR_INTERNAL, "%s: message too large", desc);
		return -EMSGSIZE;
	}
	copy = strdup(desc);
	if (!copy)
		return nomem(err);
	if (batch_advance(txn, err) < 0) {
		free(copy);
		return -ENOMEM;
	}
	/* desc_reserve() made room. */
	txn->msgs[txn->nmsgs].seq = seq;
	txn->msgs[txn->nmsgs].desc = copy;
	txn->nmsgs++;
	return 0;
}

static struct nftnl_table *table_obj(int family, const char *name)
{
	struct nftnl_table *t = nftnl_table_alloc();

	if (!t)
		return NULL;
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, (uint32_t)family);
	if (nftnl_table_set_str(t, NFTNL_TABLE_NAME, name) < 0) {
		nftnl_table_free(t);
		return NULL;
	}
	return t;
}

static struct nftnl_chain *chain_obj(int family, const char *table, const char *name)
{
	struct nftnl_chain *c = nftnl_chain_alloc();

	if (!c)
		return NULL;
	nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, (uint32_t)family);
	if (nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, table) < 0 ||
	    nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name) < 0) {
		nftnl_chain_free(c);
		return NULL;
	}
	return c;
}

static struct nftnl_rule *rule_obj(int family, const char *table, const char *chain)
{
	struct nftnl_rule *r = nftnl_rule_alloc();

	if (!r)
		return NULL;
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, (uint32_t)family);
	if (nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table) < 0 ||
	    (chain && nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain) < 0)) {
		nftnl_rule_free(r);
		return NULL;
	}
	return r;
}

int nft_txn_add_table(struct nft_txn *txn, int family, const char *name, const char *comment,
		      struct cni_err *err)
{
	_cleanup_(nftnl_table_freep) struct nftnl_table *t = NULL;
	_cleanup_free_ char *desc = NULL;

	if (check_name("table", name, err) < 0 || check_comment(comment, err) < 0)
		return -EINVAL;
	t = table_obj(family, name);
	if (!t)
		return nomem(err);
	if (comment && *comment) {
		_cleanup_(nftnl_udata_buf_freep) struct nftnl_udata_buf *ud =
			comment_udata(comment);

		if (!ud || nftnl_table_set_data(t, NFTNL_TABLE_USERDATA, nftnl_udata_buf_data(ud),
						nftnl_udata_buf_len(ud)) < 0)
			return nomem(err);
	}
	if (asprintf(&desc, "add table %s %s", nft_family_name(family), name) < 0)
		return nomem(err);
	/* No NLM_F_EXCL: an existing table is fine ("nft add", not "nft create"). */
	return queue_msg(txn, NFT_MSG_NEWTABLE, family, NLM_F_CREATE, OBJ_TABLE, t, desc, err);
}

int nft_txn_delete_table(struct nft_txn *txn, int family, const char *name, struct cni_err *err)
{
	_cleanup_(nftnl_table_freep) struct nftnl_table *t = NULL;
	_cleanup_free_ char *desc = NULL;

	if (check_name("table", name, err) < 0)
		return -EINVAL;
	t = table_obj(family, name);
	if (!t || asprintf(&desc, "delete table %s %s", nft_family_name(family), name) < 0)
		return nomem(err);
	return queue_msg(txn, NFT_MSG_DELTABLE, family, 0, OBJ_TABLE, t, desc, err);
}

int nft_txn_add_chain(struct nft_txn *txn, int family, const char *table, const char *chain,
		      const struct nft_base_chain *base, const char *comment, struct cni_err *err)
{
	_cleanup_(nftnl_chain_freep) struct nftnl_chain *c = NULL;
	_cleanup_free_ char *desc = NULL;

	if (check_name("table", table, err) < 0 || check_name("chain", chain, err) < 0 ||
	    check_comment(comment, err) < 0)
		return -EINVAL;
	c = chain_obj(family, table, chain);
	if (!c)
		return nomem(err);
	if (base) {
		if (!base->type || !*base->type) {
			cni_err_set(err, CNI_ERR_INTERNAL, "base chain '%s' needs a type", chain);
			return -EINVAL;
		}
		nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, (uint32_t)base->hook);
		nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, base->priority);
		if (nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, base->type) < 0)
			return nomem(err);
		if (base->policy != NFT_POLICY_DEFAULT)
			nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY,
					    base->policy == NFT_POLICY_DROP ? NF_DROP : NF_ACCEPT);
	}
	if (comment && *comment) {
		_cleanup_(nftnl_udata_buf_freep) struct nftnl_udata_buf *ud =
			comment_udata(comment);

		if (!ud || nftnl_chain_set_data(c, NFTNL_CHAIN_USERDATA, nftnl_udata_buf_data(ud),
						nftnl_udata_buf_len(ud)) < 0)
			return nomem(err);
	}
	if (asprintf(&desc, "add chain '%s' in table %s %s", chain, nft_family_name(family),
		     table) < 0)
		return nomem(err);
	return queue_msg(txn, NFT_MSG_NEWCHAIN, family, NLM_F_CREATE, OBJ_CHAIN, c, desc, err);
}

int nft_txn_flush_chain(struct nft_txn *txn, int family, const char *table, const char *chain,
			struct cni_err *err)
{
	_cleanup_(nftnl_rule_freep) struct nftnl_rule *r = NULL;
	_cleanup_free_ char *desc = NULL;

	if (check_name("table", table, err) < 0 || check_name("chain", chain, err) < 0)
		return -EINVAL;
	r = rule_obj(family, table, chain);
	if (!r || asprintf(&desc, "flush chain '%s' in table %s %s", chain, nft_family_name(family),
			   table) < 0)
		return nomem(err);
	return queue_msg(txn, NFT_MSG_DELRULE, family, 0, OBJ_RULE, r, desc, err);
}

int nft_txn_delete_chain(struct nft_txn *txn, int family, const char *table, const char *chain,
			 struct cni_err *err)
{
	_cleanup_(nftnl_chain_freep) struct nftnl_chain *c = NULL;
	_cleanup_free_ char *desc = NULL;

	if (check_name("table", table, err) < 0 || check_name("chain", chain, err) < 0)
		return -EINVAL;
	c = chain_obj(family, table, chain);
	if (!c || asprintf(&desc, "delete chain '%s' in table %s %s", chain,
			   nft_family_name(family), table) < 0)
		return nomem(err);
	return queue_msg(txn, NFT_MSG_DELCHAIN, family, 0, OBJ_CHAIN, c, desc, err);
}

int nft_txn_delete_rule(struct nft_txn *txn, int family, const char *table, const char *chain,
			uint64_t handle, struct cni_err *err)
{
	_cleanup_(nftnl_rule_freep) struct nftnl_rule *r = NULL;
	_cleanup_free_ char *desc = NULL;

	if (check_name("table", table, err) < 0 || check_name("chain", chain, err) < 0)
		return -EINVAL;
	r = rule_obj(family, table, chain);
	if (!r)
		return nomem(err);
	nftnl_rule_set_u64(r, NFTNL_RULE_HANDLE, handle);
	if (asprintf(&desc, "delete rule handle %" PRIu64 " in chain '%s' in table %s %s", handle,
		     chain, nft_family_name(family), table) < 0)
		return nomem(err);
	return queue_msg(txn, NFT_MSG_DELRULE, family, 0, OBJ_RULE, r, desc, err);
}

int nft_txn_add_rule(struct nft_txn *txn, const struct nft_rule *rule, struct cni_err *err)
{
	const struct nftnl_rule *nlr = nft_rule_nlr(rule);
	const char *table = nftnl_rule_get_str(nlr, NFTNL_RULE_TABLE);
	const char *chain = nftnl_rule_get_str(nlr, NFTNL_RULE_CHAIN);
	int family = (int)nftnl_rule_get_u32(nlr, NFTNL_RULE_FAMILY);
	_cleanup_free_ char *desc = NULL;

	if (asprintf(&desc, "add rule to chain '%s' in table %s %s", chain, nft_family_name(family),
		     table) < 0)
		return nomem(err);
	return queue_msg(txn, NFT_MSG_NEWRULE, family, NLM_F_CREATE | NLM_F_APPEND, OBJ_RULE, nlr,
			 desc, err);
}

int nft_txn_copy_batch(const struct nft_txn *txn, void **ret_buf, size_t *ret_len,
		       struct cni_err *err)
{
	size_t i, len = 0;
	char *buf;

	for (i = 0; i < txn->npages; i++)
		len += mnl_nlmsg_batch_size(txn->pages[i].b);
	if (len == 0) {
		*ret_buf = NULL;
		*ret_len = 0;
		return 0;
	}
	buf = malloc(len);
	if (!buf)
		return nomem(err);
	len = 0;
	for (i = 0; i < txn->npages; i++) {
		memcpy(buf + len, mnl_nlmsg_batch_head(txn->pages[i].b),
		       mnl_nlmsg_batch_size(txn->pages[i].b));
		len += mnl_nlmsg_batch_size(txn->pages[i].b);
	}
	*ret_buf = buf;
	*ret_len = len;
	return 0;
}

/* ---- commit ------------------------------------------------------------------------ */

/* Extended ACK message of an NLMSG_ERROR, or NULL. */
static const char *extack_msg(const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;
	size_t off;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NULL;
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
		return NULL;
	off = sizeof(*e);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	off = MNL_ALIGN(off);
	if (mnl_nlmsg_size(off) > nlh->nlmsg_len)
		return NULL;
	mnl_attr_for_each (attr, nlh, off) {
		if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
		    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
			return mnl_attr_get_str(attr);
	}
	return NULL;
}

static const char *desc_of(const struct nft_txn *txn, uint32_t seq)
{
	size_t i;

	for (i = 0; i < txn->nmsgs; i++)
		if (txn->msgs[i].seq == seq)
			return txn->msgs[i].desc;
	return "nftables batch";
}

/* Make the socket buffer at least size bytes (the kernel doubles the value). */
static void grow_sockbuf(struct nft_txn *txn, int opt, int force_opt, size_t size)
{
	int fd = mnl_socket_get_fd(txn->nl), cur = 0, want;
	socklen_t len = sizeof(cur);

	if (size > INT32_MAX / 2)
		size = INT32_MAX / 2;
	want = (int)size;
	if (getsockopt(fd, SOL_SOCKET, opt, &cur, &len) == 0 && cur >= want * 2)
		return;
	if (setsockopt(fd, SOL_SOCKET, force_opt, &want, sizeof(want)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, opt, &want, sizeof(want));
}

int nft_txn_commit(struct nft_txn *txn, struct cni_err *err)
{
	_cleanup_free_ struct iovec *iov = NULL;
	_cleanup_free_ char *buf = NULL;
	struct sockaddr_nl snl = {.nl_family = AF_NETLINK};
	struct msghdr msg = {0};
	size_t i, total = 0, acks = 0;
	int fd = mnl_socket_get_fd(txn->nl);
	int first_errno = 0, ret;
	ssize_t n;

	if (txn->nmsgs == 0) {
		nft_txn_abort(txn);
		return 0;
	}
	buf = malloc(NFT_RECV_SIZE);
	nftnl_batch_end(mnl_nlmsg_batch_current(cur_batch(txn)), txn->seq++);
	if (batch_advance(txn, err) < 0) {
		ret = -ENOMEM;
		goto out;
	}
	iov = calloc(txn->npages, sizeof(*iov));
	if (!buf || !iov) {
		ret = nomem(err);
		goto out;
	}
	for (i = 0; i < txn->npages; i++) {
		iov[i].iov_base = mnl_nlmsg_batch_head(txn->pages[i].b);
		iov[i].iov_len = mnl_nlmsg_batch_size(txn->pages[i].b);
		total += iov[i].iov_len;
	}
	grow_sockbuf(txn, SO_SNDBUF, SO_SNDBUFFORCE, total + 4096);
	grow_sockbuf(txn, SO_RCVBUF, SO_RCVBUFFORCE, txn->nmsgs * 2048 + 65536);

	msg.msg_name = &snl;
	msg.msg_namelen = sizeof(snl);
	msg.msg_iov = iov;
	msg.msg_iovlen = txn->npages;
	if (sendmsg(fd, &msg, 0) < 0) {
		ret = -errno;
		cni_err_errno(err, CNI_ERR_INTERNAL, errno, "failed to send nftables batch");
		goto out;
	}

	/* The kernel processes the batch inside sendmsg(), so every ACK is queued by now;
	 * read until the socket is empty (leaving nothing for later requests), waiting
	 * only if ACKs are unexpectedly still missing. */
	for (;;) {
		const struct nlmsghdr *nlh;
		int left;

		n = recv(fd, buf, NFT_RECV_SIZE, MSG_DONTWAIT);
		if (n < 0) {
			struct pollfd pfd = {.fd = fd, .events = POLLIN};

			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				ret = -errno;
				cni_err_errno(err, CNI_ERR_INTERNAL, errno,
					      "failed to receive nftables batch acknowledgements");
				goto out;
			}
			if (first_errno || acks >= txn->nmsgs)
				break;
			if (poll(&pfd, 1, 10000) <= 0) {
				ret = -ETIMEDOUT;
				cni_err_set(
					err, CNI_ERR_INTERNAL,
					"timed out waiting for nftables batch acknowledgements");
				goto out;
			}
			continue;
		}
		left = (int)n;
		for (nlh = (const struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, left);
		     nlh = mnl_nlmsg_next(nlh, &left)) {
			const struct nlmsgerr *e;

			if (nlh->nlmsg_type != NLMSG_ERROR || nlh->nlmsg_pid != txn->portid)
				continue;
			if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
				continue;
			e = mnl_nlmsg_get_payload(nlh);
			acks++;
			if (e->error == 0 || first_errno)
				continue;
			/* The first error in batch order names the failing message. */
			first_errno = e->error;
			cni_err_set(err, CNI_ERR_INTERNAL, "%s: %s", desc_of(txn, nlh->nlmsg_seq),
				    strerror(-e->error));
			{
				const char *ext = extack_msg(nlh);

				if (ext && *ext)
					cni_err_details(err, "%s", ext);
			}
		}
	}
	ret = first_errno;
out:
	nft_txn_abort(txn);
	return ret;
}

/* ---- requests and listing ---------------------------------------------------------- */

/* Send one request and run cb on every reply until the ACK or NLMSG_DONE. Returns 0
 * or -errno (without setting err; callers describe the request). */
static int request(struct nft_txn *txn, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	_cleanup_free_ char *buf = malloc(NFT_RECV_SIZE);
	uint32_t seq = nlh->nlmsg_seq;
	ssize_t n;
	int r;

	if (!buf)
		return -ENOMEM;
	if (mnl_socket_sendto(txn->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		n = mnl_socket_recvfrom(txn->nl, buf, NFT_RECV_SIZE);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		r = mnl_cb_run(buf, (size_t)n, seq, txn->portid, cb, data);
		if (r < 0)
			return errno ? -errno : -EIO;
		if (r == MNL_CB_STOP)
			return 0;
	}
}

/* GET one object (table or chain) and report whether it exists. */
static int get_object(struct nft_txn *txn, uint16_t type, int family, enum obj_kind kind,
		      const void *obj, bool *ret_exists)
{
	char hdr[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	int r;

	nlh = nftnl_nlmsg_build_hdr(hdr, type, (uint16_t)family, NLM_F_ACK, txn->seq++);
	if (kind == OBJ_TABLE)
		nftnl_table_nlmsg_build_payload(nlh, obj);
	else
		nftnl_chain_nlmsg_build_payload(nlh, obj);
	r = request(txn, nlh, NULL, NULL);
	if (r == -ENOENT) {
		*ret_exists = false;
		return 0;
	}
	if (r < 0)
		return r;
	*ret_exists = true;
	return 0;
}

int nft_table_exists(struct nft_txn *txn, int family, const char *table, bool *ret_exists,
		     struct cni_err *err)
{
	_cleanup_(nftnl_table_freep) struct nftnl_table *t = NULL;
	int r;

	if (check_name("table", table, err) < 0)
		return -EINVAL;
	t = table_obj(family, table);
	if (!t)
		return nomem(err);
	r = get_object(txn, NFT_MSG_GETTABLE, family, OBJ_TABLE, t, ret_exists);
	if (r < 0)
		cni_err_errno(err, CNI_ERR_INTERNAL, -r, "failed to get table %s %s",
			      nft_family_name(family), table);
	return r;
}

int nft_chain_exists(struct nft_txn *txn, int family, const char *table, const char *chain,
		     bool *ret_exists, struct cni_err *err)
{
	_cleanup_(nftnl_chain_freep) struct nftnl_chain *c = NULL;
	int r;

	if (check_name("table", table, err) < 0 || check_name("chain", chain, err) < 0)
		return -EINVAL;
	c = chain_obj(family, table, chain);
	if (!c)
		return nomem(err);
	r = get_object(txn, NFT_MSG_GETCHAIN, family, OBJ_CHAIN, c, ret_exists);
	if (r < 0)
		cni_err_errno(err, CNI_ERR_INTERNAL, -r, "failed to get chain '%s' in table %s %s",
			      chain, nft_family_name(family), table);
	return r;
}

void nft_rule_list_free(struct nft_rule_list *list)
{
	size_t i;

	if (!list)
		return;
	for (i = 0; i < list->n; i++) {
		free(list->rule[i].comment);
		if (list->rule[i].nlr)
			nftnl_rule_free(list->rule[i].nlr);
	}
	free(list->rule);
	free(list);
}

/* State of a rule dump. */
struct list_state {
	struct nft_rule_list *list; /* the list being filled */
	size_t cap;		    /* allocated entries of list->rule */
	int error;		    /* -errno from a callback, 0 if none */
};

/* The comment of a listed rule, or NULL (tolerates a missing NUL terminator). */
static char *rule_comment(const struct nftnl_rule *nlr)
{
	const struct nftnl_udata *cur, *end;
	const void *ud;
	uint32_t len = 0;

	if (!nftnl_rule_is_set(nlr, NFTNL_RULE_USERDATA))
		return NULL;
	ud = nftnl_rule_get_data(nlr, NFTNL_RULE_USERDATA, &len);
	if (!ud || !len)
		return NULL;
	/* Walk the TLVs (type u8, length u8, value) ourselves to know the value
	 * length; nft includes the NUL in the length, strndup() copes either way. */
	cur = ud;
	end = (const void *)((const char *)ud + len);
	while ((const char *)cur + 2 <= (const char *)end) {
		const uint8_t *tlv = (const uint8_t *)cur;
		uint8_t type = tlv[0], vlen = tlv[1];

		if ((const char *)tlv + 2 + vlen > (const char *)end)
			break;
		if (type == NFTNL_UDATA_RULE_COMMENT)
			return strndup((const char *)tlv + 2, vlen);
		cur = (const void *)(tlv + 2 + vlen);
	}
	return NULL;
}

static int rule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct list_state *st = data;
	struct nft_rule_list *list = st->list;
	struct nftnl_rule *nlr;
	struct nft_rule_info *ri;

	if (list->n == st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 16;
		struct nft_rule_info *v = realloc(list->rule, cap * sizeof(*v));

		if (!v)
			goto nomem;
		list->rule = v;
		st->cap = cap;
	}
	nlr = nftnl_rule_alloc();
	if (!nlr)
		goto nomem;
	if (nftnl_rule_nlmsg_parse(nlh, nlr) < 0) {
		nftnl_rule_free(nlr);
		st->error = -EPROTO;
		errno = EPROTO;
		return MNL_CB_ERROR;
	}
	ri = &list->rule[list->n++];
	ri->nlr = nlr;
	ri->handle = nftnl_rule_get_u64(nlr, NFTNL_RULE_HANDLE);
	/* A missing or unreadable comment is NULL. */
	ri->comment = rule_comment(nlr);
	return MNL_CB_OK;
nomem:
	st->error = -ENOMEM;
	errno = ENOMEM;
	return MNL_CB_ERROR;
}

int nft_list_rules(struct nft_txn *txn, int family, const char *table, const char *chain,
		   struct nft_rule_list **ret_list, struct cni_err *err)
{
	_cleanup_(nft_rule_list_freep) struct nft_rule_list *list = NULL;
	_cleanup_(nftnl_rule_freep) struct nftnl_rule *filter = NULL;
	char hdr[MNL_SOCKET_BUFFER_SIZE];
	struct list_state st = {0};
	struct nlmsghdr *nlh;
	bool exists;
	int r;

	r = nft_chain_exists(txn, family, table, chain, &exists, err);
	if (r < 0)
		return r;
	if (!exists) {
		cni_err_errno(err, CNI_ERR_INTERNAL, ENOENT,
			      "chain '%s' in table %s %s does not exist", chain,
			      nft_family_name(family), table);
		return -ENOENT;
	}
	list = calloc(1, sizeof(*list));
	filter = rule_obj(family, table, chain);
	if (!list || !filter)
		return nomem(err);
	/* The kernel filters the dump by the table and chain attributes. */
	nlh = nftnl_nlmsg_build_hdr(hdr, NFT_MSG_GETRULE, (uint16_t)family, NLM_F_DUMP, txn->seq++);
	nftnl_rule_nlmsg_build_payload(nlh, filter);
	st.list = list;
	r = request(txn, nlh, rule_cb, &st);
	if (st.error)
		r = st.error;
	if (r < 0) {
		cni_err_errno(err, CNI_ERR_INTERNAL, -r,
			      "failed to list rules of chain '%s' in table %s %s", chain,
			      nft_family_name(family), table);
		return r;
	}
	*ret_list = TAKE_PTR(list);
	return 0;
}

int nft_rule_info_format(const struct nft_rule_info *info, char **ret_text, struct cni_err *err)
{
	size_t size = 1024;

	for (;;) {
		char *buf = malloc(size);
		int n;

		if (!buf)
			return nomem(err);
		n = nftnl_rule_snprintf(buf, size, info->nlr, NFTNL_OUTPUT_DEFAULT, 0);
		if (n < 0) {
			free(buf);
			cni_err_set(err, CNI_ERR_INTERNAL, "failed to format nft rule");
			return -EINVAL;
		}
		if ((size_t)n < size) {
			*ret_text = buf;
			return 0;
		}
		free(buf);
		size = (size_t)n + 1;
	}
}

int nft_txn_delete_rules_if(struct nft_txn *txn, int family, const char *table, const char *chain,
			    nft_rule_pred_fn pred, void *userdata, size_t *ret_count,
			    struct cni_err *err)
{
	_cleanup_(nft_rule_list_freep) struct nft_rule_list *list = NULL;
	size_t i, count = 0;
	int r;

	r = nft_list_rules(txn, family, table, chain, &list, err);
	if (r == -ENOENT) {
		cni_err_clear(err);
		if (ret_count)
			*ret_count = 0;
		return 0;
	}
	if (r < 0)
		return r;
	for (i = 0; i < list->n; i++) {
		if (!pred(&list->rule[i], userdata))
			continue;
		r = nft_txn_delete_rule(txn, family, table, chain, list->rule[i].handle, err);
		if (r < 0)
			return r;
		count++;
	}
	if (ret_count)
		*ret_count = count;
	return 0;
}

static bool comment_equals(const struct nft_rule_info *rule, void *userdata)
{
	return rule->comment && strcmp(rule->comment, userdata) == 0;
}

static bool comment_has_prefix(const struct nft_rule_info *rule, void *userdata)
{
	const char *prefix = userdata;

	return rule->comment && strncmp(rule->comment, prefix, strlen(prefix)) == 0;
}

int nft_txn_delete_rules_by_comment(struct nft_txn *txn, int family, const char *table,
				    const char *chain, const char *comment, size_t *ret_count,
				    struct cni_err *err)
{
	return nft_txn_delete_rules_if(txn, family, table, chain, comment_equals, (void *)comment,
				       ret_count, err);
}

int nft_txn_delete_rules_by_comment_prefix(struct nft_txn *txn, int family, const char *table,
					   const char *chain, const char *prefix, size_t *ret_count,
					   struct cni_err *err)
{
	return nft_txn_delete_rules_if(txn, family, table, chain, comment_has_prefix,
				       (void *)prefix, ret_count, err);
}
