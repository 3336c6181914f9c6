/* SPDX-License-Identifier: Apache-2.0 */
/* The read side of the nftables layer: what the kernel holds, asked for over a
 * transaction's socket (net/nft.h), and the text and expressions of a rule.
 *
 * The first read of a transaction (a GET or a listing) first asks the kernel for the
 * ruleset's generation (NFT_MSG_GETGEN), which a batch that depends on the reads carries
 * (nft.c). Rule dumps are only copied while they arrive and parsed afterwards, so that
 * little time passes between the parts of a multi-part dump. The helpers that queue what
 * a listing shows is missing or unwanted (nft_txn_ensure_*, nft_txn_delete_rules_*) are
 * here too: they read first, then queue through the write side's public functions. */
#include "net/nft.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>

#include "array.h"
#include "net/nft_priv.h"
#include "net/nl.h"

/* ---- requests and listing ---------------------------------------------------------- */

static int gen_cb(const struct nlmsghdr *nlh, void *data, struct cni_err *err)
{
	const struct nlattr *tb[NFTA_GEN_MAX + 1] = {NULL};
	uint32_t *gen = data;
	int r;

	r = nl_msg_check(nlh, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWGEN, sizeof(struct nfgenmsg),
			 err);
	if (r < 0)
		return r;
	nl_attr_index(nlh, sizeof(struct nfgenmsg), tb, NFTA_GEN_MAX);
	if (!tb[NFTA_GEN_ID] || mnl_attr_get_payload_len(tb[NFTA_GEN_ID]) < sizeof(uint32_t))
		return cni_err_set_errno(err, 0, EBADMSG, "nft generation reply without an id");
	*gen = ntohl(mnl_attr_get_u32(tb[NFTA_GEN_ID]));
	return 0;
}

int nft_get_generation(struct nft_txn *txn, uint32_t *ret_gen, struct cni_err *err)
{
	char buf[NL_MSG_BUF_SIZE] = {0};
	struct nlmsghdr *nlh;
	uint32_t gen = 0;
	int r;

	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETGEN, AF_UNSPEC, 0, 0);
	r = nl_request_cb(txn->nl, nlh, gen_cb, &gen, err);
	if (r < 0)
		return nl_err_wrap(txn->nl, err, "failed to get the nftables ruleset generation");
	*ret_gen = gen;
	return 0;
}

/* Before the first read of a batch: the generation the reads are valid for. */
static int txn_before_read(struct nft_txn *txn, struct cni_err *err)
{
	int r;

	if (txn->gen_read)
		return 0;
	r = nft_get_generation(txn, &txn->gen, err);
	if (r < 0)
		return r;
	txn->gen_read = true;
	return 0;
}

/* The object a read names, and the generation the batch's reads are valid for. */
static int read_obj_new(struct nft_txn *txn, struct nft_obj *o, enum obj_kind kind, int family,
			const char *table, const char *chain, struct cni_err *err)
{
	int r = nft_obj_new(o, kind, family, table, chain, err);

	return r < 0 ? r : txn_before_read(txn, err);
}

/* GET one table or chain and report whether it exists (ENOENT is "no"). */
static int obj_exists(struct nft_txn *txn, uint16_t type, const struct nft_obj *o, bool *ret_exists,
		      struct cni_err *err)
{
	char hdr[NL_MSG_BUF_SIZE] = {0};
	struct nlmsghdr *nlh;
	int r;

	r = txn_before_read(txn, err);
	if (r < 0)
		return r;
	nlh = nftnl_nlmsg_build_hdr(hdr, type, (uint16_t)o->family, NLM_F_ACK, 0);
	nft_obj_build_payload(nlh, o);
	r = nl_request(txn->nl, nlh, err);
	if (r == -ENOENT) {
		cni_err_clear(err);
		*ret_exists = false;
		return 0;
	}
	if (r < 0)
		return nft_obj_failed(txn, o, "get", err);
	*ret_exists = true;
	return 0;
}

