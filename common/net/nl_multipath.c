/* SPDX-License-Identifier: Apache-2.0 */
/* rtnetlink multipath (ECMP) routes: one route with several nexthops (RTA_MULTIPATH), and
 * the nexthops of one listed route told apart from the next route's. */
#include "net/rtnl.h"
#include "net/nl.h"

#include <errno.h>
#include <string.h>
#include <netinet/in.h>
#include <linux/rtnetlink.h>

#include <libmnl/libmnl.h>

int nl_route_build_multipath(void *buf, const struct nl_route *hops, size_t n,
			     struct nlmsghdr **ret_nlh, struct cni_err *err)
{
	struct nl_route head;
	struct nlmsghdr *nlh;
	struct nlattr *mp;
	size_t len;
	int r;

	if (n == 0 || n > NL_MULTIPATH_MAX)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL,
					 "a multipath route needs 1 to %d nexthops, not %zu",
					 NL_MULTIPATH_MAX, n);
	len = hops[0].family == AF_INET ? 4 : 16;
	for (size_t i = 0; i < n; i++) {
		if (hops[i].family != hops[0].family || hops[i].oif <= 0)
			return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL,
						 "invalid nexthop %zu of a multipath route", i);
		if (hops[i].weight > 256)
			return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL,
						 "invalid weight %u of nexthop %zu", hops[i].weight,
						 i);
	}
	/* The route without gateway or output interface; the nexthops carry those. */
	head = hops[0];
	head.has_gw = false;
	head.oif = 0;
	r = nl_route_build(buf, true, &head, &nlh, err);
	if (r < 0)
		return r;
	mp = mnl_attr_nest_start(nlh, RTA_MULTIPATH);
	for (size_t i = 0; i < n; i++) {
		struct rtnexthop *nh = (struct rtnexthop *)mnl_nlmsg_get_payload_tail(nlh);

		nlh->nlmsg_len += RTNH_ALIGN(sizeof(*nh));
		memset(nh, 0, sizeof(*nh));
		nh->rtnh_ifindex = hops[i].oif;
		nh->rtnh_hops = (unsigned char)(hops[i].weight ? hops[i].weight - 1 : 0);
		if (hops[i].has_gw)
			mnl_attr_put(nlh, RTA_GATEWAY, len, hops[i].gw);
		nh->rtnh_len =
			(unsigned short)((char *)mnl_nlmsg_get_payload_tail(nlh) - (char *)nh);
	}
	mnl_attr_nest_end(nlh, mp);
	*ret_nlh = nlh;
	return 0;
}

int nl_route_add_multipath(struct nl_sock *sock, const struct nl_route *hops, size_t n,
			   struct cni_err *err)
{
	char buf[NL_MSG_BUF_SIZE];
	struct nlmsghdr *nlh;

	return nl_request_built(sock, nl_route_build_multipath(buf, hops, n, &nlh, err), buf, err);
}

size_t nl_route_group_len(const struct nl_route *routes, size_t n, size_t i)
{
	size_t j = i + 1;

	if (i >= n)
		return 0;
	if (!routes[i].multipath)
		return 1;
	while (j < n && routes[j].multipath && routes[j].nh_index > routes[j - 1].nh_index)
		j++;
	return j - i;
}
