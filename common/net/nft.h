/* SPDX-License-Identifier: Apache-2.0 */
/* nftables over libnftnl: one batch per transaction, applied all-or-nothing; listing and
 * deleting rules by comment; composable expression builders that encode exactly what
 * `nft -f` encodes for the same rule text.
 *
 * A transaction owns a NETLINK_NETFILTER socket of the netlink transport (net/nl.h): the
 * batch goes out with nl_batch(), GETs and dumps with nl_request()/nl_dump(), so every
 * reply is matched by sequence number and a refusal carries the kernel's extended ACK text
 * (in details). Families are the NFPROTO_* values (NFPROTO_INET, NFPROTO_IPV4,
 * NFPROTO_IPV6, NFPROTO_BRIDGE). Every fallible function returns 0 or a negative errno
 * value and fills *err; besides the values named below, -ENOMEM.
 *
 * Three files: the write side (nft.c: transactions, queueing, anonymous sets, commit,
 * nft_txn_run()), the read side (nft_read.c: the generation, GETs and dumps of tables,
 * chains and rules, a rule's text and expressions, and the helpers that read first and
 * then queue what is missing or unwanted) and the rule builders (nft_expr.c). */
#ifndef CNI_NFT_H
#define CNI_NFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h> /* before the linux/ headers, which would clash */
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "cleanup.h"
#include "err.h"

struct nftnl_rule;

/* Longest rule/chain/table comment nft accepts (NFTNL_UDATA_COMMENT_MAXLEN). */
#define NFT_COMMENT_MAX 128

/* A transaction: its own netfilter netlink socket, a sequence counter, the queued
 * batch and a description of every queued message (for error reports). */
struct nft_txn;

/* NF_BR_PRE_ROUTING for bridge base chains; <linux/netfilter_bridge.h> itself clashes
 * with <net/if.h>, so it is not included here. */
#define NFT_BR_PRE_ROUTING 0

/* Policy of a base chain. The zero value leaves the kernel default (accept). */
enum nft_chain_policy {
	NFT_POLICY_DEFAULT = 0, /* no NFTA_CHAIN_POLICY sent, as `nft` without "policy" */
	NFT_POLICY_ACCEPT,	/* policy accept */
	NFT_POLICY_DROP,	/* policy drop */
};

/* What makes a chain a base chain ("type nat hook postrouting priority 100;"). */
struct nft_base_chain {
	const char *type;	      /* "nat", "filter" or "route" */
	int hook;		      /* NF_INET_PRE_ROUTING.., NFT_BR_PRE_ROUTING for bridge */
	int priority;		      /* e.g. -100 (dstnat), 100 (srcnat), -300 (bridge dstnat) */
	enum nft_chain_policy policy; /* chain policy; NFT_POLICY_DEFAULT sends none */
};

/* ---- transactions: queueing and commit (nft.c) ------------------------------------- */

/* Name of a family as nft prints it ("inet", "ip", "ip6", "bridge", ...). */
const char *nft_family_name(int family);

/* Create a transaction with a fresh netfilter netlink socket in the current network
 * namespace. Free with nft_txn_free(). -errno of socket()/bind(). */
int nft_txn_new(struct nft_txn **ret_txn, struct cni_err *err) CNI_MUST_USE;

/* Drop any uncommitted messages and close the socket with nl_close_detached(): the caller
 * does not wait for the kernel to free what this or an earlier commit deleted. Accepts
 * NULL. */
void nft_txn_free(struct nft_txn *txn);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nft_txn *, nft_txn_free)

/* Queue "add table <family> <name> [{ comment "<comment>" }]". Idempotent at commit
 * (no NLM_F_EXCL); an existing table keeps its comment. comment may be NULL. The queueing
 * functions below fail with -EINVAL for an empty or too long name (NFT_NAME_MAXLEN) or
 * comment (NFT_COMMENT_MAX), and -EMSGSIZE for a message larger than a batch page. */
int nft_txn_add_table(struct nft_txn *txn, int family, const char *name, const char *comment,
		      struct cni_err *err) CNI_MUST_USE;