int nft_table_exists(struct nft_txn *txn, int family, const char *table, bool *ret_exists,
		     struct cni_err *err)
{
	_cleanup_(nft_obj_clear) struct nft_obj o = {0};
	int r;

	r = nft_obj_new(&o, OBJ_TABLE, family, table, NULL, err);
	if (r < 0)
		return r;
	return obj_exists(txn, NFT_MSG_GETTABLE, &o, ret_exists, err);
}

int nft_chain_exists(struct nft_txn *txn, int family, const char *table, const char *chain,
		     bool *ret_exists, struct cni_err *err)
{
	_cleanup_(nft_obj_clear) struct nft_obj o = {0};
	int r;

	r = nft_obj_new(&o, OBJ_CHAIN, family, table, chain, err);
	if (r < 0)
		return r;
	return obj_exists(txn, NFT_MSG_GETCHAIN, &o, ret_exists, err);
}

/* Free the rules of a list, keeping the list. */
static void rule_list_clear(struct nft_rule_list *list)
{
	size_t i;

	for (i = 0; i < list->n; i++) {
		free(list->rule[i].comment);
		nftnl_rule_freep(&list->rule[i].nlr);
	}
	list->n = 0;
}

void nft_rule_list_free(struct nft_rule_list *list)
{
	if (!list)
		return;
	rule_list_clear(list);
	free(list->rule);
	free(list);
}

/* The comment in a rule's userdata (len bytes at ud), or NULL (tolerates a missing NUL
 * terminator). */
static char *udata_comment(const void *ud, uint32_t len)
{
	const uint8_t *cur = ud, *end;

	if (!ud || !len)
		return NULL;
	/* Walk the TLVs (type u8, length u8, value) ourselves to know the value
	 * length; nft includes the NUL in the length, strndup() copes either way. */
	end = cur + len;
	while (cur + 2 <= end) {
		uint8_t type = cur[0], vlen = cur[1];

		if (cur + 2 + vlen > end)
			break;
		if (type == NFTNL_UDATA_RULE_COMMENT)
			return strndup((const char *)cur + 2, vlen);
		cur += 2 + vlen;
	}
	return NULL;
}

/* The comment of a listed rule, or NULL. */
static char *rule_comment(const struct nftnl_rule *nlr)
{
	const void *ud;
	uint32_t len = 0;

	if (!nftnl_rule_is_set(nlr, NFTNL_RULE_USERDATA))
		return NULL;
	ud = nftnl_rule_get_data(nlr, NFTNL_RULE_USERDATA, &len);
	return udata_comment(ud, len);
}

/* The comment of an NFT_MSG_NEWRULE message, read from its attributes without parsing the
 * rule; NULL when it has none (or on no memory: the filter then sees "no comment"). */
static char *msg_rule_comment(const struct nlmsghdr *nlh)
{
	const struct nlattr *a;

	mnl_attr_for_each (a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) == NFTA_RULE_USERDATA)
			return udata_comment(mnl_attr_get_payload(a), mnl_attr_get_payload_len(a));
	}
	return NULL;
}

/* The messages of a rule dump, copied as they arrive (parsed once it is complete). */
struct dump_copy {
	struct nlmsghdr **msg;	    /* copies of the NFT_MSG_NEWRULE messages */
	size_t n;		    /* number of messages */
	size_t cap;		    /* allocated entries of msg */
	nft_comment_filter_fn keep; /* which messages to copy, by comment (NULL: all) */
	void *userdata;		    /* for keep */
};

static void dump_copy_clear(struct dump_copy *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->msg[i]);
	d->n = 0;
}

static void dump_copy_free(struct dump_copy *d)
{
	dump_copy_clear(d);
	free(d->msg);
}

