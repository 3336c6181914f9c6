/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The vrf plugin: puts CNI_IFNAME into a VRF device of the container's namespace (created
 * when missing), keeping what the kernel drops when a link changes its L3 master: the global
 * IPv6 addresses (re-added when gone, then waited for until usable again) and the link's
 * routes of the main table, moved into the VRF's table, multipath routes included (the
 * link's nexthops go to the VRF, the others stay in the main table).
 *
 * Enslaving cycles the link down and up: the kernel moves its connected and local routes into
 * the VRF's table itself, flushes its other single-path routes and keeps multipath routes
 * with the link's nexthops in the main table. Global IPv6 addresses go, unless
 * keep_addr_on_down is set (the interface plugins set it): then they stay but are tentative
 * again, the kernel repeating duplicate address detection. Either way ADD waits for them on
 * rtnetlink notifications (no timer), bounded by VRF_ADDR_WAIT_MS. A failed ADD puts everything back: the link
 * out of the VRF, its addresses and main-table routes as they were, a VRF it created gone.
 */
#include "vrf/vrf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if.h>
#include <netinet/in.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include "array.h"
#include "cleanup.h"
#include "ifname.h"
#include "ipnet.h"
#include "cni/result.h"
#include "net/netns.h"
#include "net/nl.h"
#include "net/rtnl.h"
#include "vrf/netconf.h"

/* Address flags a RTM_NEWADDR can set (the kernel ignores the others). */
#define ADDR_SETTABLE_FLAGS \
	(IFA_F_NODAD | IFA_F_HOMEADDRESS | IFA_F_MANAGETEMPADDR | IFA_F_NOPREFIXROUTE)

/* Everything ADD changes and its undo needs. */
struct add_ctx {
	const struct cni_cmd_args *args; /* the command */
	const struct vrf_conf *c;	 /* its config */
	int netns_fd;			 /* the container's namespace */
	struct nl_sock *cont;		 /* rtnetlink inside it */
	struct nl_sock *mon;		 /* its IPv6 address and route notifications, or NULL */
	struct nl_link vrf;		 /* the VRF */
	bool created;			 /* ADD created the VRF */
	struct nl_link link;		 /* CNI_IFNAME before ADD */
	bool enslaved;			 /* the link is in the VRF */
	struct nl_addr *addrs;		 /* its global IPv6 addresses before ADD */
	size_t n_addrs;			 /* entries of addrs */
	struct nl_route *routes;	 /* its main-table routes before ADD, grouped as listed */
	size_t n_routes;		 /* entries of routes */
	bool main_changed;		 /* a multipath route of the main table was changed */
};

static void add_ctx_clear(struct add_ctx *a)
{
	nl_close(a->mon);
	nl_close(a->cont);
	if (a->netns_fd >= 0)
		close(a->netns_fd);
	free(a->addrs);
	free(a->routes);
}

/* The text of an address or a route's destination. */
static char *addr_text(int family, const uint8_t *bytes, int prefix, char *buf, size_t len)
{
	struct ip_net n = {.ip = {.family = family}, .prefix = prefix};

	memcpy(n.ip.a, bytes, family == AF_INET ? 4 : 16);
	return prefix < 0 ? ip_format(&n.ip, buf, len) : ipnet_format(&n, buf, len);
}

/* A route as the reference's messages print it (Go's netlink.Route). */
static char *route_text(const struct nl_route *r, size_t n, char *buf, size_t len)
{
	char dst[IP_STRLEN], gw[IP_STRLEN], src[IP_STRLEN];
	int off;

	addr_text(r->family, r->dst, r->dst_len, dst, sizeof(dst));
	if (r->has_src)
		addr_text(r->family, r->src, -1, src, sizeof(src));
	else
		strcpy(src, "<nil>");
	if (n > 1) {
		off = snprintf(buf, len, "{Ifindex: 0 Dst: %s Src: %s Gw: [", dst, src);
		for (size_t i = 0; i < n && off > 0 && (size_t)off < len; i++) {
			if (r[i].has_gw)
				addr_text(r[i].family, r[i].gw, -1, gw, sizeof(gw));
			off += snprintf(buf + off, len - (size_t)off,
					"%s{Ifindex: %d Weight: %u%s%s}", i ? " " : "", r[i].oif,
					r[i].weight ? r[i].weight : 1, r[i].has_gw ? " Gw: " : "",
					r[i].has_gw ? gw : "");
		}
		if (off > 0 && (size_t)off < len)
			snprintf(buf + off, len - (size_t)off, "] Flags: [] Table: %u Realm: 0}",
				 r->table);
		return buf;
	}
	if (r->has_gw)
		addr_text(r->family, r->gw, -1, gw, sizeof(gw));
	else
		strcpy(gw, "<nil>");
	snprintf(buf, len, "{Ifindex: %d Dst: %s Src: %s Gw: %s Flags: [] Table: %u Realm: 0}",
		 r->oif, dst, src, gw, r->table);
	return buf;
}

