/* SPDX-License-Identifier: Apache-2.0 */
/* host-local allocation from one range set (reference: backend/allocator/allocator.go). */
#include "host-local-ipam/allocator.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

const char *ipam_msg_id(const char *cid, char *buf)
{
	size_t len = strlen(cid);

	if (len <= IPAM_MSG_ID_MAX)
		return cid;
	snprintf(buf, IPAM_MSG_ID_LEN, "%.*s... (%zu characters)", IPAM_MSG_ID_MAX, cid, len);
	return buf;
}

/* Fill *ret with ip inside r. */
static void fill_ip(const struct ipam_range *r, const struct ip_addr *ip, struct cni_ip *ret)
{
	ret->address.ip = *ip;
	ret->address.prefix = r->subnet.prefix;
	ret->gateway = r->gateway;
	ret->iface = -1;
}

/* The requested-address path: exactly that address or an error. */
static int allocate_requested(struct ipam_store *s, const struct ipam_range_set *set, int set_idx,
			      const char *cid, const char *ifname, const struct ip_addr *ip,
			      struct cni_ip *ret, struct cni_err *err)
{
	_cleanup_free_ char *set_str = ipam_range_set_format(set);
	const struct ipam_range *r = ipam_range_set_find(set, ip);
	char buf[IP_STRLEN];
	bool reserved = false;
	int rc;

	if (!set_str)
		return cni_err_nomem(err);
	ip_format(ip, buf, sizeof(buf));
	if (!r)
		return cni_err_set(err, CNI_ERR_INTERNAL, "%s not in range set %s", buf, set_str);
	if (ip_equal(ip, &r->gateway))
		return cni_err_set(err, CNI_ERR_INTERNAL, "requested ip %s is subnet's gateway",
				   buf);
	rc = ipam_store_reserve(s, cid, ifname, ip, set_idx, &reserved, err);
	if (rc < 0)
		return rc;
	if (!reserved)
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "requested IP address %s is not available in range set %s", buf,
				   set_str);
	fill_ip(r, ip, ret);
	return 0;
}

int ipam_allocate(struct ipam_store *s, const struct ipam_range_set *set, int set_idx,
		  const char *cid, const char *ifname, const struct ip_addr *requested,
		  struct cni_ip *ret, struct cni_err *err)
{
	_cleanup_free_ struct ip_addr *mine = NULL;
	struct ipam_range_iter it;
	struct ip_addr last, cand;
	const struct ipam_range *r;
	bool has_last;
	size_t n_mine = 0;
	int rc;

	if (requested)
		return allocate_requested(s, set, set_idx, cid, ifname, requested, ret, err);

	/* The spec forbids a second allocation for the same attachment. */
	rc = ipam_store_get_by_id(s, cid, ifname, &mine, &n_mine, err);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < n_mine; i++) {
		if (ipam_range_set_find(set, &mine[i])) {
			char buf[IP_STRLEN], idbuf[IPAM_MSG_ID_LEN];

			return cni_err_set(err, CNI_ERR_INTERNAL,
					   "%s has been allocated to %s, duplicate allocation is "
					   "not allowed",
					   ip_format(&mine[i], buf, sizeof(buf)),
					   ipam_msg_id(cid, idbuf));
		}
	}

	has_last = ipam_store_last_reserved(s, set_idx, &last);
	ipam_range_iter_init(&it, set, has_last ? &last : NULL);
	while (ipam_range_iter_next(&it, &cand, &r)) {
		bool reserved = false;

		/* Known to exist under this lock: no need to try creating it. */
		if (ipam_store_has(s, &cand))
			continue;
		rc = ipam_store_reserve(s, cid, ifname, &cand, set_idx, &reserved, err);
		if (rc < 0)
			return rc;
		if (reserved) {
			fill_ip(r, &cand, ret);
			return 0;
		}
	}
	{
		_cleanup_free_ char *set_str = ipam_range_set_format(set);

		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "no IP addresses available in range set: %s",
				   set_str ? set_str : "");
	}
}