static int rule_cb(const struct nlmsghdr *nlh, void *data, struct cni_err *err)
{
	struct dump_copy *d = data;
	struct nlmsghdr *copy;

	if (!nlh) {
		/* The dump restarts. */
		dump_copy_clear(d);
		return 0;
	}
	if (d->keep) {
		_cleanup_free_ char *comment = msg_rule_comment(nlh);

		if (!d->keep(comment, d->userdata))
			return 0;
	}
	if (ARRAY_RESERVE(d->msg, d->cap, d->n + 1) < 0)
		return cni_err_nomem(err);
	copy = malloc(nlh->nlmsg_len);
	if (!copy)
		return cni_err_nomem(err);
	memcpy(copy, nlh, nlh->nlmsg_len);
	d->msg[d->n++] = copy;
	return 0;
}

/* Parse the copied messages of a complete dump into list. */
static int rule_list_parse(const struct dump_copy *d, struct nft_rule_list *list,
			   struct cni_err *err)
{
	list->rule = calloc(d->n + 1, sizeof(*list->rule));
	if (!list->rule)
		return cni_err_nomem(err);
	for (size_t i = 0; i < d->n; i++) {
		_cleanup_(nftnl_rule_freep) struct nftnl_rule *nlr = nftnl_rule_alloc();
		struct nft_rule_info *ri;

		if (!nlr)
			return cni_err_nomem(err);
		if (nftnl_rule_nlmsg_parse(d->msg[i], nlr) < 0)
			return cni_err_set_errno(err, 0, EPROTO,
						 "failed to parse a listed nft rule");
		ri = &list->rule[list->n++];
		ri->handle = nftnl_rule_get_u64(nlr, NFTNL_RULE_HANDLE);
		/* A missing or unreadable comment is NULL. */
		ri->comment = rule_comment(nlr);
		ri->nlr = TAKE_PTR(nlr);
	}
	return 0;
}

static int dump_rules(struct nft_txn *txn, int family, const char *table, const char *chain,
		      nft_comment_filter_fn keep, void *userdata, struct nft_rule_list **ret_list,
		      struct cni_err *err);

int nft_list_rules(struct nft_txn *txn, int family, const char *table, const char *chain,
		   struct nft_rule_list **ret_list, struct cni_err *err)
{
	return nft_list_rules_filtered(txn, family, table, chain, NULL, NULL, ret_list, err);
}

int nft_list_rules_filtered(struct nft_txn *txn, int family, const char *table, const char *chain,
			    nft_comment_filter_fn keep, void *userdata,
			    struct nft_rule_list **ret_list, struct cni_err *err)
{
	bool exists;
	int r;

	r = nft_chain_exists(txn, family, table, chain, &exists, err);
	if (r < 0)
		return r;
	if (!exists)
		return cni_err_errno(err, CNI_ERR_INTERNAL, ENOENT,
				     "chain '%s' in table %s %s does not exist", chain,
				     nft_family_name(family), table);
	return dump_rules(txn, family, table, chain, keep, userdata, ret_list, err);
}

/* The rule dump of nft_list_rules_filtered() without the existence check first: a missing
 * table or chain is an empty list (the kernel's filtered dump has nothing to send). */
static int dump_rules(struct nft_txn *txn, int family, const char *table, const char *chain,
		      nft_comment_filter_fn keep, void *userdata, struct nft_rule_list **ret_list,
		      struct cni_err *err)
{
	_cleanup_(nft_rule_list_freep) struct nft_rule_list *list = NULL;
	_cleanup_(dump_copy_free) struct dump_copy copy = {.keep = keep, .userdata = userdata};
	_cleanup_(nft_obj_clear) struct nft_obj filter = {0};
	char hdr[NL_MSG_BUF_SIZE] = {0};
	struct nlmsghdr *nlh;
	int r;

	r = read_obj_new(txn, &filter, OBJ_RULE, family, table, chain, err);
	if (r < 0)
		return r;
	list = calloc(1, sizeof(*list));
	if (!list)
		return cni_err_nomem(err);
	/* The kernel filters the dump by the table and chain attributes. */
	nlh = nftnl_nlmsg_build_hdr(hdr, NFT_MSG_GETRULE, (uint16_t)family, NLM_F_DUMP, 0);
	nft_obj_build_payload(nlh, &filter);
	r = nl_dump(txn->nl, nlh, rule_cb, &copy, err);
	if (r < 0)
		return nft_obj_failed(txn, &filter, "list rules of", err);
	r = rule_list_parse(&copy, list, err);
	if (r < 0)
		return r;
	*ret_list = TAKE_PTR(list);
	return 0;
}

