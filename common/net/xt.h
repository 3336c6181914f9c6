/* SPDX-License-Identifier: Apache-2.0 */
/* iptables rules in iptables-nft's encoding, queued into an nftables transaction.
 *
 * On hosts whose iptables is iptables-nft, `iptables -t nat ...` edits the nf_tables table
 * "ip nat" (ip6tables: "ip6 nat"), with base chains named and hooked as iptables-nft
 * creates them and rules encoded the way iptables-nft 1.8.9 encodes them: native payload,
 * meta and cmp expressions for -s/-d/-i/-o/-p, --dport and -m mark, xtables compat
 * `match`/`target` expressions holding the xt_* info structs for comment, addrtype,
 * multiport, conntrack, MARK, MASQUERADE and DNAT, a counter before the verdict and the
 * NFTA_RULE_COMPAT protocol. Rules built here list with `iptables-nft -S` and delete with
 * `iptables-nft -D` exactly like rules written by iptables-nft, and rules written by
 * iptables-nft parse back here (xt_rule_parse()).
 *
 * Families are NFPROTO_IPV4 (iptables) and NFPROTO_IPV6 (ip6tables). Everything goes
 * through a transaction of net/nft.h; reads bind its batch to the ruleset generation.
 * Every fallible function returns 0 or a negative errno and fills *err. */
#ifndef CNI_XT_H
#define CNI_XT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/nft.h"

struct nftnl_rule;

/* The iptables tables this layer knows. */
#define XT_TABLE_NAT	"nat"
#define XT_TABLE_FILTER "filter"

/* Longest chain name iptables accepts (XT_EXTENSION_MAXNAMELEN - 1). */
#define XT_CHAIN_MAX 28

/* Longest -m comment text (XT_MAX_COMMENT_LEN - 1). */
#define XT_COMMENT_MAX 255

/* Most ports of one -m multiport match (XT_MULTI_PORTS). */
#define XT_MULTIPORT_MAX 15

/* What iptables calls the IP header part of a rule: every field is optional; iptables-nft
 * encodes them in this fixed order (-i, -o, -p, -s, -d) before any -m match. */
struct xt_hdr {
	const char *in;	 /* -i name, NULL for any */
	bool in_inv;	 /* ! -i */
	const char *out; /* -o name, NULL for any */
	bool out_inv;	 /* ! -o */
	uint8_t proto;	 /* -p (IPPROTO_TCP, IPPROTO_UDP, ...), 0 for any */
	const void *src; /* -s address (4 or 16 bytes, network order), NULL for any */
	int src_len;	 /* its prefix length (-1: full length) */
	bool src_inv;	 /* ! -s */
	const void *dst; /* -d address, NULL for any */
	int dst_len;	 /* its prefix length (-1: full length) */
	bool dst_inv;	 /* ! -d */
};

/* An iptables rule under construction: xt_rule_new(), matches, then one target. */
struct xt_rule;

/* Start "-A <chain> <hdr>" in table (XT_TABLE_NAT or XT_TABLE_FILTER) of family. hdr may
 * be NULL. -EINVAL for a bad family, a missing or too long name, an address of the other
 * family or a prefix out of range. */
int xt_rule_new(int family, const char *table, const char *chain, const struct xt_hdr *hdr,
		struct xt_rule **ret_rule, struct cni_err *err) CNI_MUST_USE;

/* Free a rule. Accepts NULL. */
void xt_rule_free(struct xt_rule *rule);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct xt_rule *, xt_rule_free)

/* The chain the rule goes to. */
const char *xt_rule_chain(const struct xt_rule *rule);

/* The rule's family: NFPROTO_IPV4 or NFPROTO_IPV6. */
int xt_rule_family(const struct xt_rule *rule);

/* "-m comment --comment <text>" (-EINVAL past XT_COMMENT_MAX bytes). */
int xt_rule_comment(struct xt_rule *rule, const char *text, struct cni_err *err) CNI_MUST_USE;

/* "-m tcp|udp|sctp [! ]--dport <port>" (the rule's -p must be tcp, udp or sctp; sctp is
 * the compat sctp match, tcp and udp native payload expressions, as iptables-nft). */
int xt_rule_dport(struct xt_rule *rule, uint16_t port, bool invert,
		  struct cni_err *err) CNI_MUST_USE;

/* "-m multiport --dports p1,p2,..." (1..XT_MULTIPORT_MAX ports; needs -p). */
int xt_rule_multiport_dports(struct xt_rule *rule, const uint16_t *ports, size_t n,
			     struct cni_err *err) CNI_MUST_USE;

