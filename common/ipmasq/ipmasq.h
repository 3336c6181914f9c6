/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ipMasq as the plugins that masquerade their containers' traffic (bridge, ptp) do it, in
 * one place: the "ipMasqBackend" key, the backend an ADD uses, and what ADD, DEL and GC
 * queue into the command's nftables transaction in either of the reference's layouts
 * (ipmasq/masq.h: nftables, ipmasq/masq_iptables.h: iptables through iptables-nft's
 * encoding). DEL and GC find the rules by the names and comments derived from the network,
 * the interface and the container ID, so they need neither the netns nor the addresses.
 *
 * Like common/iface, this layer speaks both the protocol (common/cni) and the kernel
 * (common/net), and neither side includes it. Errors follow common/'s convention.
 */
#ifndef CNI_IPMASQ_IPMASQ_H
#define CNI_IPMASQ_IPMASQ_H

#include <stdbool.h>
#include <stddef.h>

#include "cni/cni.h"
#include "cni/conf.h"
#include "cni/result.h"
#include "err.h"
#include "net/nft.h"

/* Which firewall layout installs ipMasq rules. */
enum masq_backend {
	MASQ_BACKEND_AUTO,     /* not set: nftables, unless the node holds the reference's
				* iptables state of the network (ipmasq_queue_setup()) */
	MASQ_BACKEND_NFTABLES, /* "nftables" */
	MASQ_BACKEND_IPTABLES, /* "iptables": the reference's CNI-<hash> chains */
};

/* The config's "ipMasqBackend" (a string member of root): absent is MASQ_BACKEND_AUTO;
 * another value than "nftables" or "iptables" is code 7 "unknown ipmasq backend \"x\"",
 * a non-string code 7 naming the key. */
int ipmasq_backend_load(const cJSON *root, enum masq_backend *ret,
			struct cni_err *err) CNI_MUST_USE;

/* Before an ADD changes anything: with the iptables backend, code 2 on a node that uses
 * iptables-legacy (xt_cni_refuse_legacy()). 0 for the other backends. */
int ipmasq_refuse_legacy(enum masq_backend backend, struct cni_err *err) CNI_MUST_USE;

/*
 * ADD: queue the masquerade of every address of res (each to anything outside its subnet)
 * for the attachment (network, ifname, container_id) in the backend's layout; with
 * MASQ_BACKEND_AUTO, the iptables layout when the node already holds the reference's
 * iptables ipMasq state of network (so a node switched from the reference keeps one
 * layout), else nftables, decided by reads bound to txn (call it from an nft_txn_run()
 * fill function). *ret_iptables (may be NULL) says which was used. Errors are prefixed
 * "failed to set up IP masquerade".
 */
int ipmasq_queue_setup(struct nft_txn *txn, enum masq_backend backend, const struct cni_result *res,
		       const char *network, const char *ifname, const char *container_id,
		       bool *ret_iptables, struct cni_err *err) CNI_MUST_USE;

/*
 * DEL: queue the removal of the attachment's nftables masquerade rules and, with iptables,
 * of the reference's iptables ipMasq state of (network, container_id) in both families
 * (chain and POSTROUTING jumps, written by either implementation). Nothing found queues
 * nothing. Errors are prefixed "failed to remove IP masquerade rules" (nftables) or
 * "failed to remove iptables IP masquerade rules".
 */
int ipmasq_queue_teardown(struct nft_txn *txn, const char *network, const char *ifname,
			  const char *container_id, bool iptables,
			  struct cni_err *err) CNI_MUST_USE;

/*
 * GC: queue the removal of network's masquerade rules of every attachment not in
 * valid[0..n_valid): with iptables first the reference's iptables state (error prefix
 * "failed to garbage-collect iptables rules"), then the nftables rules. *ret_count (may be
 * NULL) gains the number of iptables chains and nftables rules queued for removal.
 */
int ipmasq_queue_gc(struct nft_txn *txn, const char *network, const struct cni_attachment *valid,
		    size_t n_valid, bool iptables, size_t *ret_count,
		    struct cni_err *err) CNI_MUST_USE;

/*
 * CHECK: are the masquerade rules of the attachment there for every address of res, all in
 * one layout (the nftables rule of each address in masq_checks, or the reference's iptables
 * POSTROUTING jump "-s <address>" to the container's CNI-<hash> chain)? *ret_missing gets
 * the first address without a rule (family 0 when none is missing). Reads only.
 */
int ipmasq_check(struct nft_txn *txn, const struct cni_result *res, const char *network,
		 const char *ifname, const char *container_id, struct ip_net *ret_missing,
		 struct cni_err *err) CNI_MUST_USE;

#endif
