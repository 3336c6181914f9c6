/* SPDX-License-Identifier: Apache-2.0 */
/* macspoofchk: per-attachment bridge-family chains allowing only the container's MAC. */
#include "bridge/spoofchk.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netfilter_bridge.h>

#include "cleanup.h"
#include "sha512.h"
#include "strv.h"
#include "net/rtnl.h"

/* "<containerID>-<ifname>" and the names derived from it. */
struct spoofchk_names {
	char *id;	   /* <containerID>-<ifname> */
	char *comment;	   /* macspoofchk-<id> */
	char *iface_chain; /* cni-br-iface-<id> */
	char *mac_chain;   /* cni-br-iface-<id>-mac */
};

static void names_clear(struct spoofchk_names *n)
{
	free(n->id);
	free(n->comment);
	free(n->iface_chain);
	free(n->mac_chain);
}

static int names_from_id(const char *id, struct spoofchk_names *n, struct cni_err *err)
{
	memset(n, 0, sizeof(*n));
	if (asprintf(&n->id, "%s", id) < 0 ||
	    asprintf(&n->comment, SPOOFCHK_COMMENT_PREFIX "%s", id) < 0 ||
	    asprintf(&n->iface_chain, SPOOFCHK_CHAIN_PREFIX "%s", id) < 0 ||
	    asprintf(&n->mac_chain, SPOOFCHK_CHAIN_PREFIX "%s-mac", id) < 0) {
		names_clear(n);
		memset(n, 0, sizeof(*n));
		return cni_err_nomem(err);
	}
	return 0;
}

int spoofchk_ref_id(const char *container_id, const char *ifname, char **ret_id,
		    struct cni_err *err)
{
	_cleanup_free_ char *id = NULL;
	char hash[SPOOFCHK_HASH_LEN + 1];
	int len;

	len = asprintf(&id, "%s-%s", container_id, ifname);
	if (len < 0) {
		id = NULL;
		return cni_err_nomem(err);
	}
	if (strlen(SPOOFCHK_COMMENT_PREFIX) + (size_t)len > NFT_COMMENT_MAX) {
		/* Too long for the rule comment (the chain names would fit up to about 238
		 * bytes): the start of the container ID and a hash of the whole. */
		sha512_hex(id, (size_t)len, SPOOFCHK_HASH_LEN, hash);
		free(id);
		if (asprintf(&id, "%.*s-%s", SPOOFCHK_ID_KEEP, container_id, hash) < 0) {
			id = NULL;
			return cni_err_nomem(err);
		}
	}
	*ret_id = TAKE_PTR(id);
	return 0;
}

static int names_init(const char *container_id, const char *ifname, struct spoofchk_names *n,
		      struct cni_err *err)
{
	_cleanup_free_ char *id = NULL;
	int r;

	r = spoofchk_ref_id(container_id, ifname, &id, err);
	if (r < 0)
		return r;
	return names_from_id(id, n, err);
}

int spoofchk_build_rules(const char *host_ifname, const uint8_t mac[6], const char *container_id,
			 const char *ifname, struct nft_rule *rules[4], struct cni_err *err)
{
	_cleanup_(names_clear) struct spoofchk_names n = {0};
	_cleanup_(nft_rule_freep) struct nft_rule *jump = NULL, *tomac = NULL, *ret = NULL,
						  *drop = NULL;

	if (names_init(container_id, ifname, &n, err) < 0)
		return cni_err_ret(err);
	if (nft_rule_new(NFPROTO_BRIDGE, SPOOFCHK_TABLE, SPOOFCHK_BASE_CHAIN, n.comment, &jump,
			 err) < 0 ||
	    nft_rule_match_ifname(jump, NFT_IIFNAME, host_ifname, NFT_CMP_EQ, err) < 0 ||
	    nft_rule_verdict(jump, NFT_JUMP, n.iface_chain, err) < 0)
		return cni_err_ret(err);
	if (nft_rule_new(NFPROTO_BRIDGE, SPOOFCHK_TABLE, n.iface_chain, n.comment, &tomac, err) <
		    0 ||
	    nft_rule_verdict(tomac, NFT_JUMP, n.mac_chain, err) < 0)
		return cni_err_ret(err);
	if (nft_rule_new(NFPROTO_BRIDGE, SPOOFCHK_TABLE, n.mac_chain, n.comment, &ret, err) < 0 ||
	    nft_rule_match_ether_addr(ret, NFT_ADDR_SADDR, mac, err) < 0 ||
	    nft_rule_verdict(ret, NFT_RETURN, NULL, err) < 0)
		return cni_err_ret(err);
	if (nft_rule_new(NFPROTO_BRIDGE, SPOOFCHK_TABLE, n.mac_chain, n.comment, &drop, err) < 0 ||
	    nft_rule_verdict(drop, NF_DROP, NULL, err) < 0)
		return cni_err_ret(err);
	rules[0] = TAKE_PTR(jump);
	rules[1] = TAKE_PTR(tomac);
	rules[2] = TAKE_PTR(ret);
	rules[3] = TAKE_PTR(drop);
	return 0;
}