/* Queue "add chain": a regular chain when base is NULL, else a base chain (-EINVAL without
 * a type). Idempotent at commit for an identical hook specification. comment may be NULL. */
int nft_txn_add_chain(struct nft_txn *txn, int family, const char *table, const char *chain,
		      const struct nft_base_chain *base, const char *comment,
		      struct cni_err *err) CNI_MUST_USE;

/* Queue "flush chain": delete every rule of the chain. */
int nft_txn_flush_chain(struct nft_txn *txn, int family, const char *table, const char *chain,
			struct cni_err *err) CNI_MUST_USE;

/* Queue "delete chain" (the chain must be empty and unreferenced at that point). */
int nft_txn_delete_chain(struct nft_txn *txn, int family, const char *table, const char *chain,
			 struct cni_err *err) CNI_MUST_USE;

/* Queue "delete rule <family> <table> <chain> handle <handle>". */
int nft_txn_delete_rule(struct nft_txn *txn, int family, const char *table, const char *chain,
			uint64_t handle, struct cni_err *err) CNI_MUST_USE;

struct nft_rule;

/* Queue "add rule" (append) for a rule built with nft_rule_new() and the builders
 * below. The rule is copied into the batch; the caller still owns and frees it. */
int nft_txn_add_rule(struct nft_txn *txn, const struct nft_rule *rule,
		     struct cni_err *err) CNI_MUST_USE;

/* Queue "insert rule" for such a rule: at the head of its chain, or before the rule its
 * NFTNL_RULE_POSITION handle names. Also ahead of rules queued earlier in the batch. */
int nft_txn_insert_rule(struct nft_txn *txn, const struct nft_rule *rule,
			struct cni_err *err) CNI_MUST_USE;

/* Send the whole batch between NFNL_MSG_BATCH_BEGIN/END and wait for every ACK. The
 * kernel applies all of it or nothing; a batch bound to the generation of its reads
 * (nft_txn_bind_generation()) fails with -ERESTART when the ruleset changed since. On
 * failure the error names the first failing message ("add rule to chain 'x' in table ip
 * t: No such file or directory") with the kernel's extended ACK text as details, and the
 * negative errno of that message is returned (e.g. -ENOENT when a chain to delete
 * vanished meanwhile: read and retry, as nft_txn_run() does).
 * -ETIMEDOUT when ACKs are missing, -errno of sendmsg()/recvmsg() ("failed to send netlink
 * message"). The queue is emptied either way; the transaction can be reused. An empty
 * queue commits trivially. */
int nft_txn_commit(struct nft_txn *txn, struct cni_err *err) CNI_MUST_USE;

/* How often nft_txn_run() fills and commits a transaction before it gives up. */
#define NFT_TXN_ATTEMPTS 40

/* Longest pause between two attempts of nft_txn_run(), in milliseconds. */
#define NFT_TXN_PAUSE_MAX_MS 50

/* Longest wait of nft_txn_run() for the namespace's lock, in milliseconds. */
#define NFT_LOCK_WAIT_MS 10000

/* Queues a command's changes into txn (empty on entry), reading what it needs with the
 * listing functions below; called again for every attempt of nft_txn_run(). */
typedef int (*nft_txn_fill_fn)(struct nft_txn *txn, void *userdata, struct cni_err *err);

/* Sends what the fill function queued, for commits that add messages of their own
 * (NULL: nft_txn_commit()). Must empty the transaction like nft_txn_commit(). */
typedef int (*nft_txn_send_fn)(struct nft_txn *txn, void *userdata, struct cni_err *err);

/* Fill txn and commit it, as one batch, until it applies. Each attempt holds a lock of
 * the transaction's network namespace (flock() on its nsfs file, waited for up to
 * NFT_LOCK_WAIT_MS), so that the suite's own commands in one namespace read and commit
 * in turn instead of invalidating each other's reads; other writers are caught by the
 * generation check. An attempt that fails because
 * the ruleset changed since it was read (-ERESTART, see nft_txn_bind_generation()), whose
 * listing the kernel kept interrupting (-EINTR), or whose commit refers to something a
 * concurrent command removed or still uses (-ENOENT, -EBUSY) is redone from scratch
 * after a short random pause, up to NFT_TXN_ATTEMPTS attempts. Other failures, of fill
 * or of the commit, are returned at once; after the last attempt the last error is
 * (-ERESTART and -EINTR with CNI code 11, "gave up after N attempts: ..."). */