/* ---- the VRF ----------------------------------------------------------------------------- */

/* The VRF called name: 0, -ENODEV when there is no link of that name, -EINVAL ("Netlink
 * <name> is not a VRF") for a link of another kind. */
static int vrf_find(struct nl_sock *cont, const char *name, struct nl_link *ret,
		    struct cni_err *err)
{
	int r = nl_link_get_by_name(cont, name, ret, err);

	if (r < 0)
		return r;
	if (strcmp(ret->kind, "vrf") != 0)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL, "Netlink %s is not a VRF",
					 name);
	return 0;
}

/* The smallest table id from 1 on that no VRF of the namespace uses. */
static int vrf_free_table(struct nl_sock *cont, uint32_t *ret, struct cni_err *err)
{
	_cleanup_free_ struct nl_link *vrfs = NULL;
	size_t n = 0;
	int r;

	r = nl_link_list_kind(cont, "vrf", &vrfs, &n, err);
	if (r < 0)
		return cni_err_prefix(err, "createVRF: Failed to find links");
	for (uint32_t t = 1; t < UINT32_MAX; t++) {
		bool taken = false;

		for (size_t i = 0; i < n && !taken; i++)
			taken = vrfs[i].vrf_table == t;
		if (!taken) {
			*ret = t;
			return 0;
		}
	}
	return cni_err_set(err, CNI_ERR_INTERNAL,
			   "findFreeRoutingTableID: Failed to find an available routing id");
}

/* Whether a link of the namespace has the VRF as master: 1 yes, 0 no. */
static int vrf_has_members(struct nl_sock *cont, int vrf_index, struct cni_err *err)
{
	_cleanup_free_ struct nl_link *links = NULL;
	size_t n = 0;
	int r;

	r = nl_link_list_kind(cont, NULL, &links, &n, err);
	if (r < 0)
		return cni_err_prefix(err, "getAssignedInterfaces: Failed to find links");
	for (size_t i = 0; i < n; i++)
		if (links[i].master == vrf_index)
			return 1;
	return 0;
}

/* Delete the VRF unless a link is still in it; a VRF already gone is fine (another
 * member's DEL deleted it meanwhile). */
static int vrf_delete_if_empty(struct nl_sock *cont, const struct nl_link *vrf, struct cni_err *err)
{
	int r = vrf_has_members(cont, vrf->index, err);

	if (r != 0)
		return r < 0 ? r : 0;
	r = nl_link_del(cont, vrf->index, err);
	if (r == -ENODEV) {
		cni_err_clear(err);
		return 0;
	}
	return r;
}

/* Find the VRF of the config, or create it (up) when missing. */
static int add_vrf(struct add_ctx *a, struct cni_err *err)
{
	const struct vrf_conf *c = a->c;
	struct nl_link_req req = {.kind = "vrf", .name = c->vrf_name};
	uint32_t table = c->table;
	int r;

	r = vrf_find(a->cont, c->vrf_name, &a->vrf, err);
	if (r == 0) {
		if (c->table && a->vrf.vrf_table != c->table)
			return cni_err_set(err, CNI_ERR_INTERNAL,
					   "VRF %s already exist with different routing table %u",
					   c->vrf_name, a->vrf.vrf_table);
		return 0;
	}
	if (r != -ENODEV)
		return r;
	cni_err_clear(err);
	if (!table) {
		r = vrf_free_table(a->cont, &table, err);
		if (r < 0)
			return r;
	}
	req.data[req.n_data++] = (struct nl_link_data){IFLA_VRF_TABLE, 4, table};
	r = nl_link_add(a->cont, &req, err);
	if (r == -EEXIST) {
		/* Another ADD created it meanwhile: use it as if it had been there. */
		cni_err_clear(err);
		r = vrf_find(a->cont, c->vrf_name, &a->vrf, err);
		if (r == 0 && c->table && a->vrf.vrf_table != c->table)
			return cni_err_set(err, CNI_ERR_INTERNAL,
					   "VRF %s already exist with different routing table %u",
					   c->vrf_name, a->vrf.vrf_table);
		return r;
	}
	if (r < 0)
		return cni_err_prefix(err, "could not add VRF %s", c->vrf_name);
	r = nl_link_get_by_name(a->cont, c->vrf_name, &a->vrf, err);
	if (r < 0)
		return cni_err_prefix(err, "could not add VRF %s", c->vrf_name);
	a->created = true;
	r = nl_link_set_up(a->cont, a->vrf.index, true, err);
	if (r < 0)
		return cni_err_prefix(err, "could not set link up for VRF %s", c->vrf_name);
	return 0;
}

