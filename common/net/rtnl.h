/* SPDX-License-Identifier: Apache-2.0 */
/* Typed rtnetlink requests over the transport of nl.h: links (veth, bridge, ifb, bridge
 * ports, VLANs, aliases, per-interface settings), addresses and routes.
 *
 * Errors follow nl.h's convention: 0 or a negative errno with err set, a kernel refusal
 * recorded as Go's errno text and the extended ACK, without context.
 *
 * Message builders (nl_*_build_*) write a request into a caller buffer of NL_MSG_BUF_SIZE
 * bytes without a socket, so requests can be unit-tested; the executing functions call the
 * builder and then nl_request().
 */
#ifndef CNI_RTNL_H
#define CNI_RTNL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "net/nl.h"

/* IFNAMSIZ, without pulling <net/if.h> or <linux/if.h> (they clash) into every user. */
#define NL_IFNAMSIZ 16

/* Maximum hardware address length kept in struct nl_link. */
#define NL_HWADDR_MAX 32

/* Longest link alias, with its NUL (the kernel's IFALIASZ). */
#define NL_ALIAS_MAX 256

/* Longest alternative name, with its NUL (the kernel's ALTIFNAMSIZ). */
#define NL_ALTNAME_MAX 128

/* Room for the alternative names kept in struct nl_link, packed (see altnames). */
#define NL_ALTNAMES_SIZE 256

/* ---- links (nl_link.c) ---------------------------------------------------------------- */

/* Unless a comment says more, the executing functions of this part and the next two return 0,
 * the kernel's -errno for a refused request (-ENODEV for an ifindex that does not exist,
 * -EINVAL, -EPERM, ...; err as in the error convention of nl.h), -EINVAL from their builder for
 * bad arguments, -ENOMEM, or the transport's -errno; lists may also fail with -EINTR (CNI
 * code 11) when the kernel kept interrupting the dump. Builders return 0, -EINVAL, or
 * -EAFNOSUPPORT for an unknown family. */

/* What the plugins need to know about a link, decoded from RTM_NEWLINK. */
struct nl_link {
	int index;		    /* ifindex */
	char name[NL_IFNAMSIZ];	    /* IFLA_IFNAME */
	char kind[32];		    /* IFLA_INFO_KIND ("bridge", "veth", ...), "" if none */
	char slave_kind[32];	    /* IFLA_INFO_SLAVE_KIND ("bridge" for a bridge port) */
	int master;		    /* IFLA_MASTER ifindex, 0 when none */
	unsigned int mtu;	    /* IFLA_MTU */
	uint32_t txqlen;	    /* IFLA_TXQLEN (transmit queue length) */
	uint8_t mac[NL_HWADDR_MAX]; /* IFLA_ADDRESS */
	size_t mac_len;		    /* valid bytes in mac, 0 when absent */
	uint8_t operstate;	    /* IFLA_OPERSTATE, IF_OPER_* */
	unsigned int flags;	    /* ifi_flags: IFF_UP, IFF_PROMISC (as set by users), ... */
	unsigned short type;	    /* ifi_type, ARPHRD_* */
	int link;		    /* IFLA_LINK: for a veth the peer's ifindex, 0 if none */
	bool has_link_netnsid;	    /* IFLA_LINK_NETNSID present (peer in another netns) */
	int link_netnsid;	    /* IFLA_LINK_NETNSID: netns id of the peer's namespace */
	int hairpin;		    /* bridge port IFLA_BRPORT_MODE: 0/1, -1 when not a port */
	int isolated;		    /* bridge port IFLA_BRPORT_ISOLATED: 0/1, -1 if unknown */
	int vlan_filtering;	    /* bridge IFLA_BR_VLAN_FILTERING: 0/1, -1 if not reported */
	int accept_ra;		  /* IPv6 devconf accept_ra (IFLA_INET6_CONF), -1 if not reported */
	char alias[NL_ALIAS_MAX]; /* IFLA_IFALIAS, "" when none */
	int info_mode;		  /* IFLA_MACVLAN_MODE (MACVLAN_MODE_*) of a macvlan,
				   * IFLA_IPVLAN_MODE (IPVLAN_MODE_*) of an ipvlan, -1 otherwise */
	int vlan_id;		  /* IFLA_VLAN_ID of a vlan link, -1 otherwise */
	char altnames[NL_ALTNAMES_SIZE]; /* IFLA_PROP_LIST's IFLA_ALT_IFNAMEs, each with its
					  * NUL, one after another, an empty one ending them;
					  * names that do not fit are left out */
	uint32_t vrf_table;		 /* IFLA_VRF_TABLE of a vrf link, 0 otherwise */
};

