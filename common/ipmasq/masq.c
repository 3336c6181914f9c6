/* SPDX-License-Identifier: Apache-2.0 */
/* ipMasq: the reference nftables backend's table, chains, rules and comments. */
#include "ipmasq/masq.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "sha512.h"
#include "cleanup.h"

void masq_network_hash(const char *network, char *out)
{
	sha512_hex(network, strlen(network), MASQ_NET_HASH_LEN, out);
}

int masq_instance_hash(const char *network, const char *ifname, const char *container_id, char *out,
		       struct cni_err *err)
{
	/* Container IDs have no length limit: the exact bytes of any length are hashed. */
	if (sha512_hex_printf(MASQ_NET_HASH_LEN, out + MASQ_NET_HASH_LEN + 1, "%s:%s", ifname,
			      container_id) < 0)
		return cni_err_nomem(err);
	masq_network_hash(network, out);
	out[MASQ_NET_HASH_LEN] = '-';
	return 0;
}

/* Append s without double quotes to out[*len..max). */
static void append_unquoted(char *out, size_t *len, size_t max, const char *s)
{
	for (; *s && *len < max; s++)
		if (*s != '"')
			out[(*len)++] = *s;
}

static void append(char *out, size_t *len, size_t max, const char *s)
{
	for (; *s && *len < max; s++)
		out[(*len)++] = *s;
}

int masq_comment(const char *network, const char *ifname, const char *container_id, char *out,
		 struct cni_err *err)
{
	char hash[MASQ_INSTANCE_HASH_LEN + 1];
	size_t len = 0;
	int r;

	r = masq_instance_hash(network, ifname, container_id, hash, err);
	if (r < 0)
		return r;
	append(out, &len, NFT_COMMENT_MAX, hash);
	append(out, &len, NFT_COMMENT_MAX, ", net: ");
	append_unquoted(out, &len, NFT_COMMENT_MAX, network);
	append(out, &len, NFT_COMMENT_MAX, ", if: ");
	append_unquoted(out, &len, NFT_COMMENT_MAX, ifname);
	append(out, &len, NFT_COMMENT_MAX, ", id: ");
	append_unquoted(out, &len, NFT_COMMENT_MAX, container_id);
	out[len] = '\0';
	return 0;
}

int masq_build_rule(const struct ip_net *ip, const char *comment, struct nft_rule **ret_rule,
		    struct cni_err *err)
{
	_cleanup_(nft_rule_freep) struct nft_rule *rule = NULL;
	struct ip_net subnet = ipnet_network(ip);
	int af = ip->ip.family;

	if (nft_rule_new(NFPROTO_INET, MASQ_TABLE, MASQ_CHAIN, comment, &rule, err) < 0 ||
	    nft_rule_match_ip_addr(rule, af, NFT_ADDR_SADDR, ip->ip.a, -1, NFT_CMP_EQ, err) < 0 ||
	    nft_rule_match_ip_addr(rule, af, NFT_ADDR_DADDR, subnet.ip.a, subnet.prefix,
				   NFT_CMP_NEQ, err) < 0 ||
	    nft_rule_masquerade(rule, err) < 0)
		return cni_err_ret(err);
	*ret_rule = TAKE_PTR(rule);
	return 0;
}

int masq_build_postrouting(struct nft_rule *rules[3], struct cni_err *err)
{
	static const uint8_t mcast4[4] = {224, 0, 0, 0};
	static const uint8_t mcast6[16] = {0xff};
	_cleanup_(nft_rule_freep) struct nft_rule *r4 = NULL, *r6 = NULL, *rgoto = NULL;

	if (nft_rule_new(NFPROTO_INET, MASQ_TABLE, MASQ_POSTROUTING_CHAIN, NULL, &r4, err) < 0 ||
	    nft_rule_match_ip_addr(r4, AF_INET, NFT_ADDR_DADDR, mcast4, 4, NFT_CMP_EQ, err) < 0 ||
	    nft_rule_verdict(r4, NFT_RETURN, NULL, err) < 0)
		return cni_err_ret(err);
	if (nft_rule_new(NFPROTO_INET, MASQ_TABLE, MASQ_POSTROUTING_CHAIN, NULL, &r6, err) < 0 ||
	    nft_rule_match_ip_addr(r6, AF_INET6, NFT_ADDR_DADDR, mcast6, 8, NFT_CMP_EQ, err) < 0 ||
	    nft_rule_verdict(r6, NFT_RETURN, NULL, err) < 0)
		return cni_err_ret(err);
	if (nft_rule_new(NFPROTO_INET, MASQ_TABLE, MASQ_POSTROUTING_CHAIN, NULL, &rgoto, err) < 0 ||
	    nft_rule_verdict(rgoto, NFT_GOTO, MASQ_CHAIN, err) < 0)
		return cni_err_ret(err);
	rules[0] = TAKE_PTR(r4);
	rules[1] = TAKE_PTR(r6);
	rules[2] = TAKE_PTR(rgoto);
	return 0;
}