/* nft_list_rules_filtered(), a missing table or chain being an empty list. */
static int list_rules_filtered_or_empty(struct nft_txn *txn, int family, const char *table,
					const char *chain, nft_comment_filter_fn keep,
					void *userdata, struct nft_rule_list **ret_list,
					struct cni_err *err)
{
	struct nft_rule_list *list;
	int r;

	r = nft_list_rules_filtered(txn, family, table, chain, keep, userdata, ret_list, err);
	if (r != -ENOENT)
		return r;
	cni_err_clear(err);
	list = calloc(1, sizeof(*list));
	if (!list)
		return cni_err_nomem(err);
	*ret_list = list;
	return 0;
}

int nft_list_rules_or_empty(struct nft_txn *txn, int family, const char *table, const char *chain,
			    struct nft_rule_list **ret_list, struct cni_err *err)
{
	return list_rules_filtered_or_empty(txn, family, table, chain, NULL, NULL, ret_list, err);
}

int nft_txn_delete_rules_if(struct nft_txn *txn, int family, const char *table, const char *chain,
			    nft_rule_pred_fn pred, void *userdata, size_t *ret_count,
			    struct cni_err *err)
{
	return nft_txn_delete_rules_where(txn, family, table, chain, NULL, pred, userdata,
					  ret_count, err);
}

int nft_txn_delete_rules_where(struct nft_txn *txn, int family, const char *table,
			       const char *chain, nft_comment_filter_fn keep, nft_rule_pred_fn pred,
			       void *userdata, size_t *ret_count, struct cni_err *err)
{
	_cleanup_(nft_rule_list_freep) struct nft_rule_list *list = NULL;
	size_t i, count = 0;
	int r;

	r = list_rules_filtered_or_empty(txn, family, table, chain, keep, userdata, &list, err);
	if (r < 0)
		return r;
	for (i = 0; i < list->n; i++) {
		if (pred && !pred(&list->rule[i], userdata))
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

static bool comment_equals(const char *comment, void *userdata)
{
	return comment && strcmp(comment, userdata) == 0;
}

static bool comment_has_prefix(const char *comment, void *userdata)
{
	const char *prefix = userdata;

	return comment && strncmp(comment, prefix, strlen(prefix)) == 0;
}

int nft_txn_delete_rules_by_comment(struct nft_txn *txn, int family, const char *table,
				    const char *chain, const char *comment, size_t *ret_count,
				    struct cni_err *err)
{
	return nft_txn_delete_rules_where(txn, family, table, chain, comment_equals, NULL,
					  (void *)comment, ret_count, err);
}

int nft_txn_delete_rules_by_comment_prefix(struct nft_txn *txn, int family, const char *table,
					   const char *chain, const char *prefix, size_t *ret_count,
					   struct cni_err *err)
{
	return nft_txn_delete_rules_where(txn, family, table, chain, comment_has_prefix, NULL,
					  (void *)prefix, ret_count, err);
}

/* ---- send only what is missing ----------------------------------------------------- */

static int chain_cb(const struct nlmsghdr *nlh, void *data, struct cni_err *err)
{
	struct nftnl_chain *c = data;

	if (nftnl_chain_nlmsg_parse(nlh, c) < 0)
		return cni_err_set_errno(err, 0, EPROTO, "failed to parse an nft chain");
	return 0;
}

void nft_chain_list_free(struct nft_chain_list *list)
{
	size_t i;

	if (!list)
		return;
	for (i = 0; i < list->n; i++)
		free(list->chain[i].name);
	free(list->chain);
	free(list);
}

/* What nft_list_chains() collects from the dump. */
struct chain_names {
	const char *table;	     /* the table whose chains are wanted */
	struct nft_chain_list *list; /* its chains so far */
	size_t cap;		     /* capacity of list->chain */
};

static int chain_name_cb(const struct nlmsghdr *nlh, void *data, struct cni_err *err)
{
	_cleanup_(nftnl_chain_freep) struct nftnl_chain *c = NULL;
	struct chain_names *d = data;
	struct nft_chain_entry *e;
	const char *table, *name;
	size_t i;

	if (!nlh) {
		/* The dump restarts. */
		for (i = 0; i < d->list->n; i++)
			free(d->list->chain[i].name);
		d->list->n = 0;
		return 0;
	}
	c = nftnl_chain_alloc();
	if (!c)
		return cni_err_nomem(err);
	if (nftnl_chain_nlmsg_parse(nlh, c) < 0)
		return cni_err_set_errno(err, 0, EPROTO, "failed to parse an nft chain");
	table = nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE);
	name = nftnl_chain_get_str(c, NFTNL_CHAIN_NAME);
	/* The kernel dumps the chains of every table of the family. */
	if (!table || !name || strcmp(table, d->table) != 0)
		return 0;
	if (ARRAY_RESERVE(d->list->chain, d->cap, d->list->n + 1) < 0)
		return cni_err_nomem(err);
	e = &d->list->chain[d->list->n];
	*e = (struct nft_chain_entry){
		.name = strdup(name),
		.use = nftnl_chain_is_set(c, NFTNL_CHAIN_USE)
			       ? nftnl_chain_get_u32(c, NFTNL_CHAIN_USE)
			       : 0,
		.base = nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM),
	};
	if (!e->name)
		return cni_err_nomem(err);
	d->list->n++;
	return 0;
}

