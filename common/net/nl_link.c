/* SPDX-License-Identifier: Apache-2.0 */
/* rtnetlink link helpers: lookup, bridge, veth and ifb creation, link attributes, bridge
 * port flags and bridge VLANs. */
#include "net/rtnl.h"
#include "net/nl.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include <net/if.h>
#include <netinet/in.h>
#include <linux/if.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/if_vlan.h>
#include <linux/ipv6.h>
#include <linux/netconf.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include <libmnl/libmnl.h>

#include "ifname.h"
#include "net/netns.h"
#include "sleep.h"

_Static_assert(NL_IFNAMSIZ == IFNAMSIZ, "NL_IFNAMSIZ must match IFNAMSIZ");
_Static_assert(NL_ALIAS_MAX == IFALIASZ, "NL_ALIAS_MAX must match IFALIASZ");

const char *nl_operstate_name(uint8_t operstate)
{
	static const char *const names[] = {
		[IF_OPER_UNKNOWN] = "unknown", [IF_OPER_NOTPRESENT] = "notpresent",
		[IF_OPER_DOWN] = "down",       [IF_OPER_LOWERLAYERDOWN] = "lowerlayerdown",
		[IF_OPER_TESTING] = "testing", [IF_OPER_DORMANT] = "dormant",
		[IF_OPER_UP] = "up",
	};

	if (operstate < ARRAY_SIZE(names) && names[operstate])
		return names[operstate];
	return "unknown";
}

int nl_ifname_check(const char *name, struct cni_err *err)
{
	switch (ifname_check(name)) {
	case IFNAME_OK:
		return 0;
	case IFNAME_EMPTY:
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL, "empty interface name");
	case IFNAME_TOO_LONG:
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL,
					 "interface name '%s' is too long (max %d)", name,
					 IFNAME_MAX_LEN);
	case IFNAME_DOT:
	case IFNAME_BAD_CHAR:
		break;
	}
	return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL, "invalid interface name '%s'",
				 name);
}

int nl_ifindex_check(int ifindex, struct cni_err *err)
{
	if (ifindex <= 0)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL, "invalid ifindex %d",
					 ifindex);
	return 0;
}

static struct ifinfomsg *put_ifinfo(struct nlmsghdr *nlh, int family, int ifindex)
{
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = (unsigned char)family;
	ifi->ifi_index = ifindex;
	return ifi;
}

/* Bridge port attributes, from IFLA_INFO_SLAVE_DATA or IFLA_PROTINFO. */
static void parse_brport(const struct nlattr *nest, struct nl_link *l)
{
	const struct nlattr *tb[IFLA_BRPORT_MAX + 1];

	nl_attr_index_nested(nest, tb, IFLA_BRPORT_MAX);
	l->hairpin = nl_attr_u8(tb[IFLA_BRPORT_MODE], l->hairpin);
	l->isolated = nl_attr_u8(tb[IFLA_BRPORT_ISOLATED], l->isolated);
}

static void parse_linkinfo(const struct nlattr *nest, struct nl_link *l)
{
	const struct nlattr *tb[IFLA_INFO_MAX + 1];

	nl_attr_index_nested(nest, tb, IFLA_INFO_MAX);
	nl_attr_str(tb[IFLA_INFO_KIND], l->kind, sizeof(l->kind));
	nl_attr_str(tb[IFLA_INFO_SLAVE_KIND], l->slave_kind, sizeof(l->slave_kind));
	if (tb[IFLA_INFO_DATA] && strcmp(l->kind, "bridge") == 0) {
		const struct nlattr *br[IFLA_BR_MAX + 1];

		nl_attr_index_nested(tb[IFLA_INFO_DATA], br, IFLA_BR_MAX);
		l->vlan_filtering = nl_attr_u8(br[IFLA_BR_VLAN_FILTERING], -1);
	}
	if (tb[IFLA_INFO_DATA] && strcmp(l->kind, "macvlan") == 0) {
		const struct nlattr *mv[IFLA_MACVLAN_MAX + 1];

		nl_attr_index_nested(tb[IFLA_INFO_DATA], mv, IFLA_MACVLAN_MAX);
		if (mv[IFLA_MACVLAN_MODE])
			l->info_mode = (int)nl_attr_u32(mv[IFLA_MACVLAN_MODE], 0);
	}
	if (tb[IFLA_INFO_DATA] && strcmp(l->kind, "ipvlan") == 0) {
		const struct nlattr *iv[IFLA_IPVLAN_MAX + 1];

		nl_attr_index_nested(tb[IFLA_INFO_DATA], iv, IFLA_IPVLAN_MAX);
		if (iv[IFLA_IPVLAN_MODE] && mnl_attr_get_payload_len(iv[IFLA_IPVLAN_MODE]) >= 2)
			l->info_mode = mnl_attr_get_u16(iv[IFLA_IPVLAN_MODE]);
	}
	if (tb[IFLA_INFO_DATA] && strcmp(l->kind, "vlan") == 0) {
		const struct nlattr *vl[IFLA_VLAN_MAX + 1];

		nl_attr_index_nested(tb[IFLA_INFO_DATA], vl, IFLA_VLAN_MAX);
		if (vl[IFLA_VLAN_ID] && mnl_attr_get_payload_len(vl[IFLA_VLAN_ID]) >= 2)
			l->vlan_id = mnl_attr_get_u16(vl[IFLA_VLAN_ID]);
	}
	if (tb[IFLA_INFO_DATA] && strcmp(l->kind, "vrf") == 0) {
		const struct nlattr *vrf[IFLA_VRF_MAX + 1];

		nl_attr_index_nested(tb[IFLA_INFO_DATA], vrf, IFLA_VRF_MAX);
		l->vrf_table = nl_attr_u32(vrf[IFLA_VRF_TABLE], 0);
	}
	if (tb[IFLA_INFO_SLAVE_DATA] && strcmp(l->slave_kind, "bridge") == 0)
		parse_brport(tb[IFLA_INFO_SLAVE_DATA], l);
}