int nft_txn_run(struct nft_txn *txn, nft_txn_fill_fn fill, nft_txn_send_fn send, void *userdata,
		struct cni_err *err) CNI_MUST_USE;

/* Make the batch depend on what the transaction read: the first read (GET or listing)
 * since the last commit or abort records the ruleset generation (NFT_MSG_GETGEN), and a
 * bound batch carries it in its BATCH_BEGIN; the kernel then refuses the whole batch
 * with -ERESTART (CNI code 11, "the nftables ruleset changed since it was read") when
 * any other commit came in between, so nothing is applied on the strength of stale
 * reads. nft_txn_delete_rule() binds implicitly (its handle comes from a listing).
 * Without reads it has no effect. */
void nft_txn_bind_generation(struct nft_txn *txn);

/* Drop every queued message without sending anything. */
void nft_txn_abort(struct nft_txn *txn);

/* ---- anonymous sets (nft.c) -------------------------------------------------------- */

/* Longest key of an anonymous set (an interface name, an IPv6 address). */
#define NFT_SET_KEY_MAX 16

/* Name nft gives every anonymous set; the kernel replaces %d with a free number. Rules
 * look such a set up by this name and the set's id in the batch. */
#define NFT_ANON_SET_NAME "__set%d"

/* nft's datatypes of set keys (enum datatypes of nftables), as NFTA_SET_KEY_TYPE. */
enum nft_set_key_type {
	NFT_SET_TYPE_IPADDR = 7,	 /* ip saddr/daddr */
	NFT_SET_TYPE_IP6ADDR = 8,	 /* ip6 saddr/daddr */
	NFT_SET_TYPE_INET_PROTOCOL = 12, /* meta l4proto, ip protocol, ip6 nexthdr */
	NFT_SET_TYPE_INET_SERVICE = 13,	 /* tcp/udp/sctp sport/dport */
	NFT_SET_TYPE_MARK = 19,		 /* meta mark */
	NFT_SET_TYPE_IFINDEX = 20,	 /* meta iif/oif */
	NFT_SET_TYPE_CT_STATE = 26,	 /* ct state */
	NFT_SET_TYPE_IFNAME = 41,	 /* meta iifname/oifname */
};

/* nft's expression type ids in set userdata ("typeof" of the key). */
#define NFT_TYPEOF_PAYLOAD 7
#define NFT_TYPEOF_META	   9
#define NFT_TYPEOF_CT	   12

/* What a set's key is made of, for the userdata nft writes ("typeof" and byte order). */
struct nft_set_key {
	enum nft_set_key_type type; /* datatype */
	uint32_t len;		    /* key length in bytes, 1..NFT_SET_KEY_MAX */
	bool big_endian;	    /* network byte order (payload keys) */
	uint32_t typeof_expr;	    /* NFT_TYPEOF_PAYLOAD, _META or _CT */
	uint32_t typeof_a;	    /* payload: protocol description id; meta/ct: key */
	uint32_t typeof_b;	    /* payload: header field id; ct: direction (-1 none) */
};

/* One element as the kernel gets it. */
struct nft_set_elem {
	uint8_t key[NFT_SET_KEY_MAX]; /* the key, key.len bytes */
	bool end;		      /* NFT_SET_ELEM_INTERVAL_END: an interval ends before it */
	bool open;		      /* the interval it starts reaches the end of the key space */
};

/* An anonymous, constant set of one rule ("ip daddr != { 127.0.0.0/8, ... }"). */
struct nft_anon_set {
	int family;			 /* NFPROTO_* of the table */
	const char *table;		 /* table name */
	uint32_t id;			 /* NFTA_SET_ID, unique in the batch */
	bool interval;			 /* elements are interval boundaries */
	struct nft_set_key key;		 /* key description */
	const struct nft_set_elem *elem; /* elements in the order they are sent */
	size_t n;			 /* number of elements */
};

