/* SPDX-License-Identifier: Apache-2.0 */
/* The container-interface shape of the interface plugins (see iface.h). */
#include "iface/iface.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <netinet/in.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/ip.h>
#include <linux/rtnetlink.h>

#include "cni/delegate.h"
#include "cleanup.h"
#include "hwaddr.h"
#include "sleep.h"
#include "net/netns.h"
#include "net/sysctl.h"

/* Temporary names tried when the kernel says one is taken. */
#define TMPNAME_ATTEMPTS 3

/* IPv6 address settling: poll interval and limit (the reference's). */
#define SETTLE_INTERVAL_MS 50
#define SETTLE_TIMEOUT_S   5

/* Room for "net/ipv6/conf/<ifname>/<key>" with the longest key set here. */
#define IF_SYSCTL_MAX 64

int iface_tmp_name(char name[IFACE_TMPNAME_SIZE], struct cni_err *err)
{
	uint8_t b[4];

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		return cni_err_errno(err, CNI_ERR_INTERNAL, errno,
				     "failed to generate a temporary link name");
	snprintf(name, IFACE_TMPNAME_SIZE, "veth%02x%02x%02x%02x", b[0], b[1], b[2], b[3]);
	return 0;
}

/* True when a link named name exists in sock's namespace (a lookup failure counts as no). */
static bool link_exists(struct nl_sock *sock, const char *name)
{
	struct cni_err ign = {0}; /* only the answer matters */
	struct nl_link l;

	return nl_link_get_by_name(sock, name, &l, &ign) == 0;
}

int iface_create_renamed(struct nl_sock *creator, struct nl_link_req *req, struct nl_sock *cont,
			 const char *ifname, const char *what, struct nl_link *ret,
			 struct cni_err *err)
{
	char tmp[IFACE_TMPNAME_SIZE];
	struct cni_err e = {0};
	struct nl_link l;
	int r;

	for (int attempt = 1;; attempt++) {
		r = iface_tmp_name(tmp, err);
		if (r < 0)
			return r;
		req->name = tmp;
		r = nl_link_add(creator, req, err);
		req->name = NULL;
		if (r == 0)
			break;
		/* EEXIST also means "this VLAN id is taken": retry only for the name. */
		if (r == -EEXIST && attempt < TMPNAME_ATTEMPTS &&
		    (link_exists(creator, tmp) || link_exists(cont, tmp))) {
			cni_err_clear(err);
			continue;
		}
		return cni_err_prefix(err, "failed to create %s", what);
	}
	r = nl_link_get_by_name(cont, tmp, &l, err);
	if (r < 0) {
		cni_err_prefix(err, "failed to find %s \"%s\" after creating it", what, tmp);
		goto undo_create;
	}
	r = nl_link_set_name(cont, l.index, ifname, err);
	if (r < 0) {
		cni_err_prefix(err, "failed to rename %s to \"%s\"", what, ifname);
		goto undo_create;
	}
	r = nl_link_get_by_index(cont, l.index, ret, err);
	if (r < 0) {
		cni_err_prefix(err, "failed to refetch %s \"%s\"", what, ifname);
		goto undo_create;
	}
	return 0;

undo_create:
	/* Whatever its name now, the link goes: a failed ADD leaves nothing behind. */
	if (nl_link_del_by_name(cont, tmp, &e) < 0 && nl_link_del_by_name(cont, ifname, &e) < 0)
		nl_link_del_by_name(creator, tmp, &e);
	return r;
}

bool iface_is_tmp_name(const char *name)
{
	if (strlen(name) != IFACE_TMPNAME_SIZE - 1 || strncmp(name, "veth", 4) != 0)
		return false;
	return strspn(name + 4, "0123456789abcdef") == IFACE_TMPNAME_SIZE - 5;
}