/* ---- what enslaving drops ------------------------------------------------------------------ */

/* Save the link's global IPv6 addresses and its main-table routes but the kernel's own (it
 * makes those again from the addresses) and host-scoped ones: single-path ones through the
 * link (of scope universe, and of scope link: routes without gateway someone added), and
 * every multipath route with a nexthop through it, all of its nexthops. */
static int add_save(struct add_ctx *a, struct cni_err *err)
{
	_cleanup_free_ struct nl_route *routes = NULL;
	_cleanup_free_ struct nl_addr *addrs = NULL;
	size_t n = 0, cap = 0;
	int idx = a->link.index;
	int r;

	r = nl_addr_list(a->cont, AF_INET6, idx, &addrs, &n, err);
	if (r < 0)
		return cni_err_prefix(err,
				      "failed getting global ipv6 addresses before slaving "
				      "interface: failed getting list of IP addresses for %s",
				      a->args->ifname);
	for (size_t i = 0; i < n; i++)
		if (addrs[i].scope == RT_SCOPE_UNIVERSE && addrs[i].ifindex == idx)
			addrs[a->n_addrs++] = addrs[i];
	a->addrs = TAKE_PTR(addrs);
	r = nl_route_list(a->cont, AF_UNSPEC, 0, RT_TABLE_MAIN, &routes, &n, err);
	if (r < 0)
		return cni_err_prefix(err, "failed getting all routes for %s", a->args->ifname);
	for (size_t i = 0, g; i < n; i += g) {
		bool through = false;

		g = nl_route_group_len(routes, n, i);
		if (routes[i].scope >= RT_SCOPE_HOST || routes[i].protocol == RTPROT_KERNEL)
			continue;
		for (size_t j = 0; j < g; j++)
			through |= routes[i + j].oif == idx;
		if (!through)
			continue;
		if (ARRAY_RESERVE(a->routes, cap, a->n_routes + g) < 0)
			return cni_err_nomem(err);
		memcpy(&a->routes[a->n_routes], &routes[i], g * sizeof(*routes));
		a->n_routes += g;
	}
	return 0;
}

/* Whether addr (family AF_INET6) is among the n addresses of list. */
static const struct nl_addr *addr_find(const struct nl_addr *list, size_t n,
				       const struct nl_addr *addr)
{
	for (size_t i = 0; i < n; i++)
		if (list[i].prefix_len == addr->prefix_len &&
		    memcmp(list[i].addr, addr->addr, 16) == 0)
			return &list[i];
	return NULL;
}

/* Add the saved global IPv6 addresses the link lost. */
static int restore_addrs(struct add_ctx *a, bool in_vrf, struct cni_err *err)
{
	_cleanup_free_ struct nl_addr *now = NULL;
	size_t n = 0;
	int r;

	if (!a->n_addrs)
		return 0;
	r = nl_addr_list(a->cont, AF_INET6, a->link.index, &now, &n, err);
	if (r < 0)
		return cni_err_prefix(err,
				      "failed getting global ipv6 addresses after slaving "
				      "interface: failed getting list of IP addresses for %s",
				      a->args->ifname);
	for (size_t i = 0; i < a->n_addrs; i++) {
		struct nl_addr add = a->addrs[i];
		char t[IP_STRLEN];

		if (addr_find(now, n, &add))
			continue;
		add.flags &= ADDR_SETTABLE_FLAGS;
		r = nl_addr_add(a->cont, &add, err);
		if (r < 0 && r != -EEXIST)
			return cni_err_prefix(
				err, "could not restore address %s to %s%s%s",
				addr_text(AF_INET6, add.addr, add.prefix_len, t, sizeof(t)),
				a->args->ifname, in_vrf ? " @ " : "", in_vrf ? a->vrf.name : "");
		cni_err_clear(err);
	}
	return 0;
}

