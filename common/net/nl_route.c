/* SPDX-License-Identifier: Apache-2.0 */
/* rtnetlink route helpers: add, delete, list, get. */
#include "net/rtnl.h"
#include "net/nl.h"

#include <errno.h>
#include <string.h>
#include <netinet/in.h>
#include <linux/rtnetlink.h>

#include <libmnl/libmnl.h>

static int family_len(int family, struct cni_err *err)
{
	if (family == AF_INET)
		return 4;
	if (family == AF_INET6)
		return 16;
	return cni_err_set_errno(err, CNI_ERR_INTERNAL, EAFNOSUPPORT,
				 "unsupported address family %d", family);
}

int nl_route_build(void *buf, bool add, const struct nl_route *route, struct nlmsghdr **ret_nlh,
		   struct cni_err *err)
{
	uint32_t table = route->table ? route->table : RT_TABLE_MAIN;
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	int len;

	len = family_len(route->family, err);
	if (len < 0)
		return len;
	if (route->dst_len > len * 8)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL, "invalid prefix length %u",
					 route->dst_len);
	nlh = nl_msg_init(buf, add ? RTM_NEWROUTE : RTM_DELROUTE,
			  add ? NLM_F_CREATE | (route->excl ? NLM_F_EXCL : 0) |
					  (route->replace ? NLM_F_REPLACE : 0)
			      : 0);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (unsigned char)route->family;
	rtm->rtm_dst_len = route->dst_len;
	rtm->rtm_table = table < 256 ? (unsigned char)table : RT_TABLE_UNSPEC;
	if (add) {
		rtm->rtm_protocol = route->protocol ? route->protocol : RTPROT_BOOT;
		rtm->rtm_scope = route->scope;
		rtm->rtm_type = route->type ? route->type : RTN_UNICAST;
	} else {
		/* Like "ip route del": scope, protocol and type match anything. */
		rtm->rtm_scope = RT_SCOPE_NOWHERE;
	}
	if (route->dst_len)
		mnl_attr_put(nlh, RTA_DST, (size_t)len, route->dst);
	if (route->has_gw)
		mnl_attr_put(nlh, RTA_GATEWAY, (size_t)len, route->gw);
	if (route->has_src)
		mnl_attr_put(nlh, RTA_PREFSRC, (size_t)len, route->src);
	if (route->oif)
		mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)route->oif);
	if (route->priority)
		mnl_attr_put_u32(nlh, RTA_PRIORITY, route->priority);
	mnl_attr_put_u32(nlh, RTA_TABLE, table);
	*ret_nlh = nlh;
	return 0;
}

int nl_route_add(struct nl_sock *sock, const struct nl_route *route, struct cni_err *err)
{
	char buf[NL_MSG_BUF_SIZE];
	struct nlmsghdr *nlh;

	return nl_request_built(sock, nl_route_build(buf, true, route, &nlh, err), buf, err);
}

int nl_route_del(struct nl_sock *sock, const struct nl_route *route, struct cni_err *err)
{
	char buf[NL_MSG_BUF_SIZE];
	struct nlmsghdr *nlh;

	return nl_request_built(sock, nl_route_build(buf, false, route, &nlh, err), buf, err);
}

/* What nl_route_list() and nl_route_get() want. */
struct route_filter {
	struct nl_vec *v; /* the results */
	int family;	  /* AF_UNSPEC or the wanted family */
	int oif;	  /* 0 or the wanted output interface */
	uint32_t table;	  /* 0 or the wanted table */
};

static int route_push(struct route_filter *f, const struct nl_route *r, struct cni_err *err)
{
	struct nl_route *slot;

	if (f->oif && r->oif != f->oif)
		return 0;
	slot = nl_vec_push(f->v, err);
	if (!slot)
		return -ENOMEM;
	*slot = *r;
	return 0;
}