/* Most IFLA_INFO_DATA attributes one nl_link_req carries. */
#define NL_LINK_DATA_MAX 4

/* One IFLA_INFO_DATA attribute of a new link: a u8, u16 or u32. */
struct nl_link_data {
	uint16_t type;	/* attribute type of the kind (IFLA_MACVLAN_MODE, IFLA_VLAN_ID, ...) */
	uint8_t size;	/* its payload size in bytes: 1, 2 or 4 */
	uint32_t value; /* its value */
};

/* Arguments of nl_link_add(): a link the kernel creates from a kind, an optional lower
 * device and a few IFLA_INFO_DATA attributes (macvlan, ipvlan, vlan, dummy, ...). */
struct nl_link_req {
	const char *kind;   /* IFLA_INFO_KIND */
	const char *name;   /* IFLA_IFNAME */
	int link;	    /* IFLA_LINK: lower device (master) ifindex, 0 for none */
	bool has_netns;	    /* create it in netns_fd rather than the socket's namespace */
	int netns_fd;	    /* IFLA_NET_NS_FD when has_netns */
	unsigned int mtu;   /* IFLA_MTU, 0 for the kernel default */
	const uint8_t *mac; /* IFLA_ADDRESS, NULL for the kernel's choice */
	size_t mac_len;	    /* bytes at mac (6 for Ethernet) */
	struct nl_link_data data[NL_LINK_DATA_MAX]; /* IFLA_INFO_DATA attributes */
	size_t n_data;				    /* used entries of data */
};

/* Arguments of nl_link_add_veth(). */
struct nl_veth_req {
	const char *name;	 /* this end, created in the socket's namespace */
	const char *peer_name;	 /* the other end */
	int peer_netns_fd;	 /* namespace fd to create the peer in, -1 for the same ns */
	unsigned int mtu;	 /* MTU of both ends, 0 for the kernel default */
	const uint8_t *peer_mac; /* 6-byte MAC for the peer, NULL for a random one */
};

/* Arguments of nl_link_set_brport(). */
struct nl_brport_req {
	int ifindex;  /* the bridge port (the host veth) */
	int hairpin;  /* IFLA_BRPORT_MODE: 1 on, 0 off, -1 leave unchanged */
	int isolated; /* IFLA_BRPORT_ISOLATED: 1 on, 0 off, -1 leave unchanged */
};

/* One VLAN entry of a bridge port. */
struct nl_vlan {
	uint16_t vid;	/* VLAN id, 1..4094 */
	uint16_t flags; /* BRIDGE_VLAN_INFO_PVID, BRIDGE_VLAN_INFO_UNTAGGED, ... */
};

/* Name of an IF_OPER_* value as Go prints it ("up", "down", "lowerlayerdown", ...). */
const char *nl_operstate_name(uint8_t operstate);

/* Check a name for a new interface by the kernel's rules: -EINVAL ("empty interface name",
 * "interface name 'x' is too long (max 15)", "invalid interface name 'x'" for ".", ".." and
 * names holding '/', ':' or blanks). */
int nl_ifname_check(const char *name, struct cni_err *err);

/* Check an ifindex a request names: -EINVAL ("invalid ifindex N") unless it is above 0. */
int nl_ifindex_check(int ifindex, struct cni_err *err);