/* Whether every saved global IPv6 address is usable in the VRF: 1 when each is on the link,
 * not tentative, with its local route in the VRF's table through the link; 0 not yet; -errno
 * for a failed duplicate address detection or a failed lookup. *ret_missing names the first
 * address still waited for. */
static int addrs_ready(struct add_ctx *a, const struct nl_addr **ret_missing, struct cni_err *err)
{
	_cleanup_free_ struct nl_route *routes = NULL;
	_cleanup_free_ struct nl_addr *now = NULL;
	size_t n_now = 0, n_routes = 0;
	char t[IP_STRLEN];
	int r;

	r = nl_addr_list(a->cont, AF_INET6, a->link.index, &now, &n_now, err);
	if (r == 0)
		r = nl_route_list(a->cont, AF_INET6, a->link.index, a->vrf.vrf_table, &routes,
				  &n_routes, err);
	if (r < 0)
		return cni_err_prefix(err, "failed getting routes for %s table %u", a->args->ifname,
				      a->vrf.vrf_table);
	for (size_t i = 0; i < a->n_addrs; i++) {
		const struct nl_addr *want = &a->addrs[i];
		const struct nl_addr *got = addr_find(now, n_now, want);
		bool local = false;

		*ret_missing = want;
		if (got && (got->flags & IFA_F_DADFAILED))
			return cni_err_set_errno(
				err, CNI_ERR_INTERNAL, EADDRNOTAVAIL,
				"failed getting local/host addresses for %s in table %u with dst "
				"%s: duplicate address detection failed",
				a->args->ifname, a->vrf.vrf_table,
				addr_text(AF_INET6, want->addr, want->prefix_len, t, sizeof(t)));
		if (!got || (got->flags & IFA_F_TENTATIVE))
			return 0;
		for (size_t j = 0; j < n_routes && !local; j++)
			local = routes[j].dst_len == 128 &&
				memcmp(routes[j].dst, want->addr, 16) == 0;
		if (!local)
			return 0;
	}
	return 1;
}

/* Wait, on the kernel's notifications, until the saved global IPv6 addresses are usable in
 * the VRF, at most VRF_ADDR_WAIT_MS. A link without carrier is not waited for: duplicate
 * address detection waits for the carrier. */
static int wait_addrs(struct add_ctx *a, struct cni_err *err)
{
	int64_t deadline = nl_monotonic_ms() + VRF_ADDR_WAIT_MS;
	const struct nl_addr *missing = NULL;
	char t[IP_STRLEN];

	if (!a->n_addrs)
		return 0;
	for (;;) {
		struct nl_link l;
		int r = addrs_ready(a, &missing, err);

		if (r != 0)
			return r < 0 ? r : 0;
		r = nl_link_get_by_index(a->cont, a->link.index, &l, err);
		if (r < 0)
			return cni_err_prefix(err, "could not get link by name %s",
					      a->args->ifname);
		if (!(l.flags & IFF_LOWER_UP) || !(l.flags & IFF_UP))
			return 0;
		r = nl_monitor_wait(a->mon, deadline, err);
		if (r == -ETIMEDOUT)
			return cni_err_set_errno(err, CNI_ERR_INTERNAL, ETIMEDOUT,
						 "failed getting local/host addresses for %s in "
						 "table %u with dst %s",
						 a->args->ifname, a->vrf.vrf_table,
						 addr_text(AF_INET6, missing->addr,
							   missing->prefix_len, t, sizeof(t)));
		if (r < 0)
			return r;
	}
}

/* Copy g entries of group into hops, keeping those through the link (through) or the
 * others; their count. */
static size_t pick_hops(const struct nl_route *group, size_t g, int oif, bool through,
			struct nl_route *hops)
{
	size_t k = 0;

	for (size_t j = 0; j < g; j++)
		if ((group[j].oif == oif) == through)
			hops[k++] = group[j];
	return k;
}

/* Put the saved routes into the VRF's table: single-path routes as they were, multipath
 * routes with the link's nexthops only; the main table keeps a multipath route's other
 * nexthops (the kernel left the link's there). */
