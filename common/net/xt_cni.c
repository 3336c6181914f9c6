/* SPDX-License-Identifier: Apache-2.0 */
/* Finding and removing the reference plugins' iptables state by chain name and comment. */
#include "net/xt_cni.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "gostr.h"
#include "net/xt.h"
#include "sha512.h"
#include "strv.h"
#include "net/test_priv.h"

static const int families[] = {NFPROTO_IPV4, NFPROTO_IPV6};

int xt_cni_chain_name(const char *prefix, const char *network, const char *container_id,
		      char out[XT_CNI_CHAIN_LEN + 1], struct cni_err *err)
{
	size_t plen = strlen(prefix);
	char hex[XT_CNI_CHAIN_LEN + 1];

	if (plen >= XT_CNI_CHAIN_LEN)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL,
					 "chain name prefix '%s' too long", prefix);
	if (sha512_hex_printf(XT_CNI_CHAIN_LEN - plen, hex, "%s%s", network, container_id) < 0)
		return cni_err_nomem(err);
	snprintf(out, XT_CNI_CHAIN_LEN + 1, "%s%s", prefix, hex);
	return 0;
}

int xt_cni_comment(const char *network, const char *container_id, char *out, size_t size,
		   struct cni_err *err)
{
	size_t len = 0;
	int r;

	if (size < 1)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, ENAMETOOLONG, "comment too long");
	out[0] = '\0';
	r = snprintf(out, size, "name: ") < (int)size ? 0 : -ENAMETOOLONG;
	len = strlen(out);
	if (r == 0)
		r = go_quote(network, out, size, &len);
	if (r == 0 && len + 5 < size) {
		memcpy(out + len, " id: ", 6);
		len += 5;
	} else if (r == 0) {
		r = -ENAMETOOLONG;
	}
	if (r == 0)
		r = go_quote(container_id, out, size, &len);
	if (r < 0)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, ENAMETOOLONG,
					 "comment for container '%s' too long", container_id);
	return 0;
}

/* A rule to delete: it jumps to one of the chains, or carries the comment. */
struct sel {
	char **chains;	     /* jump targets */
	const char *comment; /* exact comment, or NULL */
};

static bool sel_pred(const struct xt_rule_view *v, void *userdata)
{
	const struct sel *s = userdata;

	if (v->jump && strv_contains(s->chains, v->jump))
		return true;
	return s->comment && v->comment && !strcmp(v->comment, s->comment);
}

static void add_count(struct xt_cni_count *count, size_t rules, bool chain)
{
	if (!count)
		return;
	count->rules += rules;
	count->chains += chain ? 1 : 0;
}

/* In one family: delete the rules of from_chain that sel selects, then the chains. */
static int remove_family(struct nft_txn *txn, int family, const char *from_chain, struct sel *s,
			 struct xt_cni_count *count, struct cni_err *err)
{
	size_t n = 0, i;
	int r;

	r = xt_txn_delete_if(txn, family, XT_TABLE_NAT, from_chain, sel_pred, s, &n, err);
	if (r < 0)
		return r;
	add_count(count, n, false);
	for (i = 0; s->chains && s->chains[i]; i++) {
		bool deleted = false;

		r = xt_txn_delete_chain(txn, family, XT_TABLE_NAT, s->chains[i], &deleted, err);
		if (r < 0)
			return r;
		add_count(count, 0, deleted);
	}
	return 0;
}

/* Remove, in both families, chain (jumped from from_chain, or rules with comment). */
static int remove_one(struct nft_txn *txn, const char *from_chain, const char *chain,
		      const char *comment, struct xt_cni_count *count, struct cni_err *err)
{
	char *chains[] = {(char *)chain, NULL};
	struct sel s = {.chains = chains, .comment = comment};
	size_t i;
	int r;

	for (i = 0; i < ARRAY_SIZE(families); i++) {
		r = remove_family(txn, families[i], from_chain, &s, count, err);
		if (r < 0)
			return r;
	}
	return 0;
}

