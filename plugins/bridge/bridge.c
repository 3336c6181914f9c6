/* SPDX-License-Identifier: Apache-2.0 */
/* The bridge plugin's policy: ADD, DEL, CHECK, STATUS and GC (REFERENCE.md section 2). */
#include "bridge/bridge.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>

#include "ipmasq/ipmasq.h" /* <netinet/in.h> before the linux/ headers below */
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/ip.h>
#include <linux/rtnetlink.h>

#include "bridge/netconf.h"
#include "bridge/spoofchk.h"
#include "cleanup.h"
#include "cni/conf.h"
#include "cni/delegate.h"
#include "fileio.h"
#include "hwaddr.h"
#include "iface/iface.h"
#include "sleep.h"
#include "net/netns.h"
#include "net/nft.h"
#include "net/nl.h"
#include "net/rtnl.h"
#include "cni/result.h"
#include "net/sysctl.h"

/* Index of the container interface in the result (every IP points at it). */
#define RESULT_CONTAINER_IFACE 2

/* Attempts at a host veth name that is free. */
#define VETH_NAME_ATTEMPTS 10

/* Room for "net/ipv6/conf/<ifname>/<key>" with the longest key we set. */
#define IF_SYSCTL_MAX 64

/* addr_assign_type of a link whose MAC was set (NET_ADDR_SET of <linux/netdevice.h>): the
 * kernel keeps a bridge's such MAC instead of taking its lowest port's. */
#define ADDR_ASSIGN_SET "3"

/* Per-command state: the config, the sockets and the container namespace. */
struct bridge_ctx {
	const struct cni_cmd_args *args; /* the runtime's arguments */
	const struct cni_log *log;	 /* the opt-in log and warnings (args->log) */
	struct bridge_conf *conf;	 /* parsed config */
	struct nl_sock *host;		 /* rtnetlink in the node's namespace */
	int netns_fd;			 /* the container namespace, -1 if not open */
	struct nl_sock *cont;		 /* rtnetlink in the container namespace */
};

/* The context of one command, before anything is opened. */
#define BRIDGE_CTX_INIT(a)                                   \
	{                                                    \
		.args = (a), .log = (a)->log, .netns_fd = -1 \
	}

static void ctx_clear(struct bridge_ctx *c)
{
	bridge_conf_free(c->conf);
	nl_close(c->host);
	nl_close(c->cont);
	if (c->netns_fd >= 0)
		close(c->netns_fd);
}

/* Look up a link of the node for a best-effort step: a missing link (-ENODEV) is an
 * expected answer and silent, another failure a warning. */
static int find_link(const struct bridge_ctx *c, const char *name, struct nl_link *ret)
{
	struct cni_err e = {0};
	int r = nl_link_get_by_name(c->host, name, ret, &e);

	if (r < 0 && r != -ENODEV)
		cni_warn_err(c->log, &e, "could not look up '%s'", name);
	return r;
}

/*
 * The sysctl "net/<family>/conf/<ifname>/<key>" into buf (IF_SYSCTL_MAX bytes). A name that
 * does not fit is -ENAMETOOLONG (code 999), never a different sysctl.
 */
static int if_sysctl_name(char *buf, const char *family, const char *ifname, const char *key,
			  struct cni_err *err)
{
	int n = snprintf(buf, IF_SYSCTL_MAX, "net/%s/conf/%s/%s", family, ifname, key);

	if (n < 0 || n >= IF_SYSCTL_MAX)
		return cni_err_syscall(err, CNI_ERR_INTERNAL, ENAMETOOLONG,
				       "sysctl net/%s/conf/%s/%s", family, ifname, key);
	return 0;
}

/*
 * Set a per-interface sysctl the plugin prefers but can work without (accept_ra,
 * accept_dad, arp_notify, enhanced_dad). A failure is a warning for the operator; a
 * missing file is not: it means the kernel has no such knob (no IPv6, an older kernel),
 * so there is nothing to change.
 */
static void if_sysctl_prefer(struct bridge_ctx *c, const char *family, const char *ifname,
			     const char *key, const char *value)
{
	char name[IF_SYSCTL_MAX];
	struct cni_err e = {0};
	int r;

	r = if_sysctl_name(name, family, ifname, key, &e);
	if (r == 0)
		r = sysctl_write(name, value, &e);
	if (r < 0 && r != -ENOENT)
		cni_warn_err(c->log, &e, "could not set %s to %s on '%s'", key, value, ifname);
}

/* accept_ra=0 on a host-side link (we want to own its routes), unless the kernel already
 * reported it off: each /proc/sys/net/ipv6 lookup costs time that grows with the number
 * of network namespaces on the node. */
static void accept_ra_off(struct bridge_ctx *c, const struct nl_link *link)
{
	if (link->accept_ra != 0)
		if_sysctl_prefer(c, "ipv6", link->name, "accept_ra", "0");
}

/* Turn forwarding of family on unless the kernel reports it on (as with accept_ra_off(),
 * read through netlink rather than /proc/sys). */
static int enable_forwarding(struct bridge_ctx *c, int family, struct cni_err *err)
{
	struct cni_err ign = {0}; /* unread: the sysctl decides */
	int on = 0;

	if (nl_netconf_forwarding(c->host, family, &on, &ign) == 0 && on)
		return 0;
	if (sysctl_write_if_changed(family == AF_INET ? "net/ipv4/ip_forward"
						      : "net/ipv6/conf/all/forwarding",
				    "1", NULL, err) < 0) {
		cni_err_flatten(err);
		return cni_err_prefix(err, "failed to enable forwarding");
	}
	return 0;
}

/* ---- ADD: the bridge ---------------------------------------------------------------- */

static bool mac_is_zero(const uint8_t *mac, size_t len);

/* /sys/class/net/<ifname>/<attr> without its newline into buf; false when unreadable. */
static bool sysfs_net_attr(const char *ifname, const char *attr, char *buf, size_t size)
{
	_cleanup_free_ char *data = NULL;
	char path[96];
	size_t len;

	if ((size_t)snprintf(path, sizeof(path), "/sys/class/net/%s/%s", ifname, attr) >=
		    sizeof(path) ||
	    fileio_read_path(path, 64, &data, &len) < 0)
		return false;
	len = strcspn(data, "\n");
	if (len >= size)
		return false;
	memcpy(buf, data, len);
	buf[len] = '\0';
	return true;
}

