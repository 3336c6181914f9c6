/* SPDX-License-Identifier: Apache-2.0 */
/* Anonymous nftables sets ("ip daddr != { 127.0.0.0/8, 169.254.0.0/16 }") built exactly as
 * nft 1.0.6 builds them, and the commit of a transaction together with the sets and the
 * rules that look them up.
 *
 * The kernel only accepts an anonymous set bound by a rule of the same batch, and
 * net/nft.h queues tables, chains and rules only; this module therefore appends its
 * messages to a copy of the transaction's batch (nft_txn_copy_batch()) and sends the whole
 * batch itself. Both belong in common/net/nft.c (as nft_txn_add_anon_set()); they live
 * here until that file grows them. */
#ifndef PORTMAP_NFTSET_H
#define PORTMAP_NFTSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "net/nft.h"

/* Name nft gives every anonymous set; the kernel replaces %d with a free number. */
#define PM_ANON_SET_NAME "__set%d"

/* Longest key of a set (an interface name or an IPv6 address). */
#define PM_SET_KEY_MAX 16

/* Most elements one set holds (a bound on message sizes). */
#define PM_SET_ELEMS_MAX 512

/* nft's datatypes of set keys (enum datatypes of nftables), as NFTA_SET_KEY_TYPE. */
enum pm_set_key_type {
	PM_TYPE_INET_PROTOCOL = 12, /* meta l4proto, ip protocol, ip6 nexthdr */
	PM_TYPE_IPADDR = 7,	    /* ip saddr/daddr */
	PM_TYPE_IP6ADDR = 8,	    /* ip6 saddr/daddr */
	PM_TYPE_INET_SERVICE = 13,  /* tcp/udp/sctp sport/dport */
	PM_TYPE_MARK = 19,	    /* meta mark */
	PM_TYPE_IFINDEX = 20,	    /* meta iif/oif */
	PM_TYPE_CT_STATE = 26,	    /* ct state */
	PM_TYPE_IFNAME = 41,	    /* meta iifname/oifname */
};

/* What a set's key is made of, for the userdata nft writes ("typeof" and byte order). */
struct pm_set_key {
	enum pm_set_key_type type; /* datatype */
	uint32_t len;		   /* key length in bytes */
	bool big_endian;	   /* network byte order (payload keys) */
	uint32_t typeof_expr;	   /* nft's expression type: 7 payload, 9 meta, 12 ct */
	uint32_t typeof_a;	   /* payload: protocol description id; meta/ct: key */
	uint32_t typeof_b;	   /* payload: header field id; ct: direction (-1 none) */
};

/* nft's expression type ids in set userdata. */
#define PM_TYPEOF_PAYLOAD 7
#define PM_TYPEOF_META	  9
#define PM_TYPEOF_CT	  12

/* One element as the kernel gets it. */
struct pm_set_elem {
	uint8_t key[PM_SET_KEY_MAX]; /* the key, set->key.len bytes */
	bool end;		     /* NFT_SET_ELEM_INTERVAL_END: an interval ends before it */
	bool open;		     /* the interval it starts reaches the end of the key space */
};

/* An anonymous, constant set of one rule. */
struct pm_anon_set {
	int family;		  /* NFPROTO_IPV4/IPV6 of the table */
	char table[64];		  /* table name */
	uint32_t id;		  /* NFTA_SET_ID, unique in the batch */
	bool interval;		  /* elements are intervals (prefixes, ranges, wildcards) */
	struct pm_set_key key;	  /* key description */
	struct pm_set_elem *elem; /* elements in the order they are sent */
	size_t n;		  /* number of elements */
	size_t cap;		  /* allocated entries of elem */
};

/* The anonymous sets of a transaction. */
struct pm_sets {
	struct pm_anon_set *v; /* sets, in creation order */
	size_t n;	       /* number of sets */
	size_t cap;	       /* allocated entries of v */
	uint32_t next_id;      /* last set id handed out */
};

/* One element or interval as written: [lo, hi], big-endian, key length bytes. */
struct pm_set_range {
	uint8_t lo[PM_SET_KEY_MAX]; /* first key */
	uint8_t hi[PM_SET_KEY_MAX]; /* last key (== lo for a single element) */
};

/*
 * Add a set to *sets for a rule of family/table with the given key, and fill it: without
 * interval, one element per range (ranges[i].lo, in the given order, duplicates kept, as
 * nft sends them); with interval, the ranges merged where they overlap or touch and sorted,
 * as boundaries (a leading end element at 0 unless the first interval starts there, a
 * start element per interval and an end element after it, or an "open" start element for
 * an interval that reaches the end). *ret_id gets the set's id. -E2BIG past
 * PM_SET_ELEMS_MAX elements, -ENOMEM.
 */
int pm_sets_add(struct pm_sets *sets, int family, const char *table, const struct pm_set_key *key,
		bool interval, const struct pm_set_range *ranges, size_t n, uint32_t *ret_id,
		struct cni_err *err) CNI_MUST_USE;

/* Free the sets (the struct itself is the caller's); usable as _cleanup_(pm_sets_clear). */
void pm_sets_clear(struct pm_sets *sets);

/*
 * Write the NEWSET and the NEWSETELEM message of set s at buf (room for
 * pm_set_msgs_size(s) bytes, zeroed) with sequence numbers seq and seq + 1. Returns the
 * bytes written. The libnftnl set object is built exactly as nft builds its own.
 */
size_t pm_set_msgs_build(const struct pm_anon_set *s, void *buf, uint32_t seq, struct cni_err *err);

/* Upper bound of the bytes pm_set_msgs_build() writes for s. */
size_t pm_set_msgs_size(const struct pm_anon_set *s);

/*
 * Commit txn with the sets and, after them, the rules that use them, as one batch: the
 * transaction's queued messages, then the NEWSET/NEWSETELEM pair of every set, then the
 * rules. All of it applies or nothing does. Errors as nft_txn_commit(): the first
 * refused message is named ("add set __set%d to table ip cni_hostport: File exists"), the
 * kernel's reason in details, its -errno returned (-ENOENT: a rule to delete vanished,
 * retry). The transaction is emptied either way.
 */
int pm_txn_commit_with_sets(struct nft_txn *txn, const struct pm_sets *sets,
			    struct nft_rule *const *rules, size_t n_rules,
			    struct cni_err *err) CNI_MUST_USE;

#endif