/* Decode a RTM_NEWLINK message into ret. -EBADMSG for another type or a short message. */
int nl_link_parse(const struct nlmsghdr *nlh, struct nl_link *ret, struct cni_err *err);

/* Look a link up by name. -ENODEV (message "link 'name' not found") when absent. */
int nl_link_get_by_name(struct nl_sock *sock, const char *name, struct nl_link *ret,
			struct cni_err *err);

/* Look a link up by ifindex. -ENODEV ("link with index N not found") when absent. */
int nl_link_get_by_index(struct nl_sock *sock, int ifindex, struct nl_link *ret,
			 struct cni_err *err);

/* The links of the socket's namespace whose IFLA_INFO_KIND is kind ("ifb", "veth", ...), or
 * every link when kind is NULL, as a malloc'ed array (free() it). */
int nl_link_list_kind(struct nl_sock *sock, const char *kind, struct nl_link **ret_links,
		      size_t *ret_n, struct cni_err *err);

/* Create a bridge (NLM_F_EXCL: -EEXIST when the name is taken). mtu 0 = kernel default;
 * vlan_filtering sets IFLA_BR_VLAN_FILTERING=1 (-EOPNOTSUPP on kernels without it). */
int nl_link_add_bridge(struct nl_sock *sock, const char *name, unsigned int mtu,
		       bool vlan_filtering, struct cni_err *err);

/* Create a veth pair, the peer possibly directly in another namespace. -EEXIST when either
 * name is taken in its namespace (the kernel does not say which one). */
int nl_link_add_veth(struct nl_sock *sock, const struct nl_veth_req *req, struct cni_err *err);

/* Create an ifb link (NLM_F_EXCL: -EEXIST when the name is taken), up, with mtu (0 = kernel
 * default) and a transmit queue length of 0 as the reference sets it. -EOPNOTSUPP when the
 * kernel has no ifb support. */
int nl_link_add_ifb(struct nl_sock *sock, const char *name, unsigned int mtu, struct cni_err *err);

/* Create a link as req says (NLM_F_EXCL: -EEXIST when the name is taken in the namespace
 * it is created in). -EOPNOTSUPP when the kernel lacks the kind. */
int nl_link_add(struct nl_sock *sock, const struct nl_link_req *req, struct cni_err *err);

/* Rename ifindex (the link must be down for most kinds: -EBUSY otherwise). -EEXIST when
 * the name is taken. */
int nl_link_set_name(struct nl_sock *sock, int ifindex, const char *name, struct cni_err *err);

/* Move ifindex into the namespace netns_fd. -EEXIST when its name is taken there. */
int nl_link_set_netns(struct nl_sock *sock, int ifindex, int netns_fd, struct cni_err *err);

/* Delete a link by ifindex. -ENODEV when absent. */
int nl_link_del(struct nl_sock *sock, int ifindex, struct cni_err *err);

/*
 * Delete the link ifindex of the namespace netns_fd and return as soon as the kernel has
 * taken it out of that namespace (its RTM_DELLINK notification: name free, addresses and
 * routes gone), leaving the kernel's final wait for the device's last users (an RCU barrier,
 * tens of milliseconds, that a plain delete waits for) to a child process with no stdio and
 * no other fds. -ENODEV when absent; other refusals as nl_link_del(). Where the notification
 * cannot be had, it waits for the delete itself.
 */
int nl_link_del_unlisted(int netns_fd, int ifindex, struct cni_err *err);

/* nl_link_del_unlisted() of the link name of sock's namespace, netns_fd (looked up through
 * sock). -ENODEV when absent. */
int nl_link_del_name_unlisted(struct nl_sock *sock, int netns_fd, const char *name,
			      struct cni_err *err);

/* Delete a link by name. -ENODEV when absent. */
int nl_link_del_by_name(struct nl_sock *sock, const char *name, struct cni_err *err);

/* Set IFF_UP on or off (-ENODEV when the link is absent, as for the setters below). */
int nl_link_set_up(struct nl_sock *sock, int ifindex, bool up, struct cni_err *err);

