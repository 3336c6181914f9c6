/* SPDX-License-Identifier: Apache-2.0 */
/* iptables commands as queued nftables messages: -N/-A/-I/-C/-D/-F/-X over the tables and
 * built-in chains iptables-nft creates. */
#include "net/xt_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netlink.h>

#include <libnftnl/expr.h>
#include <libnftnl/rule.h>

#include "cleanup.h"
#include "strv.h"
#include "net/test_priv.h"

/* One built-in chain of iptables-nft. */
struct xt_builtin {
	const char *table; /* "nat" or "filter" */
	const char *chain; /* its name */
	int hook;	   /* NF_INET_* */
	int priority;	   /* hook priority */
};

/* The chains iptables-nft creates on first use, with its hooks and priorities (the ones
 * of the iptables tables: NF_IP_PRI_NAT_DST -100, NF_IP_PRI_NAT_SRC 100, filter 0). */
static const struct xt_builtin builtins[] = {
	{XT_TABLE_NAT, "PREROUTING", NF_INET_PRE_ROUTING, -100},
	{XT_TABLE_NAT, "INPUT", NF_INET_LOCAL_IN, 100},
	{XT_TABLE_NAT, "OUTPUT", NF_INET_LOCAL_OUT, -100},
	{XT_TABLE_NAT, "POSTROUTING", NF_INET_POST_ROUTING, 100},
	{XT_TABLE_FILTER, "INPUT", NF_INET_LOCAL_IN, 0},
	{XT_TABLE_FILTER, "FORWARD", NF_INET_FORWARD, 0},
	{XT_TABLE_FILTER, "OUTPUT", NF_INET_LOCAL_OUT, 0},
};

static const struct xt_builtin *builtin(const char *table, const char *chain)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(builtins); i++)
		if (!strcmp(builtins[i].table, table) && !strcmp(builtins[i].chain, chain))
			return &builtins[i];
	return NULL;
}

/* Whether the chain exists, the batch bound to the generation this answer comes from. */
static int chain_exists_bound(struct nft_txn *txn, int family, const char *table, const char *chain,
			      bool *ret_exists, struct cni_err *err)
{
	int r = nft_chain_exists(txn, family, table, chain, ret_exists, err);

	if (r == 0)
		nft_txn_bind_generation(txn);
	return r;
}

int xt_txn_ensure_chain(struct nft_txn *txn, int family, const char *table, const char *chain,
			struct cni_err *err)
{
	const struct xt_builtin *b = builtin(table, chain);
	bool exists;
	int r;

	r = chain_exists_bound(txn, family, table, chain, &exists, err);
	if (r < 0)
		return r;
	if (exists)
		return 0;
	r = nft_table_exists(txn, family, table, &exists, err);
	if (r < 0)
		return r;
	if (!exists) {
		r = nft_txn_add_table(txn, family, table, NULL, err);
		if (r < 0)
			return r;
	}
	if (b) {
		const struct nft_base_chain base = {
			.type = table,
			.hook = b->hook,
			.priority = b->priority,
			.policy = NFT_POLICY_ACCEPT,
		};

		return nft_txn_add_chain(txn, family, table, chain, &base, NULL, err);
	}
	return nft_txn_add_chain(txn, family, table, chain, NULL, NULL, err);
}

static const char *rule_table(const struct xt_rule *rule)
{
	return nftnl_rule_get_str(nft_rule_nlr(xt_rule_nft(rule)), NFTNL_RULE_TABLE);
}

int xt_txn_append(struct nft_txn *txn, const struct xt_rule *rule, struct cni_err *err)
{
	int r = xt_txn_ensure_chain(txn, xt_rule_family(rule), rule_table(rule),
				    xt_rule_chain(rule), err);

	if (r < 0)
		return r;
	return nft_txn_add_rule(txn, xt_rule_nft(rule), err);
}

int xt_txn_insert_many(struct nft_txn *txn, const struct xt_rule *const *rules, size_t n,
		       struct cni_err *err)
{
	static uint32_t next_id = 0x78740000;
	const char *table, *chain;
	uint32_t prev_id = 0;
	int family, r;
	size_t i;