int xt_cni_masq_remove(struct nft_txn *txn, const char *network, const char *container_id,
		       struct xt_cni_count *count, struct cni_err *err)
{
	char chain[XT_CNI_CHAIN_LEN + 1], comment[XT_CNI_COMMENT_MAX * 4];
	int r;

	r = xt_cni_chain_name("CNI-", network, container_id, chain, err);
	if (r == 0)
		r = xt_cni_comment(network, container_id, comment, sizeof(comment), err);
	if (r < 0)
		return r;
	return remove_one(txn, "POSTROUTING", chain, comment, count, err);
}

int xt_cni_portmap_remove(struct nft_txn *txn, const char *network, const char *container_id,
			  struct xt_cni_count *count, struct cni_err *err)
{
	char dn[XT_CNI_CHAIN_LEN + 1], sn[XT_CNI_CHAIN_LEN + 1];
	int r;

	r = xt_cni_chain_name("CNI-DN-", network, container_id, dn, err);
	if (r == 0)
		r = xt_cni_chain_name("CNI-SN-", network, container_id, sn, err);
	if (r == 0)
		r = remove_one(txn, "CNI-HOSTPORT-DNAT", dn, NULL, count, err);
	if (r == 0)
		r = remove_one(txn, "CNI-HOSTPORT-SNAT", sn, NULL, count, err);
	return r;
}