/* Queue "add set" and "add element" of an anonymous set exactly as nft 1.0.6 sends them
 * (flags anonymous, constant and, for intervals, interval; its userdata; the size nft
 * gives it), for a rule queued after it in the same batch that looks it up by
 * NFT_ANON_SET_NAME and set->id (nft_rule_expr_lookup()): the kernel only accepts an
 * anonymous set bound by a rule of its batch. A refusal names "add set __set%d to table
 * ip t" or "add elements to set __set%d in table ip t". -EINVAL for a bad key length or
 * table name, -EMSGSIZE for more elements than a message holds. */
int nft_txn_add_anon_set(struct nft_txn *txn, const struct nft_anon_set *set,
			 struct cni_err *err) CNI_MUST_USE;

/* ---- reading (nft_read.c; uses the transaction's socket) --------------------------- */

/* The first of these reads since the last commit or abort also records the ruleset
 * generation (see nft_txn_bind_generation()). Rule dumps are copied as they arrive and
 * parsed once complete; one the kernel interrupted (NLM_F_DUMP_INTR) is redone by the
 * transport. Only nft_txn_ensure_*() and nft_txn_delete_rules_*() queue anything. */

/* The ruleset's current generation (NFT_MSG_GETGEN): it changes with every commit that
 * changed something. Errors: the kernel's -errno ("failed to get the nftables ruleset
 * generation"). */
int nft_get_generation(struct nft_txn *txn, uint32_t *ret_gen, struct cni_err *err) CNI_MUST_USE;

/* One rule as listed from the kernel. */
struct nft_rule_info {
	uint64_t handle;	/* rule handle, for nft_txn_delete_rule() */
	char *comment;		/* comment from NFTNL_UDATA_RULE_COMMENT; NULL if none */
	struct nftnl_rule *nlr; /* the parsed rule (expressions), owned by the list */
};

/* The rules of one chain in kernel order. */
struct nft_rule_list {
	size_t n;		    /* number of rules */
	struct nft_rule_info *rule; /* the rules, rule[0..n-1] */
};

/* Free a rule list. Accepts NULL. */
void nft_rule_list_free(struct nft_rule_list *list);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nft_rule_list *, nft_rule_list_free)

/* List the rules of a chain. Returns -ENOENT (with err set) when the table or the chain
 * does not exist, so that callers can treat that as "nothing to do"; -EINVAL for a bad
 * name; the kernel's -errno ("failed to list rules of chain 'c' in table ip t", errno text
 * and extack in details); -EINTR with CNI code 11 when the kernel kept interrupting the
 * dump (try again later). */
int nft_list_rules(struct nft_txn *txn, int family, const char *table, const char *chain,
		   struct nft_rule_list **ret_list, struct cni_err *err) CNI_MUST_USE;

/* nft_list_rules(), except that a missing table or chain is an empty list (n == 0), not an
 * error: for callers that go through the rules of a chain that may not exist yet, e.g.
 *
 *	r = nft_list_rules_or_empty(txn, NFPROTO_BRIDGE, table, chain, &list, err);
 *	if (r < 0)
 *		return r;
 *	for (i = 0; i < list->n; i++) ...
 */
int nft_list_rules_or_empty(struct nft_txn *txn, int family, const char *table, const char *chain,
			    struct nft_rule_list **ret_list, struct cni_err *err) CNI_MUST_USE;

/* ---- a rule's text and expressions (nft_read.c) ------------------------------------ */

/* Of a listed rule (nft_rule_info.nlr) or a built one (nft_rule_nlr()). */

/* How nft_rule_text() prints a rule. */
enum nft_text_flags {
	/* NULL for a rule that looks up a set: anonymous set names are the kernel's, so such
	 * a rule never compares equal to the one built for it. */
	NFT_TEXT_NO_LOOKUP = 1 << 0,
	/* nat expressions without what the kernel adds to them when it lists them
	 * (addr_max/proto_max equal to the minimum, the MAP_IPS flag), so that a listed rule
	 * prints like the rule that was sent. */
	NFT_TEXT_NAT_AS_SENT = 1 << 1,
};

