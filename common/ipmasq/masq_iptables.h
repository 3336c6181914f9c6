/* SPDX-License-Identifier: Apache-2.0 */
/* ipMasq through the reference's iptables backend (table nat of each family, written
 * through the iptables-nft layer into the command's nftables batch), per address:
 *
 *   CNI-<hash>   -d <subnet> -m comment --comment C -j ACCEPT
 *                ! -d 224.0.0.0/4 (IPv6: ff00::/8) -m comment --comment C -j MASQUERADE
 *   POSTROUTING  -s <address> -m comment --comment C -j CNI-<hash>        (appended)
 *
 * with <hash> and C = name: "<net>" id: "<id>" as net/xt_cni.h computes them, so
 * `iptables-nft -t nat -S` lists what the reference lists and either side's DEL removes
 * it (ours through xt_cni_masq_remove()). */
#ifndef CNI_IPMASQ_MASQ_IPTABLES_H
#define CNI_IPMASQ_MASQ_IPTABLES_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "ipnet.h"
#include "net/nft.h"

/* Queue what is missing of the layout for ips[0..n_ips-1] (each rule only when no equal
 * rule is there or queued, as the reference's -C before -A). */
int masq_xt_queue_setup(struct nft_txn *txn, const struct ip_net *ips, size_t n_ips,
			const char *network, const char *container_id,
			struct cni_err *err) CNI_MUST_USE;

/* The default-backend rule: does POSTROUTING of ip nat or ip6 nat hold a jump of the
 * reference's ipMasq for this network (comment name: "<net>" id: ...)? A GET of each
 * family's table first: no table, nothing listed. */
int masq_xt_state_present(struct nft_txn *txn, const char *network, bool *ret_present,
			  struct cni_err *err) CNI_MUST_USE;

#endif