int nft_list_chains(struct nft_txn *txn, int family, const char *table,
		    struct nft_chain_list **ret_list, struct cni_err *err)
{
	_cleanup_(nft_chain_list_freep) struct nft_chain_list *list = NULL;
	_cleanup_(nft_obj_clear) struct nft_obj o = {0};
	char hdr[NL_MSG_BUF_SIZE] = {0};
	struct chain_names d = {.table = table};
	struct nlmsghdr *nlh;
	int r;

	r = read_obj_new(txn, &o, OBJ_TABLE, family, table, NULL, err);
	if (r < 0)
		return r;
	list = calloc(1, sizeof(*list));
	if (!list)
		return cni_err_nomem(err);
	d.list = list;
	nlh = nftnl_nlmsg_build_hdr(hdr, NFT_MSG_GETCHAIN, (uint16_t)family, NLM_F_DUMP, 0);
	r = nl_dump(txn->nl, nlh, chain_name_cb, &d, err);
	if (r == -EPROTO || r == -ENOMEM || r == -EINTR)
		return r;
	if (r < 0)
		return nft_obj_failed(txn, &o, "list chains of", err);
	*ret_list = TAKE_PTR(list);
	return 0;
}

int nft_chain_get(struct nft_txn *txn, int family, const char *table, const char *chain,
		  bool *ret_exists, struct nft_chain_info *ret_info, struct cni_err *err)
{
	_cleanup_(nft_obj_clear) struct nft_obj o = {0};
	_cleanup_(nftnl_chain_freep) struct nftnl_chain *got = NULL;
	char hdr[NL_MSG_BUF_SIZE] = {0};
	struct nft_chain_info info = {0};
	struct nlmsghdr *nlh;
	int r;

	r = read_obj_new(txn, &o, OBJ_CHAIN, family, table, chain, err);
	if (r < 0)
		return r;
	got = nftnl_chain_alloc();
	if (!got)
		return cni_err_nomem(err);
	nlh = nftnl_nlmsg_build_hdr(hdr, NFT_MSG_GETCHAIN, (uint16_t)family, NLM_F_ACK, 0);
	nft_obj_build_payload(nlh, &o);
	r = nl_request_cb(txn->nl, nlh, chain_cb, got, err);
	if (r == -ENOENT) {
		cni_err_clear(err);
		*ret_exists = false;
		return 0;
	}
	if (r == -EPROTO)
		return r;
	if (r < 0)
		return nft_obj_failed(txn, &o, "get", err);
	*ret_exists = true;
	if (!ret_info)
		return 0;
	if (nftnl_chain_is_set(got, NFTNL_CHAIN_HOOKNUM)) {
		const char *type = nftnl_chain_get_str(got, NFTNL_CHAIN_TYPE);

		info.base = true;
		info.hook = (int)nftnl_chain_get_u32(got, NFTNL_CHAIN_HOOKNUM);
		info.priority = nftnl_chain_get_s32(got, NFTNL_CHAIN_PRIO);
		snprintf(info.type, sizeof(info.type), "%s", type ? type : "");
		info.policy =
			nftnl_chain_is_set(got, NFTNL_CHAIN_POLICY) &&
					nftnl_chain_get_u32(got, NFTNL_CHAIN_POLICY) == NF_DROP
				? NFT_POLICY_DROP
				: NFT_POLICY_ACCEPT;
	}
	*ret_info = info;
	return 0;
}