	if (n == 0)
		return 0;
	family = xt_rule_family(rules[0]);
	table = rule_table(rules[0]);
	chain = xt_rule_chain(rules[0]);
	for (i = 1; i < n; i++)
		if (xt_rule_family(rules[i]) != family || strcmp(rule_table(rules[i]), table) ||
		    strcmp(xt_rule_chain(rules[i]), chain))
			return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL,
						 "iptables insert: rules of different chains");
	r = xt_txn_ensure_chain(txn, family, table, chain, err);
	if (r < 0)
		return r;
	/* The first at the head (iptables -I's message); each further one right after the
	 * one before it, by the batch-local rule ID. */
	for (i = 0; i < n && r == 0; i++) {
		struct nftnl_rule *nlr = xt_nlr(xt_rule_nft(rules[i]));
		uint32_t id = next_id++;

		if (n > 1)
			nftnl_rule_set_u32(nlr, NFTNL_RULE_ID, id);
		if (i == 0) {
			r = nft_txn_insert_rule(txn, xt_rule_nft(rules[i]), err);
		} else {
			nftnl_rule_set_u32(nlr, NFTNL_RULE_POSITION_ID, prev_id);
			r = nft_txn_add_rule(txn, xt_rule_nft(rules[i]), err);
			nftnl_rule_unset(nlr, NFTNL_RULE_POSITION_ID);
		}
		nftnl_rule_unset(nlr, NFTNL_RULE_ID);
		prev_id = id;
	}
	return r;
}

int xt_txn_insert(struct nft_txn *txn, const struct xt_rule *rule, struct cni_err *err)
{
	return xt_txn_insert_many(txn, &rule, 1, err);
}

void xt_rule_list_free(struct xt_rule_list *list)
{
	size_t i;

	if (!list)
		return;
	for (i = 0; i < list->n; i++)
		xt_rule_view_clear(&list->rule[i].view);
	free(list->rule);
	free(list);
}

int xt_list_chain(struct nft_txn *txn, int family, const char *table, const char *chain,
		  struct xt_rule_list **ret_list, struct cni_err *err)
{
	_cleanup_(nft_rule_list_freep) struct nft_rule_list *raw = NULL;
	_cleanup_(xt_rule_list_freep) struct xt_rule_list *list = NULL;
	size_t i;
	int r;

	r = nft_list_rules_or_empty(txn, family, table, chain, &raw, err);
	if (r < 0)
		return r;
	list = calloc(1, sizeof(*list));
	if (!list || (raw->n && !(list->rule = calloc(raw->n, sizeof(*list->rule)))))
		return cni_err_nomem(err);
	for (i = 0; i < raw->n; i++) {
		r = xt_rule_parse(raw->rule[i].nlr, family, &list->rule[i].view, err);
		if (r < 0)
			return r;
		list->rule[i].handle = raw->rule[i].handle;
		list->n++;
	}
	*ret_list = TAKE_PTR(list);
	return 0;
}

int xt_format_chain(struct nft_txn *txn, int family, const char *table, const char *chain,
		    char **ret_text, struct cni_err *err)
{
	_cleanup_(xt_rule_list_freep) struct xt_rule_list *list = NULL;
	_cleanup_free_ char *text = strdup("");
	size_t i;
	int r;

	r = xt_list_chain(txn, family, table, chain, &list, err);
	if (r < 0)
		return r;
	for (i = 0; text && i < list->n; i++) {
		char *next = NULL;

		if (asprintf(&next, "%s-A %s %s\n", text, chain, list->rule[i].view.text) < 0)
			next = NULL;
		free(text);
		text = next;
	}
	if (!text)
		return cni_err_nomem(err);
	*ret_text = TAKE_PTR(text);
	return 0;
}

/* The index of the first listed rule equal to rule, or -1; *ret_list gets the listing. */
static int find_rule(struct nft_txn *txn, const struct xt_rule *rule,
		     struct xt_rule_list **ret_list, ssize_t *ret_index, struct cni_err *err)
{
	_cleanup_(xt_rule_view_clear) struct xt_rule_view mine = {0};
	_cleanup_(xt_rule_list_freep) struct xt_rule_list *list = NULL;
	size_t i;
	int r;

	r = xt_rule_parse(nft_rule_nlr(xt_rule_nft(rule)), xt_rule_family(rule), &mine, err);
	if (r == 0)
		r = xt_list_chain(txn, xt_rule_family(rule), rule_table(rule), xt_rule_chain(rule),
				  &list, err);
	if (r < 0)
		return r;
	nft_txn_bind_generation(txn);
	*ret_index = -1;
	for (i = 0; i < list->n; i++)
		if (!strcmp(list->rule[i].view.text, mine.text)) {
			*ret_index = (ssize_t)i;
			break;
		}
	*ret_list = TAKE_PTR(list);
	return 0;
}

int xt_rule_exists(struct nft_txn *txn, const struct xt_rule *rule, bool *ret_exists,
		   struct cni_err *err)
{
	_cleanup_(xt_rule_list_freep) struct xt_rule_list *list = NULL;
	ssize_t idx;
	int r = find_rule(txn, rule, &list, &idx, err);

	if (r < 0)
		return r;
	*ret_exists = idx >= 0;
	return 0;
}

int xt_rule_key(const struct xt_rule *rule, char **ret_key, struct cni_err *err)
{
	int r = xt_rule_format(rule, ret_key, err);

	if (r == 0)
		(*ret_key)[0] = xt_rule_family(rule) == NFPROTO_IPV6 ? '6' : '4';
	return r;
}