/* The rule's expressions as libnftnl prints them (what `nft --debug=netlink` shows between
 * brackets), one line each after the expression's name:
 *
 *	meta load l4proto => reg 1 \n
 *	cmp eq reg 1 0x00000006 \n
 *
 * flags: NFT_TEXT_* or 0. The text of two rules is equal when their expressions are.
 * Malloc'd; NULL when out of memory or refused by NFT_TEXT_NO_LOOKUP. */
char *nft_rule_text(const struct nftnl_rule *nlr, unsigned int flags);

/* A load and the comparison right after it, as nft_rule_for_each_load_cmp() reports them:
 * "[ meta load iifname => reg 1 ] [ cmp eq reg 1 ... ]" or "[ payload load 2b @ transport
 * header + 2 => reg 1 ] [ cmp eq reg 1 ... ]". */
struct nft_load_cmp {
	bool meta;	     /* a meta expression (key), else a payload load (base, offset, len) */
	uint32_t key;	     /* meta: NFT_META_* */
	uint32_t base;	     /* payload: NFT_PAYLOAD_*_HEADER */
	uint32_t offset;     /* payload: offset in that header */
	uint32_t len;	     /* payload: bytes loaded */
	enum nft_cmp_ops op; /* the comparison, NFT_CMP_* */
	const uint8_t *data; /* compared with (NULL: nothing), data_len bytes */
	uint32_t data_len;   /* bytes at data */
};

/* Called for each load and comparison in a rule's order; returns false to stop. */
typedef bool (*nft_load_cmp_fn)(const struct nft_load_cmp *m, void *userdata);

/* Call fn for every meta or payload expression of the rule that a cmp directly follows
 * (other pairs, e.g. a load then a bitwise mask or a set lookup, are skipped). nlr NULL,
 * or no memory to walk the rule: no call. */
void nft_rule_for_each_load_cmp(const struct nftnl_rule *nlr, nft_load_cmp_fn fn, void *userdata);

/* Does the table exist? *ret_exists is false on ENOENT; other failures are errors: -EINVAL
 * for a bad name, the kernel's -errno ("failed to get table ip t", errno text and extack in
 * details). */
int nft_table_exists(struct nft_txn *txn, int family, const char *table, bool *ret_exists,
		     struct cni_err *err) CNI_MUST_USE;

/* Does the chain exist (false also when the table does not)? Errors as nft_table_exists(). */
int nft_chain_exists(struct nft_txn *txn, int family, const char *table, const char *chain,
		     bool *ret_exists, struct cni_err *err) CNI_MUST_USE;

/* One chain of a table, as nft_list_chains() lists it. */
struct nft_chain_entry {
	char *name;   /* its name */
	uint32_t use; /* the kernel's use count: its rules plus the rules jumping to it */
	bool base;    /* a base chain (it has a hook) */
};

/* The chains of a table. */
struct nft_chain_list {
	size_t n;		       /* number of chains */
	struct nft_chain_entry *chain; /* chain[0..n-1], in the kernel's order */
};

/* Free a chain list. Accepts NULL. */
void nft_chain_list_free(struct nft_chain_list *list);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nft_chain_list *, nft_chain_list_free)

/* List the chains of a table (a missing table has none). One dump of the family's chains,
 * bound to the batch like every read. Errors as nft_table_exists(); -EPROTO for a reply
 * libnftnl cannot parse, -EINTR (code 11) for a dump the kernel kept interrupting. */
int nft_list_chains(struct nft_txn *txn, int family, const char *table,
		    struct nft_chain_list **ret_list, struct cni_err *err) CNI_MUST_USE;

/* What a chain is, as the kernel reports it (NFT_MSG_GETCHAIN). */
struct nft_chain_info {
	bool base;		      /* a base chain (it has a hook) */
	char type[16];		      /* base chains: "nat", "filter", "route" */
	int hook;		      /* base chains: the hook number */
	int priority;		      /* base chains: the priority */
	enum nft_chain_policy policy; /* base chains: NFT_POLICY_ACCEPT or _DROP */
};