void iface_del_tmp_links(struct nl_sock *cont, const char *kind, const struct cni_log *log)
{
	_cleanup_free_ struct nl_link *links = NULL;
	struct cni_err e = {0};
	size_t n = 0;

	if (nl_link_list_kind(cont, kind, &links, &n, &e) < 0) {
		cni_warn_err(log, &e, "could not list the container's %s links", kind);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (!iface_is_tmp_name(links[i].name) || (links[i].flags & IFF_UP))
			continue;
		if (nl_link_del(cont, links[i].index, &e) < 0 && cni_err_ret(&e) != -ENODEV)
			cni_warn_err(log, &e, "could not delete '%s'", links[i].name);
		else
			cni_log(log, CNI_LOG_INFO, "'%s' of an interrupted ADD deleted",
				links[i].name);
		cni_err_clear(&e);
	}
}

int iface_del_link(const struct cni_cmd_args *args, const char *kind, struct cni_err *err)
{
	_cleanup_nl_close_ struct nl_sock *cont = NULL;
	_cleanup_close_ int netns_fd = -1;
	int r;

	if (!args->netns[0])
		return 0;
	r = netns_open_container(args->netns, NETNS_GONE_OK, &netns_fd, &cont, err);
	if (r == 1) {
		cni_log(args->log, CNI_LOG_INFO, "netns '%s' is gone, nothing to delete",
			args->netns);
		return 0;
	}
	if (r < 0)
		return r;
	r = nl_link_del_name_unlisted(cont, netns_fd, args->ifname, err);
	if (r < 0 && r != -ENODEV)
		return cni_err_prefix(err, "failed to delete \"%s\"", args->ifname);
	cni_err_clear(err);
	cni_log(args->log, CNI_LOG_INFO, "container interface '%s' %s", args->ifname,
		r == 0 ? "deleted" : "was already gone");
	if (kind)
		iface_del_tmp_links(cont, kind, args->log);
	return 0;
}

int iface_del(const struct cni_cmd_args *args, const char *ipam_type, const char *kind,
	      struct cni_err *err)
{
	if (ipam_type && ipam_type[0]) {
		if (delegate_exec(ipam_type, "DEL", args, args->stdin_data, args->stdin_len, NULL,
				  err) < 0)
			return cni_err_ret(err);
		cni_log(args->log, CNI_LOG_INFO, "IPAM '%s' released the addresses", ipam_type);
	}
	return iface_del_link(args, kind, err);
}

int iface_status_master(const char *master, bool link_in_container, struct cni_err *err)
{
	_cleanup_nl_close_ struct nl_sock *host = NULL;
	struct cni_err e = {0};
	struct nl_link l;
	int r;

	if (!master || !master[0] || link_in_container)
		return 0;
	r = nl_open(&host, err);
	if (r < 0)
		return r;
	r = nl_link_get_by_name(host, master, &l, &e);
	if (r == -ENODEV || r == -EINVAL) /* -EINVAL: not a name any link can have */
		return cni_err_set_errno(err, CNI_ERR_NOT_AVAILABLE, ENODEV,
					 "master '%s' not found", master);
	if (r < 0) {
		*err = e;
		return cni_err_prefix(err, "failed to lookup master '%s'", master);
	}
	return 0;
}

/* The first default route of family in the main table with an output interface, in *ret. */
static int first_default(struct nl_sock *sock, int family, int *ret, struct cni_err *err)
{
	_cleanup_free_ struct nl_route *routes = NULL;
	size_t n = 0;
	int r;

	r = nl_route_list(sock, family, 0, RT_TABLE_MAIN, &routes, &n, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		if (routes[i].dst_len == 0 && routes[i].oif > 0 &&
		    (routes[i].type == 0 || routes[i].type == RTN_UNICAST)) {
			*ret = routes[i].oif;
			return 1;
		}
	}
	return 0;
}

int iface_default_route_link(struct nl_sock *sock, char ret[NL_IFNAMSIZ], struct cni_err *err)
{
	static const int families[] = {AF_INET, AF_INET6};
	struct nl_link l;
	int r, oif = 0;

	for (size_t i = 0; i < 2; i++) {
		r = first_default(sock, families[i], &oif, err);
		if (r < 0)
			return cni_err_prefix(err, "failed to list routes");
		if (r > 0)
			break;
	}
	if (!oif)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, ENOENT,
					 "no default route interface found");
	r = nl_link_get_by_index(sock, oif, &l, err);
	if (r < 0)
		return r;
	memcpy(ret, l.name, NL_IFNAMSIZ);
	return 0;
}