int masq_queue_setup(struct nft_txn *txn, const struct ip_net *ips, size_t n_ips,
		     const char *network, const char *ifname, const char *container_id,
		     struct cni_err *err)
{
	static const struct nft_base_chain postrouting = {
		.type = "nat", .hook = NF_INET_POST_ROUTING, .priority = 100 /* srcnat */};
	char comment[NFT_COMMENT_MAX + 1];
	struct nft_rule *post[3] = {NULL, NULL, NULL};
	bool post_existed = false, post_ok = false;
	int r;

	r = masq_comment(network, ifname, container_id, comment, err);
	if (r < 0)
		return r;
	/* Only what is missing: a normal ADD is one rule appended to masq_checks. */
	if (nft_txn_ensure_table(txn, NFPROTO_INET, MASQ_TABLE, MASQ_TABLE_COMMENT, NULL, err) <
		    0 ||
	    nft_txn_ensure_chain(txn, NFPROTO_INET, MASQ_TABLE, MASQ_CHAIN, NULL,
				 MASQ_CHAIN_COMMENT, NULL, err) < 0 ||
	    nft_txn_ensure_chain(txn, NFPROTO_INET, MASQ_TABLE, MASQ_POSTROUTING_CHAIN,
				 &postrouting, NULL, &post_existed, err) < 0)
		return cni_err_ret(err);
	if (masq_build_postrouting(post, err) < 0)
		return cni_err_ret(err);
	if (post_existed)
		r = nft_chain_rules_equal(txn, NFPROTO_INET, MASQ_TABLE, MASQ_POSTROUTING_CHAIN,
					  post, 3, &post_ok, err);
	if (r == 0 && post_existed && !post_ok)
		r = nft_txn_flush_chain(txn, NFPROTO_INET, MASQ_TABLE, MASQ_POSTROUTING_CHAIN, err);
	for (int i = 0; i < 3; i++) {
		if (r == 0 && !post_ok)
			r = nft_txn_add_rule(txn, post[i], err);
		nft_rule_free(post[i]);
	}
	if (r < 0)
		return r;
	/* No search for stale rules of this attachment (a walk of the whole chain, growing
	 * with every container): ADD has just created the container interface, so a rule
	 * with this attachment's hash can only be left by an ADD whose DEL never completed,
	 * and that DEL removes every rule with the hash, old ones included. */
	for (size_t i = 0; i < n_ips; i++) {
		_cleanup_(nft_rule_freep) struct nft_rule *rule = NULL;

		if (masq_build_rule(&ips[i], comment, &rule, err) < 0 ||
		    nft_txn_add_rule(txn, rule, err) < 0)
			return cni_err_ret(err);
	}
	return 0;
}

int masq_queue_teardown(struct nft_txn *txn, const char *network, const char *ifname,
			const char *container_id, size_t *ret_count, struct cni_err *err)
{
	char hash[MASQ_INSTANCE_HASH_LEN + 1];
	int r;

	r = masq_instance_hash(network, ifname, container_id, hash, err);
	if (r < 0)
		return r;
	return nft_txn_delete_rules_by_comment_prefix(txn, NFPROTO_INET, MASQ_TABLE, MASQ_CHAIN,
						      hash, ret_count, err);
}

/* GC predicate state: the network hash and the instance hashes to keep. */
struct masq_gc {
	char net_prefix[MASQ_NET_HASH_LEN + 2];	  /* "<h16(network)>-" */
	char (*keep)[MASQ_INSTANCE_HASH_LEN + 1]; /* instance hashes of valid attachments */
	size_t n_keep;				  /* number of entries in keep */
};

static bool masq_gc_pred(const struct nft_rule_info *rule, void *userdata)
{
	const struct masq_gc *gc = userdata;

	if (!rule->comment || strncmp(rule->comment, gc->net_prefix, strlen(gc->net_prefix)) != 0)
		return false; /* another network's rule, or not ours at all */
	for (size_t i = 0; i < gc->n_keep; i++)
		if (strncmp(rule->comment, gc->keep[i], MASQ_INSTANCE_HASH_LEN) == 0)
			return false;
	return true;
}

int masq_queue_gc(struct nft_txn *txn, const char *network, const struct cni_attachment *valid,
		  size_t n_valid, size_t *ret_count, struct cni_err *err)
{
	struct masq_gc gc = {.n_keep = n_valid};
	_cleanup_free_ void *keep = NULL;

	masq_network_hash(network, gc.net_prefix);
	strcat(gc.net_prefix, "-");
	if (n_valid) {
		keep = calloc(n_valid, sizeof(*gc.keep));
		if (!keep)
			return cni_err_nomem(err);
		gc.keep = keep;
		for (size_t i = 0; i < n_valid; i++) {
			int r = masq_instance_hash(network, valid[i].ifname, valid[i].container_id,
						   gc.keep[i], err);

			if (r < 0)
				return r;
		}
	}
	return nft_txn_delete_rules_if(txn, NFPROTO_INET, MASQ_TABLE, MASQ_CHAIN, masq_gc_pred, &gc,
				       ret_count, err);
}