/* Whether the kernel keeps br's MAC as it is. Only sysfs says (addr_assign_type), and it is
 * believed only when it shows this namespace's bridge (the same ifindex and MAC: a /sys
 * mounted for another namespace may hold a link of that name); false when it cannot say. */
static bool mac_pinned(const struct nl_link *br)
{
	char v[HWADDR_TEXT_MAX], want[32], mac[HWADDR_TEXT_MAX];

	hwaddr_format(br->mac, br->mac_len, mac);
	snprintf(want, sizeof(want), "%d", br->index);
	return sysfs_net_attr(br->name, "ifindex", v, sizeof(v)) && !strcmp(v, want) &&
	       sysfs_net_attr(br->name, "address", v, sizeof(v)) && !strcmp(v, mac) &&
	       sysfs_net_attr(br->name, "addr_assign_type", v, sizeof(v)) &&
	       !strcmp(v, ADDR_ASSIGN_SET);
}

/* Pin br's MAC to the one it has: set, the kernel keeps it as ports join and leave instead
 * of taking the lowest port MAC, which would break CHECK of the attachments that recorded
 * it. Best effort: a failure is a warning. */
static void pin_bridge_mac(struct bridge_ctx *c, const struct nl_link *br)
{
	struct cni_err e = {0};

	if (nl_link_set_mac(c->host, br->index, br->mac, br->mac_len, &e) < 0)
		cni_warn_err(c->log, &e,
			     "could not pin the MAC of bridge '%s' (it follows its ports)",
			     br->name);
	else
		cni_log(c->log, CNI_LOG_INFO, "MAC of bridge '%s' pinned", br->name);
}

/* A bridge that had no MAC before our port joined (its last port had left: the kernel then
 * leaves it all-zero) took one from its ports: pin that, unless something already did. */
static void pin_joined_bridge_mac(struct bridge_ctx *c, const struct nl_link *br)
{
	struct cni_err e = {0};
	struct nl_link now;

	if (nl_link_get_by_index(c->host, br->index, &now, &e) < 0)
		cni_warn_err(c->log, &e, "could not look up bridge '%s' to pin its MAC", br->name);
	else if (!mac_is_zero(now.mac, now.mac_len) && !mac_pinned(&now))
		pin_bridge_mac(c, &now);
}

/* Create the bridge if missing (tolerating EEXIST), check it is one, optional promisc,
 * accept_ra=0, up. Its MAC gets pinned unless it is already: at once when created here,
 * before our port joins when it exists (the reference pins only when it adds a gateway
 * address to the bridge), so the bridge never follows the lowest port MAC. */
static int ensure_bridge(struct bridge_ctx *c, struct nl_link *ret_br, struct cni_err *err)
{
	const struct bridge_conf *conf = c->conf;
	bool created = false;
	struct nl_link br;
	int r;

	r = nl_link_add_bridge(c->host, conf->bridge, (unsigned int)conf->mtu,
			       conf->vlan || conf->has_trunk, err);
	if (r == 0) {
		created = true;
	} else if (r != -EEXIST) {
		cni_err_prefix(err, "could not add \"%s\"", conf->bridge);
		return cni_err_prefix(err, "failed to create bridge \"%s\"", conf->bridge);
	}
	r = nl_link_get_by_name(c->host, conf->bridge, &br, err);
	if (r < 0) {
		cni_err_set(err, CNI_ERR_INTERNAL, "could not lookup \"%s\": link not found",
			    conf->bridge);
		return cni_err_prefix(err, "failed to create bridge \"%s\"", conf->bridge);
	}
	if (strcmp(br.kind, "bridge") != 0) {
		cni_err_set(err, CNI_ERR_INTERNAL, "\"%s\" already exists but is not a bridge",
			    conf->bridge);
		return cni_err_prefix(err, "failed to create bridge \"%s\"", conf->bridge);
	}
	if (conf->promisc && !(br.flags & IFF_PROMISC) &&
	    nl_link_set_promisc(c->host, br.index, true, err) < 0) {
		cni_err_prefix(err, "could not set promiscuous mode on \"%s\"", conf->bridge);
		return cni_err_prefix(err, "failed to create bridge \"%s\"", conf->bridge);
	}
	/* An all-zero MAC cannot be set: bridge_cmd_add pins the one our port brings. */
	if (!mac_is_zero(br.mac, br.mac_len) && (created || !mac_pinned(&br)))
		pin_bridge_mac(c, &br);
	accept_ra_off(c, &br);
	if (!(br.flags & IFF_UP) && nl_link_set_up(c->host, br.index, true, err) < 0)
		return cni_err_prefix(err, "failed to create bridge \"%s\"", conf->bridge);
	cni_log(c->log, CNI_LOG_INFO, "bridge '%s' %s (index %d)", conf->bridge,
		created ? "created" : "exists", br.index);
	*ret_br = br;
	return 0;
}

/* ---- ADD: the veth pair -------------------------------------------------------------- */

/* Roll back a link this ADD created: the ADD's own error is what the runtime gets, and
 * its DEL removes what stays, so a failure is only a warning. */
static void undo_link(struct bridge_ctx *c, const char *name)
{
	struct cni_err e = {0};
	int r = nl_link_del_by_name(c->host, name, &e);

	if (r < 0 && r != -ENODEV)
		cni_warn_err(c->log, &e, "could not remove '%s' after the failed ADD", name);
}

/*
 * Create host_name (in the node) + ifname (in the container, via IFLA_NET_NS_FD) with a
 * fresh random host name, retrying when that name is taken in the node namespace. Then the
 * host end goes up with accept_ra=0. On success *ret_host and *ret_cont describe both ends.
 */
static int create_veth(struct bridge_ctx *c, const char *ifname, unsigned int mtu,
		       const uint8_t *mac, int peer_netns_fd, struct nl_sock *peer_sock,
		       struct nl_link *ret_host, struct nl_link *ret_cont, struct cni_err *err)
{
	char name[IFACE_TMPNAME_SIZE];
	struct nl_link host, cont;
	int r = -EEXIST;