/* The IPv6 settings the kernel reports in IFLA_AF_SPEC: an array of s32 per DEVCONF_*. */
static void parse_af_spec(const struct nlattr *nest, struct nl_link *l)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested (a, nest) {
		const struct nlattr *tb[IFLA_INET6_MAX + 1];
		const struct nlattr *conf;

		if (mnl_attr_get_type(a) != AF_INET6)
			continue;
		nl_attr_index_nested(a, tb, IFLA_INET6_MAX);
		conf = tb[IFLA_INET6_CONF];
		if (conf && mnl_attr_get_payload_len(conf) >= (DEVCONF_ACCEPT_RA + 1) * 4) {
			int32_t v;

			memcpy(&v, (const char *)mnl_attr_get_payload(conf) + DEVCONF_ACCEPT_RA * 4,
			       sizeof(v));
			l->accept_ra = v;
		}
	}
}

/* IFLA_PROP_LIST: the IFLA_ALT_IFNAME names, packed into l->altnames as far as they fit. */
static void parse_prop_list(const struct nlattr *nest, struct nl_link *l)
{
	const struct nlattr *a;
	size_t used = 0;

	mnl_attr_for_each_nested (a, nest) {
		const char *name;
		size_t n;

		if (mnl_attr_get_type(a) != IFLA_ALT_IFNAME)
			continue;
		name = mnl_attr_get_payload(a);
		n = strnlen(name, mnl_attr_get_payload_len(a));
		/* The name, its NUL, and the empty name that ends the list. */
		if (!n || used + n + 2 > sizeof(l->altnames))
			continue;
		memcpy(l->altnames + used, name, n);
		used += n;
		l->altnames[used++] = '\0';
	}
	l->altnames[used] = '\0';
}

bool nl_link_has_altname(const struct nl_link *l, const char *name)
{
	for (const char *p = l->altnames; *p; p += strlen(p) + 1)
		if (strcmp(p, name) == 0)
			return true;
	return false;
}

int nl_link_parse(const struct nlmsghdr *nlh, struct nl_link *ret, struct cni_err *err)
{
	const struct nlattr *tb[IFLA_MAX + 1];
	const struct ifinfomsg *ifi;
	struct nl_link l;
	int r;

	r = nl_msg_check(nlh, RTM_NEWLINK, sizeof(*ifi), err);
	if (r < 0)
		return r;
	ifi = mnl_nlmsg_get_payload(nlh);
	memset(&l, 0, sizeof(l));
	l.index = ifi->ifi_index;
	l.flags = ifi->ifi_flags;
	l.type = ifi->ifi_type;
	l.hairpin = -1;
	l.isolated = -1;
	l.vlan_filtering = -1;
	l.accept_ra = -1;
	l.info_mode = -1;
	l.vlan_id = -1;

	nl_attr_index(nlh, sizeof(*ifi), tb, IFLA_MAX);
	nl_attr_str(tb[IFLA_IFNAME], l.name, sizeof(l.name));
	nl_attr_str(tb[IFLA_IFALIAS], l.alias, sizeof(l.alias));
	l.mtu = nl_attr_u32(tb[IFLA_MTU], 0);
	l.txqlen = nl_attr_u32(tb[IFLA_TXQLEN], 0);
	l.master = (int)nl_attr_u32(tb[IFLA_MASTER], 0);
	l.link = (int)nl_attr_u32(tb[IFLA_LINK], 0);
	l.operstate = (uint8_t)nl_attr_u8(tb[IFLA_OPERSTATE], IF_OPER_UNKNOWN);
	if (tb[IFLA_LINK_NETNSID] && mnl_attr_get_payload_len(tb[IFLA_LINK_NETNSID]) >= 4) {
		l.has_link_netnsid = true;
		l.link_netnsid = (int)mnl_attr_get_u32(tb[IFLA_LINK_NETNSID]);
	}
	if (tb[IFLA_ADDRESS]) {
		size_t n = mnl_attr_get_payload_len(tb[IFLA_ADDRESS]);

		if (n > sizeof(l.mac))
			n = sizeof(l.mac);
		memcpy(l.mac, mnl_attr_get_payload(tb[IFLA_ADDRESS]), n);
		l.mac_len = n;
	}
	if (tb[IFLA_LINKINFO])
		parse_linkinfo(tb[IFLA_LINKINFO], &l);
	if (tb[IFLA_PROTINFO] && ifi->ifi_family == AF_BRIDGE)
		parse_brport(tb[IFLA_PROTINFO], &l);
	if (tb[IFLA_AF_SPEC] && ifi->ifi_family != AF_BRIDGE)
		parse_af_spec(tb[IFLA_AF_SPEC], &l);
	if (tb[IFLA_PROP_LIST])
		parse_prop_list(tb[IFLA_PROP_LIST], &l);
	*ret = l;
	return 0;
}