/* Get a chain's description; *ret_exists is false (and *ret_info untouched) when the table
 * or the chain does not exist. Errors as nft_table_exists(); -EPROTO for a reply libnftnl
 * cannot parse. ret_info may be NULL. */
int nft_chain_get(struct nft_txn *txn, int family, const char *table, const char *chain,
		  bool *ret_exists, struct nft_chain_info *ret_info,
		  struct cni_err *err) CNI_MUST_USE;

/*
 * "Send only what is missing": queue "add table" only when the table does not exist (a
 * NEWTABLE for an existing table is a no-op the kernel still has to commit). Binds the
 * batch to the generation of the read. *ret_existed (may be NULL) tells which case it was.
 * Errors as nft_table_exists() and nft_txn_add_table().
 */
int nft_txn_ensure_table(struct nft_txn *txn, int family, const char *name, const char *comment,
			 bool *ret_existed, struct cni_err *err) CNI_MUST_USE;

/*
 * Queue "add chain" only when the chain does not exist as asked: missing, or existing with
 * another kind (regular/base), type, hook, priority or (when base->policy is not
 * NFT_POLICY_DEFAULT) policy, in which case the add is queued all the same and the kernel
 * decides (it refuses a different hook specification, which fails the batch as before).
 * An existing chain as asked queues nothing: re-adding it would give the kernel an update
 * to commit and to release after an RCU grace period, which every later close() of a
 * netfilter socket waits for. Binds the batch to the generation of the read.
 * *ret_existed (may be NULL) is true when the chain exists at all (its rules may need
 * replacing, whether or not the add was queued). Errors as
 * nft_chain_get() and nft_txn_add_chain().
 */
int nft_txn_ensure_chain(struct nft_txn *txn, int family, const char *table, const char *chain,
			 const struct nft_base_chain *base, const char *comment, bool *ret_existed,
			 struct cni_err *err) CNI_MUST_USE;

/*
 * Does chain hold exactly the rules want[0..n-1], in this order, with the same comments and
 * the same expressions (compared as libnftnl prints them)? A rule that looks up a set is
 * never equal (anonymous set names are the kernel's). A missing chain holds no rules.
 * Binds the batch to the generation of the read. Errors as nft_list_rules().
 */
int nft_chain_rules_equal(struct nft_txn *txn, int family, const char *table, const char *chain,
			  struct nft_rule *const *want, size_t n, bool *ret_equal,
			  struct cni_err *err) CNI_MUST_USE;

/* Does a listed rule equal a built one (comment and expressions, as in
 * nft_chain_rules_equal())? */
bool nft_rule_info_equal(const struct nft_rule_info *have, const struct nft_rule *want);

/* Decides from a listed rule's comment (NULL: none) whether the rule is parsed and passed
 * on; lets a listing skip the rules of other containers without parsing them. */
typedef bool (*nft_comment_filter_fn)(const char *comment, void *userdata);

/* nft_list_rules() keeping only the rules whose comment keep() accepts (keep NULL: all).
 * The others are dropped as they arrive, unparsed. */
int nft_list_rules_filtered(struct nft_txn *txn, int family, const char *table, const char *chain,
			    nft_comment_filter_fn keep, void *userdata,
			    struct nft_rule_list **ret_list, struct cni_err *err) CNI_MUST_USE;

/* Predicate deciding whether a listed rule is to be deleted. */
typedef bool (*nft_rule_pred_fn)(const struct nft_rule_info *rule, void *userdata);

/* List the chain now and queue a delete for every rule the predicate selects. A missing
 * table or chain queues nothing and is not an error. *ret_count (may be NULL) gets the
 * number of deletes queued. The deletes are applied by nft_txn_commit(). Errors as
 * nft_list_rules() and the queueing functions. */
int nft_txn_delete_rules_if(struct nft_txn *txn, int family, const char *table, const char *chain,
			    nft_rule_pred_fn pred, void *userdata, size_t *ret_count,
			    struct cni_err *err) CNI_MUST_USE;

/* nft_txn_delete_rules_if() over the rules whose comment keep() accepts (the others are
 * not parsed); pred (NULL: every kept rule) decides among those. */