	for (int i = 0; i < VETH_NAME_ATTEMPTS; i++) {
		struct nl_veth_req req = {.name = name,
					  .peer_name = ifname,
					  .peer_netns_fd = peer_netns_fd,
					  .mtu = mtu,
					  .peer_mac = mac};
		struct cni_err ign = {0}; /* a failed lookup means "not taken" */
		struct nl_link l;

		r = iface_tmp_name(name, err);
		if (r < 0)
			return r;
		r = nl_link_add_veth(c->host, &req, err);
		if (r == 0)
			break;
		if (r != -EEXIST)
			return cni_err_prefix(err, "failed to make veth pair");
		/* The kernel does not say which name is taken: the container's is an error,
		 * the random host name is retried. */
		if (nl_link_get_by_name(peer_sock, ifname, &l, &ign) == 0)
			return cni_err_set(err, CNI_ERR_INTERNAL,
					   "container veth name (\"%s\") peer provided (\"%s\") "
					   "already exists",
					   ifname, name);
	}
	if (r < 0)
		return cni_err_set(err, CNI_ERR_INTERNAL, "failed to find a unique veth name");
	if (nl_link_get_by_name(c->host, name, &host, err) < 0) {
		cni_err_prefix(err, "failed to lookup \"%s\"", name);
		goto undo_veth;
	}
	if (nl_link_get_by_name(peer_sock, ifname, &cont, err) < 0) {
		cni_err_prefix(err, "failed to lookup \"%s\"", ifname);
		goto undo_veth;
	}
	if (nl_link_set_up(c->host, host.index, true, err) < 0) {
		cni_err_prefix(err, "failed to set \"%s\" up", name);
		goto undo_veth;
	}
	accept_ra_off(c, &host);
	cni_log(c->log, CNI_LOG_INFO, "veth '%s' created, peer '%s'", name, ifname);
	*ret_host = host;
	*ret_cont = cont;
	return 0;

undo_veth:
	undo_link(c, name);
	return cni_err_ret(err);
}

/* Enslave the host end to the bridge and set its port flags and VLANs. */
static int attach_port(struct bridge_ctx *c, const struct nl_link *br, const struct nl_link *port,
		       bool hairpin, bool isolated, int vlan, const uint16_t *trunk, size_t n_trunk,
		       struct cni_err *err)
{
	struct nl_brport_req brport = {
		.ifindex = port->index, .hairpin = hairpin, .isolated = isolated};

	if (nl_link_set_master(c->host, port->index, br->index, err) < 0)
		return cni_err_prefix(err, "failed to connect \"%s\" to bridge %s", port->name,
				      br->name);
	brport.isolated = -1;
	if (nl_link_set_brport(c->host, &brport, err) < 0)
		return cni_err_prefix(err, "failed to setup hairpin mode for %s", port->name);
	brport.hairpin = -1;
	brport.isolated = isolated;
	if (nl_link_set_brport(c->host, &brport, err) < 0)
		return cni_err_prefix(err, "failed to set isolated on %s", port->name);
	return bridge_port_set_vlans(c->host, port->index, port->name, vlan, trunk, n_trunk,
				     c->conf->preserve_default_vlan, err);
}

/* ---- ADD: addresses ------------------------------------------------------------------ */

/* The gateway addresses to put on the bridge, per family, in result order. */
struct gw_list {
	struct ip_net v4[16]; /* IPv4 gateways with the container's prefix length */
	size_t n_v4;	      /* number of IPv4 gateways */
	struct ip_net v6[16]; /* IPv6 gateways */
	size_t n_v6;	      /* number of IPv6 gateways */
};

/* calcGateways: every IP on interface 2, default gateways, default routes, gateway list. */
static int calc_gateways(const struct bridge_conf *conf, struct cni_result *res,
			 struct gw_list *gws, struct cni_err *err)
{
	bool default_found[2] = {false, false};

	memset(gws, 0, sizeof(*gws));
	for (size_t i = 0; i < res->n_ips; i++) {
		struct cni_ip *ip = &res->ips[i];
		bool v4 = ip->address.ip.family == AF_INET;
		int f = v4 ? 0 : 1;

		ip->iface = RESULT_CONTAINER_IFACE;
		if (!ip->gateway.family && conf->is_gw) {
			struct ip_net net = ipnet_network(&ip->address);

			ip->gateway = ip_next(&net.ip);
		}
		if (conf->is_default_gw && !default_found[f]) {
			for (size_t j = 0; j < res->n_routes; j++) {
				const struct cni_route *rt = &res->routes[j];

				if (rt->gw.family && rt->dst.ip.family == ip->address.ip.family &&
				    rt->dst.prefix == 0 && ip_is_unspecified(&rt->dst.ip)) {
					default_found[f] = true;
					break;
				}
			}
			if (!default_found[f]) {
				struct cni_route rt = {0};

				rt.dst.ip.family = ip->address.ip.family;
				rt.dst.prefix = 0;
				rt.gw = ip->gateway;
				if (cni_result_add_route(res, &rt) < 0)
					return cni_err_nomem(err);
				default_found[f] = true;
			}
		}
		if (conf->is_gw) {
			struct ip_net gw = {.ip = ip->gateway, .prefix = ip->address.prefix};

			if (v4 && gws->n_v4 < ARRAY_SIZE(gws->v4))
				gws->v4[gws->n_v4++] = gw;
			else if (!v4 && gws->n_v6 < ARRAY_SIZE(gws->v6))
				gws->v6[gws->n_v6++] = gw;
		}
	}
	return 0;
}

/* Container sysctls of an L3 ADD on ifindex (inside the container namespace). */
static int container_sysctls(struct bridge_ctx *c, int ifindex, bool has_v6, struct cni_err *err)
{
	struct cni_err e = {0};
	_cleanup_(netns_restorep) int saved = -1;
	const char *ifname = c->args->ifname;
	int r;

	r = netns_enter(c->netns_fd, &saved, err);
	if (r < 0)
		return r;
	if (c->conf->enable_dad) {
		if_sysctl_prefer(c, "ipv6", ifname, "enhanced_dad", "1");
		if_sysctl_prefer(c, "ipv6", ifname, "accept_dad", "1");
	} else {
		if_sysctl_prefer(c, "ipv6", ifname, "accept_dad", "0");
	}
	/* net/ipv4/conf/<if>/arp_notify=1, through netlink: one /proc/sys/net lookup fewer. */
	if (nl_link_set_inet_conf(c->cont, ifindex, IPV4_DEVCONF_ARP_NOTIFY, 1, &e) < 0)
		cni_warn_err(c->log, &e, "could not set arp_notify to 1 on '%s'", ifname);
	/* Leaving here restores too, but a failure should be an error, not an abort. */
	r = netns_restore(TAKE_FD(saved), err);
	if (r < 0 || !has_v6)
		return r;
	return iface_ipv6_enable(c->netns_fd, ifname, err);
}