/* Start a message of type about the link name, or ifindex when name is NULL. */
static int link_msg(void *buf, uint16_t type, int ifindex, const char *name,
		    struct nlmsghdr **ret_nlh, struct cni_err *err)
{
	struct nlmsghdr *nlh;
	int r;

	if (name && (r = nl_ifname_check(name, err)) < 0)
		return r;
	nlh = nl_msg_init(buf, type, 0);
	put_ifinfo(nlh, AF_UNSPEC, name ? 0 : ifindex);
	if (name)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	*ret_nlh = nlh;
	return 0;
}

int nl_link_build_get(void *buf, int ifindex, const char *name, struct nlmsghdr **ret_nlh,
		      struct cni_err *err)
{
	int r = link_msg(buf, RTM_GETLINK, ifindex, name, ret_nlh, err);

	/* Skip VF statistics, which can make the answer huge. */
	if (r == 0)
		mnl_attr_put_u32(*ret_nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	return r;
}

static int link_get_cb(const struct nlmsghdr *nlh, void *data, struct cni_err *err)
{
	return nl_link_parse(nlh, data, err);
}

static int link_get(struct nl_sock *sock, int ifindex, const char *name, struct nl_link *ret,
		    struct cni_err *err)
{
	char buf[NL_MSG_BUF_SIZE];
	struct nlmsghdr *nlh;
	struct nl_link l;
	int r;

	r = nl_link_build_get(buf, ifindex, name, &nlh, err);
	if (r < 0)
		return r;
	l.index = 0;
	r = nl_request_cb(sock, nlh, link_get_cb, &l, err);
	if (r == -ENODEV || (r == 0 && l.index == 0)) {
		if (name)
			return cni_err_set_errno(err, CNI_ERR_INTERNAL, ENODEV,
						 "link '%s' not found", name);
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, ENODEV,
					 "link with index %d not found", ifindex);
	}
	if (r < 0)
		return r;
	*ret = l;
	return 0;
}

int nl_link_get_by_name(struct nl_sock *sock, const char *name, struct nl_link *ret,
			struct cni_err *err)
{
	return link_get(sock, 0, name, ret, err);
}

int nl_link_get_by_index(struct nl_sock *sock, int ifindex, struct nl_link *ret,
			 struct cni_err *err)
{
	if (ifindex <= 0)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, ENODEV,
					 "link with index %d not found", ifindex);
	return link_get(sock, ifindex, NULL, ret, err);
}

/* What nl_link_list_kind() wants. */
struct link_filter {
	struct nl_vec *v; /* the results */
	const char *kind; /* IFLA_INFO_KIND wanted, NULL = any */
};

static int link_list_cb(const struct nlmsghdr *nlh, void *data, struct cni_err *err)
{
	struct link_filter *f = data;
	struct nl_link l, *out;
	int r;

	r = nl_link_parse(nlh, &l, err);
	if (r < 0)
		return r;
	if (f->kind && strcmp(l.kind, f->kind) != 0)
		return 0;
	out = nl_vec_push(f->v, err);
	if (!out)
		return -ENOMEM;
	*out = l;
	return 0;
}

/* A RTM_GETLINK dump request of family with the IFLA_EXT_MASK ext_mask. */
static struct nlmsghdr *link_dump_msg(void *buf, int family, uint32_t ext_mask)
{
	struct nlmsghdr *nlh = nl_msg_init(buf, RTM_GETLINK, 0);

	put_ifinfo(nlh, family, 0);
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, ext_mask);
	return nlh;
}

int nl_link_list_kind(struct nl_sock *sock, const char *kind, struct nl_link **ret_links,
		      size_t *ret_n, struct cni_err *err)
{
	struct nl_vec v = {.size = sizeof(struct nl_link)};
	struct link_filter f = {.v = &v, .kind = kind};
	char buf[NL_MSG_BUF_SIZE];

	return nl_dump_collect(sock, link_dump_msg(buf, AF_UNSPEC, RTEXT_FILTER_SKIP_STATS),
			       RTM_NEWLINK, link_list_cb, &f, &v, ret_links, ret_n, err);
}

/* Start the RTM_NEWLINK (NLM_F_CREATE | NLM_F_EXCL) that creates the link name with mtu
 * (0 = kernel default); the caller adds the rest. -EINVAL for a bad name. */
static int new_link_msg(void *buf, const char *name, unsigned int mtu, struct nlmsghdr **ret_nlh,
			struct cni_err *err)
{
	struct nlmsghdr *nlh;
	int r;