int nft_txn_delete_rules_where(struct nft_txn *txn, int family, const char *table,
			       const char *chain, nft_comment_filter_fn keep, nft_rule_pred_fn pred,
			       void *userdata, size_t *ret_count, struct cni_err *err) CNI_MUST_USE;

/* nft_txn_delete_rules_if() for rules whose comment equals comment exactly. */
int nft_txn_delete_rules_by_comment(struct nft_txn *txn, int family, const char *table,
				    const char *chain, const char *comment, size_t *ret_count,
				    struct cni_err *err) CNI_MUST_USE;

/* nft_txn_delete_rules_if() for rules whose comment starts with prefix. */
int nft_txn_delete_rules_by_comment_prefix(struct nft_txn *txn, int family, const char *table,
					   const char *chain, const char *prefix, size_t *ret_count,
					   struct cni_err *err) CNI_MUST_USE;

/* ---- rule builder (nft_expr.c) ----------------------------------------------------- */

/* Header fields the address matchers know. */
enum nft_addr_field {
	NFT_ADDR_SADDR, /* ip saddr / ip6 saddr */
	NFT_ADDR_DADDR, /* ip daddr / ip6 daddr */
};

/* Which interface name a meta match looks at. */
enum nft_ifname_key {
	NFT_IIFNAME, /* iifname */
	NFT_OIFNAME, /* oifname */
};

/* Most expressions one rule holds (all builders together); keeps every rule message far
 * below a batch page's slack. */
#define NFT_RULE_MAX_EXPRS 128

/* Create an empty rule for "add rule <family> <table> <chain> ... [comment "<comment>"]".
 * comment may be NULL; -EINVAL for a missing table or chain name or a comment longer than
 * NFT_COMMENT_MAX bytes.
 *
 * The builders below append to the rule: -EINVAL for arguments they do not support or that
 * conflict with the table's family or earlier matches (the message says which), -E2BIG
 * past NFT_RULE_MAX_EXPRS expressions. */
int nft_rule_new(int family, const char *table, const char *chain, const char *comment,
		 struct nft_rule **ret_rule, struct cni_err *err) CNI_MUST_USE;

/* Free a rule. Accepts NULL. */
void nft_rule_free(struct nft_rule *rule);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nft_rule *, nft_rule_free)

/* The libnftnl rule being built (for inspection and tests); owned by the rule. */
const struct nftnl_rule *nft_rule_nlr(const struct nft_rule *rule);

/* Raw expressions, appended as they are (for matches the builders below do not know, as
 * `nft --debug=netlink` shows them); each loads into or reads register 1. */

/* [ payload load len b @ base + offset => reg 1 ] */
int nft_rule_expr_payload(struct nft_rule *rule, enum nft_payload_bases base, uint32_t offset,
			  uint32_t len, struct cni_err *err) CNI_MUST_USE;

/* [ meta load key => reg 1 ] */
int nft_rule_expr_meta(struct nft_rule *rule, enum nft_meta_keys key,
		       struct cni_err *err) CNI_MUST_USE;

/* [ ct load key => reg 1 ] (no direction) */
int nft_rule_expr_ct(struct nft_rule *rule, enum nft_ct_keys key, struct cni_err *err) CNI_MUST_USE;

/* [ cmp op reg 1 data ] for any NFT_CMP_* (eq, neq, lt, lte, gt, gte). */
int nft_rule_expr_cmp(struct nft_rule *rule, enum nft_cmp_ops op, const void *data, uint32_t len,
		      struct cni_err *err) CNI_MUST_USE;

/* [ bitwise reg 1 = ( reg 1 & mask ) ^ 0 ] (len <= 16). */
int nft_rule_expr_mask(struct nft_rule *rule, const void *mask, uint32_t len,
		       struct cni_err *err) CNI_MUST_USE;

/* [ range op reg 1 lo hi ] (NFT_RANGE_EQ or NFT_RANGE_NEQ). */
int nft_rule_expr_range(struct nft_rule *rule, enum nft_range_ops op, const void *lo,
			const void *hi, uint32_t len, struct cni_err *err) CNI_MUST_USE;

