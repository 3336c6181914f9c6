/* SPDX-License-Identifier: Apache-2.0 */
/* What the files of the iptables-nft layer share. */
#ifndef CNI_XT_PRIV_H
#define CNI_XT_PRIV_H

#include "net/xt.h"

struct nftnl_rule;

/* Interface name buffer size of iptables (IFNAMSIZ). */
#define IFNAMSIZ_XT 16

/* The libnftnl rule inside an nft_rule, writable (this layer builds it). */
struct nftnl_rule *xt_nlr(const struct nft_rule *nr);

/* The nftables rule carrying an iptables rule. */
const struct nft_rule *xt_rule_nft(const struct xt_rule *rule);

/* The XT_ADDRTYPE_* bit of an addrtype name ("LOCAL", ...), 0 for none. */
uint16_t xt_addrtype_parse(const char *name);

#endif