static bool mac_is_zero(const uint8_t *mac, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (mac[i])
			return false;
	return true;
}

static int set_mac(struct bridge_ctx *c, const struct nl_link *link, const uint8_t *mac, size_t len,
		   struct cni_err *err)
{
	if (nl_link_set_mac(c->host, link->index, mac, len, err) < 0)
		return cni_err_prefix(err, "could not set bridge's mac");
	return 0;
}

/* ensureAddr: put gw on the link unless present; conflicting addresses are an error or,
 * with forceAddress, deleted; then pin the link's MAC to pin_mac. */
static int ensure_addr(struct bridge_ctx *c, const struct nl_link *link, const struct ip_net *gw,
		       const uint8_t *pin_mac, size_t pin_len, struct cni_err *err)
{
	_cleanup_free_ struct nl_addr *addrs = NULL;
	int family = gw->ip.family;
	char want[IP_STRLEN];
	size_t n = 0;
	int r;

	ipnet_format(gw, want, sizeof(want));
	if (nl_addr_list(c->host, family, link->index, &addrs, &n, err) < 0)
		return cni_err_prefix(err, "could not get list of IP addresses");
	for (size_t i = 0; i < n; i++) {
		struct ip_net have = {.ip.family = family, .prefix = addrs[i].prefix_len};

		memcpy(have.ip.a, addrs[i].addr, 16);
		if (ip_equal(&have.ip, &gw->ip) && have.prefix == gw->prefix)
			return 0;
		if (family == AF_INET || ipnet_contains(&have, &gw->ip) ||
		    ipnet_contains(gw, &have.ip)) {
			if (!c->conf->force_address)
				return cni_err_set(err, CNI_ERR_INTERNAL,
						   "\"%s\" already has an IP address different "
						   "from %s",
						   link->name, want);
			if (nl_addr_del(c->host, &addrs[i], err) < 0)
				return cni_err_prefix(
					err, "could not remove IP address from \"%s\"", link->name);
		}
	}
	{
		struct nl_addr addr = {.family = family,
				       .ifindex = link->index,
				       .prefix_len = (uint8_t)gw->prefix};

		/* Without enabledad the IPv6 gateway is usable at once instead of after the
		 * bridge's own DAD (1-2 s, and never while the bridge has no carrier). */
		if (family == AF_INET6 && !c->conf->enable_dad)
			addr.flags = IFA_F_NODAD;
		memcpy(addr.addr, gw->ip.a, 16);
		r = nl_addr_add(c->host, &addr, err);
		if (r < 0 && r != -EEXIST)
			return cni_err_prefix(err, "could not add IP address to \"%s\"",
					      link->name);
	}
	if (mac_is_zero(pin_mac, pin_len)) {
		/* A bridge whose last port left has the all-zero MAC (the reference then fails
		 * "could not set bridge's mac"): pin the one it has now, with our port. */
		struct nl_link now;

		if (nl_link_get_by_index(c->host, link->index, &now, err) < 0)
			return cni_err_prefix(err, "could not lookup \"%s\"", link->name);
		if (mac_is_zero(now.mac, now.mac_len))
			return 0;
		return set_mac(c, link, now.mac, now.mac_len, err);
	}
	return set_mac(c, link, pin_mac, pin_len, err);
}

/* ensureVlanInterface: the "<bridge>.<vlan>" gateway interface, a veth whose peer is a
 * tagged port of the bridge. Created once and kept, like the bridge. */
static int ensure_vlan_iface(struct bridge_ctx *c, const struct nl_link *br,
			     struct nl_link *ret_link, struct cni_err *err)
{
	char name[64];
	struct nl_link host, gwl;
	int r;

	snprintf(name, sizeof(name), "%s.%d", br->name, c->conf->vlan);
	if (strlen(name) >= NL_IFNAMSIZ)
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "failed to find interface \"%s\": name too long", name);
	r = nl_link_get_by_name(c->host, name, ret_link, err);
	if (r == 0)
		return 0;
	if (r != -ENODEV)
		return cni_err_prefix(err, "failed to find interface \"%s\"", name);
	if (create_veth(c, name, br->mtu, NULL, -1, c->host, &host, &gwl, err) < 0 ||
	    attach_port(c, br, &host, false, false, c->conf->vlan, NULL, 0, err) < 0)
		return cni_err_prefix(err, "faild to create vlan gateway \"%s\"", name);
	if (nl_link_set_up(c->host, gwl.index, true, err) < 0)
		return cni_err_prefix(err, "failed to up \"%s\"", name);
	return nl_link_get_by_index(c->host, gwl.index, ret_link, err);
}

/* The gateway addresses (on the bridge or its VLAN interface) and forwarding. */
static int setup_gateways(struct bridge_ctx *c, const struct nl_link *br, const struct gw_list *gws,
			  struct cni_result *res, struct cni_err *err)
{
	bool vlan_listed = false;
	struct nl_link vl;

	for (int f = 0; f < 2; f++) {
		const struct ip_net *list = f == 0 ? gws->v4 : gws->v6;
		size_t n = f == 0 ? gws->n_v4 : gws->n_v6;

		for (size_t i = 0; i < n; i++) {
			if (c->conf->vlan) {
				char mac[HWADDR_TEXT_MAX];

				if (ensure_vlan_iface(c, br, &vl, err) < 0)
					return cni_err_prefix(err,
							      "failed to create vlan interface");
				if (!vlan_listed) {
					hwaddr_format(vl.mac, vl.mac_len, mac);
					if (cni_result_add_iface(res, vl.name, mac, NULL) < 0)
						return cni_err_nomem(err);
					vlan_listed = true;
				}
				if (ensure_addr(c, &vl, &list[i], vl.mac, vl.mac_len, err) < 0)
					return cni_err_prefix(
						err, "failed to set vlan interface for bridge with "
						     "addr");
			} else if (ensure_addr(c, br, &list[i], br->mac, br->mac_len, err) < 0) {
				return cni_err_prefix(err, "failed to set bridge addr");
			}
		}
		if (n && enable_forwarding(c, f == 0 ? AF_INET : AF_INET6, err) < 0)
			return cni_err_ret(err);
	}
	return 0;
}

/* ---- ADD ------------------------------------------------------------------------------ */

/* Open CNI_NETNS and a rtnetlink socket inside it. */
static int open_container(struct bridge_ctx *c, struct cni_err *err)
{
	return netns_open_container(c->args->netns, 0, &c->netns_fd, &c->cont, err);
}