/* [ lookup reg 1 set <set> ], inverted (!=) when invert: the set of the same batch with
 * NFTA_SET_ID set_id (nft_txn_add_anon_set()), named NFT_ANON_SET_NAME for those. */
int nft_rule_expr_lookup(struct nft_rule *rule, const char *set, uint32_t set_id, bool invert,
			 struct cni_err *err) CNI_MUST_USE;

/* Low level: "payload load len bytes @ base + offset", optionally masked (mask may be
 * NULL), compared with op (NFT_CMP_EQ, NFT_CMP_NEQ, ...) against data[len]. */
int nft_rule_match_payload(struct nft_rule *rule, enum nft_payload_bases base, uint32_t offset,
			   uint32_t len, enum nft_cmp_ops op, const void *data, const void *mask,
			   struct cni_err *err) CNI_MUST_USE;

/* Low level: "meta load key", compared with op against data[len]. */
int nft_rule_match_meta(struct nft_rule *rule, enum nft_meta_keys key, enum nft_cmp_ops op,
			const void *data, uint32_t len, struct cni_err *err) CNI_MUST_USE;

/* "meta nfproto ipv4|ipv6" (af = AF_INET/AF_INET6). Inserted implicitly by the address
 * matchers in inet tables, once per rule, as nft does. */
int nft_rule_match_nfproto(struct nft_rule *rule, int af, struct cni_err *err) CNI_MUST_USE;

/* "ip|ip6 saddr|daddr [!=] addr[/prefix]": af AF_INET/AF_INET6, addr 4 or 16 bytes in
 * network order, prefix -1 (or the full length) for a single address. op NFT_CMP_EQ or
 * NFT_CMP_NEQ. Encodes byte-aligned prefixes as a shorter load and others with a
 * bitwise mask, exactly like nft. Valid in ip, ip6 (matching af) and inet tables. */
int nft_rule_match_ip_addr(struct nft_rule *rule, int af, enum nft_addr_field field,
			   const void *addr, int prefix, enum nft_cmp_ops op,
			   struct cni_err *err) CNI_MUST_USE;

/* "meta l4proto <proto>" (IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP, ...). */
int nft_rule_match_l4proto(struct nft_rule *rule, uint8_t proto, struct cni_err *err) CNI_MUST_USE;

/* "tcp|udp|sctp dport <port>": "meta l4proto <proto>" then the port (as nft encodes it). */
int nft_rule_match_l4_dport(struct nft_rule *rule, uint8_t proto, uint16_t port,
			    struct cni_err *err) CNI_MUST_USE;

/* "iifname|oifname [!=] "<name>"" (exact name, no wildcard). */
int nft_rule_match_ifname(struct nft_rule *rule, enum nft_ifname_key key, const char *name,
			  enum nft_cmp_ops op, struct cni_err *err) CNI_MUST_USE;

/* "fib daddr type local". */
int nft_rule_match_fib_daddr_local(struct nft_rule *rule, struct cni_err *err) CNI_MUST_USE;

/* "ether saddr|daddr <mac>" (bridge family, or any family with a link layer header). */
int nft_rule_match_ether_addr(struct nft_rule *rule, enum nft_addr_field field,
			      const uint8_t mac[6], struct cni_err *err) CNI_MUST_USE;

/* "masquerade". */
int nft_rule_masquerade(struct nft_rule *rule, struct cni_err *err) CNI_MUST_USE;

/* "dnat to addr[:port]" (ip6: "dnat to [addr]:port"); af AF_INET/AF_INET6, addr in
 * network order, port 0 for none. In inet tables nft spells it "dnat ip to ...". */
int nft_rule_dnat(struct nft_rule *rule, int af, const void *addr, uint16_t port,
		  struct cni_err *err) CNI_MUST_USE;

/* A verdict: NF_ACCEPT, NF_DROP, NFT_RETURN, or NFT_JUMP/NFT_GOTO with chain (else NULL). */
int nft_rule_verdict(struct nft_rule *rule, int verdict, const char *chain,
		     struct cni_err *err) CNI_MUST_USE;

#endif