/* Decode one RTM_NEWROUTE; a multipath route is pushed once per nexthop. */
static int route_parse(const struct nlmsghdr *nlh, struct route_filter *l, struct cni_err *err)
{
	const struct nlattr *tb[RTA_MAX + 1];
	const struct rtmsg *rtm;
	struct nl_route r;
	size_t len;
	int e;

	e = nl_msg_check(nlh, RTM_NEWROUTE, sizeof(*rtm), err);
	if (e < 0)
		return e;
	rtm = mnl_nlmsg_get_payload(nlh);
	if (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6)
		return 0;
	if (l->family != AF_UNSPEC && rtm->rtm_family != l->family)
		return 0;
	len = rtm->rtm_family == AF_INET ? 4 : 16;

	memset(&r, 0, sizeof(r));
	r.family = rtm->rtm_family;
	r.dst_len = rtm->rtm_dst_len;
	r.scope = rtm->rtm_scope;
	r.protocol = rtm->rtm_protocol;
	r.type = rtm->rtm_type;
	nl_attr_index(nlh, sizeof(*rtm), tb, RTA_MAX);
	r.table = nl_attr_u32(tb[RTA_TABLE], rtm->rtm_table);
	if (l->table && r.table != l->table)
		return 0;
	if (tb[RTA_DST] && mnl_attr_get_payload_len(tb[RTA_DST]) >= len)
		memcpy(r.dst, mnl_attr_get_payload(tb[RTA_DST]), len);
	if (tb[RTA_GATEWAY] && mnl_attr_get_payload_len(tb[RTA_GATEWAY]) >= len) {
		memcpy(r.gw, mnl_attr_get_payload(tb[RTA_GATEWAY]), len);
		r.has_gw = true;
	}
	if (tb[RTA_PREFSRC] && mnl_attr_get_payload_len(tb[RTA_PREFSRC]) >= len) {
		memcpy(r.src, mnl_attr_get_payload(tb[RTA_PREFSRC]), len);
		r.has_src = true;
	}
	r.oif = (int)nl_attr_u32(tb[RTA_OIF], 0);
	r.priority = nl_attr_u32(tb[RTA_PRIORITY], 0);

	if (tb[RTA_MULTIPATH]) {
		const char *p = mnl_attr_get_payload(tb[RTA_MULTIPATH]);
		size_t left = mnl_attr_get_payload_len(tb[RTA_MULTIPATH]);

		for (uint16_t idx = 0; left >= sizeof(struct rtnexthop); idx++) {
			const struct rtnexthop *nh = (const struct rtnexthop *)p;
			struct nl_route hop = r;
			size_t off = RTNH_ALIGN(sizeof(*nh));
			int ret;

			if (nh->rtnh_len < sizeof(*nh) || nh->rtnh_len > left)
				break;
			hop.oif = nh->rtnh_ifindex;
			hop.multipath = true;
			hop.nh_index = idx;
			hop.weight = (uint16_t)(nh->rtnh_hops + 1);
			hop.has_gw = false;
			memset(hop.gw, 0, sizeof(hop.gw));
			/* The nexthop's own attributes follow it, up to rtnh_len. */
			while (off + sizeof(struct nlattr) <= nh->rtnh_len) {
				const struct nlattr *a = (const struct nlattr *)(p + off);

				if (a->nla_len < sizeof(*a) || off + a->nla_len > nh->rtnh_len)
					break;
				if (mnl_attr_get_type(a) == RTA_GATEWAY &&
				    mnl_attr_get_payload_len(a) >= len) {
					memcpy(hop.gw, mnl_attr_get_payload(a), len);
					hop.has_gw = true;
				}
				off += MNL_ALIGN(a->nla_len);
			}
			ret = route_push(l, &hop, err);
			if (ret < 0)
				return ret;
			if ((size_t)RTNH_ALIGN(nh->rtnh_len) >= left)
				break;
			left -= RTNH_ALIGN(nh->rtnh_len);
			p += RTNH_ALIGN(nh->rtnh_len);
		}
		return 0;
	}
	return route_push(l, &r, err);
}

static int route_list_cb(const struct nlmsghdr *nlh, void *data, struct cni_err *err)
{
	if (nlh->nlmsg_type != RTM_NEWROUTE)
		return 0;
	return route_parse(nlh, data, err);
}

int nl_route_list(struct nl_sock *sock, int family, int oif, uint32_t table,
		  struct nl_route **ret_routes, size_t *ret_n, struct cni_err *err)
{
	struct nl_vec v = {.size = sizeof(struct nl_route)};
	struct route_filter f = {.v = &v, .family = family, .oif = oif, .table = table};
	char buf[NL_MSG_BUF_SIZE];
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;

	nlh = nl_msg_init(buf, RTM_GETROUTE, 0);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (unsigned char)family;
	return nl_dump_collect(sock, nlh, RTM_NEWROUTE, route_list_cb, &f, &v, ret_routes, ret_n,
			       err);
}

int nl_route_build_get(void *buf, int family, const uint8_t *dst, struct nlmsghdr **ret_nlh,
		       struct cni_err *err)
{
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	int len;

	len = family_len(family, err);
	if (len < 0)
		return len;
	nlh = nl_msg_init(buf, RTM_GETROUTE, 0);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (unsigned char)family;
	rtm->rtm_dst_len = (unsigned char)(len * 8);
	mnl_attr_put(nlh, RTA_DST, (size_t)len, dst);
	*ret_nlh = nlh;
	return 0;
}

int nl_route_get(struct nl_sock *sock, int family, const uint8_t *dst, struct nl_route *ret,
		 struct cni_err *err)
{
	struct nl_vec v = {.size = sizeof(struct nl_route)};
	struct route_filter f = {.v = &v, .family = AF_UNSPEC};
	char buf[NL_MSG_BUF_SIZE];
	struct nlmsghdr *nlh;
	int r;

	r = nl_route_build_get(buf, family, dst, &nlh, err);
	if (r < 0)
		return r;
	r = nl_request_cb(sock, nlh, route_list_cb, &f, err);
	if (r == 0 && v.n == 0)
		r = cni_err_set_errno(err, CNI_ERR_INTERNAL, ENETUNREACH,
				      "no route in the kernel's answer");
	if (r == 0)
		*ret = *(const struct nl_route *)v.items;
	free(v.items);
	return r;
}