/* Queue the removal of one attachment's rules and chains, by its names. */
static int queue_teardown_names(struct nft_txn *txn, const struct spoofchk_names *n,
				struct cni_err *err)
{
	const char *chains[2] = {n->iface_chain, n->mac_chain};
	bool exists[2] = {false, false};
	int r;

	r = nft_txn_delete_rules_by_comment(txn, NFPROTO_BRIDGE, SPOOFCHK_TABLE,
					    SPOOFCHK_BASE_CHAIN, n->comment, NULL, err);
	for (int i = 0; i < 2 && r == 0; i++)
		r = nft_chain_exists(txn, NFPROTO_BRIDGE, SPOOFCHK_TABLE, chains[i], &exists[i],
				     err);
	/* Deleting what was found only holds for the ruleset as it was read. */
	if (r == 0 && (exists[0] || exists[1]))
		nft_txn_bind_generation(txn);
	/* Empty both chains first: the jump between them holds a reference. */
	for (int i = 0; i < 2 && r == 0; i++)
		if (exists[i])
			r = nft_txn_flush_chain(txn, NFPROTO_BRIDGE, SPOOFCHK_TABLE, chains[i],
						err);
	for (int i = 0; i < 2 && r == 0; i++)
		if (exists[i])
			r = nft_txn_delete_chain(txn, NFPROTO_BRIDGE, SPOOFCHK_TABLE, chains[i],
						 err);
	return r;
}

int spoofchk_queue_setup(struct nft_txn *txn, const char *host_ifname, const uint8_t mac[6],
			 const char *container_id, const char *ifname, struct cni_err *err)
{
	static const struct nft_base_chain prerouting = {.type = "filter",
							 .hook = NF_BR_PRE_ROUTING,
							 .priority = -300,
							 .policy = NFT_POLICY_ACCEPT};
	_cleanup_(names_clear) struct spoofchk_names n = {0};
	struct nft_rule *rules[4] = {NULL};
	int r = 0;

	bool stale = false;

	if (names_init(container_id, ifname, &n, err) < 0)
		return cni_err_ret(err);
	/* The attachment's own chain tells whether an earlier ADD left anything: only then is
	 * the base chain searched (a walk over every attachment's jump) and the chains
	 * emptied; otherwise the batch only creates what is missing. */
	if (nft_chain_get(txn, NFPROTO_BRIDGE, SPOOFCHK_TABLE, n.iface_chain, &stale, NULL, err) <
	    0)
		return cni_err_ret(err);
	nft_txn_bind_generation(txn);
	/* A repeated ADD for the same attachment replaces what the previous one left. */
	if (stale && nft_txn_delete_rules_by_comment(txn, NFPROTO_BRIDGE, SPOOFCHK_TABLE,
						     SPOOFCHK_BASE_CHAIN, n.comment, NULL, err) < 0)
		return cni_err_ret(err);
	if (nft_txn_ensure_table(txn, NFPROTO_BRIDGE, SPOOFCHK_TABLE, NULL, NULL, err) < 0 ||
	    nft_txn_ensure_chain(txn, NFPROTO_BRIDGE, SPOOFCHK_TABLE, SPOOFCHK_BASE_CHAIN,
				 &prerouting, NULL, NULL, err) < 0 ||
	    nft_txn_add_chain(txn, NFPROTO_BRIDGE, SPOOFCHK_TABLE, n.iface_chain, NULL, NULL, err) <
		    0 ||
	    nft_txn_add_chain(txn, NFPROTO_BRIDGE, SPOOFCHK_TABLE, n.mac_chain, NULL, NULL, err) <
		    0)
		return cni_err_ret(err);
	if (stale &&
	    (nft_txn_flush_chain(txn, NFPROTO_BRIDGE, SPOOFCHK_TABLE, n.iface_chain, err) < 0 ||
	     nft_txn_flush_chain(txn, NFPROTO_BRIDGE, SPOOFCHK_TABLE, n.mac_chain, err) < 0))
		return cni_err_ret(err);
	r = spoofchk_build_rules(host_ifname, mac, container_id, ifname, rules, err);
	if (r < 0)
		return r;
	for (int i = 0; i < 4; i++) {
		if (r == 0)
			r = nft_txn_add_rule(txn, rules[i], err);
		nft_rule_free(rules[i]);
	}
	return r;
}