/* Set IFF_PROMISC on or off. */
int nl_link_set_promisc(struct nl_sock *sock, int ifindex, bool on, struct cni_err *err);

/* Set the MTU. */
int nl_link_set_mtu(struct nl_sock *sock, int ifindex, unsigned int mtu, struct cni_err *err);

/* Set the hardware address (len bytes, 6 for Ethernet; -EINVAL unless 1..NL_HWADDR_MAX). */
int nl_link_set_mac(struct nl_sock *sock, int ifindex, const uint8_t *mac, size_t len,
		    struct cni_err *err);

/* Set the alias (IFLA_IFALIAS) of ifindex; "" clears it. -EINVAL when it does not fit
 * NL_ALIAS_MAX or ifindex is not above 0. */
int nl_link_set_alias(struct nl_sock *sock, int ifindex, const char *alias, struct cni_err *err);

/* True when l has the alternative name name (IFLA_ALT_IFNAME). */
bool nl_link_has_altname(const struct nl_link *l, const char *name);

/* Add (add true, RTM_NEWLINKPROP) or remove (RTM_DELLINKPROP) the alternative name name of
 * ifindex. -EEXIST when adding a name some link of the namespace has (as name or
 * alternative name), -ENODATA (or -ENOENT) when removing a name the link lacks, -EINVAL
 * for an empty name or one of NL_ALTNAME_MAX bytes or more, -EOPNOTSUPP on kernels without
 * alternative names (before 5.5). */
int nl_link_altname(struct nl_sock *sock, int ifindex, const char *name, bool add,
		    struct cni_err *err);

/* Enslave ifindex to master_index (a bridge); master_index 0 = nomaster. */
int nl_link_set_master(struct nl_sock *sock, int ifindex, int master_index, struct cni_err *err);

/* Set one IPv4 per-interface setting (net/ipv4/conf/<if>/...) by its IPV4_DEVCONF_* id
 * through IFLA_AF_SPEC, as writing its sysctl does, without a /proc/sys path lookup (which
 * grows with the number of network namespaces). -ERANGE for an id the kernel lacks. */
int nl_link_set_inet_conf(struct nl_sock *sock, int ifindex, int devconf_id, uint32_t value,
			  struct cni_err *err);

/* Read the namespace-wide forwarding switch of family (AF_INET: net.ipv4.ip_forward;
 * AF_INET6: net.ipv6.conf.all.forwarding) through RTM_GETNETCONF into *ret (0 or 1, the
 * kernel's value). -EOPNOTSUPP when the reply lacks it. */
int nl_netconf_forwarding(struct nl_sock *sock, int family, int *ret, struct cni_err *err);

/* Set bridge port flags (hairpin, isolated) through AF_BRIDGE IFLA_PROTINFO. */
int nl_link_set_brport(struct nl_sock *sock, const struct nl_brport_req *req, struct cni_err *err);

/* Add a VLAN to a bridge port (bridge -> master; -EINVAL unless vid is 1..4094): vinfo_flags
 * are BRIDGE_VLAN_INFO_PVID, BRIDGE_VLAN_INFO_UNTAGGED; bridge_flags BRIDGE_FLAGS_MASTER/SELF
 * or 0 to omit. */
int nl_link_vlan_add(struct nl_sock *sock, int ifindex, uint16_t vid, uint16_t vinfo_flags,
		     uint16_t bridge_flags, struct cni_err *err);

/* Delete a VLAN from a bridge port (bridge_flags as for nl_link_vlan_add). */
int nl_link_vlan_del(struct nl_sock *sock, int ifindex, uint16_t vid, uint16_t bridge_flags,
		     struct cni_err *err);

/* The VLANs of a bridge port (RTEXT_FILTER_BRVLAN dump) as a malloc'ed array; empty when
 * the port has none or the kernel lacks VLAN filtering. */
int nl_link_vlan_list(struct nl_sock *sock, int ifindex, struct nl_vlan **ret_vlans, size_t *ret_n,
		      struct cni_err *err);