int nft_txn_ensure_table(struct nft_txn *txn, int family, const char *name, const char *comment,
			 bool *ret_existed, struct cni_err *err)
{
	bool exists;
	int r;

	r = nft_table_exists(txn, family, name, &exists, err);
	if (r < 0)
		return r;
	nft_txn_bind_generation(txn);
	if (ret_existed)
		*ret_existed = exists;
	if (exists)
		return 0;
	return nft_txn_add_table(txn, family, name, comment, err);
}

/* Is the chain described by info what base asks for (NULL: a regular chain)? */
static bool chain_is(const struct nft_chain_info *info, const struct nft_base_chain *base)
{
	if (!base)
		return !info->base;
	return info->base && base->type && !strcmp(info->type, base->type) &&
	       info->hook == base->hook && info->priority == base->priority &&
	       (base->policy == NFT_POLICY_DEFAULT || info->policy == base->policy);
}

int nft_txn_ensure_chain(struct nft_txn *txn, int family, const char *table, const char *chain,
			 const struct nft_base_chain *base, const char *comment, bool *ret_existed,
			 struct cni_err *err)
{
	struct nft_chain_info info;
	bool exists, as_asked;
	int r;

	r = nft_chain_get(txn, family, table, chain, &exists, &info, err);
	if (r < 0)
		return r;
	nft_txn_bind_generation(txn);
	as_asked = exists && chain_is(&info, base);
	if (ret_existed)
		*ret_existed = exists;
	if (as_asked)
		return 0;
	return nft_txn_add_chain(txn, family, table, chain, base, comment, err);
}

/* Remove "<word> reg N" and "flags 0xN" from a nat expression's text: the kernel reports
 * addr_max/proto_max = min and the MAP_IPS flag for ranges nft sends as min only. */
static void normalize_nat(char *line)
{
	static const char *const drop[] = {" addr_max reg ", " proto_max reg ", " flags "};

	for (size_t i = 0; i < ARRAY_SIZE(drop); i++) {
		char *p = strstr(line, drop[i]);
		char *end;

		if (!p)
			continue;
		end = p + strlen(drop[i]);
		while (*end && *end != ' ')
			end++;
		memmove(p, end, strlen(end) + 1);
	}
}

/* One expression as libnftnl prints it (malloc'd; NULL: no memory). */
static char *expr_text(const struct nftnl_expr *e)
{
	size_t size = 512;

	for (;;) {
		_cleanup_free_ char *buf = malloc(size);
		int n;

		if (!buf)
			return NULL;
		n = nftnl_expr_snprintf(buf, size, e, NFTNL_OUTPUT_DEFAULT, 0);
		if (n < 0)
			n = 0;
		if ((size_t)n < size) {
			buf[n] = '\0';
			return TAKE_PTR(buf);
		}
		size = (size_t)n + 1;
	}
}