const char *iface_master_from_prev(const struct cni_result *prev)
{
	if (!prev || prev->n_ifaces != 1 || !prev->ifaces[0].name || !prev->ifaces[0].name[0])
		return NULL;
	return prev->ifaces[0].name;
}

/* The sysctl "net/<family>/conf/<ifname>/<key>" into buf (IF_SYSCTL_MAX bytes). */
static int if_sysctl_name(char *buf, const char *family, const char *ifname, const char *key,
			  struct cni_err *err)
{
	int n = snprintf(buf, IF_SYSCTL_MAX, "net/%s/conf/%s/%s", family, ifname, key);

	if (n < 0 || n >= IF_SYSCTL_MAX)
		return cni_err_syscall(err, CNI_ERR_INTERNAL, ENAMETOOLONG,
				       "sysctl net/%s/conf/%s/%s", family, ifname, key);
	return 0;
}

/* Write a per-interface sysctl; a kernel without the knob (-ENOENT) is not an error. */
static int if_sysctl_set(const char *family, const char *ifname, const char *key, const char *value,
			 struct cni_err *err)
{
	char name[IF_SYSCTL_MAX];
	int r = if_sysctl_name(name, family, ifname, key, err);

	if (r == 0)
		r = sysctl_write(name, value, err);
	if (r == -ENOENT) {
		cni_err_clear(err);
		return 0;
	}
	return r;
}

int iface_ipv6_enable(int netns_fd, const char *ifname, struct cni_err *err)
{
	_cleanup_(netns_restorep) int saved = -1;
	const char *names[2] = {"lo", ifname};
	char path[IF_SYSCTL_MAX], val[16];
	int r;

	r = netns_enter(netns_fd, &saved, err);
	if (r < 0)
		return r;
	for (int i = 0; i < 2; i++) {
		struct cni_err ign = {0}; /* unreadable: no IPv6 to enable there */

		r = if_sysctl_name(path, "ipv6", names[i], "disable_ipv6", err);
		if (r < 0)
			return r;
		if (sysctl_read(path, val, sizeof(val), &ign) < 0 || !strcmp(val, "0"))
			continue;
		r = sysctl_write(path, "0", err);
		if (r < 0) {
			cni_err_flatten(err);
			return cni_err_prefix(err,
					      "failed to enable IPv6 for interface \"%s\" (%s=%s)",
					      names[i], path, val);
		}
	}
	r = if_sysctl_set("ipv6", ifname, "keep_addr_on_down", "1", err);
	if (r < 0) {
		cni_err_flatten(err);
		return cni_err_prefix(err, "failed to set keep_addr_on_down on \"%s\"", ifname);
	}
	/* Leaving here restores too, but a failure should be an error, not an abort. */
	return netns_restore(TAKE_FD(saved), err);
}

void iface_ipv6_no_autoconf(int netns_fd, const char *ifname, const struct cni_log *log)
{
	static const char *const keys[] = {"accept_ra", "autoconf"};
	_cleanup_(netns_restorep) int saved = -1;
	struct cni_err e = {0};

	if (netns_enter(netns_fd, &saved, &e) < 0) {
		cni_warn_err(log, &e, "could not turn IPv6 autoconfiguration off on '%s'", ifname);
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		if (if_sysctl_set("ipv6", ifname, keys[i], "0", &e) < 0) {
			cni_warn_err(log, &e, "could not set %s to 0 on '%s'", keys[i], ifname);
			cni_err_clear(&e);
		}
	}
}

void iface_announce(struct nl_sock *cont, int netns_fd, int ifindex, const char *ifname)
{
	_cleanup_(netns_restorep) int saved = -1;
	struct cni_err ign = {0}; /* best effort, as the reference (errors ignored) */

	/* arp_notify through netlink: one /proc/sys/net lookup fewer. */
	nl_link_set_inet_conf(cont, ifindex, IPV4_DEVCONF_ARP_NOTIFY, 1, &ign);
	if (netns_enter(netns_fd, &saved, &ign) == 0)
		if_sysctl_set("ipv6", ifname, "ndisc_notify", "1", &ign);
}