/* The L3 part of ADD after IPAM: gateways, container addresses and routes, bridge
 * addresses and forwarding. */
static int add_l3(struct bridge_ctx *c, const struct nl_link *br, const struct nl_link *cont,
		  struct cni_result *res, const struct cni_result *ipam, struct cni_err *err)
{
	struct gw_list gws;
	bool has_v6 = false;

	if (!ipam->n_ips)
		return cni_err_set(err, CNI_ERR_INTERNAL, "IPAM plugin returned missing IP config");
	for (size_t i = 0; i < ipam->n_ips; i++) {
		if (cni_result_add_ip(res, &ipam->ips[i]) < 0)
			return cni_err_nomem(err);
		has_v6 |= ipam->ips[i].address.ip.family == AF_INET6;
	}
	for (size_t i = 0; i < ipam->n_routes; i++)
		if (cni_result_add_route(res, &ipam->routes[i]) < 0)
			return cni_err_nomem(err);
	if (cni_dns_copy(&res->dns, &ipam->dns) < 0)
		return cni_err_nomem(err);
	if (calc_gateways(c->conf, res, &gws, err) < 0)
		return cni_err_ret(err);
	if (container_sysctls(c, cont->index, has_v6, err) < 0 ||
	    iface_configure(c->cont, cont->index, c->args->ifname, res, c->conf->enable_dad, err) <
		    0)
		return cni_err_ret(err);
	cni_log(c->log, CNI_LOG_INFO, "%zu address(es) and %zu route(s) set on '%s'", res->n_ips,
		res->n_routes, c->args->ifname);
	if (c->conf->is_gw && setup_gateways(c, br, &gws, res, err) < 0)
		return cni_err_ret(err);
	if (c->conf->is_gw)
		cni_log(c->log, CNI_LOG_INFO, "gateway addresses set (%zu IPv4, %zu IPv6)",
			gws.n_v4, gws.n_v6);
	return 0;
}

/* What the ADD's nftables batch is made of. */
struct add_nft_ctx {
	struct bridge_ctx *c;	      /* the command */
	const struct cni_result *res; /* the addresses to masquerade */
	const char *host_veth;	      /* the port the spoofcheck rule matches */
	const uint8_t *cont_mac;      /* the MAC the spoofcheck allows */
};

/* Queue the spoofcheck and masquerade rules (an nft_txn_run() fill function). */
static int add_nft_fill(struct nft_txn *txn, void *userdata, struct cni_err *err)
{
	const struct add_nft_ctx *x = userdata;
	struct bridge_ctx *c = x->c;
	const struct cni_cmd_args *a = c->args;

	if (c->conf->macspoofchk && spoofchk_queue_setup(txn, x->host_veth, x->cont_mac,
							 a->container_id, a->ifname, err) < 0)
		return cni_err_prefix(err, "failed to setup spoof-check");
	/* The backend is decided here, so that its read is bound to the batch. */
	if (bridge_conf_is_l3(c->conf) && c->conf->ip_masq &&
	    ipmasq_queue_setup(txn, c->conf->masq_backend, x->res, c->conf->name, a->ifname,
			       a->container_id, NULL, err) < 0)
		return cni_err_ret(err);
	return 0;
}

/* Commit the ADD's batch (an nft_txn_run() send function). */
static int add_nft_send(struct nft_txn *txn, void *userdata, struct cni_err *err)
{
	if (nft_txn_commit(txn, err) < 0)
		return cni_err_prefix(err, "failed to apply nftables rules");
	return 0;
}

/* Queue the ADD's nftables work (spoofcheck, masquerade) and commit it in one batch,
 * read and queued again when a concurrent change got in between. */
static int add_nft(struct bridge_ctx *c, const struct cni_result *res, const char *host_veth,
		   const uint8_t *cont_mac, struct cni_err *err)
{
	_cleanup_(nft_txn_freep) struct nft_txn *txn = NULL;
	struct add_nft_ctx x = {c, res, host_veth, cont_mac};

	if (!c->conf->macspoofchk && !(bridge_conf_is_l3(c->conf) && c->conf->ip_masq))
		return 0;
	if (nft_txn_new(&txn, err) < 0)
		return cni_err_ret(err);
	if (nft_txn_run(txn, add_nft_fill, add_nft_send, &x, err) < 0)
		return cni_err_ret(err);
	cni_log(c->log, CNI_LOG_INFO, "nftables rules committed (macspoofchk %s, ipMasq %s)",
		c->conf->macspoofchk ? "on" : "off",
		bridge_conf_is_l3(c->conf) && c->conf->ip_masq ? "on" : "off");
	return 0;
}