char *nft_rule_text(const struct nftnl_rule *nlr, unsigned int flags)
{
	struct nftnl_expr_iter *it = nftnl_expr_iter_create(nlr);
	struct nftnl_expr *e;
	size_t len = 0, cap = 0;
	char *out = NULL;

	if (!it)
		return NULL;
	if (array_reserve(&out, &cap, 1024, 1) < 0)
		goto fail;
	out[0] = '\0';
	while ((e = nftnl_expr_iter_next(it))) {
		const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
		_cleanup_free_ char *line = NULL;

		if (!name || ((flags & NFT_TEXT_NO_LOOKUP) && !strcmp(name, "lookup")))
			goto fail;
		line = expr_text(e);
		if (!line)
			goto fail;
		if ((flags & NFT_TEXT_NAT_AS_SENT) && !strcmp(name, "nat"))
			normalize_nat(line);
		if (array_reserve(&out, &cap, len + strlen(name) + strlen(line) + 3, 1) < 0)
			goto fail;
		len += (size_t)snprintf(out + len, cap - len, "%s %s\n", name, line);
	}
	nftnl_expr_iter_destroy(it);
	return out;
fail:
	nftnl_expr_iter_destroy(it);
	free(out);
	return NULL;
}

void nft_rule_for_each_load_cmp(const struct nftnl_rule *nlr, nft_load_cmp_fn fn, void *userdata)
{
	struct nftnl_expr_iter *it;
	struct nft_load_cmp m = {0};
	bool loaded = false;
	struct nftnl_expr *e;

	if (!nlr)
		return;
	it = nftnl_expr_iter_create(nlr);
	if (!it)
		return;
	while ((e = nftnl_expr_iter_next(it))) {
		const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);

		if (name && !strcmp(name, "meta")) {
			m = (struct nft_load_cmp){
				.meta = true,
				.key = nftnl_expr_get_u32(e, NFTNL_EXPR_META_KEY),
			};
			loaded = true;
		} else if (name && !strcmp(name, "payload")) {
			m = (struct nft_load_cmp){
				.base = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_BASE),
				.offset = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET),
				.len = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_LEN),
			};
			loaded = true;
		} else if (name && !strcmp(name, "cmp") && loaded) {
			m.op = (enum nft_cmp_ops)nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_OP);
			m.data = nftnl_expr_get(e, NFTNL_EXPR_CMP_DATA, &m.data_len);
			if (!m.data)
				m.data_len = 0;
			loaded = false;
			if (!fn(&m, userdata))
				break;
		} else {
			loaded = false;
		}
	}
	nftnl_expr_iter_destroy(it);
}

bool nft_rule_info_equal(const struct nft_rule_info *have, const struct nft_rule *want)
{
	const struct nftnl_rule *w = nft_rule_nlr(want);
	_cleanup_free_ char *want_comment = rule_comment(w);
	_cleanup_free_ char *a = NULL, *b = NULL;

	if (!have->comment != !want_comment ||
	    (have->comment && strcmp(have->comment, want_comment) != 0))
		return false;
	a = nft_rule_text(have->nlr, NFT_TEXT_NO_LOOKUP);
	b = nft_rule_text(w, NFT_TEXT_NO_LOOKUP);
	return a && b && strcmp(a, b) == 0;
}

int nft_chain_rules_equal(struct nft_txn *txn, int family, const char *table, const char *chain,
			  struct nft_rule *const *want, size_t n, bool *ret_equal,
			  struct cni_err *err)
{
	_cleanup_(nft_rule_list_freep) struct nft_rule_list *list = NULL;
	bool equal;
	int r;

	/* Callers have just looked the chain up: no second lookup before the dump. */
	r = dump_rules(txn, family, table, chain, NULL, NULL, &list, err);
	if (r < 0)
		return r;
	nft_txn_bind_generation(txn);
	equal = list->n == n;
	for (size_t i = 0; equal && i < n; i++)
		equal = nft_rule_info_equal(&list->rule[i], want[i]);
	*ret_equal = equal;
	return 0;
}