	r = nl_ifname_check(name, err);
	if (r < 0)
		return r;
	nlh = nl_msg_init(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	put_ifinfo(nlh, AF_UNSPEC, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	*ret_nlh = nlh;
	return 0;
}

int nl_link_build_bridge(void *buf, const char *name, unsigned int mtu, bool vlan_filtering,
			 struct nlmsghdr **ret_nlh, struct cni_err *err)
{
	struct nlattr *info, *data;
	struct nlmsghdr *nlh;
	int r;

	r = new_link_msg(buf, name, mtu, &nlh, err);
	if (r < 0)
		return r;
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
	if (vlan_filtering) {
		data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
		mnl_attr_put_u8(nlh, IFLA_BR_VLAN_FILTERING, 1);
		mnl_attr_nest_end(nlh, data);
	}
	mnl_attr_nest_end(nlh, info);
	*ret_nlh = nlh;
	return 0;
}

int nl_link_add_bridge(struct nl_sock *sock, const char *name, unsigned int mtu,
		       bool vlan_filtering, struct cni_err *err)
{
	char buf[NL_MSG_BUF_SIZE];
	struct nlmsghdr *nlh;

	return nl_request_built(
		sock, nl_link_build_bridge(buf, name, mtu, vlan_filtering, &nlh, err), buf, err);
}

int nl_link_build_veth(void *buf, const struct nl_veth_req *req, struct nlmsghdr **ret_nlh,
		       struct cni_err *err)
{
	struct nlattr *info, *data, *peer;
	struct nlmsghdr *nlh;
	int r;

	r = new_link_msg(buf, req->name, req->mtu, &nlh, err);
	if (r < 0)
		return r;
	r = nl_ifname_check(req->peer_name, err);
	if (r < 0)
		return r;
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	/* VETH_INFO_PEER holds a struct ifinfomsg followed by the peer's own attributes. */
	peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	put_ifinfo(nlh, AF_UNSPEC, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, req->peer_name);
	if (req->mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, req->mtu);
	if (req->peer_mac)
		mnl_attr_put(nlh, IFLA_ADDRESS, 6, req->peer_mac);
	if (req->peer_netns_fd >= 0)
		mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)req->peer_netns_fd);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	*ret_nlh = nlh;
	return 0;
}

int nl_link_add_veth(struct nl_sock *sock, const struct nl_veth_req *req, struct cni_err *err)
{
	char buf[NL_MSG_BUF_SIZE];
	struct nlmsghdr *nlh;

	return nl_request_built(sock, nl_link_build_veth(buf, req, &nlh, err), buf, err);
}

int nl_link_build_ifb(void *buf, const char *name, unsigned int mtu, struct nlmsghdr **ret_nlh,
		      struct cni_err *err)
{
	struct ifinfomsg *ifi;
	struct nlattr *info;
	struct nlmsghdr *nlh;
	int r;

	r = new_link_msg(buf, name, mtu, &nlh, err);
	if (r < 0)
		return r;
	/* Created up, in one request, as the reference does. */
	ifi = mnl_nlmsg_get_payload(nlh);
	ifi->ifi_change = IFF_UP;
	ifi->ifi_flags = IFF_UP;
	/* The reference sets 0 explicitly (ifb's default is 32); kept for identical links. */
	mnl_attr_put_u32(nlh, IFLA_TXQLEN, 0);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "ifb");
	mnl_attr_nest_end(nlh, info);
	*ret_nlh = nlh;
	return 0;
}

int nl_link_add_ifb(struct nl_sock *sock, const char *name, unsigned int mtu, struct cni_err *err)
{
	char buf[NL_MSG_BUF_SIZE];
	struct nlmsghdr *nlh;

	return nl_request_built(sock, nl_link_build_ifb(buf, name, mtu, &nlh, err), buf, err);
}

int nl_link_build_new(void *buf, const struct nl_link_req *req, struct nlmsghdr **ret_nlh,
		      struct cni_err *err)
{
	struct nlattr *info, *data;
	struct nlmsghdr *nlh;
	int r;

	if (!req->kind || !req->kind[0])
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL, "no link kind given");
	if (req->n_data > NL_LINK_DATA_MAX)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL,
					 "too many link attributes (%zu)", req->n_data);
	if (req->mac && (req->mac_len == 0 || req->mac_len > NL_HWADDR_MAX))
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL,
					 "invalid hardware address length %zu", req->mac_len);
	if (req->link < 0)
		return nl_ifindex_check(req->link, err);
	r = new_link_msg(buf, req->name, req->mtu, &nlh, err);
	if (r < 0)
		return r;
	if (req->link)
		mnl_attr_put_u32(nlh, IFLA_LINK, (uint32_t)req->link);
	if (req->mac)
		mnl_attr_put(nlh, IFLA_ADDRESS, req->mac_len, req->mac);
	if (req->has_netns)
		mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)req->netns_fd);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, req->kind);
	if (req->n_data) {
		data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
		for (size_t i = 0; i < req->n_data; i++) {
			const struct nl_link_data *d = &req->data[i];

			if (d->size == 1)
				mnl_attr_put_u8(nlh, d->type, (uint8_t)d->value);
			else if (d->size == 2)
				mnl_attr_put_u16(nlh, d->type, (uint16_t)d->value);
			else if (d->size == 4)
				mnl_attr_put_u32(nlh, d->type, d->value);
			else
				return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL,
							 "invalid link attribute size %u",
							 (unsigned int)d->size);
		}
		mnl_attr_nest_end(nlh, data);
	}
	mnl_attr_nest_end(nlh, info);
	*ret_nlh = nlh;
	return 0;
}

int nl_link_add(struct nl_sock *sock, const struct nl_link_req *req, struct cni_err *err)
{
	char buf[NL_MSG_BUF_SIZE];
	struct nlmsghdr *nlh;

	return nl_request_built(sock, nl_link_build_new(buf, req, &nlh, err), buf, err);
}

int nl_link_build_name(void *buf, int ifindex, const char *name, struct nlmsghdr **ret_nlh,
		       struct cni_err *err)
{
	struct nlmsghdr *nlh;
	int r;

