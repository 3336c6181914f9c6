/* SPDX-License-Identifier: Apache-2.0 */
/* host-local allocation from one range set (reference: backend/allocator/allocator.go). */
#ifndef HOSTLOCAL_ALLOCATOR_H
#define HOSTLOCAL_ALLOCATOR_H

#include "err.h"
#include "ipnet.h"
#include "cni/result.h"
#include "host-local-ipam/range.h"
#include "host-local-ipam/store.h"

/* Longest container ID an error message quotes whole. */
#define IPAM_MSG_ID_MAX 200
/* Room for ipam_msg_id()'s output. */
#define IPAM_MSG_ID_LEN (IPAM_MSG_ID_MAX + 40)

/*
 * cid as error messages quote it: whole up to IPAM_MSG_ID_MAX characters,
 * else its start and its length, so the rest of a message fits (IDs have
 * no length limit). buf has IPAM_MSG_ID_LEN bytes; returns buf or cid.
 */
const char *ipam_msg_id(const char *cid, char *buf);

/*
 * Reserve one address of range set `set` (index set_idx) for (cid, ifname)
 * in the locked store s. With `requested` (may be NULL) exactly that address
 * is reserved; otherwise a second reservation in the same set is refused and
 * the next free address after last_reserved_ip.<set_idx> is taken, round
 * robin. *ret gets "<ip>/<subnet prefix>" and the range's gateway.
 * Failures are code 999 with the reference's messages.
 */
int ipam_allocate(struct ipam_store *s, const struct ipam_range_set *set, int set_idx,
		  const char *cid, const char *ifname, const struct ip_addr *requested,
		  struct cni_ip *ret, struct cni_err *err) CNI_MUST_USE;

#endif
