/* SPDX-License-Identifier: Apache-2.0 */
/* ipMasq for the plugins that masquerade: the backend key and choice, and what ADD, DEL and
 * GC queue in either layout (see ipmasq.h). */
#include "ipmasq/ipmasq.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "ipmasq/masq.h"
#include "ipmasq/masq_iptables.h"
#include "net/xt.h"
#include "net/xt_cni.h"

int ipmasq_backend_load(const cJSON *root, enum masq_backend *ret, struct cni_err *err)
{
	const char *b = NULL;

	if (conf_string(root, "ipMasqBackend", &b, err) < 0)
		return cni_err_ret(err);
	if (!b)
		*ret = MASQ_BACKEND_AUTO;
	else if (strcmp(b, "nftables") == 0)
		*ret = MASQ_BACKEND_NFTABLES;
	else if (strcmp(b, "iptables") == 0)
		*ret = MASQ_BACKEND_IPTABLES;
	else
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG, "unknown ipmasq backend \"%s\"", b);
	return 0;
}

int ipmasq_refuse_legacy(enum masq_backend backend, struct cni_err *err)
{
	if (backend != MASQ_BACKEND_IPTABLES)
		return 0;
	return xt_cni_refuse_legacy("\"ipMasqBackend\": \"iptables\"", err);
}

/* The backend of this ADD: as configured, or for MASQ_BACKEND_AUTO iptables exactly when the
 * reference's iptables ipMasq state of network is there (a POSTROUTING jump with its
 * comment in nat of either family). */
static int use_iptables(struct nft_txn *txn, enum masq_backend backend, const char *network,
			bool *ret, struct cni_err *err)
{
	*ret = backend == MASQ_BACKEND_IPTABLES;
	if (backend != MASQ_BACKEND_AUTO)
		return 0;
	return masq_xt_state_present(txn, network, ret, err);
}

int ipmasq_queue_setup(struct nft_txn *txn, enum masq_backend backend, const struct cni_result *res,
		       const char *network, const char *ifname, const char *container_id,
		       bool *ret_iptables, struct cni_err *err)
{
	_cleanup_free_ struct ip_net *ips = calloc(res->n_ips + 1, sizeof(*ips));
	bool xt = false;

	if (!ips)
		return cni_err_nomem(err);
	for (size_t i = 0; i < res->n_ips; i++)
		ips[i] = res->ips[i].address;
	if (use_iptables(txn, backend, network, &xt, err) < 0)
		return cni_err_prefix(err, "failed to set up IP masquerade");
	if (ret_iptables)
		*ret_iptables = xt;
	if (xt) {
		if (masq_xt_queue_setup(txn, ips, res->n_ips, network, container_id, err) < 0)
			return cni_err_prefix(err, "failed to set up IP masquerade");
	} else if (masq_queue_setup(txn, ips, res->n_ips, network, ifname, container_id, err) < 0) {
		return cni_err_prefix(err, "failed to set up IP masquerade");
	}
	return 0;
}

int ipmasq_queue_teardown(struct nft_txn *txn, const char *network, const char *ifname,
			  const char *container_id, bool iptables, struct cni_err *err)
{
	bool nat = false;

	if (masq_queue_teardown(txn, network, ifname, container_id, NULL, err) < 0)
		return cni_err_prefix(err, "failed to remove IP masquerade rules");
	/* The reference's iptables ipMasq state (its backend, or ours), by chain name and
	 * comment: needs neither the netns nor the addresses. */
	if (iptables && (xt_cni_nat_present(txn, &nat, err) < 0 ||
			 (nat && xt_cni_masq_remove(txn, network, container_id, NULL, err) < 0)))
		return cni_err_prefix(err, "failed to remove iptables IP masquerade rules");
	return 0;
}

int ipmasq_queue_gc(struct nft_txn *txn, const char *network, const struct cni_attachment *valid,
		    size_t n_valid, bool iptables, size_t *ret_count, struct cni_err *err)
{
	size_t n_nft = 0;

	if (iptables) {
		_cleanup_free_ const char **ids = calloc(n_valid + 1, sizeof(*ids));
		struct xt_cni_count n = {0};
		bool nat = false;

		if (!ids)
			return cni_err_nomem(err);
		for (size_t i = 0; i < n_valid; i++)
			ids[i] = valid[i].container_id;
		if (xt_cni_nat_present(txn, &nat, err) < 0 ||
		    (nat && xt_cni_gc(txn, network, ids, &n, err) < 0))
			return cni_err_prefix(err, "failed to garbage-collect iptables rules");
		if (ret_count)
			*ret_count += n.chains;
	}
	if (masq_queue_gc(txn, network, valid, n_valid, &n_nft, err) < 0)
		return cni_err_ret(err);
	if (ret_count)
		*ret_count += n_nft;
	return 0;
}