	r = nl_ifindex_check(ifindex, err);
	if (r < 0)
		return r;
	r = nl_ifname_check(name, err);
	if (r < 0)
		return r;
	nlh = nl_msg_init(buf, RTM_NEWLINK, 0);
	put_ifinfo(nlh, AF_UNSPEC, ifindex);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	*ret_nlh = nlh;
	return 0;
}

int nl_link_set_name(struct nl_sock *sock, int ifindex, const char *name, struct cni_err *err)
{
	char buf[NL_MSG_BUF_SIZE];
	struct nlmsghdr *nlh;

	return nl_request_built(sock, nl_link_build_name(buf, ifindex, name, &nlh, err), buf, err);
}

int nl_link_set_netns(struct nl_sock *sock, int ifindex, int netns_fd, struct cni_err *err)
{
	char buf[NL_MSG_BUF_SIZE];
	int r = nl_ifindex_check(ifindex, err);

	if (r < 0)
		return r;
	return nl_request(sock, nl_link_build_u32(buf, ifindex, IFLA_NET_NS_FD, (uint32_t)netns_fd),
			  err);
}

int nl_link_build_del(void *buf, int ifindex, const char *name, struct nlmsghdr **ret_nlh,
		      struct cni_err *err)
{
	return link_msg(buf, RTM_DELLINK, ifindex, name, ret_nlh, err);
}

static int link_del(struct nl_sock *sock, int ifindex, const char *name, struct cni_err *err)
{
	char buf[NL_MSG_BUF_SIZE];
	struct nlmsghdr *nlh;

	return nl_request_built(sock, nl_link_build_del(buf, ifindex, name, &nlh, err), buf, err);
}

int nl_link_del(struct nl_sock *sock, int ifindex, struct cni_err *err)
{
	return link_del(sock, ifindex, NULL, err);
}

int nl_link_del_by_name(struct nl_sock *sock, const char *name, struct cni_err *err)
{
	return link_del(sock, 0, name, err);
}

/* What the deleting child reports to nl_link_del_unlisted(). */
struct unlist_result {
	int r;		    /* nl_link_del()'s return */
	struct cni_err err; /* its error */
};

/* The child of nl_link_del_unlisted(): delete ifindex in netns_fd, report on res_fd. Its
 * stdio goes to /dev/null and every other fd is closed, so that neither the runtime's read of
 * the plugin's output nor a lock the plugin holds waits for it. */
static _Noreturn void unlist_child(int netns_fd, int ifindex, int res_fd)
{
	struct unlist_result res = {0};
	struct nl_sock *sock = NULL;
	int null = open("/dev/null", O_RDWR);
	int keep_lo = netns_fd < res_fd ? netns_fd : res_fd;
	int keep_hi = netns_fd < res_fd ? res_fd : netns_fd;

	for (int fd = 0; fd < 3; fd++)
		if (null >= 0 && null != fd)
			dup2(null, fd);
	if (keep_lo > 3)
		close_range(3, (unsigned int)keep_lo - 1, 0);
	if (keep_hi > keep_lo + 1)
		close_range((unsigned int)keep_lo + 1, (unsigned int)keep_hi - 1, 0);
	close_range((unsigned int)keep_hi + 1, ~0U, 0);
	if (setns(netns_fd, CLONE_NEWNET) < 0) {
		res.r = cni_err_errno(&res.err, CNI_ERR_INTERNAL, errno, "failed to enter netns");
	} else {
		/* An fd opened from the runtime's netns path (its bind mount) would keep a plain
		 * umount of that path busy (EBUSY) while the kernel's wait goes on; being in the
		 * namespace does not. */
		close(netns_fd);
		if ((res.r = nl_open(&sock, &res.err)) == 0)
			res.r = nl_link_del(sock, ifindex, &res.err);
	}
	(void)!write(res_fd, &res, sizeof(res));
	_exit(0);
}

/* True when the datagram in buf (n bytes) says ifindex was deleted. */
static bool saw_dellink(const char *buf, ssize_t n, int ifindex)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	int len = (int)n;

	for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

		if (nlh->nlmsg_type == RTM_DELLINK &&
		    nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(*ifi)) && ifi->ifi_index == ifindex)
			return true;
	}
	return false;
}

int nl_link_del_unlisted(int netns_fd, int ifindex, struct cni_err *err)
{
	_cleanup_nl_close_ struct nl_sock *mon = NULL;
	struct unlist_result res;
	int group = RTNLGRP_LINK, pfd[2], r;
	struct pollfd fds[2];
	ssize_t got;
	pid_t pid;

	r = nl_ifindex_check(ifindex, err);
	if (r < 0)
		return r;
	/* Subscribed before the delete is sent, so its notification cannot be missed. */
	r = nl_open_in_netns(netns_fd, &mon, err);
	if (r < 0)
		return r;
	if (mnl_socket_setsockopt(mon->mnl, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) < 0)
		return link_del(mon, ifindex, NULL, err);
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return link_del(mon, ifindex, NULL, err);
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return link_del(mon, ifindex, NULL, err);
	}
	if (pid == 0)
		unlist_child(netns_fd, ifindex, pfd[1]);
	close(pfd[1]);
	fds[0] = (struct pollfd){.fd = mnl_socket_get_fd(mon->mnl), .events = POLLIN};
	fds[1] = (struct pollfd){.fd = pfd[0], .events = POLLIN};
	for (;;) {
		ssize_t n;

		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break; /* cannot wait for the notification: wait for the child */
		}
		if (fds[0].revents) {
			n = recv(fds[0].fd, mon->buf, NL_RECV_BUF_SIZE, MSG_DONTWAIT);
			if (n > 0 && saw_dellink(mon->buf, n, ifindex)) {
				/* Out of the namespace: the child finishes the kernel's wait. */
				close(pfd[0]);
				return 0;
			}
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				fds[0].fd = -1; /* e.g. ENOBUFS: the child's answer decides */
		}
		if (fds[1].revents)
			break;
	}
	/* The child answered first (a refusal, or a delete done before its notification was
	 * read), or the notification cannot be waited for: its answer decides. */
	got = read(pfd[0], &res, sizeof(res));
	close(pfd[0]);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (got != (ssize_t)sizeof(res))
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, ECHILD,
					 "the process deleting link %d ended without an answer",
					 ifindex);
	if (res.r < 0)
		*err = res.err;
	return res.r;
}