int bridge_cmd_add(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(ctx_clear) struct bridge_ctx c = BRIDGE_CTX_INIT(args);
	_cleanup_(cni_result_freep) struct cni_result *res = NULL, *ipam = NULL;
	_cleanup_free_ char *text = NULL;
	struct nl_link br, host, cont, l;
	uint8_t mac_bytes[6], *mac = NULL;
	char mac_s[HWADDR_TEXT_MAX], br_mac[HWADDR_TEXT_MAX], host_mac[HWADDR_TEXT_MAX];

	if (bridge_conf_load(args, &c.conf, err) < 0)
		return cni_err_ret(err);
	/* Before anything changes: the iptables backend cannot work on iptables-legacy. */
	if (bridge_conf_is_l3(c.conf) && c.conf->ip_masq &&
	    ipmasq_refuse_legacy(c.conf->masq_backend, err) < 0)
		return cni_err_ret(err);
	if (c.conf->mac && bridge_parse_mac(c.conf->mac, mac_bytes) == 0)
		mac = mac_bytes;
	if (nl_open(&c.host, err) < 0 || ensure_bridge(&c, &br, err) < 0 ||
	    open_container(&c, err) < 0)
		return cni_err_ret(err);
	if (create_veth(&c, args->ifname, (unsigned int)c.conf->mtu, mac, c.netns_fd, c.cont, &host,
			&cont, err) < 0)
		return cni_err_ret(err);
	/* promiscMode asks for hairpin traffic (a pod reaching itself through a hostPort or
	 * service address), which a promiscuous bridge cannot deliver once br_netfilter makes
	 * that traffic a bridged DNAT back out of its own port: only the port's hairpin flag
	 * lets the bridge send it there. */
	if (attach_port(&c, &br, &host, c.conf->hairpin || c.conf->promisc, c.conf->port_isolation,
			c.conf->vlan, c.conf->trunk, c.conf->n_trunk, err) < 0)
		goto undo_veth;
	if (mac_is_zero(br.mac, br.mac_len))
		pin_joined_bridge_mac(&c, &br);

	res = cni_result_new();
	if (!res) {
		cni_err_nomem(err);
		goto undo_veth;
	}
	hwaddr_format(cont.mac, cont.mac_len, mac_s);
	if (cni_result_add_iface(res, br.name, "", NULL) < 0 ||
	    cni_result_add_iface(res, host.name, "", NULL) < 0 ||
	    cni_result_add_iface(res, args->ifname, mac_s, args->netns) < 0) {
		cni_err_nomem(err);
		goto undo_veth;
	}

	if (bridge_conf_is_l3(c.conf)) {
		if (delegate_add(c.conf->ipam_type, args, &ipam, err) < 0) {
			if (cni_err_ret(err) == -ECHILD)
				delegate_undo_add(c.conf->ipam_type, args);
			goto undo_veth;
		}
		cni_log(c.log, CNI_LOG_INFO, "IPAM '%s' returned %zu address(es)",
			c.conf->ipam_type, ipam->n_ips);
		if (add_l3(&c, &br, &cont, res, ipam, err) < 0)
			goto undo_ipam;
	} else if (!c.conf->disable_container_iface) {
		if (nl_link_set_up(c.cont, cont.index, true, err) < 0) {
			cni_err_prefix(err, "failed to set \"%s\" up", args->ifname);
			goto undo_veth;
		}
	}

	if (!c.conf->disable_container_iface && nl_link_wait_oper_up(c.host, host.index, err) < 0)
		goto undo_ipam;

	/* The host end's MAC can change when it is enslaved, the bridge's when its first port
	 * joins: report what they are now. */
	if (nl_link_get_by_index(c.host, host.index, &l, err) < 0) {
		cni_err_prefix(err, "failed to lookup \"%s\"", host.name);
		goto undo_ipam;
	}
	hwaddr_format(l.mac, l.mac_len, host_mac);
	if (nl_link_get_by_index(c.host, br.index, &l, err) < 0) {
		cni_err_prefix(err, "could not lookup \"%s\"", br.name);
		goto undo_ipam;
	}
	hwaddr_format(l.mac, l.mac_len, br_mac);
	free(res->ifaces[0].mac);
	res->ifaces[0].mac = strdup(br_mac);
	free(res->ifaces[1].mac);
	res->ifaces[1].mac = strdup(host_mac);
	if (!res->ifaces[0].mac || !res->ifaces[1].mac) {
		cni_err_nomem(err);
		goto undo_ipam;
	}
	if (c.conf->has_dns) {
		cni_dns_clear(&res->dns);
		if (cni_dns_copy(&res->dns, &c.conf->dns) < 0) {
			cni_err_nomem(err);
			goto undo_ipam;
		}
	}
	/* Render before the firewall commit, so nothing can fail after it. */
	if (cni_result_print(res, c.conf->cni_version, &text, err) < 0)
		goto undo_ipam;
	if (add_nft(&c, res, host.name, cont.mac, err) < 0)
		goto undo_ipam;
	*ret_out = TAKE_PTR(text);
	return 0;

undo_ipam:
	if (ipam)
		delegate_undo_add(c.conf->ipam_type, args);
undo_veth:
	undo_link(&c, host.name);
	return cni_err_ret(err);
}

/* ---- DEL ------------------------------------------------------------------------------ */

/* The host veth named by prevResult: an interface without sandbox that is not the bridge,
 * is a veth and is a port of the bridge. Deleting it also removes the container end. */
static void del_host_veth_from_prev(struct bridge_ctx *c)
{
	const struct cni_result *prev = c->conf->prev;
	struct nl_link br, l;

	if (!prev || find_link(c, c->conf->bridge, &br) < 0)
		return;
	for (size_t i = 0; i < prev->n_ifaces; i++) {
		const struct cni_iface *f = &prev->ifaces[i];

		if (!f->name || (f->sandbox && f->sandbox[0]) || !strcmp(f->name, c->conf->bridge))
			continue;
		struct cni_err e = {0};

		if (find_link(c, f->name, &l) < 0)
			continue;
		if (strcmp(l.kind, "veth") != 0 || l.master != br.index)
			continue;
		/* The VLAN gateway interface's peer is shared: never delete it. */
		if (strchr(f->name, '.'))
			continue;
		if (nl_link_del(c->host, l.index, &e) < 0)
			cni_warn_err(c->log, &e, "could not delete host veth '%s'", f->name);
		else
			cni_log(c->log, CNI_LOG_INFO, "host veth '%s' deleted", f->name);
	}
}

/* Remove the container interface. A missing netns, a path that is no longer a namespace
 * and a missing link are all fine. */
static int del_container_link(struct bridge_ctx *c, struct cni_err *err)
{
	int r;

	if (!c->args->netns[0])
		return 0;
	r = netns_open_container(c->args->netns, NETNS_GONE_OK, &c->netns_fd, &c->cont, err);
	if (r == 1) {
		/* Gone, or the bind mount was lost: the link may survive in a namespace we
		 * cannot reach, so try the host end named by prevResult. */
		cni_log(c->log, CNI_LOG_INFO, "netns '%s' is gone, using prevResult's host veth",
			c->args->netns);
		del_host_veth_from_prev(c);
		return 0;
	}
	if (r < 0)
		return r;
	/* Both ends leave their namespaces before the kernel's RCU wait, which a child
	 * finishes (nl_link_del_unlisted()). */
	r = nl_link_del_name_unlisted(c->cont, c->netns_fd, c->args->ifname, err);
	if (r < 0 && r != -ENODEV)
		return cni_err_prefix(err, "failed to delete \"%s\"", c->args->ifname);
	cni_err_clear(err);
	cni_log(c->log, CNI_LOG_INFO, "container interface '%s' %s", c->args->ifname,
		r == 0 ? "deleted" : "was already gone");
	return 0;
}

/* Queue the removal of this attachment's masquerade and spoofcheck rules (an
 * nft_txn_run() fill function). */