/* Poll ifindex's operstate until IF_OPER_UP, sleeping 0, 50, 500, 1000, 1000 ms before the
 * checks (the reference bridge's schedule, ~2.5 s at most). -ETIMEDOUT with the message
 * "bridge port in error state: <state>" when it never comes up. */
int nl_link_wait_oper_up(struct nl_sock *sock, int ifindex, struct cni_err *err);

/* Message builders for the link requests above (buf: NL_MSG_BUF_SIZE bytes): -EINVAL for a
 * bad interface name (nl_ifname_check()), hardware address length, alias, ifindex or VLAN
 * id; those returning the header cannot fail. */
int nl_link_build_get(void *buf, int ifindex, const char *name, struct nlmsghdr **ret_nlh,
		      struct cni_err *err);
int nl_link_build_bridge(void *buf, const char *name, unsigned int mtu, bool vlan_filtering,
			 struct nlmsghdr **ret_nlh, struct cni_err *err);
int nl_link_build_veth(void *buf, const struct nl_veth_req *req, struct nlmsghdr **ret_nlh,
		       struct cni_err *err);
int nl_link_build_ifb(void *buf, const char *name, unsigned int mtu, struct nlmsghdr **ret_nlh,
		      struct cni_err *err);
int nl_link_build_new(void *buf, const struct nl_link_req *req, struct nlmsghdr **ret_nlh,
		      struct cni_err *err);
int nl_link_build_name(void *buf, int ifindex, const char *name, struct nlmsghdr **ret_nlh,
		       struct cni_err *err);
int nl_link_build_alias(void *buf, int ifindex, const char *alias, struct nlmsghdr **ret_nlh,
			struct cni_err *err);
int nl_link_build_altname(void *buf, int ifindex, const char *name, bool add,
			  struct nlmsghdr **ret_nlh, struct cni_err *err);
int nl_link_build_del(void *buf, int ifindex, const char *name, struct nlmsghdr **ret_nlh,
		      struct cni_err *err);
struct nlmsghdr *nl_link_build_flags(void *buf, int ifindex, unsigned int change,
				     unsigned int flags);
struct nlmsghdr *nl_link_build_u32(void *buf, int ifindex, uint16_t attr, uint32_t value);
int nl_link_build_mac(void *buf, int ifindex, const uint8_t *mac, size_t len,
		      struct nlmsghdr **ret_nlh, struct cni_err *err);
struct nlmsghdr *nl_link_build_brport(void *buf, const struct nl_brport_req *req);
int nl_link_build_vlan(void *buf, bool add, int ifindex, uint16_t vid, uint16_t vinfo_flags,
		       uint16_t bridge_flags, struct nlmsghdr **ret_nlh, struct cni_err *err);

/* ---- addresses (nl_addr.c) ------------------------------------------------------------ */

/* An interface address. */
struct nl_addr {
	int family;	    /* AF_INET or AF_INET6 */
	int ifindex;	    /* interface */
	uint8_t addr[16];   /* IFA_LOCAL (IPv4) / IFA_ADDRESS (IPv6), network order */
	uint8_t prefix_len; /* prefix length */
	uint32_t flags;	    /* IFA_F_*: IFA_FLAGS when present, else ifa_flags */
	uint8_t scope;	    /* RT_SCOPE_* */
};

/* Add an address (NLM_F_EXCL: -EEXIST when present). Uses family, ifindex, addr, prefix_len,
 * flags (e.g. IFA_F_NODAD, 0 for none) and scope (0 = universe). IPv4 addresses below /31
 * get the subnet broadcast, as Go's netlink.AddrAdd does. */
int nl_addr_add(struct nl_sock *sock, const struct nl_addr *addr, struct cni_err *err);

/* Delete an address (family, ifindex, addr, prefix_len). -EADDRNOTAVAIL when absent. */
int nl_addr_del(struct nl_sock *sock, const struct nl_addr *addr, struct cni_err *err);