struct nlmsghdr *nl_link_build_flags(void *buf, int ifindex, unsigned int change,
				     unsigned int flags)
{
	struct nlmsghdr *nlh = nl_msg_init(buf, RTM_NEWLINK, 0);
	struct ifinfomsg *ifi = put_ifinfo(nlh, AF_UNSPEC, ifindex);

	ifi->ifi_change = change;
	ifi->ifi_flags = flags & change;
	return nlh;
}

int nl_link_set_up(struct nl_sock *sock, int ifindex, bool up, struct cni_err *err)
{
	char buf[NL_MSG_BUF_SIZE];

	return nl_request(sock, nl_link_build_flags(buf, ifindex, IFF_UP, up ? IFF_UP : 0), err);
}

int nl_link_set_promisc(struct nl_sock *sock, int ifindex, bool on, struct cni_err *err)
{
	char buf[NL_MSG_BUF_SIZE];

	return nl_request(
		sock, nl_link_build_flags(buf, ifindex, IFF_PROMISC, on ? IFF_PROMISC : 0), err);
}

int nl_link_set_inet_conf(struct nl_sock *sock, int ifindex, int devconf_id, uint32_t value,
			  struct cni_err *err)
{
	char buf[NL_MSG_BUF_SIZE];
	struct nlattr *spec, *inet, *conf;
	struct nlmsghdr *nlh = nl_msg_init(buf, RTM_NEWLINK, 0);

	put_ifinfo(nlh, AF_UNSPEC, ifindex);
	spec = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
	inet = mnl_attr_nest_start(nlh, AF_INET);
	conf = mnl_attr_nest_start(nlh, IFLA_INET_CONF);
	mnl_attr_put_u32(nlh, (uint16_t)devconf_id, value);
	mnl_attr_nest_end(nlh, conf);
	mnl_attr_nest_end(nlh, inet);
	mnl_attr_nest_end(nlh, spec);
	return nl_request(sock, nlh, err);
}

/* What nl_netconf_forwarding() looks for. */
struct netconf_get {
	int forwarding; /* NETCONFA_FORWARDING, -1 until seen */
};

static int netconf_cb(const struct nlmsghdr *nlh, void *data, struct cni_err *err)
{
	const struct nlattr *tb[NETCONFA_MAX + 1];
	struct netconf_get *g = data;
	int r;

	r = nl_msg_check(nlh, RTM_NEWNETCONF, sizeof(struct netconfmsg), err);
	if (r < 0)
		return r;
	nl_attr_index(nlh, sizeof(struct netconfmsg), tb, NETCONFA_MAX);
	g->forwarding = (int)nl_attr_u32(tb[NETCONFA_FORWARDING], (uint32_t)g->forwarding);
	return 0;
}

int nl_netconf_forwarding(struct nl_sock *sock, int family, int *ret, struct cni_err *err)
{
	char buf[NL_MSG_BUF_SIZE];
	struct netconf_get g = {.forwarding = -1};
	struct nlmsghdr *nlh = nl_msg_init(buf, RTM_GETNETCONF, 0);
	struct netconfmsg *ncm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ncm));
	int r;

	ncm->ncm_family = (unsigned char)family;
	mnl_attr_put_u32(nlh, NETCONFA_IFINDEX, (uint32_t)NETCONFA_IFINDEX_ALL);
	r = nl_request_cb(sock, nlh, netconf_cb, &g, err);
	if (r < 0)
		return r;
	if (g.forwarding < 0)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EOPNOTSUPP,
					 "the kernel did not report the forwarding setting");
	*ret = g.forwarding;
	return 0;
}

struct nlmsghdr *nl_link_build_u32(void *buf, int ifindex, uint16_t attr, uint32_t value)
{
	struct nlmsghdr *nlh = nl_msg_init(buf, RTM_NEWLINK, 0);

	put_ifinfo(nlh, AF_UNSPEC, ifindex);
	mnl_attr_put_u32(nlh, attr, value);
	return nlh;
}

int nl_link_set_mtu(struct nl_sock *sock, int ifindex, unsigned int mtu, struct cni_err *err)
{
	char buf[NL_MSG_BUF_SIZE];

	return nl_request(sock, nl_link_build_u32(buf, ifindex, IFLA_MTU, mtu), err);
}

int nl_link_set_master(struct nl_sock *sock, int ifindex, int master_index, struct cni_err *err)
{
	char buf[NL_MSG_BUF_SIZE];

	return nl_request(
		sock, nl_link_build_u32(buf, ifindex, IFLA_MASTER, (uint32_t)master_index), err);
}

