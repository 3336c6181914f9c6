/* SPDX-License-Identifier: Apache-2.0 */
/* portmap's iptables backend: the reference's iptables layout (table nat of each family),
 * written through the iptables-nft layer (net/xt.h) into the command's one nftables batch:
 *
 *   CNI-HOSTPORT-SETMARK  -m comment --comment "CNI portfwd masquerade mark"
 *                         -j MARK --set-xmark M/M              (snat, no externalSetMarkChain)
 *   CNI-HOSTPORT-MASQ     -m mark --mark M/M -j MASQUERADE      (the same)
 *   POSTROUTING           -m comment --comment "CNI portfwd requiring masquerade"
 *                         -j CNI-HOSTPORT-MASQ                   (first)
 *   PREROUTING, OUTPUT    -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT
 *   CNI-DN-<hash>         per mapping: [-s SUBNET] [-d hostIP] -p P --dport H -j <mark>,
 *                         (IPv4) -s 127.0.0.1 ... -j <mark>, then -j DNAT --to-destination
 *   CNI-HOSTPORT-DNAT     -p P -m comment --comment "dnat name: \"N\" id: \"ID\""
 *                         -m multiport --dports H1,... [conditions] -j CNI-DN-<hash>
 *
 * so `iptables-nft -t nat -S` lists what the reference lists for the same ADD, and the
 * reference's DEL removes it. DEL goes through xt_cni_portmap_remove() for both backends. */
#ifndef PORTMAP_IPTABLES_H
#define PORTMAP_IPTABLES_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "net/nft.h"
#include "portmap/netconf.h"

/* The reference's shared chain names. */
#define PM_XT_SETMARK "CNI-HOSTPORT-SETMARK"
#define PM_XT_MASQ    "CNI-HOSTPORT-MASQ"
#define PM_XT_DNAT    "CNI-HOSTPORT-DNAT"

/* ADD: queue what is missing of the layout for every family the container has an address
 * of (each rule only when no equal rule is there, as the reference's -C before -A/-I).
 * An externalSetMarkChain that does not exist is code 999 (-ENOENT), as the reference's
 * failing iptables -C; nothing is queued then. *ret_n_rules (may be
 * NULL) gets the number of rules queued. */
int pm_xt_queue_add(struct nft_txn *txn, const struct portmap_conf *c, const char *network,
		    const char *container_id, size_t *ret_n_rules,
		    struct cni_err *err) CNI_MUST_USE;

/* CHECK as the reference: per container family, the CNI-DN chain must exist ("chain %s not
 * found in iptables table nat") and hold every per-mapping rule, and CNI-HOSTPORT-DNAT
 * every entry rule ("rule %s in chain %s not found in table nat"). */
int pm_xt_check(struct nft_txn *txn, const struct portmap_conf *c, const char *network,
		const char *container_id, struct cni_err *err) CNI_MUST_USE;

/* The default-backend rule: does the node hold the reference's portmap iptables state
 * (chain CNI-HOSTPORT-DNAT in ip nat)? One GET. */
int pm_xt_state_present(struct nft_txn *txn, bool *ret_present, struct cni_err *err) CNI_MUST_USE;

#endif
