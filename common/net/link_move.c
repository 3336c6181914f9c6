/* SPDX-License-Identifier: Apache-2.0 */
/* Moving a link into another network namespace, renamed and aliased there, in one request. */
#include "net/link_move.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>

#include "net/rtnl.h"

int nl_link_build_move(void *buf, int ifindex, int netns_fd, const char *name, const char *alias,
		       struct nlmsghdr **ret_nlh, struct cni_err *err)
{
	struct ifinfomsg *ifi;
	struct nlmsghdr *nlh;
	int r;

	r = nl_ifindex_check(ifindex, err);
	if (r < 0)
		return r;
	r = nl_ifname_check(name, err);
	if (r < 0)
		return r;
	if (netns_fd < 0)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EBADF, "invalid netns fd %d",
					 netns_fd);
	if (strlen(alias) >= NL_ALIAS_MAX)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL,
					 "link alias is too long (%zu bytes, max %d)",
					 strlen(alias), NL_ALIAS_MAX - 1);
	nlh = nl_msg_init(buf, RTM_NEWLINK, 0);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)netns_fd);
	/* The name doubles as the kernel's name for the move itself when the link's current
	 * name is taken in the target. */
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	/* Without the NUL: the kernel takes the payload length as the alias length. */
	mnl_attr_put(nlh, IFLA_IFALIAS, strlen(alias), alias);
	*ret_nlh = nlh;
	return 0;
}

int nl_link_move(struct nl_sock *sock, int ifindex, int netns_fd, const char *name,
		 const char *alias, struct cni_err *err)
{
	char buf[NL_MSG_BUF_SIZE];
	struct nlmsghdr *nlh;

	return nl_request_built(
		sock, nl_link_build_move(buf, ifindex, netns_fd, name, alias, &nlh, err), buf, err);
}
