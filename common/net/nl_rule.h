/* SPDX-License-Identifier: Apache-2.0 */
/* Policy routing rules (the FIB rules of "ip rule") over rtnetlink: add, delete, list.
 *
 * Errors follow rtnl.h's convention: 0 or a negative errno with err set, a kernel refusal
 * recorded as Go's errno text and the extended ACK, without context.
 */
#ifndef CNI_NL_RULE_H
#define CNI_NL_RULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "net/nl.h"

/* A rule: "from src/src_len to dst/dst_len lookup table" at a preference. Only the
 * selectors below are built and parsed; a listed rule with other selectors (iif, oif,
 * fwmark, ...) says so in other_selectors. */
struct nl_rule {
	int family;	      /* AF_INET or AF_INET6 */
	uint8_t src[16];      /* FRA_SRC, network order */
	uint8_t src_len;      /* its prefix length; 0 = from all */
	uint8_t dst[16];      /* FRA_DST */
	uint8_t dst_len;      /* its prefix length; 0 = to all */
	uint32_t table;	      /* FRA_TABLE; 0 = none (only with an action other than lookup) */
	bool has_priority;    /* priority is set (on add: else the kernel picks one) */
	uint32_t priority;    /* FRA_PRIORITY, the rule's preference */
	uint8_t action;	      /* FR_ACT_*; 0 = FR_ACT_TO_TBL on add */
	bool other_selectors; /* listed: the rule also matches on something not kept here */
};

/* Add a rule (NLM_F_CREATE|NLM_F_EXCL, as "ip rule add": -EEXIST for an identical rule at
 * the same preference). Without a priority the kernel gives it the preference just below
 * the first rule after the preference-0 one (32765, then 32764, ... on a fresh namespace),
 * so adding the same rule twice that way makes two. */
int nl_rule_add(struct nl_sock *sock, const struct nl_rule *rule, struct cni_err *err);

/* Delete the first rule that matches family, src/src_len, dst/dst_len, table (when not 0),
 * priority (when has_priority) and action (when not 0). -ENOENT when there is none. */
int nl_rule_del(struct nl_sock *sock, const struct nl_rule *rule, struct cni_err *err);

/* Rules of family (AF_UNSPEC = IPv4 and IPv6) whose table is table (0 = any) as a
 * malloc'ed array, in the kernel's order (by preference). Errors as nl_route_list(). */
int nl_rule_list(struct nl_sock *sock, int family, uint32_t table, struct nl_rule **ret_rules,
		 size_t *ret_n, struct cni_err *err);

/* Build RTM_NEWRULE (add) or RTM_DELRULE into buf (NL_MSG_BUF_SIZE bytes). -EAFNOSUPPORT
 * for a family other than AF_INET/AF_INET6, -EINVAL for a prefix length longer than the
 * address. */
int nl_rule_build(void *buf, bool add, const struct nl_rule *rule, struct nlmsghdr **ret_nlh,
		  struct cni_err *err);

/* Decode a RTM_NEWRULE message. -EBADMSG for another type or a short message,
 * -EAFNOSUPPORT for a family other than AF_INET/AF_INET6 (err clear: not an error for a
 * listing, which skips it). */
int nl_rule_parse(const struct nlmsghdr *nlh, struct nl_rule *ret, struct cni_err *err);

#endif
