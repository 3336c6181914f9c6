/* SPDX-License-Identifier: Apache-2.0 */
/* macspoofchk: the reference's nftables layout (pkg/link/spoofcheck.go):
 *
 *   table bridge nat {
 *     chain PREROUTING { type filter hook prerouting priority -300; policy accept;
 *       iifname "<hostveth>" jump cni-br-iface-<id> comment "macspoofchk-<id>" }
 *     chain cni-br-iface-<id> { jump cni-br-iface-<id>-mac comment "macspoofchk-<id>" }
 *     chain cni-br-iface-<id>-mac {
 *       ether saddr <container mac> return comment "macspoofchk-<id>"
 *       drop comment "macspoofchk-<id>" }
 *   }
 *
 * where <id> is "<containerID>-<ifname>" (the reference's names, kept wherever they fit).
 * When "macspoofchk-<id>" would exceed the NFT_COMMENT_MAX bytes of a rule comment (an
 * <id> over 116 bytes, which the reference's nft cannot create), <id> is the first
 * SPOOFCHK_ID_KEEP bytes of the container ID, "-" and SPOOFCHK_HASH_LEN hex characters of
 * sha512("<containerID>-<ifname>"): bounded names, so ADD, CHECK, DEL and GC work for a
 * container ID of any length.
 */
#ifndef BRIDGE_SPOOFCHK_H
#define BRIDGE_SPOOFCHK_H

#include <stddef.h>
#include <stdint.h>

#include "cni/cni.h"
#include "err.h"
#include "net/nft.h"

struct nl_sock;

#define SPOOFCHK_TABLE		"nat"
#define SPOOFCHK_BASE_CHAIN	"PREROUTING"
#define SPOOFCHK_CHAIN_PREFIX	"cni-br-iface-"
#define SPOOFCHK_COMMENT_PREFIX "macspoofchk-"
/* Bytes of the container ID kept in a hash-derived <id>. */
#define SPOOFCHK_ID_KEEP 64
/* Hex characters of the hash in a hash-derived <id>. */
#define SPOOFCHK_HASH_LEN 16

/* The <id> of an attachment (see above), malloc'ed into *ret_id. -ENOMEM. */
int spoofchk_ref_id(const char *container_id, const char *ifname, char **ret_id,
		    struct cni_err *err) CNI_MUST_USE;

/* Build the four rules of one attachment into rules[4]: the PREROUTING jump, the jump to
 * the MAC chain, the MAC return and the drop. */
int spoofchk_build_rules(const char *host_ifname, const uint8_t mac[6], const char *container_id,
			 const char *ifname, struct nft_rule *rules[4],
			 struct cni_err *err) CNI_MUST_USE;

/* Queue what is missing of the table and base chain, the attachment's chains and its
 * rules; when its chain already exists (a repeated ADD), its old jump is deleted and its
 * chains emptied first, so nothing is duplicated. */
int spoofchk_queue_setup(struct nft_txn *txn, const char *host_ifname, const uint8_t mac[6],
			 const char *container_id, const char *ifname,
			 struct cni_err *err) CNI_MUST_USE;

/* Queue the removal of the attachment's PREROUTING rule(s) and chains. Nothing to do is
 * not an error. */
int spoofchk_queue_teardown(struct nft_txn *txn, const char *container_id, const char *ifname,
			    struct cni_err *err) CNI_MUST_USE;

/* Queue the removal of the spoofcheck rules and chains of attachments not in valid[]
 * whose host interface no longer exists or is a port of bridge_index (0 = do not match
 * on the bridge). */
int spoofchk_queue_gc(struct nft_txn *txn, struct nl_sock *host, int bridge_index,
		      const struct cni_attachment *valid, size_t n_valid, size_t *ret_count,
		      struct cni_err *err) CNI_MUST_USE;

#endif