int nl_link_build_mac(void *buf, int ifindex, const uint8_t *mac, size_t len,
		      struct nlmsghdr **ret_nlh, struct cni_err *err)
{
	struct nlmsghdr *nlh;

	if (len == 0 || len > NL_HWADDR_MAX)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL,
					 "invalid hardware address length %zu", len);
	nlh = nl_msg_init(buf, RTM_NEWLINK, 0);
	put_ifinfo(nlh, AF_UNSPEC, ifindex);
	mnl_attr_put(nlh, IFLA_ADDRESS, len, mac);
	*ret_nlh = nlh;
	return 0;
}

int nl_link_set_mac(struct nl_sock *sock, int ifindex, const uint8_t *mac, size_t len,
		    struct cni_err *err)
{
	char buf[NL_MSG_BUF_SIZE];
	struct nlmsghdr *nlh;

	return nl_request_built(sock, nl_link_build_mac(buf, ifindex, mac, len, &nlh, err), buf,
				err);
}

int nl_link_build_alias(void *buf, int ifindex, const char *alias, struct nlmsghdr **ret_nlh,
			struct cni_err *err)
{
	struct nlmsghdr *nlh;
	int r;

	r = nl_ifindex_check(ifindex, err);
	if (r < 0)
		return r;
	if (strlen(alias) >= NL_ALIAS_MAX)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL,
					 "link alias is too long (%zu bytes, max %d)",
					 strlen(alias), NL_ALIAS_MAX - 1);
	nlh = nl_msg_init(buf, RTM_NEWLINK, 0);
	put_ifinfo(nlh, AF_UNSPEC, ifindex);
	/* Without the NUL: the kernel takes the payload length as the alias length. */
	mnl_attr_put(nlh, IFLA_IFALIAS, strlen(alias), alias);
	*ret_nlh = nlh;
	return 0;
}

int nl_link_set_alias(struct nl_sock *sock, int ifindex, const char *alias, struct cni_err *err)
{
	char buf[NL_MSG_BUF_SIZE];
	struct nlmsghdr *nlh;

	return nl_request_built(sock, nl_link_build_alias(buf, ifindex, alias, &nlh, err), buf,
				err);
}

int nl_link_build_altname(void *buf, int ifindex, const char *name, bool add,
			  struct nlmsghdr **ret_nlh, struct cni_err *err)
{
	struct nlmsghdr *nlh;
	struct nlattr *list;
	int r;

	r = nl_ifindex_check(ifindex, err);
	if (r < 0)
		return r;
	if (!name[0] || strlen(name) >= NL_ALTNAME_MAX)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL,
					 "invalid alternative interface name '%s'", name);
	nlh = nl_msg_init(buf, add ? RTM_NEWLINKPROP : RTM_DELLINKPROP, 0);
	put_ifinfo(nlh, AF_UNSPEC, ifindex);
	list = mnl_attr_nest_start(nlh, IFLA_PROP_LIST | NLA_F_NESTED);
	mnl_attr_put_strz(nlh, IFLA_ALT_IFNAME, name);
	mnl_attr_nest_end(nlh, list);
	*ret_nlh = nlh;
	return 0;
}

int nl_link_altname(struct nl_sock *sock, int ifindex, const char *name, bool add,
		    struct cni_err *err)
{
	char buf[NL_MSG_BUF_SIZE];
	struct nlmsghdr *nlh;

	return nl_request_built(sock, nl_link_build_altname(buf, ifindex, name, add, &nlh, err),
				buf, err);
}

struct nlmsghdr *nl_link_build_brport(void *buf, const struct nl_brport_req *req)
{
	struct nlmsghdr *nlh = nl_msg_init(buf, RTM_SETLINK, 0);
	struct nlattr *prot;

	put_ifinfo(nlh, AF_BRIDGE, req->ifindex);
	prot = mnl_attr_nest_start(nlh, IFLA_PROTINFO | NLA_F_NESTED);
	if (req->hairpin >= 0)
		mnl_attr_put_u8(nlh, IFLA_BRPORT_MODE, req->hairpin ? 1 : 0);
	if (req->isolated >= 0)
		mnl_attr_put_u8(nlh, IFLA_BRPORT_ISOLATED, req->isolated ? 1 : 0);
	mnl_attr_nest_end(nlh, prot);
	return nlh;
}

int nl_link_set_brport(struct nl_sock *sock, const struct nl_brport_req *req, struct cni_err *err)
{
	char buf[NL_MSG_BUF_SIZE];

	return nl_request(sock, nl_link_build_brport(buf, req), err);
}

int nl_link_build_vlan(void *buf, bool add, int ifindex, uint16_t vid, uint16_t vinfo_flags,
		       uint16_t bridge_flags, struct nlmsghdr **ret_nlh, struct cni_err *err)
{
	struct bridge_vlan_info vinfo = {.flags = vinfo_flags, .vid = vid};
	struct nlmsghdr *nlh;
	struct nlattr *spec;

	if (vid < 1 || vid > 4094)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL,
					 "invalid VLAN ID %u (must be between 1 and 4094)", vid);
	nlh = nl_msg_init(buf, add ? RTM_SETLINK : RTM_DELLINK, 0);
	put_ifinfo(nlh, AF_BRIDGE, ifindex);
	spec = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
	if (bridge_flags)
		mnl_attr_put_u16(nlh, IFLA_BRIDGE_FLAGS, bridge_flags);
	mnl_attr_put(nlh, IFLA_BRIDGE_VLAN_INFO, sizeof(vinfo), &vinfo);
	mnl_attr_nest_end(nlh, spec);
	*ret_nlh = nlh;
	return 0;
}