/* nft_list_rules_filtered() filter: the rules whose comment starts with the instance hash. */
static bool comment_has_prefix(const char *comment, void *userdata)
{
	const char *prefix = userdata;

	return comment && strncmp(comment, prefix, strlen(prefix)) == 0;
}

/* The first address of res without its nftables rule, into *ret_missing. */
static int check_nft(struct nft_txn *txn, const struct cni_result *res, const char *network,
		     const char *ifname, const char *container_id, struct ip_net *ret_missing,
		     struct cni_err *err)
{
	_cleanup_(nft_rule_list_freep) struct nft_rule_list *l = NULL;
	char hash[MASQ_INSTANCE_HASH_LEN + 1], comment[NFT_COMMENT_MAX + 1];
	bool exists = false;
	int r;

	r = masq_instance_hash(network, ifname, container_id, hash, err);
	if (r == 0)
		r = masq_comment(network, ifname, container_id, comment, err);
	if (r == 0)
		r = nft_chain_exists(txn, NFPROTO_INET, MASQ_TABLE, MASQ_CHAIN, &exists, err);
	if (r < 0)
		return r;
	if (!exists) {
		*ret_missing = res->ips[0].address;
		return 0;
	}
	r = nft_list_rules_filtered(txn, NFPROTO_INET, MASQ_TABLE, MASQ_CHAIN, comment_has_prefix,
				    hash, &l, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < res->n_ips; i++) {
		_cleanup_(nft_rule_freep) struct nft_rule *want = NULL;
		bool found = false;

		r = masq_build_rule(&res->ips[i].address, comment, &want, err);
		if (r < 0)
			return r;
		for (size_t j = 0; j < l->n && !found; j++)
			found = nft_rule_info_equal(&l->rule[j], want);
		if (!found) {
			*ret_missing = res->ips[i].address;
			return 0;
		}
	}
	return 0;
}

/* The first address of res without the reference's iptables POSTROUTING jump to the
 * container's chain, into *ret_missing. */
static int check_xt(struct nft_txn *txn, const struct cni_result *res, const char *network,
		    const char *container_id, struct ip_net *ret_missing, struct cni_err *err)
{
	char chain[XT_CNI_CHAIN_LEN + 1];
	int r;

	r = xt_cni_chain_name("CNI-", network, container_id, chain, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < res->n_ips; i++) {
		_cleanup_(xt_rule_list_freep) struct xt_rule_list *l = NULL;
		const struct ip_net *ip = &res->ips[i].address;
		bool v6 = ip->ip.family == AF_INET6, table = false, found = false;
		char src[IP_STRLEN + 16], a[IP_STRLEN];

		snprintf(src, sizeof(src), "-s %s/%d ", ip_format(&ip->ip, a, sizeof(a)),
			 v6 ? 128 : 32);
		r = nft_table_exists(txn, v6 ? NFPROTO_IPV6 : NFPROTO_IPV4, XT_TABLE_NAT, &table,
				     err);
		if (r == 0 && table)
			r = xt_list_chain(txn, v6 ? NFPROTO_IPV6 : NFPROTO_IPV4, XT_TABLE_NAT,
					  "POSTROUTING", &l, err);
		if (r < 0)
			return r;
		for (size_t j = 0; l && j < l->n && !found; j++) {
			const struct xt_rule_view *v = &l->rule[j].view;

			found = v->jump && !strcmp(v->jump, chain) && v->text &&
				!strncmp(v->text, src, strlen(src));
		}
		if (!found) {
			*ret_missing = *ip;
			return 0;
		}
	}
	return 0;
}

int ipmasq_check(struct nft_txn *txn, const struct cni_result *res, const char *network,
		 const char *ifname, const char *container_id, struct ip_net *ret_missing,
		 struct cni_err *err)
{
	struct ip_net nft_missing = {0};
	int r;

	memset(ret_missing, 0, sizeof(*ret_missing));
	if (!res->n_ips)
		return 0;
	r = check_nft(txn, res, network, ifname, container_id, &nft_missing, err);
	if (r < 0 || !nft_missing.ip.family)
		return r;
	/* Not (all) in nftables: the iptables layout, which an ADD on a node holding the
	 * reference's state, or with "ipMasqBackend": "iptables", writes. */
	return check_xt(txn, res, network, container_id, ret_missing, err);
}