/* Addresses of family (AF_UNSPEC = all) on ifindex (0 = all) as a malloc'ed array. */
int nl_addr_list(struct nl_sock *sock, int family, int ifindex, struct nl_addr **ret_addrs,
		 size_t *ret_n, struct cni_err *err);

/* Decode a RTM_NEWADDR message. -EBADMSG for another type or a short message. */
int nl_addr_parse(const struct nlmsghdr *nlh, struct nl_addr *ret, struct cni_err *err);

/* Build RTM_NEWADDR (add) or RTM_DELADDR into buf. -EAFNOSUPPORT for a family other than
 * AF_INET/AF_INET6, -EINVAL for a prefix length longer than the address. */
int nl_addr_build(void *buf, bool add, const struct nl_addr *addr, struct nlmsghdr **ret_nlh,
		  struct cni_err *err);

/* ---- routes (nl_route.c) -------------------------------------------------------------- */

/* A unicast route (one nexthop; multipath routes are listed once per nexthop). */
struct nl_route {
	int family;	   /* AF_INET or AF_INET6 */
	uint8_t dst[16];   /* RTA_DST, all zero for a default route */
	uint8_t dst_len;   /* prefix length of dst */
	bool has_gw;	   /* gw is set */
	uint8_t gw[16];	   /* RTA_GATEWAY */
	bool has_src;	   /* src is set */
	uint8_t src[16];   /* RTA_PREFSRC: the source address the route prefers */
	int oif;	   /* RTA_OIF, 0 = none */
	uint32_t priority; /* RTA_PRIORITY (metric); 0 = unset (kernel default) */
	uint32_t table;	   /* routing table; 0 = RT_TABLE_MAIN on add */
	uint8_t scope;	   /* RT_SCOPE_*; 0 = universe */
	uint8_t protocol;  /* RTPROT_*; 0 = RTPROT_BOOT on add, as Go's netlink does */
	uint8_t type;	   /* RTN_*; 0 = RTN_UNICAST on add */
	bool excl;	   /* on add, also NLM_F_EXCL: fail if any route to dst/metric exists */
	bool replace;	   /* on add, NLM_F_REPLACE: replace a route to dst/metric ("ip route
			    * replace") */
	bool multipath;	   /* listed: one nexthop of a multipath (ECMP) route */
	uint16_t nh_index; /* listed multipath: the nexthop's position in its route, from 0; the
			    * nexthops of one route are listed one after another, in order */
	uint16_t weight;   /* multipath: the nexthop's weight (rtnh_hops + 1); 0 = 1 on add */
};

/* Add a route with NLM_F_CREATE (without NLM_F_EXCL unless route->excl, like the reference's
 * RouteAddEcmp: a different gateway to the same dst becomes another path). An identical
 * route fails with -EEXIST either way. */
int nl_route_add(struct nl_sock *sock, const struct nl_route *route, struct cni_err *err);

/* Delete a route (family, dst/dst_len, table; gw, oif, src and priority narrow the match
 * when set). -ESRCH when there is none. */
int nl_route_del(struct nl_sock *sock, const struct nl_route *route, struct cni_err *err);

/* Routes of family (AF_UNSPEC = both) through oif (0 = any) in table (0 = any table) as a
 * malloc'ed array. */
int nl_route_list(struct nl_sock *sock, int family, int oif, uint32_t table,
		  struct nl_route **ret_routes, size_t *ret_n, struct cni_err *err);

/* Ask the kernel which route it would use for dst (RTM_GETROUTE); ret->oif is the output
 * interface. -ENETUNREACH (or similar) when there is none. */
int nl_route_get(struct nl_sock *sock, int family, const uint8_t *dst, struct nl_route *ret,
		 struct cni_err *err);

/* Build RTM_NEWROUTE (add) or RTM_DELROUTE into buf. -EAFNOSUPPORT for a family other than
 * AF_INET/AF_INET6, -EINVAL for a prefix length longer than the address. */
