/* SPDX-License-Identifier: Apache-2.0 */
/* rtnetlink address helpers: add, delete, list. */
#include "net/rtnl.h"
#include "net/nl.h"

#include <errno.h>
#include <string.h>
#include <netinet/in.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>

#include <libmnl/libmnl.h>

/* Validate family and prefix length; returns the address length. */
static int addr_len(int family, unsigned int prefix_len, struct cni_err *err)
{
	int len = family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;

	if (!len)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EAFNOSUPPORT,
					 "unsupported address family %d", family);
	if (prefix_len > (unsigned int)len * 8)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL, "invalid prefix length %u",
					 prefix_len);
	return len;
}

int nl_addr_build(void *buf, bool add, const struct nl_addr *addr, struct nlmsghdr **ret_nlh,
		  struct cni_err *err)
{
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	int len;

	len = addr_len(addr->family, addr->prefix_len, err);
	if (len < 0)
		return len;
	nlh = nl_msg_init(buf, add ? RTM_NEWADDR : RTM_DELADDR,
			  add ? NLM_F_CREATE | NLM_F_EXCL : 0);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (unsigned char)addr->family;
	ifa->ifa_prefixlen = addr->prefix_len;
	ifa->ifa_index = (unsigned int)addr->ifindex;
	ifa->ifa_scope = addr->scope;
	/* IFA_LOCAL is the address of the interface; IFA_ADDRESS the peer, the same here. */
	if (addr->family == AF_INET)
		mnl_attr_put(nlh, IFA_LOCAL, 4, addr->addr);
	mnl_attr_put(nlh, IFA_ADDRESS, (size_t)len, addr->addr);
	if (add) {
		/* The low 8 bits fit ifa_flags; IFA_FLAGS carries all 32. */
		ifa->ifa_flags = (unsigned char)(addr->flags & 0xff);
		if (addr->flags)
			mnl_attr_put_u32(nlh, IFA_FLAGS, addr->flags);
		if (addr->family == AF_INET && addr->prefix_len < 31) {
			uint32_t a, mask, brd;

			memcpy(&a, addr->addr, 4);
			mask = addr->prefix_len ? htonl(~0U << (32 - addr->prefix_len)) : 0;
			brd = a | ~mask;
			mnl_attr_put(nlh, IFA_BROADCAST, 4, &brd);
		}
	}
	*ret_nlh = nlh;
	return 0;
}

/* Build and send RTM_NEWADDR (add) or RTM_DELADDR. */
static int addr_change(struct nl_sock *sock, bool add, const struct nl_addr *addr,
		       struct cni_err *err)
{
	char buf[NL_MSG_BUF_SIZE];
	struct nlmsghdr *nlh;

	return nl_request_built(sock, nl_addr_build(buf, add, addr, &nlh, err), buf, err);
}

int nl_addr_add(struct nl_sock *sock, const struct nl_addr *addr, struct cni_err *err)
{
	return addr_change(sock, true, addr, err);
}

int nl_addr_del(struct nl_sock *sock, const struct nl_addr *addr, struct cni_err *err)
{
	return addr_change(sock, false, addr, err);
}

int nl_addr_parse(const struct nlmsghdr *nlh, struct nl_addr *ret, struct cni_err *err)
{
	const struct nlattr *tb[IFA_MAX + 1];
	const struct ifaddrmsg *ifa;
	const struct nlattr *a;
	struct nl_addr out;
	size_t len;
	int r;

	r = nl_msg_check(nlh, RTM_NEWADDR, sizeof(*ifa), err);
	if (r < 0)
		return r;
	ifa = mnl_nlmsg_get_payload(nlh);
	memset(&out, 0, sizeof(out));
	out.family = ifa->ifa_family;
	out.ifindex = (int)ifa->ifa_index;
	out.prefix_len = ifa->ifa_prefixlen;
	out.scope = ifa->ifa_scope;

	nl_attr_index(nlh, sizeof(*ifa), tb, IFA_MAX);
	/* For IPv4 IFA_LOCAL is our address (IFA_ADDRESS is the peer on point-to-point). */
	a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	len = out.family == AF_INET ? 4 : 16;
	if (a && mnl_attr_get_payload_len(a) >= len)
		memcpy(out.addr, mnl_attr_get_payload(a), len);
	out.flags = nl_attr_u32(tb[IFA_FLAGS], ifa->ifa_flags);
	*ret = out;
	return 0;
}

/* What nl_addr_list() wants. */
struct addr_filter {
	struct nl_vec *v; /* the results */
	int family;	  /* AF_UNSPEC or the wanted family */
	int ifindex;	  /* 0 or the wanted interface */
};

static int addr_list_cb(const struct nlmsghdr *nlh, void *data, struct cni_err *err)
{
	struct addr_filter *f = data;
	struct nl_addr a, *slot;
	int r;

	r = nl_addr_parse(nlh, &a, err);
	if (r < 0)
		return r;
	if ((f->family != AF_UNSPEC && a.family != f->family) ||
	    (a.family != AF_INET && a.family != AF_INET6) ||
	    (f->ifindex && a.ifindex != f->ifindex))
		return 0;
	slot = nl_vec_push(f->v, err);
	if (!slot)
		return -ENOMEM;
	*slot = a;
	return 0;
}

int nl_addr_list(struct nl_sock *sock, int family, int ifindex, struct nl_addr **ret_addrs,
		 size_t *ret_n, struct cni_err *err)
{
	struct nl_vec v = {.size = sizeof(struct nl_addr)};
	struct addr_filter f = {.v = &v, .family = family, .ifindex = ifindex};
	char buf[NL_MSG_BUF_SIZE];
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;

	int strict = 1, r;

	nlh = nl_msg_init(buf, RTM_GETADDR, 0);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (unsigned char)family;
	/* With strict checking the kernel dumps only ifindex's addresses instead of every
	 * interface's (a node with a thousand veths has thousands). Without it (older kernels)
	 * the field is ignored and addr_list_cb() filters. */
	if (ifindex > 0 && setsockopt(mnl_socket_get_fd(sock->mnl), SOL_NETLINK,
				      NETLINK_GET_STRICT_CHK, &strict, sizeof(strict)) == 0)
		ifa->ifa_index = (unsigned int)ifindex;
	else
		strict = 0;
	r = nl_dump_collect(sock, nlh, RTM_NEWADDR, addr_list_cb, &f, &v, ret_addrs, ret_n, err);
	if (strict) {
		strict = 0;
		(void)setsockopt(mnl_socket_get_fd(sock->mnl), SOL_NETLINK, NETLINK_GET_STRICT_CHK,
				 &strict, sizeof(strict));
	}
	return r;
}