/* "-m addrtype [! ]--dst-type <type>" (XT_ADDRTYPE_LOCAL, ...). */
int xt_rule_addrtype_dst(struct xt_rule *rule, uint16_t type, bool invert,
			 struct cni_err *err) CNI_MUST_USE;

/* "-m mark [! ]--mark value[/mask]" (mask 0xffffffff prints without /mask). */
int xt_rule_mark(struct xt_rule *rule, uint32_t value, uint32_t mask, bool invert,
		 struct cni_err *err) CNI_MUST_USE;

/* "-m conntrack --ctstate <states>": states is a mask of XT_CONNTRACK_STATE_BIT(). */
int xt_rule_ctstate(struct xt_rule *rule, uint32_t states, struct cni_err *err) CNI_MUST_USE;

/* Parse one iptables-style condition argument list (portmap's conditionsV4/V6: each
 * element is one argv word, e.g. {"!", "-s", "10.0.0.0/8"}) into the rule: "[!] -s|-d
 * A[/len]" and "[!] -i|-o NAME" set the header part (once each), "-m comment --comment T",
 * "-m mark [!] --mark V[/M]" and "-m addrtype [!] --dst-type T" append matches. Anything
 * else is -EINVAL with CNI_ERR_INVALID_CONFIG naming the word. */
int xt_rule_parse_args(struct xt_rule *rule, const char *const *argv, size_t argc,
		       struct cni_err *err) CNI_MUST_USE;

/* Targets: each ends the rule (a counter, then the target). -EINVAL when it already has
 * one. */

/* "-j ACCEPT" (NF_ACCEPT), "-j DROP" (NF_DROP), "-j RETURN" (NFT_RETURN). */
int xt_rule_verdict(struct xt_rule *rule, int verdict, struct cni_err *err) CNI_MUST_USE;

/* "-j <chain>" to a user chain. */
int xt_rule_jump(struct xt_rule *rule, const char *chain, struct cni_err *err) CNI_MUST_USE;

/* "-j MASQUERADE" (nat table). */
int xt_rule_masquerade(struct xt_rule *rule, struct cni_err *err) CNI_MUST_USE;

/* "-j DNAT --to-destination addr[:port]" (IPv6 "[addr]:port"); port 0 for none. */
int xt_rule_dnat(struct xt_rule *rule, const void *addr, uint16_t port,
		 struct cni_err *err) CNI_MUST_USE;

/* "-j MARK --set-xmark value/mask". */
int xt_rule_set_xmark(struct xt_rule *rule, uint32_t value, uint32_t mask,
		      struct cni_err *err) CNI_MUST_USE;

/* The rule as `iptables -S` prints it ("-A CHAIN -s 10.0.0.2/32 ... -j X"). -EINVAL for a
 * rule without a target. Free *ret_text. */
int xt_rule_format(const struct xt_rule *rule, char **ret_text, struct cni_err *err) CNI_MUST_USE;

/* ---- parsing rules listed from the kernel ------------------------------------------ */

/* One rule as iptables sees it. */
struct xt_rule_view {
	char *text;    /* `iptables -S` line without "-A <chain> " ("-s ... -j X") */
	char *comment; /* text of its first -m comment match, NULL if none */
	char *jump;    /* user chain of -j/-g, NULL for other targets */
	bool unknown;  /* it holds expressions this layer does not know (text shows "?") */
};

/* Free the members of a view (not the view itself). */
void xt_rule_view_clear(struct xt_rule_view *view);

/* Parse a libnftnl rule of an iptables-nft table of family into *view (to be cleared with
 * xt_rule_view_clear()). Unknown expressions do not fail; they set view->unknown. */
int xt_rule_parse(const struct nftnl_rule *nlr, int family, struct xt_rule_view *view,
		  struct cni_err *err) CNI_MUST_USE;

/* One listed rule. */
struct xt_listed_rule {
	uint64_t handle;	  /* nftables rule handle */
	struct xt_rule_view view; /* what it says */
};

/* The rules of one chain, in order. */
struct xt_rule_list {
	size_t n;		     /* number of rules */
	struct xt_listed_rule *rule; /* rule[0..n-1] */
};

/* Free a list. Accepts NULL. */
void xt_rule_list_free(struct xt_rule_list *list);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct xt_rule_list *, xt_rule_list_free)

/* List and parse the rules of a chain; a missing table or chain is an empty list. Errors
 * as nft_list_rules(). */
int xt_list_chain(struct nft_txn *txn, int family, const char *table, const char *chain,
		  struct xt_rule_list **ret_list, struct cni_err *err) CNI_MUST_USE;

/* ---- queueing ---------------------------------------------------------------------- */

