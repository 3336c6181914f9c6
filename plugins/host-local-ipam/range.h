/* SPDX-License-Identifier: Apache-2.0 */
/* host-local address ranges and range sets: validation, lookup and iteration. */
#ifndef HOSTLOCAL_RANGE_H
#define HOSTLOCAL_RANGE_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "ipnet.h"

/* One range of a range set, as configured and then canonicalized. */
struct ipam_range {
	struct ip_net subnet;	/* the subnet; must be a network address */
	bool has_subnet;	/* subnet was given */
	struct ip_addr start;	/* first allocatable address, inclusive */
	bool has_start;		/* start given (or defaulted by canonicalization) */
	struct ip_addr end;	/* last allocatable address, inclusive */
	bool has_end;		/* end given (or defaulted by canonicalization) */
	struct ip_addr gateway; /* gateway, never allocated; defaults to network+1 */
	bool has_gateway;	/* gateway given (or defaulted) */
};

/* A pool of disjoint ranges of one family; one address is taken per set. */
struct ipam_range_set {
	struct ipam_range *ranges; /* the ranges, in configured order */
	size_t n;		   /* number of ranges */
};

/*
 * Validate a range and fill in the defaults (gateway network+1, start
 * network+1, end broadcast-1 for IPv4 or the last address for IPv6), with
 * the reference's messages. Code 7 on failure.
 */
int ipam_range_canonicalize(struct ipam_range *r, struct cni_err *err) CNI_MUST_USE;

/* True when addr is in r's subnet and between its start and end (when set). */
bool ipam_range_contains(const struct ipam_range *r, const struct ip_addr *addr);

/* True when two canonical ranges of the same family share an address. */
bool ipam_range_overlaps(const struct ipam_range *a, const struct ipam_range *b);

/* Format "start-end" into buf; returns buf. */
char *ipam_range_format(const struct ipam_range *r, char *buf, size_t len);

/*
 * Validate a set: not empty, every range valid, one family, no overlaps.
 * Messages are the reference's without the "invalid range set N: " prefix.
 */
int ipam_range_set_canonicalize(struct ipam_range_set *s, struct cni_err *err) CNI_MUST_USE;

/* The range of s holding addr, or NULL. */
const struct ipam_range *ipam_range_set_find(const struct ipam_range_set *s,
					     const struct ip_addr *addr);

/* True when any range of a overlaps any range of b. */
bool ipam_range_set_overlaps(const struct ipam_range_set *a, const struct ipam_range_set *b);

/* "start-end,start-end,..." as a malloc'd string (NULL on ENOMEM). */
char *ipam_range_set_format(const struct ipam_range_set *s);

/* Free the ranges of a set (not the set itself); accepts NULL. */
void ipam_range_set_clear(struct ipam_range_set *s);

/* The reference allocator's iteration state over one range set. */
struct ipam_range_iter {
	const struct ipam_range_set *set; /* the set iterated */
	size_t idx;			  /* index of the current range */
	struct ip_addr cur;		  /* current position */
	bool has_cur;			  /* cur is valid */
	struct ip_addr start;		  /* first address returned; seeing it again ends */
	bool has_start;			  /* start is valid */
};

/*
 * Start iterating s. When last (the previous reservation, may be NULL) lies
 * in s, the first candidate is last+1 and last itself comes last; otherwise
 * iteration starts at the first range's start.
 */
void ipam_range_iter_init(struct ipam_range_iter *it, const struct ipam_range_set *s,
			  const struct ip_addr *last);

/*
 * Next candidate address and its range, skipping gateways and wrapping from
 * the end of one range to the start of the next. False when exhausted.
 */
bool ipam_range_iter_next(struct ipam_range_iter *it, struct ip_addr *ret_ip,
			  const struct ipam_range **ret_range);

#endif