/* SettleAddresses: wait until no IPv6 address of the interface is tentative. */
static int settle_addresses(struct nl_sock *cont, int ifindex, const char *ifname,
			    struct cni_err *err)
{
	for (int waited = 0;; waited += SETTLE_INTERVAL_MS) {
		_cleanup_free_ struct nl_addr *addrs = NULL;
		bool tentative = false;
		size_t n = 0;

		if (nl_addr_list(cont, AF_INET6, ifindex, &addrs, &n, err) < 0)
			return cni_err_prefix(err, "failed to settle addresses for \"%s\"", ifname);
		for (size_t i = 0; i < n; i++) {
			char a[IP_STRLEN];
			struct ip_addr ip = {.family = AF_INET6};

			if (addrs[i].flags & IFA_F_DADFAILED) {
				memcpy(ip.a, addrs[i].addr, 16);
				return cni_err_set(err, CNI_ERR_INTERNAL,
						   "failed to settle addresses for \"%s\": link %s "
						   "has address %s in DADFAILED state",
						   ifname, ifname, ip_format(&ip, a, sizeof(a)));
			}
			if (addrs[i].flags & IFA_F_TENTATIVE)
				tentative = true;
		}
		if (!tentative)
			return 0;
		if (waited >= SETTLE_TIMEOUT_S * 1000) {
			struct nl_link l;
			struct cni_err ign = {0}; /* unknown state: report the timeout */

			/* Without carrier DAD never runs: not an error. */
			if (nl_link_get_by_index(cont, ifindex, &l, &ign) == 0 &&
			    l.operstate != IF_OPER_UP)
				return 0;
			return cni_err_set(err, CNI_ERR_INTERNAL,
					   "failed to settle addresses for \"%s\": link %s still "
					   "has tentative addresses after %d seconds",
					   ifname, ifname, SETTLE_TIMEOUT_S);
		}
		sleep_ms(SETTLE_INTERVAL_MS);
	}
}

/* True when result address ip belongs on ifname: -1 for an address without an index (skip),
 * 1 for ifname, 0 for another interface. */
static int ip_on_iface(const struct cni_result *res, const struct cni_ip *ip, const char *ifname)
{
	if (ip->iface < 0)
		return -1;
	return (size_t)ip->iface < res->n_ifaces && res->ifaces[ip->iface].name &&
	       strcmp(res->ifaces[ip->iface].name, ifname) == 0;
}

int iface_configure(struct nl_sock *cont, int ifindex, const char *ifname,
		    const struct cni_result *res, bool settle, struct cni_err *err)
{
	struct ip_addr gw4 = {0}, gw6 = {0};
	char a[IP_STRLEN], g[IP_STRLEN];

	for (size_t i = 0; i < res->n_ips; i++) {
		const struct cni_ip *ip = &res->ips[i];
		struct nl_addr addr = {.family = ip->address.ip.family,
				       .ifindex = ifindex,
				       .prefix_len = (uint8_t)ip->address.prefix};
		int on = ip_on_iface(res, ip, ifname);

		if (on < 0)
			continue;
		if (on == 0)
			return cni_err_set(err, CNI_ERR_INTERNAL,
					   "failed to add IP addr %s to \"%s\": invalid interface "
					   "index",
					   ipnet_format(&ip->address, a, sizeof(a)), ifname);
		memcpy(addr.addr, ip->address.ip.a, 16);
		if (nl_addr_add(cont, &addr, err) < 0)
			return cni_err_prefix(err, "failed to add IP addr %s to \"%s\"",
					      ipnet_format(&ip->address, a, sizeof(a)), ifname);
		if (ip->gateway.family == AF_INET && !gw4.family)
			gw4 = ip->gateway;
		else if (ip->gateway.family == AF_INET6 && !gw6.family)
			gw6 = ip->gateway;
	}
	if (nl_link_set_up(cont, ifindex, true, err) < 0)
		return cni_err_prefix(err, "failed to set \"%s\" UP", ifname);
	if (gw6.family && settle && settle_addresses(cont, ifindex, ifname, err) < 0)
		return cni_err_ret(err);
	for (size_t i = 0; i < res->n_routes; i++) {
		const struct cni_route *rt = &res->routes[i];
		struct nl_route route = {.family = rt->dst.ip.family,
					 .dst_len = (uint8_t)rt->dst.prefix,
					 .oif = ifindex,
					 .priority = (uint32_t)rt->priority};
		struct ip_addr gw = rt->gw;

		if (!gw.family)
			gw = rt->dst.ip.family == AF_INET ? gw4 : gw6;
		memcpy(route.dst, rt->dst.ip.a, 16);
		if (gw.family) {
			route.has_gw = true;
			memcpy(route.gw, gw.a, 16);
		}
		if (rt->has_table)
			route.table = (uint32_t)rt->table;
		if (rt->has_scope)
			route.scope = (uint8_t)rt->scope;
		if (nl_route_add(cont, &route, err) < 0)
			return cni_err_prefix(
				err,
				"failed to add route '%s via %s dev %s metric %d (Scope: %d, "
				"Table: %d)'",
				ipnet_format(&rt->dst, a, sizeof(a)),
				gw.family ? ip_format(&gw, g, sizeof(g)) : "<nil>", ifname,
				rt->priority, rt->has_scope ? rt->scope : 0,
				rt->has_table ? rt->table : 0);
	}
	return 0;
}