int nl_route_build(void *buf, bool add, const struct nl_route *route, struct nlmsghdr **ret_nlh,
		   struct cni_err *err);

/* Build the RTM_GETROUTE of nl_route_get(). -EAFNOSUPPORT as nl_route_build(). */
int nl_route_build_get(void *buf, int family, const uint8_t *dst, struct nlmsghdr **ret_nlh,
		       struct cni_err *err);

/* ---- multipath routes (nl_multipath.c) ------------------------------------------------ */

/* Most nexthops nl_route_add_multipath() sends in one request. */
#define NL_MULTIPATH_MAX 64

/* Add one route with the n nexthops of hops (RTA_MULTIPATH): the route's attributes (family,
 * dst, table, priority, scope, protocol, type, src, excl, replace) are hops[0]'s, each
 * nexthop's oif, gw and weight its own. With one nexthop the kernel keeps a plain route.
 * -EINVAL for n == 0 or above NL_MULTIPATH_MAX, a nexthop without oif, of another family
 * or weighing more than 256. */
int nl_route_add_multipath(struct nl_sock *sock, const struct nl_route *hops, size_t n,
			   struct cni_err *err);

/* Build the RTM_NEWROUTE of nl_route_add_multipath(). Errors as it and nl_route_build(). */
int nl_route_build_multipath(void *buf, const struct nl_route *hops, size_t n,
			     struct nlmsghdr **ret_nlh, struct cni_err *err);

/* How many entries from routes[i] on (of n, as nl_route_list() lists them without an oif
 * filter) make up one route: 1 for a plain route, the number of nexthops for a multipath
 * route whose first nexthop is routes[i]. */
size_t nl_route_group_len(const struct nl_route *routes, size_t n, size_t i);

/* ---- notifications (nl_monitor.c) ----------------------------------------------------- */

/* Open a rtnetlink socket in the namespace netns_fd subscribed to the n multicast groups
 * (RTNLGRP_*) of groups, to learn of changes without polling; open it before the change
 * it waits for is made. Errors as nl_open_in_netns(), or setsockopt()'s -errno. */
int nl_monitor_open(int netns_fd, const unsigned int *groups, size_t n, struct nl_sock **ret,
		    struct cni_err *err) CNI_MUST_USE;

/* Milliseconds of CLOCK_MONOTONIC, for the deadlines of nl_monitor_wait(). */
int64_t nl_monotonic_ms(void);

/* Wait until a notification arrives on mon (nl_monitor_open()) or CLOCK_MONOTONIC passes
 * deadline_ms, then read everything queued without decoding it: the caller looks at the
 * state again. 0 when something arrived (also when the kernel dropped notifications for
 * want of room, ENOBUFS: the state changed then too), -ETIMEDOUT ("timed out") at the
 * deadline, other -errno of poll() or recv(). */
int nl_monitor_wait(struct nl_sock *mon, int64_t deadline_ms, struct cni_err *err);

/* ---- link attributes a meta plugin tunes and restores (nl_link.c) --------------------- */

/* A meta plugin reads them with nl_link_get_by_name() (struct nl_link: mtu, txqlen, flags,
 * mac) and changes and puts them back one by one with the setters. */

/* Set IFF_ALLMULTI (receive all multicast) on or off. */
int nl_link_set_allmulti(struct nl_sock *sock, int ifindex, bool on, struct cni_err *err);

/* Set the transmit queue length (IFLA_TXQLEN). */
int nl_link_set_txqlen(struct nl_sock *sock, int ifindex, uint32_t txqlen, struct cni_err *err);

/* Message builders of the two setters above (buf: NL_MSG_BUF_SIZE bytes); they cannot fail.
 * The MAC, promiscuous mode and MTU setters use nl_link_build_mac(), nl_link_build_flags()
 * and nl_link_build_u32(). */
struct nlmsghdr *nl_link_build_allmulti(void *buf, int ifindex, bool on);
struct nlmsghdr *nl_link_build_txqlen(void *buf, int ifindex, uint32_t txqlen);

#endif
