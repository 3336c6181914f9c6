/* SPDX-License-Identifier: Apache-2.0 */
/* ipMasq through nftables, in the reference nftables backend's exact layout:
 *
 *   table inet cni_plugins_masquerade {
 *     comment "Masquerading for plugins from github.com/containernetworking/plugins"
 *     chain masq_checks {
 *       comment "Masquerade traffic from certain IPs to any (non-multicast) IP outside their subnet"
 *       ip saddr == IP ip daddr != SUBNET masquerade comment "<h16(net)>-<h16(if:id)>, net: ..."
 *     }
 *     chain postrouting {
 *       type nat hook postrouting priority srcnat;
 *       ip daddr == 224.0.0.0/4 return
 *       ip6 daddr == ff00::/8 return
 *       goto masq_checks
 *     }
 *   }
 *
 * so rules written by the Go plugin are found and removed by ours and the other way round.
 */
#ifndef CNI_IPMASQ_MASQ_H
#define CNI_IPMASQ_MASQ_H

#include <stddef.h>

#include "cni/cni.h"
#include "err.h"
#include "ipnet.h"
#include "net/nft.h"

#define MASQ_TABLE	       "cni_plugins_masquerade"
#define MASQ_CHAIN	       "masq_checks"
#define MASQ_POSTROUTING_CHAIN "postrouting"
#define MASQ_TABLE_COMMENT     "Masquerading for plugins from github.com/containernetworking/plugins"
#define MASQ_CHAIN_COMMENT \
	"Masquerade traffic from certain IPs to any (non-multicast) IP outside their subnet"

/* Length of h16(network): 16 hex characters. */
#define MASQ_NET_HASH_LEN 16
/* Length of the instance hash "<h16(network)>-<h16(ifname:containerID)>". */
#define MASQ_INSTANCE_HASH_LEN (2 * MASQ_NET_HASH_LEN + 1)

/* h16(network) into out (MASQ_NET_HASH_LEN + 1 bytes). */
void masq_network_hash(const char *network, char *out);

/* "<h16(network)>-<h16(ifname:containerID)>" into out (MASQ_INSTANCE_HASH_LEN + 1 bytes). */
int masq_instance_hash(const char *network, const char *ifname, const char *container_id, char *out,
		       struct cni_err *err) CNI_MUST_USE;

/* The rule comment of one attachment, truncated to NFT_COMMENT_MAX bytes, into out
 * (NFT_COMMENT_MAX + 1 bytes). Double quotes are dropped from the names, as the Go code does. */
int masq_comment(const char *network, const char *ifname, const char *container_id, char *out,
		 struct cni_err *err) CNI_MUST_USE;

/* Build "ip[6] saddr == <ip> ip[6] daddr != <subnet of ip> masquerade comment <comment>"
 * for the masq_checks chain. */
int masq_build_rule(const struct ip_net *ip, const char *comment, struct nft_rule **ret_rule,
		    struct cni_err *err) CNI_MUST_USE;

/* Build the three rules of the postrouting chain, in order, into rules[3]. */
int masq_build_postrouting(struct nft_rule *rules[3], struct cni_err *err) CNI_MUST_USE;

/* Queue what is missing of the table, both chains and the postrouting chain's rules
 * (rewritten only when they differ), then one masquerade rule per address. */
int masq_queue_setup(struct nft_txn *txn, const struct ip_net *ips, size_t n_ips,
		     const char *network, const char *ifname, const char *container_id,
		     struct cni_err *err) CNI_MUST_USE;

/* Queue the deletion of every rule of this attachment (comment starts with its instance
 * hash). A missing table or chain queues nothing. */
int masq_queue_teardown(struct nft_txn *txn, const char *network, const char *ifname,
			const char *container_id, size_t *ret_count,
			struct cni_err *err) CNI_MUST_USE;

/* Queue the deletion of every rule of `network` whose attachment is not in valid[]. */
int masq_queue_gc(struct nft_txn *txn, const char *network, const struct cni_attachment *valid,
		  size_t n_valid, size_t *ret_count, struct cni_err *err) CNI_MUST_USE;

#endif