static int del_nft_fill(struct nft_txn *txn, void *userdata, struct cni_err *err)
{
	const struct bridge_ctx *c = userdata;
	const struct cni_cmd_args *a = c->args;

	if (ipmasq_queue_teardown(txn, c->conf->name, a->ifname, a->container_id,
				  bridge_conf_is_l3(c->conf) && c->conf->ip_masq, err) < 0)
		return cni_err_ret(err);
	if (spoofchk_queue_teardown(txn, a->container_id, a->ifname, err) < 0)
		return cni_err_prefix(err, "failed to teardown spoof-check");
	return 0;
}

/* Commit the DEL's batch (an nft_txn_run() send function). */
static int del_nft_send(struct nft_txn *txn, void *userdata, struct cni_err *err)
{
	if (nft_txn_commit(txn, err) < 0)
		return cni_err_prefix(err, "failed to remove nftables rules");
	return 0;
}

/* Remove this attachment's masquerade and spoofcheck rules, found by their comments (no
 * need for the netns or the link), in one batch that only applies to the ruleset as it
 * was listed; listed and queued again when a concurrent change got in between. The
 * committed transaction is returned in *ret_txn for the caller to free. */
static int del_nft(struct bridge_ctx *c, struct nft_txn **ret_txn, struct cni_err *err)
{
	_cleanup_(nft_txn_freep) struct nft_txn *txn = NULL;

	if (nft_txn_new(&txn, err) < 0)
		return cni_err_ret(err);
	if (nft_txn_run(txn, del_nft_fill, del_nft_send, c, err) < 0)
		return cni_err_ret(err);
	cni_log(c->log, CNI_LOG_INFO, "nftables rules of the attachment removed");
	*ret_txn = TAKE_PTR(txn);
	return 0;
}

int bridge_cmd_del(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(nft_txn_freep) struct nft_txn *txn = NULL;
	_cleanup_(ctx_clear) struct bridge_ctx c = BRIDGE_CTX_INIT(args);
	struct cni_err first = {0}, e = {0}, nft_e = {0};
	int nft_r;

	if (bridge_conf_load_for_del(args, &c.conf, err) < 0)
		return cni_err_ret(err);
	if (nl_open(&c.host, err) < 0)
		return cni_err_ret(err);
	/* The rules go first; the commit has had its ACKs when del_nft() returns: the rules
	 * are gone whatever happens next. Its socket is closed by a child process
	 * (nl_close_detached()): the kernel's release of what the commit deleted, and of what
	 * the chain's plugins before this one deleted, is not waited for.
	 * IPAM is released before the veth goes, so that an IPAM that talks on the
	 * container's interface (dhcp's RELEASE) still has it. */
	nft_r = del_nft(&c, &txn, &nft_e);
	if (bridge_conf_is_l3(c.conf)) {
		if (delegate_exec(c.conf->ipam_type, "DEL", args, args->stdin_data, args->stdin_len,
				  NULL, &e) < 0)
			cni_err_keep_first(&first, &e);
		else
			cni_log(c.log, CNI_LOG_INFO, "IPAM '%s' released the addresses",
				c.conf->ipam_type);
	}
	cni_err_clear(&e);
	if (del_container_link(&c, &e) < 0)
		cni_err_keep_first(&first, &e);
	cni_err_clear(&e);
	/* Rules are looked for whatever the config says now (it may have changed since ADD);
	 * a failure only counts when the config asks for rules (a node without nf_tables
	 * cannot hold any). */
	if (nft_r < 0 && (c.conf->macspoofchk || (bridge_conf_is_l3(c.conf) && c.conf->ip_masq)))
		cni_err_keep_first(&first, &nft_e);
	return cni_err_first(&first, err);
}

/* ---- CHECK ---------------------------------------------------------------------------- */

/* What CHECK learnt about one interface. */
struct check_if {
	bool found;	/* validated */
	int index;	/* ifindex */
	int peer_index; /* veth peer ifindex */
	int master;	/* master ifindex */
};

/* validateInterface: name given, link exists, sandbox as expected. */
static int check_iface(struct nl_sock *sock, const struct cni_iface *f, bool in_sandbox,
		       struct nl_link *ret, struct cni_err *err)
{
	struct cni_err ign = {0}; /* replaced by the reference's message below */
	bool sb = f->sandbox && f->sandbox[0];

	if (!f->name || !f->name[0])
		return cni_err_set(err, CNI_ERR_INTERNAL, "Interface name missing ");
	if (nl_link_get_by_name(sock, f->name, ret, &ign) < 0)
		return cni_err_set(err, CNI_ERR_INTERNAL, "Interface name %s not found", f->name);
	if (in_sandbox && !sb)
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "Interface %s is expected to be in a sandbox", f->name);
	if (!in_sandbox && sb)
		return cni_err_set(err, CNI_ERR_INTERNAL, "Interface %s should not be in sandbox",
				   f->name);
	return 0;
}

