/* SPDX-License-Identifier: Apache-2.0 */
/* ipMasq's iptables backend (see masq_iptables.h). */
#include "ipmasq/masq_iptables.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "strv.h"
#include "net/xt.h"
#include "net/xt_cni.h"

/* Rules built by one fill, and the -S lines it queued. */
struct masq_xt {
	struct nft_txn *txn; /* the transaction */
	char **queued;	     /* lines queued */
};

static void masq_xt_clear(struct masq_xt *x)
{
	strv_free(x->queued);
}

/* Append rule unless it or an equal one is there or queued; takes the rule. */
static int append_unique(struct masq_xt *x, struct xt_rule *rule_in, struct cni_err *err)
{
	_cleanup_(xt_rule_freep) struct xt_rule *rule = rule_in;

	return xt_txn_queue_once(x->txn, rule, false, &x->queued, NULL, err);
}

/* "[hdr] -m comment --comment C" then the target: jump to chain, or verdict/masquerade. */
static int rule(struct masq_xt *x, int fam, const char *chain, const struct xt_hdr *h,
		const char *comment, const char *jump, bool masquerade, struct cni_err *err)
{
	struct xt_rule *r = NULL;
	int rc;

	rc = xt_rule_new(fam, XT_TABLE_NAT, chain, h, &r, err);
	if (rc < 0)
		return rc;
	rc = xt_rule_comment(r, comment, err);
	if (rc == 0)
		rc = jump	  ? xt_rule_jump(r, jump, err)
		     : masquerade ? xt_rule_masquerade(r, err)
				  : xt_rule_verdict(r, NF_ACCEPT, err);
	if (rc < 0) {
		xt_rule_free(r);
		return rc;
	}
	return append_unique(x, r, err);
}

int masq_xt_queue_setup(struct nft_txn *txn, const struct ip_net *ips, size_t n_ips,
			const char *network, const char *container_id, struct cni_err *err)
{
	static const uint8_t mc4[4] = {224, 0, 0, 0}, mc6[16] = {0xff};
	_cleanup_(masq_xt_clear) struct masq_xt x = {.txn = txn};
	char chain[XT_CNI_CHAIN_LEN + 1], comment[XT_CNI_COMMENT_MAX * 4];
	int r;

	r = xt_cni_chain_name("CNI-", network, container_id, chain, err);
	if (r == 0)
		r = xt_cni_comment(network, container_id, comment, sizeof(comment), err);
	if (r == 0 && strlen(comment) > XT_COMMENT_MAX)
		r = cni_err_set_errno(err, CNI_ERR_INVALID_CONFIG, EINVAL,
				      "the iptables comment for network '%s' and container '%s' "
				      "is longer than %d characters",
				      network, container_id, XT_COMMENT_MAX);
	for (size_t i = 0; r == 0 && i < n_ips; i++) {
		const struct ip_net *ip = &ips[i];
		bool v6 = ip->ip.family == AF_INET6;
		int fam = v6 ? NFPROTO_IPV6 : NFPROTO_IPV4;
		struct xt_hdr acc = {.dst = ip->ip.a, .dst_len = ip->prefix};
		struct xt_hdr mq = {.dst = v6 ? mc6 : mc4, .dst_len = v6 ? 8 : 4, .dst_inv = true};
		struct xt_hdr jmp = {.src = ip->ip.a, .src_len = -1};

		r = xt_txn_ensure_chain(txn, fam, XT_TABLE_NAT, chain, err);
		if (r == 0)
			r = rule(&x, fam, chain, &acc, comment, NULL, false, err);
		if (r == 0)
			r = rule(&x, fam, chain, &mq, comment, NULL, true, err);
		if (r == 0)
			r = rule(&x, fam, "POSTROUTING", &jmp, comment, chain, false, err);
	}
	return r;
}

int masq_xt_state_present(struct nft_txn *txn, const char *network, bool *ret_present,
			  struct cni_err *err)
{
	static const int fams[] = {NFPROTO_IPV4, NFPROTO_IPV6};
	char prefix[XT_CNI_COMMENT_MAX * 4];
	size_t plen;
	int r;

	*ret_present = false;
	/* name: "<net>" id: "" ends with the ID's quotes: cut them off. */
	r = xt_cni_comment(network, "", prefix, sizeof(prefix), err);
	if (r < 0)
		return r;
	plen = strlen(prefix) - 2;
	for (size_t i = 0; i < ARRAY_SIZE(fams) && !*ret_present; i++) {
		_cleanup_(xt_rule_list_freep) struct xt_rule_list *l = NULL;
		bool table = false;

		r = nft_table_exists(txn, fams[i], XT_TABLE_NAT, &table, err);
		if (r < 0)
			return r;
		if (!table)
			continue;
		r = xt_list_chain(txn, fams[i], XT_TABLE_NAT, "POSTROUTING", &l, err);
		if (r < 0)
			return r;
		for (size_t j = 0; j < l->n && !*ret_present; j++) {
			const struct xt_rule_view *v = &l->rule[j].view;

			*ret_present = v->comment && v->jump && !strncmp(v->jump, "CNI-", 4) &&
				       !strncmp(v->comment, prefix, plen);
		}
	}
	return 0;
}