/* Queue what `iptables -N` (user chain) or the first use of a built-in chain creates,
 * unless it exists: the table, then the chain (built-in chains with iptables-nft's type,
 * hook, priority and policy accept). An existing chain keeps its rules and policy. */
int xt_txn_ensure_chain(struct nft_txn *txn, int family, const char *table, const char *chain,
			struct cni_err *err) CNI_MUST_USE;

/* Queue `iptables -A` of the rule (ensuring its chain first). The caller keeps the rule. */
int xt_txn_append(struct nft_txn *txn, const struct xt_rule *rule,
		  struct cni_err *err) CNI_MUST_USE;

/* Queue `iptables -I <chain> 1` of the rule: first in its chain. */
int xt_txn_insert(struct nft_txn *txn, const struct xt_rule *rule,
		  struct cni_err *err) CNI_MUST_USE;

/* Insert rules[0..n-1] (all of one chain) at the head of their chain, in this order: what
 * `iptables -I <chain> 1` of rules[n-1], ..., rules[0] gives (separate xt_txn_insert()
 * calls in one batch do the same, each ahead of the ones queued before it). */
int xt_txn_insert_many(struct nft_txn *txn, const struct xt_rule *const *rules, size_t n,
		       struct cni_err *err) CNI_MUST_USE;

/* `iptables -C`: does the chain hold a rule equal to this one (the same `-S` line)? */
int xt_rule_exists(struct nft_txn *txn, const struct xt_rule *rule, bool *ret_exists,
		   struct cni_err *err) CNI_MUST_USE;

/* The rule's `-S` line with the family in place of the leading '-' ("4A CHAIN ...",
 * "6A CHAIN ..."): a key telling rules of one batch apart, since both families list the
 * same lines. Free *ret_key. */
int xt_rule_key(const struct xt_rule *rule, char **ret_key, struct cni_err *err) CNI_MUST_USE;

/*
 * Queue rule (xt_txn_insert() with insert, else xt_txn_append()) unless xt_rule_exists()
 * or its xt_rule_key() is in *queued, the keys this batch queued so far (NULL: the
 * batch is not remembered; xt_rule_exists() sees only what is committed, not what the
 * batch queued). A queued rule's key is added to *queued. *ret_added (may be NULL) says
 * whether it was queued.
 */
int xt_txn_queue_once(struct nft_txn *txn, const struct xt_rule *rule, bool insert, char ***queued,
		      bool *ret_added, struct cni_err *err) CNI_MUST_USE;

/* xt_txn_queue_once() without remembering the batch. */
int xt_txn_append_unique(struct nft_txn *txn, const struct xt_rule *rule, bool *ret_added,
			 struct cni_err *err) CNI_MUST_USE;
int xt_txn_insert_unique(struct nft_txn *txn, const struct xt_rule *rule, bool *ret_added,
			 struct cni_err *err) CNI_MUST_USE;

/* `iptables -D` of a rule spec: queue the deletion of the first rule of its chain equal to
 * it; none (or no chain) queues nothing and sets *ret_deleted (may be NULL) false. */
int xt_txn_delete(struct nft_txn *txn, const struct xt_rule *rule, bool *ret_deleted,
		  struct cni_err *err) CNI_MUST_USE;

/* xt_txn_delete() of each of rules[0..n-1], which are all of one family, table and chain,
 * from one listing of that chain: a listed rule is deleted once at most (as n `iptables -D`
 * would). *ret_count (may be NULL) gets the number of deletions queued. */
int xt_txn_delete_each(struct nft_txn *txn, struct xt_rule *const *rules, size_t n,
		       size_t *ret_count, struct cni_err *err) CNI_MUST_USE;

/* Predicate over a listed rule, for xt_txn_delete_if(). */
typedef bool (*xt_rule_pred_fn)(const struct xt_rule_view *view, void *userdata);

/* Queue the deletion of every rule of the chain the predicate selects (none for a missing
 * chain); *ret_count (may be NULL) gets their number. */
int xt_txn_delete_if(struct nft_txn *txn, int family, const char *table, const char *chain,
		     xt_rule_pred_fn pred, void *userdata, size_t *ret_count,
		     struct cni_err *err) CNI_MUST_USE;

/* `iptables -F` then `-X` of a user chain, if it exists (*ret_deleted, may be NULL, says
 * so). The commit fails with -EBUSY while a rule still jumps to it, unless that rule's
 * deletion is queued before. */
int xt_txn_delete_chain(struct nft_txn *txn, int family, const char *table, const char *chain,
			bool *ret_deleted, struct cni_err *err) CNI_MUST_USE;

#endif