static int move_routes(struct add_ctx *a, struct cni_err *err)
{
	_cleanup_free_ struct nl_route *hops = NULL;
	char t[512];
	int r;

	if (!a->n_routes)
		return 0;
	hops = calloc(a->n_routes, sizeof(*hops));
	if (!hops)
		return cni_err_nomem(err);
	for (size_t i = 0, g; i < a->n_routes; i += g) {
		const struct nl_route *group = &a->routes[i];
		size_t k;

		g = nl_route_group_len(a->routes, a->n_routes, i);
		k = pick_hops(group, g, a->link.index, true, hops);
		hops[0].table = a->vrf.vrf_table;
		hops[0].replace = true;
		hops[0].excl = false;
		if (group[0].multipath)
			r = nl_route_add_multipath(a->cont, hops, k, err);
		else
			r = nl_route_add(a->cont, hops, err);
		if (r < 0)
			return cni_err_prefix(
				err, "could not add route '%s'",
				route_text(hops, group[0].multipath ? k : 1, t, sizeof(t)));
		if (!group[0].multipath)
			continue;
		a->main_changed = true;
		k = pick_hops(group, g, a->link.index, false, hops);
		hops[0].replace = true;
		if (k) {
			r = nl_route_add_multipath(a->cont, hops, k, err);
		} else {
			struct nl_route del = group[0];

			del.has_gw = false;
			del.oif = 0;
			r = nl_route_del(a->cont, &del, err);
		}
		if (r == -ESRCH) {
			cni_err_clear(err);
			r = 0;
		}
		if (r < 0)
			return cni_err_prefix(err, "could not remove the nexthops of %s from '%s'",
					      a->args->ifname, route_text(group, g, t, sizeof(t)));
	}
	return 0;
}

/* Undo of a failed ADD: the link out of the VRF, its addresses and main-table routes back,
 * a VRF this ADD created deleted when empty. Failures are warnings. */
static void add_undo(struct add_ctx *a)
{
	const struct cni_log *log = a->args->log;
	struct cni_err e = {0};

	if (a->enslaved) {
		if (nl_link_set_master(a->cont, a->link.index, 0, &e) < 0)
			cni_warn_err(log, &e, "could not take %s out of VRF %s", a->args->ifname,
				     a->vrf.name);
		cni_err_clear(&e);
		if (restore_addrs(a, false, &e) < 0)
			cni_warn_err(log, &e, "could not put the IPv6 addresses back");
		cni_err_clear(&e);
	}
	if (a->enslaved || a->main_changed) {
		for (size_t i = 0, g; i < a->n_routes; i += g) {
			struct nl_route *group = &a->routes[i];

			g = nl_route_group_len(a->routes, a->n_routes, i);
			group[0].replace = true;
			if ((group[0].multipath ? nl_route_add_multipath(a->cont, group, g, &e)
						: nl_route_add(a->cont, group, &e)) < 0)
				cni_warn_err(log, &e, "could not put a route of %s back",
					     a->args->ifname);
			cni_err_clear(&e);
		}
	}
	if (a->created && vrf_delete_if_empty(a->cont, &a->vrf, &e) < 0)
		cni_warn_err(log, &e, "could not delete VRF %s", a->vrf.name);
}

/* Everything ADD does inside the container's namespace. */
static int add_in_netns(struct add_ctx *a, struct cni_err *err)
{
	static const unsigned int groups[] = {RTNLGRP_LINK, RTNLGRP_IPV6_IFADDR,
					      RTNLGRP_IPV6_ROUTE};
	const char *ifname = a->args->ifname;
	struct nl_link master;
	int r;

	r = add_vrf(a, err);
	if (r < 0)
		return r;
	r = nl_link_get_by_name(a->cont, ifname, &a->link, err);
	if (r < 0)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, -r, "could not get link by name %s",
					 ifname);
	if (a->link.master) {
		struct cni_err e = {0};

		if (nl_link_get_by_index(a->cont, a->link.master, &master, &e) < 0)
			return cni_err_set(err, CNI_ERR_INTERNAL,
					   "interface %s has already a master set, could not "
					   "retrieve the name: %s",
					   ifname, e.msg);
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "interface %s has already a master set: %s", ifname,
				   master.name);
	}
	r = add_save(a, err);
	if (r < 0)
		return r;
	/* Subscribed before enslaving: no notification of the addresses can be missed. */
	if (a->n_addrs) {
		r = nl_monitor_open(a->netns_fd, groups, ARRAY_SIZE(groups), &a->mon, err);
		if (r < 0)
			return r;
	}
	r = nl_link_set_master(a->cont, a->link.index, a->vrf.index, err);
	if (r < 0)
		return cni_err_prefix(err, "could not set vrf %s as master of %s", a->vrf.name,
				      ifname);
	a->enslaved = true;
	r = restore_addrs(a, true, err);
	if (r == 0)
		r = wait_addrs(a, err);
	if (r == 0)
		r = move_routes(a, err);
	return r;
}