/* Go's %v of a net.IPNet held by value inside a struct: {IP:10.0.0.0 Mask:ffffff00}. */
static void go_ipnet_struct(const struct ip_net *n, char *buf, size_t size)
{
	char ip[IP_STRLEN], mask[33];
	int bytes = ip_len(&n->ip);

	ip_format(&n->ip, ip, sizeof(ip));
	for (int i = 0; i < bytes; i++) {
		int bits = n->prefix - 8 * i;
		unsigned int m = bits >= 8 ? 0xff : bits <= 0 ? 0 : (0xff << (8 - bits)) & 0xff;

		snprintf(mask + 2 * i, 3, "%02x", m);
	}
	snprintf(buf, size, "{IP:%s Mask:%s}", ip, mask);
}

/* True when k (a kernel route) is the result route rt, as the newest ValidateExpectedRoute
 * matches: on dst, and on the gateway when rt names one. A route without a gateway was
 * installed via its family's first gateway, so matching it on "no gateway" (as 1.1.1 did)
 * fails CHECK for every such route; default routes are matched on dst alone. */
static bool route_matches(const struct nl_route *k, const struct cni_route *rt)
{
	bool is_default = rt->dst.prefix == 0 && ip_is_unspecified(&rt->dst.ip);

	if (k->family != rt->dst.ip.family || k->dst_len != rt->dst.prefix ||
	    memcmp(k->dst, rt->dst.ip.a, (size_t)ip_len(&rt->dst.ip)))
		return false;
	if (is_default || !rt->gw.family)
		return true;
	return k->has_gw && !memcmp(k->gw, rt->gw.a, (size_t)ip_len(&rt->gw));
}

/* The routing table of ifname: its VRF's when a VRF (the vrf plugin, later in the chain) is
 * its master, else the main table. */
static uint32_t link_table(struct nl_sock *cont, const char *ifname)
{
	struct cni_err ign = {0}; /* a link or master not found: the main table */
	struct nl_link l, m;

	if (nl_link_get_by_name(cont, ifname, &l, &ign) < 0 || !l.master ||
	    nl_link_get_by_index(cont, l.master, &m, &ign) < 0 || !m.vrf_table)
		return RT_TABLE_MAIN;
	return m.vrf_table;
}

