/* SPDX-License-Identifier: Apache-2.0 */
/* The iptables state the reference plugins' iptables backends write, found and removed by
 * name (net/xt.h underneath), without the container's netns or addresses:
 *
 *   bridge ipMasq    nat CNI-<hash28>: its rules; POSTROUTING: "-s <ip> ... -j CNI-<hash28>"
 *                    with the comment name: "<net>" id: "<id>"
 *   portmap          nat CNI-DN-<hash>: the per-mapping rules; CNI-HOSTPORT-DNAT: the entry
 *                    rules "-j CNI-DN-<hash>" (comment dnat name: "<net>" id: "<id>"); the
 *                    legacy CNI-SN-<hash> chains jumped from CNI-HOSTPORT-SNAT
 *
 * in both families (iptables and ip6tables). <hash> is lower-case hex SHA-512 of the network
 * name followed by the container ID, cut so the whole name has 28 characters. The shared
 * chains (CNI-HOSTPORT-SETMARK/-MASQ/-DNAT and their jumps) stay, as the reference leaves
 * them. */
#ifndef CNI_XT_CNI_H
#define CNI_XT_CNI_H

#include <stdbool.h>
#include <stddef.h>

#include "net/nft.h"

/* Length of the reference's hash-derived chain names. */
#define XT_CNI_CHAIN_LEN 28

/* Longest comment the reference writes (name and ID quoted). */
#define XT_CNI_COMMENT_MAX 256

/* The reference's FormatChainName(net, id) with prefix ("CNI-", "CNI-DN-", "CNI-SN-") into
 * out[XT_CNI_CHAIN_LEN + 1]. -EINVAL for a prefix of 28 characters or more. */
int xt_cni_chain_name(const char *prefix, const char *network, const char *container_id,
		      char out[XT_CNI_CHAIN_LEN + 1], struct cni_err *err) CNI_MUST_USE;

/* The reference's FormatComment(net, id): name: "<net>" id: "<id>" with both Go-%q quoted,
 * into out (size bytes). -ENAMETOOLONG when it does not fit. */
int xt_cni_comment(const char *network, const char *container_id, char *out, size_t size,
		   struct cni_err *err) CNI_MUST_USE;

/* What a removal found and queued. */
struct xt_cni_count {
	size_t rules;  /* jump rules deleted from the shared chains */
	size_t chains; /* per-container chains flushed and deleted */
};

/* Queue the removal of the bridge ipMasq state of one container (both families): the
 * POSTROUTING rules jumping to its chain or carrying its comment, and the chain. Nothing
 * found queues nothing. count may be NULL (else it is added to). */
int xt_cni_masq_remove(struct nft_txn *txn, const char *network, const char *container_id,
		       struct xt_cni_count *count, struct cni_err *err) CNI_MUST_USE;

/* Queue the removal of the portmap state of one container (both families): the
 * CNI-HOSTPORT-DNAT rules jumping to its CNI-DN chain and that chain, the same for the
 * legacy CNI-HOSTPORT-SNAT / CNI-SN chain. */
int xt_cni_portmap_remove(struct nft_txn *txn, const char *network, const char *container_id,
			  struct xt_cni_count *count, struct cni_err *err) CNI_MUST_USE;

/* Is any of the container's portmap state there (its CNI-DN chain in either family)? */
int xt_cni_portmap_present(struct nft_txn *txn, const char *network, const char *container_id,
			   bool *ret_present, struct cni_err *err) CNI_MUST_USE;

/* GC: queue the removal of the ipMasq and portmap state of every container of network
 * whose ID is not in keep_ids (NULL-terminated, may be NULL), as found through the
 * comments of the POSTROUTING and CNI-HOSTPORT-DNAT rules of both families (the reference
 * names the network and container there). The state of other networks is not touched. */
int xt_cni_gc(struct nft_txn *txn, const char *network, const char *const *keep_ids,
	      struct xt_cni_count *count, struct cni_err *err) CNI_MUST_USE;

/* Files that list the iptables-legacy tables in use in the current network namespace. */
#define XT_CNI_LEGACY_V4 "/proc/net/ip_tables_names"
#define XT_CNI_LEGACY_V6 "/proc/net/ip6_tables_names"

/* Code 2 (CNI_ERR_UNSUPPORTED_FIELD, -EOPNOTSUPP) when the namespace uses iptables-legacy
 * (a table listed in XT_CNI_LEGACY_V4 or _V6, or in the files the environment variable
 * CNI_XT_LEGACY_NAMES_DIR names instead, for tests): rules written into nf_tables would
 * not be the ones `iptables` shows there. what names the option for the message
 * ("\"ipMasqBackend\": \"iptables\""). 0 otherwise (also when the files cannot be read:
 * no legacy iptables). */
int xt_cni_refuse_legacy(const char *what, struct cni_err *err) CNI_MUST_USE;

/* Does the iptables-nft table nat exist in either family? One GET per family: when it does
 * not, none of the reference's iptables state can be there. */
int xt_cni_nat_present(struct nft_txn *txn, bool *ret_present, struct cni_err *err) CNI_MUST_USE;

#endif