/* Does the chain exist in either family? */
static int chain_present(struct nft_txn *txn, const char *chain, bool *ret, struct cni_err *err)
{
	size_t i;
	int r;

	*ret = false;
	for (i = 0; i < ARRAY_SIZE(families) && !*ret; i++) {
		r = nft_chain_exists(txn, families[i], XT_TABLE_NAT, chain, ret, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Is a POSTROUTING jump to chain there in either family? */
static int jump_present(struct nft_txn *txn, const char *chain, bool *ret, struct cni_err *err)
{
	size_t i, j;
	int r;

	*ret = false;
	for (i = 0; i < ARRAY_SIZE(families) && !*ret; i++) {
		_cleanup_(xt_rule_list_freep) struct xt_rule_list *l = NULL;

		r = xt_list_chain(txn, families[i], XT_TABLE_NAT, "POSTROUTING", &l, err);
		if (r < 0)
			return r;
		for (j = 0; j < l->n; j++)
			if (l->rule[j].view.jump && !strcmp(l->rule[j].view.jump, chain))
				*ret = true;
	}
	return 0;
}

int xt_cni_masq_present(struct nft_txn *txn, const char *network, const char *container_id,
			bool *ret_present, struct cni_err *err)
{
	char chain[XT_CNI_CHAIN_LEN + 1];
	int r;

	r = xt_cni_chain_name("CNI-", network, container_id, chain, err);
	if (r == 0)
		r = chain_present(txn, chain, ret_present, err);
	if (r == 0 && !*ret_present)
		r = jump_present(txn, chain, ret_present, err);
	return r;
}

int xt_cni_portmap_present(struct nft_txn *txn, const char *network, const char *container_id,
			   bool *ret_present, struct cni_err *err)
{
	char chain[XT_CNI_CHAIN_LEN + 1];
	int r = xt_cni_chain_name("CNI-DN-", network, container_id, chain, err);

	return r < 0 ? r : chain_present(txn, chain, ret_present, err);
}

/* ---- GC ------------------------------------------------------------------------------ */

/* A chain one of the reference's per-container rules jumps to (never a shared one). */
static bool per_container_chain(const char *chain)
{
	return chain && strlen(chain) == XT_CNI_CHAIN_LEN && !strncmp(chain, "CNI-", 4) &&
	       strncmp(chain, "CNI-HOSTPORT-", 13) != 0;
}

/* What a GC pass of one shared chain looks for. */
struct gc_scan {
	const char *prefix;	 /* comment prefix up to the container ID */
	bool quoted;		 /* the ID is Go-quoted (ipMasq) or plain in quotes (portmap) */
	const char *const *keep; /* IDs to keep */
	char ***ids;		 /* stale container IDs found (shared by the passes) */
};

/* The container ID of a comment's container part (after the prefix) into out: Go-quoted
 * (ipMasq: only \" and \\ escapes are undone, and the result must quote back to the same
 * text) or plain in quotes (portmap). -EINVAL when it cannot be read back exactly (a
 * comment cut with "...", another escape): such a container cannot be attributed. */
static int comment_id(const struct gc_scan *g, const char *rest, char *out, size_t size)
{
	char q[XT_CNI_COMMENT_MAX * 4];
	size_t n = strlen(rest), k = 0, i, len = 0;

	if (n < 2 || rest[0] != '"' || rest[n - 1] != '"' || n - 2 >= size)
		return -EINVAL;
	for (i = 1; i + 1 < n; i++) {
		if (g->quoted && rest[i] == '\\' && i + 2 < n)
			i++;
		out[k++] = rest[i];
	}
	out[k] = '\0';
	if (!g->quoted)
		return strchr(out, '"') ? -EINVAL : 0;
	if (go_quote(out, q, sizeof(q), &len) < 0 || strcmp(q, rest) != 0)
		return -EINVAL;
	return 0;
}

/* Add the ID of a stale comment to g->ids (once); unreadable IDs are skipped. */
static int note_id(const struct gc_scan *g, const char *rest, struct cni_err *err)
{
	char id[XT_CNI_COMMENT_MAX * 4];
	char *copy;

	if (comment_id(g, rest, id, sizeof(id)) < 0 || strv_contains(*g->ids, id))
		return 0;
	copy = strdup(id);
	if (!copy || strv_push(g->ids, copy) < 0) {
		free(copy);
		return cni_err_nomem(err);
	}
	return 0;
}

/* Is the comment's container part (after the prefix) one of keep? */
static bool kept(const struct gc_scan *g, const char *rest)
{
	size_t i;

	for (i = 0; g->keep && g->keep[i]; i++) {
		char q[XT_CNI_COMMENT_MAX * 4];
		size_t len = 0;

		if (g->quoted) {
			if (go_quote(g->keep[i], q, sizeof(q), &len) < 0)
				continue;
		} else if (snprintf(q, sizeof(q), "\"%s\"", g->keep[i]) >= (int)sizeof(q)) {
			continue;
		}
		if (!strcmp(rest, q))
			return true;
	}
	return false;
}

static int gc_chain(struct nft_txn *txn, int family, const char *from_chain, struct gc_scan *g,
		    struct xt_cni_count *count, struct cni_err *err)
{
	_cleanup_(xt_rule_list_freep) struct xt_rule_list *l = NULL;
	_cleanup_strv_free_ char **stale = NULL;
	size_t plen = strlen(g->prefix), i;
	struct sel s = {0};
	int r;

	r = xt_list_chain(txn, family, XT_TABLE_NAT, from_chain, &l, err);
	if (r < 0)
		return r;
	for (i = 0; i < l->n; i++) {
		const struct xt_rule_view *v = &l->rule[i].view;

		if (!v->comment || strncmp(v->comment, g->prefix, plen) ||
		    !per_container_chain(v->jump) || kept(g, v->comment + plen))
			continue;
		r = note_id(g, v->comment + plen, err);
		if (r < 0)
			return r;
		if (strv_contains(stale, v->jump))
			continue;
		if (strv_push(&stale, strdup(v->jump)) < 0)
			return cni_err_nomem(err);
	}
	if (!stale)
		return 0;
	s.chains = stale;
	return remove_family(txn, family, from_chain, &s, count, err);
}

/* Is the chain orphaned: does the kernel count no reference to it beyond its own rules
 * (nothing jumps to it)? *ret_rules gets its rules. */
static int orphaned(struct nft_txn *txn, int family, const struct nft_chain_entry *e,
		    struct xt_rule_list **ret_rules, bool *ret, struct cni_err *err)
{
	int r = xt_list_chain(txn, family, XT_TABLE_NAT, e->name, ret_rules, err);

	*ret = r == 0 && !e->base && e->use == (*ret_rules)->n;
	return r;
}

/* The chain named name in list, NULL if none. */
static const struct nft_chain_entry *find_chain(const struct nft_chain_list *list, const char *name)
{
	size_t i;

	for (i = 0; i < list->n; i++)
		if (!strcmp(list->chain[i].name, name))
			return &list->chain[i];
	return NULL;
}

/* A bridge ipMasq chain name (CNI-<hash>, not CNI-DN-/CNI-SN-/CNI-HOSTPORT-)? */
static bool masq_chain_name(const char *name)
{
	return per_container_chain(name) && strncmp(name, "CNI-DN-", 7) != 0 &&
	       strncmp(name, "CNI-SN-", 7) != 0 &&
	       strspn(name + 4, "0123456789abcdef") == XT_CNI_CHAIN_LEN - 4;
}

/* GC of one family's orphaned per-container chains (nothing jumps to them, so the comment
 * scans cannot see them). A chain is removed only when its name is the hash of this
 * network and a stale container ID: an ID the comment scans found, or the ID in the
 * comment of an orphaned ipMasq chain's own rules (name: "<net>" id: "<id>") when the
 * chain's name is that container's. An orphaned CNI-DN- chain (its rules carry no comment)
 * of a container of which nothing else is left cannot be attributed and stays. */
static int gc_orphans(struct nft_txn *txn, int family, const char *network, struct gc_scan *masq,
		      struct xt_cni_count *count, struct cni_err *err)
{
	static const char *const prefixes[] = {"CNI-", "CNI-DN-", "CNI-SN-"};
	_cleanup_(nft_chain_list_freep) struct nft_chain_list *list = NULL;
	size_t plen = strlen(masq->prefix), i, j, k;
	_cleanup_strv_free_ char **gone = NULL;
	int r;

	r = nft_list_chains(txn, family, XT_TABLE_NAT, &list, err);
	if (r < 0)
		return r;
	for (i = 0; i < list->n; i++) {
		_cleanup_(xt_rule_list_freep) struct xt_rule_list *l = NULL;
		bool orphan = false;

		if (!masq_chain_name(list->chain[i].name))
			continue;
		r = orphaned(txn, family, &list->chain[i], &l, &orphan, err);
		if (r < 0)
			return r;
		for (j = 0; orphan && j < l->n; j++) {
			const char *c = l->rule[j].view.comment;

			if (c && !strncmp(c, masq->prefix, plen) && !kept(masq, c + plen) &&
			    (r = note_id(masq, c + plen, err)) < 0)
				return r;
		}
	}
	for (i = 0; *masq->ids && (*masq->ids)[i]; i++) {
		for (k = 0; k < ARRAY_SIZE(prefixes); k++) {
			_cleanup_(xt_rule_list_freep) struct xt_rule_list *l = NULL;
			char name[XT_CNI_CHAIN_LEN + 1];
			const struct nft_chain_entry *e;
			bool orphan = false, deleted = false;

			r = xt_cni_chain_name(prefixes[k], network, (*masq->ids)[i], name, err);
			if (r < 0)
				return r;
			e = find_chain(list, name);
			if (!e || strv_contains(gone, name))
				continue;
			r = orphaned(txn, family, e, &l, &orphan, err);
			if (r < 0)
				return r;
			if (!orphan)
				continue;
			r = xt_txn_delete_chain(txn, family, XT_TABLE_NAT, name, &deleted, err);
			if (r < 0)
				return r;
			add_count(count, 0, deleted);
			if (strv_push(&gone, strdup(name)) < 0)
				return cni_err_nomem(err);
		}
	}
	return 0;
}

int xt_cni_gc(struct nft_txn *txn, const char *network, const char *const *keep_ids,
	      struct xt_cni_count *count, struct cni_err *err)
{
	_cleanup_strv_free_ char **ids = NULL;
	char masq_prefix[XT_CNI_COMMENT_MAX * 4], dnat_prefix[XT_CNI_COMMENT_MAX * 4];
	size_t len = 6, i;
	int r;

	memcpy(masq_prefix, "name: ", 7);
	if (go_quote(network, masq_prefix, sizeof(masq_prefix) - 6, &len) < 0 ||
	    snprintf(dnat_prefix, sizeof(dnat_prefix), "dnat name: \"%s\" id: ", network) >=
		    (int)sizeof(dnat_prefix))
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, ENAMETOOLONG,
					 "network name '%s' too long", network);
	memcpy(masq_prefix + len, " id: ", 6);
	for (i = 0; i < ARRAY_SIZE(families); i++) {
		struct gc_scan masq = {
			.prefix = masq_prefix, .quoted = true, .keep = keep_ids, .ids = &ids};
		struct gc_scan dnat = {
			.prefix = dnat_prefix, .quoted = false, .keep = keep_ids, .ids = &ids};

		r = gc_chain(txn, families[i], "POSTROUTING", &masq, count, err);
		if (r == 0)
			r = gc_chain(txn, families[i], "CNI-HOSTPORT-DNAT", &dnat, count, err);
		if (r < 0)
			return r;
	}
	/* The IDs of both families known, the orphaned chains of each. */
	for (i = 0; i < ARRAY_SIZE(families); i++) {
		struct gc_scan masq = {
			.prefix = masq_prefix, .quoted = true, .keep = keep_ids, .ids = &ids};

		r = gc_orphans(txn, families[i], network, &masq, count, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The legacy table names of one file, as one space-separated line into out ("" none). */
static void legacy_names(const char *dir, const char *path, char *out, size_t size)
{
	_cleanup_free_ char *data = NULL;
	char alt[256];
	size_t len = 0, k = 0, i;

	out[0] = '\0';
	if (dir && *dir) {
		const char *base = strrchr(path, '/');

		if (snprintf(alt, sizeof(alt), "%s%s", dir, base) >= (int)sizeof(alt))
			return;
		path = alt;
	}
	if (fileio_read_path(path, 4096, &data, &len) < 0)
		return;
	for (i = 0; i < len && k + 2 < size; i++) {
		char ch = data[i] == '\n' ? ' ' : data[i];

		if (ch == ' ' && (k == 0 || out[k - 1] == ' '))
			continue;
		out[k++] = ch;
	}
	while (k > 0 && out[k - 1] == ' ')
		k--;
	out[k] = '\0';
}

int xt_cni_refuse_legacy(const char *what, struct cni_err *err)
{
	const char *dir = getenv("CNI_XT_LEGACY_NAMES_DIR");
	char v4[256], v6[256];

	legacy_names(dir, XT_CNI_LEGACY_V4, v4, sizeof(v4));
	legacy_names(dir, XT_CNI_LEGACY_V6, v6, sizeof(v6));
	if (!v4[0] && !v6[0])
		return 0;
	return cni_err_set_errno(
		err, CNI_ERR_UNSUPPORTED_FIELD, EOPNOTSUPP,
		"%s needs iptables-nft, but this host uses iptables-legacy (legacy tables: "
		"iptables '%s', ip6tables '%s'): rules written through nf_tables would not be "
		"the ones iptables-legacy applies and lists; use the nftables backend",
		what, v4, v6);
}

int xt_cni_nat_present(struct nft_txn *txn, bool *ret_present, struct cni_err *err)
{
	size_t i;
	int r;

	*ret_present = false;
	for (i = 0; i < ARRAY_SIZE(families) && !*ret_present; i++) {
		r = nft_table_exists(txn, families[i], XT_TABLE_NAT, ret_present, err);
		if (r < 0)
			return r;
	}
	return 0;
}