static int vlan_change(struct nl_sock *sock, bool add, int ifindex, uint16_t vid,
		       uint16_t vinfo_flags, uint16_t bridge_flags, struct cni_err *err)
{
	char buf[NL_MSG_BUF_SIZE];
	struct nlmsghdr *nlh;

	return nl_request_built(
		sock,
		nl_link_build_vlan(buf, add, ifindex, vid, vinfo_flags, bridge_flags, &nlh, err),
		buf, err);
}

int nl_link_vlan_add(struct nl_sock *sock, int ifindex, uint16_t vid, uint16_t vinfo_flags,
		     uint16_t bridge_flags, struct cni_err *err)
{
	return vlan_change(sock, true, ifindex, vid, vinfo_flags, bridge_flags, err);
}

int nl_link_vlan_del(struct nl_sock *sock, int ifindex, uint16_t vid, uint16_t bridge_flags,
		     struct cni_err *err)
{
	return vlan_change(sock, false, ifindex, vid, 0, bridge_flags, err);
}

/* What nl_link_vlan_list() wants. */
struct vlan_filter {
	struct nl_vec *v; /* the results */
	int ifindex;	  /* the bridge port */
};

static int vlan_list_cb(const struct nlmsghdr *nlh, void *data, struct cni_err *err)
{
	const struct nlattr *tb[IFLA_MAX + 1];
	const struct ifinfomsg *ifi;
	struct vlan_filter *f = data;
	const struct nlattr *a;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifi))
		return 0;
	ifi = mnl_nlmsg_get_payload(nlh);
	if (ifi->ifi_index != f->ifindex)
		return 0;
	nl_attr_index(nlh, sizeof(*ifi), tb, IFLA_MAX);
	if (!tb[IFLA_AF_SPEC])
		return 0;
	mnl_attr_for_each_nested (a, tb[IFLA_AF_SPEC]) {
		const struct bridge_vlan_info *vi;
		struct nl_vlan *out;

		if (mnl_attr_get_type(a) != IFLA_BRIDGE_VLAN_INFO ||
		    mnl_attr_get_payload_len(a) < sizeof(*vi))
			continue;
		vi = mnl_attr_get_payload(a);
		out = nl_vec_push(f->v, err);
		if (!out)
			return -ENOMEM;
		out->vid = vi->vid;
		out->flags = vi->flags;
	}
	return 0;
}

int nl_link_vlan_list(struct nl_sock *sock, int ifindex, struct nl_vlan **ret_vlans, size_t *ret_n,
		      struct cni_err *err)
{
	struct nl_vec v = {.size = sizeof(struct nl_vlan)};
	struct vlan_filter f = {.v = &v, .ifindex = ifindex};
	char buf[NL_MSG_BUF_SIZE];

	return nl_dump_collect(sock, link_dump_msg(buf, AF_BRIDGE, RTEXT_FILTER_BRVLAN),
			       RTM_NEWLINK, vlan_list_cb, &f, &v, ret_vlans, ret_n, err);
}

int nl_link_wait_oper_up(struct nl_sock *sock, int ifindex, struct cni_err *err)
{
	static const unsigned int waits_ms[] = {0, 50, 500, 1000, 1000};
	struct nl_link l;
	size_t i;
	int r;

	for (i = 0; i < ARRAY_SIZE(waits_ms); i++) {
		sleep_ms(waits_ms[i]);
		r = nl_link_get_by_index(sock, ifindex, &l, err);
		if (r < 0)
			return r;
		if (l.operstate == IF_OPER_UP)
			return 0;
	}
	return cni_err_set_errno(err, CNI_ERR_INTERNAL, ETIMEDOUT, "bridge port in error state: %s",
				 nl_operstate_name(l.operstate));
}

/* ---- link attributes a meta plugin tunes and restores ---------------------------------- */

struct nlmsghdr *nl_link_build_allmulti(void *buf, int ifindex, bool on)
{
	return nl_link_build_flags(buf, ifindex, IFF_ALLMULTI, on ? IFF_ALLMULTI : 0);
}

int nl_link_set_allmulti(struct nl_sock *sock, int ifindex, bool on, struct cni_err *err)
{
	char buf[NL_MSG_BUF_SIZE];

	return nl_request(sock, nl_link_build_allmulti(buf, ifindex, on), err);
}

struct nlmsghdr *nl_link_build_txqlen(void *buf, int ifindex, uint32_t txqlen)
{
	return nl_link_build_u32(buf, ifindex, IFLA_TXQLEN, txqlen);
}

int nl_link_set_txqlen(struct nl_sock *sock, int ifindex, uint32_t txqlen, struct cni_err *err)
{
	char buf[NL_MSG_BUF_SIZE];

	return nl_request(sock, nl_link_build_txqlen(buf, ifindex, txqlen), err);
}

int nl_link_del_name_unlisted(struct nl_sock *sock, int netns_fd, const char *name,
			      struct cni_err *err)
{
	struct nl_link l;
	int r = nl_link_get_by_name(sock, name, &l, err);

	if (r < 0)
		return r;
	return nl_link_del_unlisted(netns_fd, l.index, err);
}