int xt_txn_queue_once(struct nft_txn *txn, const struct xt_rule *rule, bool insert, char ***queued,
		      bool *ret_added, struct cni_err *err)
{
	_cleanup_free_ char *key = NULL;
	bool exists = false;
	int r = 0;

	if (ret_added)
		*ret_added = false;
	if (queued) {
		r = xt_rule_key(rule, &key, err);
		if (r < 0 || strv_contains(*queued, key))
			return r;
	}
	r = xt_rule_exists(txn, rule, &exists, err);
	if (r < 0 || exists)
		return r;
	r = insert ? xt_txn_insert(txn, rule, err) : xt_txn_append(txn, rule, err);
	if (r < 0)
		return r;
	if (key && strv_push(queued, TAKE_PTR(key)) < 0)
		return cni_err_nomem(err);
	if (ret_added)
		*ret_added = true;
	return 0;
}

int xt_txn_append_unique(struct nft_txn *txn, const struct xt_rule *rule, bool *ret_added,
			 struct cni_err *err)
{
	return xt_txn_queue_once(txn, rule, false, NULL, ret_added, err);
}

int xt_txn_insert_unique(struct nft_txn *txn, const struct xt_rule *rule, bool *ret_added,
			 struct cni_err *err)
{
	return xt_txn_queue_once(txn, rule, true, NULL, ret_added, err);
}

int xt_txn_delete(struct nft_txn *txn, const struct xt_rule *rule, bool *ret_deleted,
		  struct cni_err *err)
{
	_cleanup_(xt_rule_list_freep) struct xt_rule_list *list = NULL;
	ssize_t idx;
	int r = find_rule(txn, rule, &list, &idx, err);

	if (r == 0 && idx >= 0)
		r = nft_txn_delete_rule(txn, xt_rule_family(rule), rule_table(rule),
					xt_rule_chain(rule), list->rule[idx].handle, err);
	if (r == 0 && ret_deleted)
		*ret_deleted = idx >= 0;
	return r;
}

int xt_txn_delete_each(struct nft_txn *txn, struct xt_rule *const *rules, size_t n,
		       size_t *ret_count, struct cni_err *err)
{
	_cleanup_(xt_rule_list_freep) struct xt_rule_list *list = NULL;
	_cleanup_free_ bool *taken = NULL;
	size_t k, i, count = 0;
	int family, r;

	if (ret_count)
		*ret_count = 0;
	if (n == 0)
		return 0;
	family = xt_rule_family(rules[0]);
	r = xt_list_chain(txn, family, rule_table(rules[0]), xt_rule_chain(rules[0]), &list, err);
	if (r < 0)
		return r;
	nft_txn_bind_generation(txn);
	taken = calloc(list->n + 1, sizeof(*taken));
	if (!taken)
		return cni_err_nomem(err);
	for (k = 0; k < n; k++) {
		_cleanup_(xt_rule_view_clear) struct xt_rule_view mine = {0};

		r = xt_rule_parse(nft_rule_nlr(xt_rule_nft(rules[k])), family, &mine, err);
		if (r < 0)
			return r;
		for (i = 0; i < list->n; i++)
			if (!taken[i] && !strcmp(list->rule[i].view.text, mine.text))
				break;
		if (i == list->n)
			continue;
		r = nft_txn_delete_rule(txn, family, rule_table(rules[0]), xt_rule_chain(rules[0]),
					list->rule[i].handle, err);
		if (r < 0)
			return r;
		taken[i] = true;
		count++;
	}
	if (ret_count)
		*ret_count = count;
	return 0;
}

int xt_txn_delete_if(struct nft_txn *txn, int family, const char *table, const char *chain,
		     xt_rule_pred_fn pred, void *userdata, size_t *ret_count, struct cni_err *err)
{
	_cleanup_(xt_rule_list_freep) struct xt_rule_list *list = NULL;
	size_t i, count = 0;
	int r;

	r = xt_list_chain(txn, family, table, chain, &list, err);
	if (r < 0)
		return r;
	nft_txn_bind_generation(txn);
	for (i = 0; i < list->n; i++) {
		if (!pred(&list->rule[i].view, userdata))
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

int xt_txn_delete_chain(struct nft_txn *txn, int family, const char *table, const char *chain,
			bool *ret_deleted, struct cni_err *err)
{
	bool exists;
	int r;

	r = chain_exists_bound(txn, family, table, chain, &exists, err);
	if (r < 0)
		return r;
	if (exists) {
		r = nft_txn_flush_chain(txn, family, table, chain, err);
		if (r == 0)
			r = nft_txn_delete_chain(txn, family, table, chain, err);
		if (r < 0)
			return r;
	}
	if (ret_deleted)
		*ret_deleted = exists;
	return 0;
}