int iface_check_ips_routes(struct nl_sock *cont, const char *ifname, const struct cni_result *prev,
			   bool check_routes, struct cni_err *err)
{
	_cleanup_free_ struct nl_addr *addrs = NULL;
	_cleanup_free_ struct nl_route *routes = NULL;
	size_t n_addrs = 0, n_routes = 0;
	struct nl_link l;
	char a[IP_STRLEN];

	if (prev->n_ips) {
		if (nl_link_get_by_name(cont, ifname, &l, err) < 0)
			return cni_err_set(err, CNI_ERR_INTERNAL, "Cannot find container link %s",
					   ifname);
		if (nl_addr_list(cont, AF_UNSPEC, l.index, &addrs, &n_addrs, err) < 0)
			return cni_err_set(err, CNI_ERR_INTERNAL,
					   "Cannot obtain List of IP Addresses");
	}
	if (nl_route_list(cont, AF_UNSPEC, 0, link_table(cont, ifname), &routes, &n_routes, err) <
	    0)
		return cni_err_prefix(err, "failed to list routes");
	for (size_t i = 0; i < prev->n_ips; i++) {
		const struct ip_net *want = &prev->ips[i].address;
		struct ip_net net = ipnet_network(want);
		bool match = false;

		for (size_t j = 0; j < n_addrs && !match; j++)
			match = addrs[j].family == want->ip.family &&
				addrs[j].prefix_len == want->prefix &&
				!memcmp(addrs[j].addr, want->ip.a, (size_t)ip_len(&want->ip));
		if (!match)
			return cni_err_set(err, CNI_ERR_INTERNAL,
					   "Failed to match addr %s on interface %s",
					   ipnet_format(want, a, sizeof(a)), ifname);
		match = false;
		for (size_t j = 0; j < n_routes && !match; j++)
			match = routes[j].family == net.ip.family &&
				routes[j].dst_len == net.prefix &&
				!memcmp(routes[j].dst, net.ip.a, (size_t)ip_len(&net.ip));
		if (!match)
			return cni_err_set(err, CNI_ERR_INTERNAL,
					   "Failed to find Gateway %s for interface %s",
					   ipnet_format(&net, a, sizeof(a)), ifname);
	}
	for (size_t i = 0; check_routes && i < prev->n_routes; i++) {
		const struct cni_route *rt = &prev->routes[i];
		bool match = false;
		char dst[128], gw[IP_STRLEN];

		for (size_t j = 0; j < n_routes && !match; j++)
			match = route_matches(&routes[j], rt);
		if (match)
			continue;
		go_ipnet_struct(&rt->dst, dst, sizeof(dst));
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "Expected Route {Dst:%s GW:%s MTU:%d AdvMSS:%d "
				   "Priority:%d Table:<nil> Scope:<nil>} not found in "
				   "routing table",
				   dst,
				   rt->gw.family ? ip_format(&rt->gw, gw, sizeof(gw)) : "<nil>",
				   rt->mtu, rt->advmss, rt->priority);
	}
	return 0;
}

const struct cni_iface *iface_prev_find(const struct cni_result *prev, const char *ifname,
					const char *netns)
{
	for (size_t i = 0; prev && i < prev->n_ifaces; i++) {
		const struct cni_iface *f = &prev->ifaces[i];

		if (f->name && !strcmp(f->name, ifname) && f->sandbox && !strcmp(f->sandbox, netns))
			return f;
	}
	return NULL;
}

bool iface_mac_matches(const struct cni_iface *f, const struct nl_link *l)
{
	char mac[HWADDR_TEXT_MAX];

	if (!f->mac || !f->mac[0])
		return true;
	hwaddr_format(l->mac, l->mac_len, mac);
	return strcmp(mac, f->mac) == 0;
}

struct cni_result *iface_result_new(const char *ifname, const struct nl_link *link,
				    const char *sandbox, const struct cni_result *ipam)
{
	_cleanup_(cni_result_freep) struct cni_result *res = cni_result_new();
	char mac[HWADDR_TEXT_MAX];

	if (!res)
		return NULL;
	hwaddr_format(link->mac, link->mac_len, mac);
	if (cni_result_add_iface(res, ifname, link->mac_len ? mac : NULL, sandbox) < 0)
		return NULL;
	for (size_t i = 0; ipam && i < ipam->n_ips; i++) {
		struct cni_ip ip = ipam->ips[i];

		ip.iface = 0;
		if (cni_result_add_ip(res, &ip) < 0)
			return NULL;
	}
	for (size_t i = 0; ipam && i < ipam->n_routes; i++)
		if (cni_result_add_route(res, &ipam->routes[i]) < 0)
			return NULL;
	if (ipam && cni_dns_copy(&res->dns, &ipam->dns) < 0)
		return NULL;
	return TAKE_PTR(res);
}