int spoofchk_queue_teardown(struct nft_txn *txn, const char *container_id, const char *ifname,
			    struct cni_err *err)
{
	_cleanup_(names_clear) struct spoofchk_names n = {0};
	int r;

	r = names_init(container_id, ifname, &n, err);
	if (r < 0)
		return r;
	return queue_teardown_names(txn, &n, err);
}

/* Where rule_iifname() puts the name. */
struct iifname_buf {
	char *out;   /* the name, NUL terminated */
	size_t size; /* bytes at out */
	bool found;  /* a non-empty name was copied */
};

static bool iifname_cb(const struct nft_load_cmp *m, void *userdata)
{
	struct iifname_buf *b = userdata;

	if (!m->meta || m->key != NFT_META_IIFNAME)
		return true;
	if (m->data && m->data_len && b->size) {
		size_t n = m->data_len < b->size - 1 ? m->data_len : b->size - 1;

		memcpy(b->out, m->data, n);
		b->out[n] = '\0';
		b->found = b->out[0] != '\0';
	}
	return false;
}

/* The interface name a PREROUTING jump rule matches ("meta load iifname" then "cmp"). */
static bool rule_iifname(const struct nft_rule_info *info, char *out, size_t size)
{
	struct iifname_buf b = {out, size, false};

	nft_rule_for_each_load_cmp(info->nlr, iifname_cb, &b);
	return b.found;
}

int spoofchk_queue_gc(struct nft_txn *txn, struct nl_sock *host, int bridge_index,
		      const struct cni_attachment *valid, size_t n_valid, size_t *ret_count,
		      struct cni_err *err)
{
	_cleanup_(nft_rule_list_freep) struct nft_rule_list *list = NULL;
	_cleanup_strv_free_ char **keep_ids = NULL;
	size_t count = 0;
	int r;

	/* The reference IDs of the attachments to keep, as their comments carry them. */
	for (size_t j = 0; j < n_valid; j++) {
		char *id = NULL;

		r = spoofchk_ref_id(valid[j].container_id, valid[j].ifname, &id, err);
		if (r < 0)
			return r;
		if (strv_push(&keep_ids, id) < 0) {
			free(id);
			return cni_err_nomem(err);
		}
	}
	r = nft_list_rules_or_empty(txn, NFPROTO_BRIDGE, SPOOFCHK_TABLE, SPOOFCHK_BASE_CHAIN, &list,
				    err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < list->n; i++) {
		const struct nft_rule_info *info = &list->rule[i];
		const char *id;
		char ifname[NL_IFNAMSIZ + 1];
		bool keep = false;

		if (!info->comment || strncmp(info->comment, SPOOFCHK_COMMENT_PREFIX,
					      strlen(SPOOFCHK_COMMENT_PREFIX)) != 0)
			continue;
		id = info->comment + strlen(SPOOFCHK_COMMENT_PREFIX);
		for (size_t j = 0; keep_ids && keep_ids[j] && !keep; j++)
			keep = strcmp(id, keep_ids[j]) == 0;
		if (keep)
			continue;
		/* The table is shared by every bridge network of the node: only remove what is
		 * certainly dead (its host veth is gone) or certainly ours (a port of our
		 * bridge that the runtime no longer knows). */
		if (rule_iifname(info, ifname, sizeof(ifname))) {
			struct nl_link l;
			struct cni_err lerr = {0}; /* only whether the link exists matters */

			r = nl_link_get_by_name(host, ifname, &l, &lerr);
			if (r == 0 && !(bridge_index && l.master == bridge_index))
				continue;
			if (r < 0 && r != -ENODEV)
				continue;
		} else {
			continue;
		}
		{
			_cleanup_(names_clear) struct spoofchk_names n = {0};

			r = names_from_id(id, &n, err);
			if (r == 0)
				r = queue_teardown_names(txn, &n, err);
			if (r < 0)
				return r;
		}
		count++;
	}
	if (ret_count)
		*ret_count = count;
	return 0;
}
