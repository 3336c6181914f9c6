/* SPDX-License-Identifier: Apache-2.0 */
/* The anonymous sets of one command's conditions ("ip daddr != { 127.0.0.0/8,
 * 169.254.0.0/16 }"), with their elements computed exactly as nft 1.0.6 computes them
 * (intervals merged, sorted and written as boundaries); net/nft.h queues them
 * (nft_txn_add_anon_set()) into the batch ahead of the rules that look them up. */
#ifndef PORTMAP_NFTSET_H
#define PORTMAP_NFTSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "net/nft.h"

/* Most elements one set holds (a bound on message sizes). */
#define PM_SET_ELEMS_MAX 512

/* An anonymous, constant set of one rule. */
struct pm_anon_set {
	int family;		   /* NFPROTO_IPV4/IPV6 of the table */
	char table[64];		   /* table name */
	uint32_t id;		   /* NFTA_SET_ID, unique in the batch */
	bool interval;		   /* elements are intervals (prefixes, ranges, wildcards) */
	struct nft_set_key key;	   /* key description */
	struct nft_set_elem *elem; /* elements in the order they are sent */
	size_t n;		   /* number of elements */
	size_t cap;		   /* allocated entries of elem */
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
	uint8_t lo[NFT_SET_KEY_MAX]; /* first key */
	uint8_t hi[NFT_SET_KEY_MAX]; /* last key (== lo for a single element) */
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
int pm_sets_add(struct pm_sets *sets, int family, const char *table, const struct nft_set_key *key,
		bool interval, const struct pm_set_range *ranges, size_t n, uint32_t *ret_id,
		struct cni_err *err) CNI_MUST_USE;

/* Free the sets (the struct itself is the caller's); usable as _cleanup_(pm_sets_clear). */
void pm_sets_clear(struct pm_sets *sets);

/* Queue the sets from index first on into txn (nft_txn_add_anon_set()), in creation
 * order: before the rule that looks them up. Errors as nft_txn_add_anon_set(). */
int pm_sets_queue(struct nft_txn *txn, const struct pm_sets *sets, size_t first,
		  struct cni_err *err) CNI_MUST_USE;

#endif