static int vrf_cmd_add(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(vrf_conf_freep) struct vrf_conf *c = NULL;
	_cleanup_(add_ctx_clear) struct add_ctx a = {.args = args, .netns_fd = -1};
	_cleanup_free_ char *out = NULL;
	int r;

	r = vrf_conf_load(args, VRF_LOAD_FULL, &c, err);
	if (r < 0)
		return r;
	if (!c->prev)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
				   "missing prevResult from earlier plugin");
	a.c = c;
	/* The result first: nothing can fail after the namespace is changed. */
	r = cni_result_print(c->prev, c->cni_version, &out, err);
	if (r < 0)
		return r;
	r = netns_open_container(args->netns, NETNS_BARE, &a.netns_fd, &a.cont, err);
	if (r < 0)
		return cni_err_prefix(err, "cmdAdd failed");
	r = add_in_netns(&a, err);
	if (r < 0) {
		add_undo(&a);
		return cni_err_prefix(err, "cmdAdd failed");
	}
	*ret_out = TAKE_PTR(out);
	return 0;
}

/* ---- DEL, CHECK --------------------------------------------------------------------------- */

static int vrf_cmd_del(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(vrf_conf_freep) struct vrf_conf *c = NULL;
	_cleanup_nl_close_ struct nl_sock *cont = NULL;
	struct nl_link vrf, l;
	int r;

	r = vrf_conf_load(args, VRF_LOAD_DEL, &c, err);
	if (r < 0)
		return r;
	if (!args->netns[0])
		return 0;
	r = netns_open_container(args->netns, NETNS_GONE_OK | NETNS_BARE, NULL, &cont, err);
	if (r != 0)
		return r < 0 ? r : 0;
	r = vrf_find(cont, c->vrf_name, &vrf, err);
	if (r == -ENODEV || (r < 0 && ifname_check(c->vrf_name) != IFNAME_OK)) {
		cni_err_clear(err);
		return 0;
	}
	if (r < 0)
		return r;
	r = nl_link_get_by_name(cont, args->ifname, &l, err);
	if (r == 0 && l.master == vrf.index) {
		r = nl_link_set_master(cont, l.index, 0, err);
		if (r < 0 && r != -ENODEV)
			return cni_err_set_errno(err, CNI_ERR_INTERNAL, -r,
						 "resetMaster: could reset master to %s",
						 args->ifname);
	}
	if (r < 0 && r != -ENODEV)
		return r;
	cni_err_clear(err);
	return vrf_delete_if_empty(cont, &vrf, err);
}

static int vrf_cmd_check(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(vrf_conf_freep) struct vrf_conf *c = NULL;
	_cleanup_nl_close_ struct nl_sock *cont = NULL;
	struct nl_link vrf, l;
	int r;

	r = vrf_conf_load(args, VRF_LOAD_FULL, &c, err);
	if (r < 0)
		return r;
	if (!c->prev)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
				   "missing prevResult from earlier plugin");
	r = netns_open_container(args->netns, NETNS_BARE, NULL, &cont, err);
	if (r < 0)
		return r;
	r = vrf_find(cont, c->vrf_name, &vrf, err);
	if (r == -ENODEV)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, ENODEV,
					 "failed to find VRF %s: Link not found", c->vrf_name);
	if (r < 0)
		return r;
	if (c->table && vrf.vrf_table != c->table)
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "VRF %s has routing table %u, not the configured %u",
				   c->vrf_name, vrf.vrf_table, c->table);
	r = nl_link_get_by_name(cont, args->ifname, &l, err);
	if ((r == 0 && l.master != vrf.index) || r == -ENODEV)
		return cni_err_set(err, CNI_ERR_INTERNAL, "failed to find %s associated to vrf %s",
				   args->ifname, c->vrf_name);
	return r;
}

const struct cni_plugin vrf_plugin = {
	.name = "vrf", .add = vrf_cmd_add, .del = vrf_cmd_del, .check = vrf_cmd_check,
	/* STATUS: nothing to ask. GC: a VRF belongs to its container's namespace and goes
	 * with it. */
};