int bridge_cmd_check(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(ctx_clear) struct bridge_ctx c = BRIDGE_CTX_INIT(args);
	const struct cni_iface *brf = NULL, *contf = NULL;
	static const struct cni_iface none = {0};
	struct check_if brc = {0}, contc = {0}, vethc = {0};
	const struct cni_result *prev;
	struct nl_link l;

	if (bridge_conf_load(args, &c.conf, err) < 0)
		return cni_err_ret(err);
	if (nl_open(&c.host, err) < 0 || open_container(&c, err) < 0)
		return cni_err_ret(err);
	/* L2 configs have no IPAM to check (the reference fails "no plugin name provided"). */
	if (bridge_conf_is_l3(c.conf) &&
	    delegate_exec(c.conf->ipam_type, "CHECK", args, args->stdin_data, args->stdin_len, NULL,
			  err) < 0)
		return cni_err_ret(err);
	prev = c.conf->prev;
	if (!prev)
		return cni_err_set(err, CNI_ERR_INTERNAL, "Required prevResult missing");
	for (size_t i = 0; i < prev->n_ifaces; i++) {
		const struct cni_iface *f = &prev->ifaces[i];

		if (f->name && !strcmp(f->name, c.conf->bridge))
			brf = f;
		else if (f->name && !strcmp(f->name, args->ifname) && f->sandbox &&
			 !strcmp(f->sandbox, args->netns))
			contf = f;
	}
	/* The bridge. */
	if (check_iface(c.host, brf ? brf : &none, false, &l, err) < 0)
		return cni_err_ret(err);
	if (strcmp(l.kind, "bridge") != 0)
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "Interface %s does not have link type of bridge", brf->name);
	if (!iface_mac_matches(brf, &l))
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "Bridge interface %s Mac doesn't match: %s", brf->name,
				   brf->mac);
	if (!!(l.flags & IFF_PROMISC) != c.conf->promisc)
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "Bridge interface %s configured Promisc Mode %s doesn't match "
				   "current state: %s ",
				   brf->name, c.conf->promisc ? "true" : "false",
				   l.flags & IFF_PROMISC ? "true" : "false");
	brc = (struct check_if){.found = true, .index = l.index, .master = l.master};
	/* The container end. */
	if (!contf || strcmp(args->netns, contf->sandbox ? contf->sandbox : "") != 0)
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "Sandbox in prevResult %s doesn't match configured netns: %s",
				   contf && contf->sandbox ? contf->sandbox : "", args->netns);
	if (check_iface(c.cont, contf, true, &l, err) < 0)
		return cni_err_ret(err);
	if (strcmp(l.kind, "veth") != 0)
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "Error: Container interface %s not of type veth", l.name);
	if (!iface_mac_matches(contf, &l)) {
		char mac[HWADDR_TEXT_MAX];

		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "Interface %s Mac %s doesn't match container Mac: %s",
				   contf->name, contf->mac, hwaddr_format(l.mac, l.mac_len, mac));
	}
	contc = (struct check_if){.found = true, .index = l.index, .peer_index = l.link};
	/* The host end: a veth of prevResult whose peer is the container end, on the bridge. */
	for (size_t i = 0; i < prev->n_ifaces && !vethc.found; i++) {
		const struct cni_iface *f = &prev->ifaces[i];

		if ((brf && f->name && brf->name && !strcmp(f->name, brf->name)) ||
		    (f->name && !strcmp(f->name, contf->name)))
			continue;
		if (check_iface(c.host, f, false, &l, err) < 0)
			return cni_err_ret(err);
		if (strcmp(l.kind, "veth") != 0)
			continue;
		if (l.index != contc.peer_index || l.link != contc.index || l.master != brc.index)
			continue;
		if (!iface_mac_matches(f, &l))
			return cni_err_set(err, CNI_ERR_INTERNAL,
					   "Interface %s Mac doesn't match: %s not found", f->name,
					   f->mac);
		vethc.found = true;
	}
	if (!brc.found)
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "CNI created bridge %s in host namespace was not found",
				   c.conf->bridge);
	if (!contc.found)
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "CNI created interface in container %s not found", args->ifname);
	if (!vethc.found)
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "CNI veth created for bridge %s was not found", c.conf->bridge);
	return iface_check_ips_routes(c.cont, args->ifname, prev, true, err);
}

/* ---- STATUS and GC -------------------------------------------------------------------- */

int bridge_cmd_status(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(bridge_conf_freep) struct bridge_conf *conf = NULL;

	if (bridge_conf_load(args, &conf, err) < 0)
		return cni_err_ret(err);
	if (!bridge_conf_is_l3(conf))
		return 0;
	return delegate_exec(conf->ipam_type, "STATUS", args, args->stdin_data, args->stdin_len,
			     NULL, err);
}

/* What GC's nftables batch removes. */
struct gc_nft_ctx {
	struct bridge_ctx *c;		    /* the command */
	const struct cni_attachment *valid; /* attachments to keep */
	size_t n_valid;			    /* entries of valid */
	int br_index;			    /* the bridge's ifindex, 0 when there is none */
	size_t n_masq;			    /* masquerade rules queued for removal */
	size_t n_spoof;			    /* attachments whose spoofcheck rules are queued */
};

/* Queue the removal of stale masquerade and spoofcheck rules (nft_txn_run() fill). */
static int gc_nft_fill(struct nft_txn *txn, void *userdata, struct cni_err *err)
{
	struct gc_nft_ctx *x = userdata;

	x->n_masq = x->n_spoof = 0;
	if (ipmasq_queue_gc(txn, x->c->conf->name, x->valid, x->n_valid,
			    bridge_conf_is_l3(x->c->conf) && x->c->conf->ip_masq, &x->n_masq,
			    err) < 0 ||
	    spoofchk_queue_gc(txn, x->c->host, x->br_index, x->valid, x->n_valid, &x->n_spoof,
			      err) < 0)
		return cni_err_ret(err);
	return 0;
}

int bridge_cmd_gc(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(ctx_clear) struct bridge_ctx c = BRIDGE_CTX_INIT(args);
	_cleanup_(cjson_freep) cJSON *root = NULL;
	_cleanup_(nft_txn_freep) struct nft_txn *txn = NULL;
	struct cni_attachment *valid = NULL;
	struct cni_err first = {0}, e = {0};
	struct gc_nft_ctx x = {.c = &c};
	struct nl_link br;
	size_t n_valid = 0;

	if (bridge_conf_load(args, &c.conf, err) < 0 ||
	    conf_parse_object(args->stdin_data, args->stdin_len, "failed to load netconf", &root,
			      err) < 0 ||
	    cni_gc_attachments(root, &valid, &n_valid, err) < 0)
		return cni_err_ret(err);
	/* IPAM first: its reservations are what runs out. Continue past errors. */
	if (bridge_conf_is_l3(c.conf) &&
	    delegate_exec(c.conf->ipam_type, "GC", args, args->stdin_data, args->stdin_len, NULL,
			  &e) < 0)
		cni_err_keep_first(&first, &e);
	cni_err_clear(&e);
	if (nl_open(&c.host, &e) == 0 && nft_txn_new(&txn, &e) == 0) {
		/* No bridge (yet, or any more): no port to match spoofcheck rules on. */
		if (find_link(&c, c.conf->bridge, &br) == 0)
			x.br_index = br.index;
		x.valid = valid;
		x.n_valid = n_valid;
		if (nft_txn_run(txn, gc_nft_fill, NULL, &x, &e) < 0)
			cni_err_prefix(&e, "failed to garbage-collect nftables rules");
		else
			cni_log(c.log, CNI_LOG_INFO,
				"removed %zu stale masquerade rule(s) and the spoofcheck rules of "
				"%zu attachment(s)",
				x.n_masq, x.n_spoof);
	}
	cni_err_keep_first(&first, &e);
	cni_attachments_free(valid, n_valid);
	return cni_err_first(&first, err);
}

const struct cni_plugin bridge_plugin = {
	.name = "bridge",
	.add = bridge_cmd_add,
	.del = bridge_cmd_del,
	.check = bridge_cmd_check,
	.status = bridge_cmd_status,
	.gc = bridge_cmd_gc,
};
