/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The sbr plugin: source-based routing for the container interface CNI_IFNAME, chained after
 * the plugin that configured it. Each of its addresses gets a routing table of its own (the
 * first id from 100 that no rule uses) and a rule "from <address> lookup <table>"; the table
 * gets a default route via the address's gateway and a copy of the link's main-table routes,
 * which then leave the main table. With "table", only the rules are made, into that table.
 *
 * Concurrent runs in one namespace are serialised by an exclusive flock() on the namespace's
 * own file descriptor: nothing is created at the namespace path (the reference opens it with
 * O_CREAT, leaving a file behind when the namespace is gone).
 */
#include "sbr/sbr.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>

#include "array.h"
#include "cleanup.h"
#include "ipnet.h"
#include "cni/result.h"
#include "net/netns.h"
#include "net/nl.h"
#include "net/nl_rule.h"
#include "net/rtnl.h"
#include "sbr/netconf.h"

/* The IPv6 metric the kernel gives a route added without one. */
#define SBR_IP6_DEFAULT_METRIC 1024

/* What ADD changed, to undo it when a later step fails. */
struct sbr_undo {
	struct nl_rule *rules; /* rules added */
	size_t n_rules, cap_rules;
	struct nl_route *added; /* routes added into (or replaced in) the per-address tables */
	size_t n_added, cap_added;
	struct nl_route *hints; /* source-hint routes replaced into the main table */
	size_t n_hints, cap_hints;
	struct nl_route *main; /* the link's main-table routes as they were */
	size_t n_main;
	bool main_touched; /* a route of main was deleted or replaced */
};

static void sbr_undo_free(struct sbr_undo *u)
{
	free(u->rules);
	free(u->added);
	free(u->hints);
	free(u->main);
}

/* The selected addresses of CNI_IFNAME: those without an interface index, with one out of
 * range, or pointing at an interface of that name (the reference's rule). */
struct sbr_ips {
	const struct cni_ip **ips;
	size_t n;
};

static void sbr_ips_free(struct sbr_ips *s)
{
	free(s->ips);
}

static int sbr_select_ips(const struct cni_result *prev, const char *ifname, struct sbr_ips *ret,
			  struct cni_err *err)
{
	size_t i;

	if (!prev->n_ips)
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "No IP addresses supplied on interface: %s", ifname);
	ret->ips = calloc(prev->n_ips, sizeof(*ret->ips));
	if (!ret->ips)
		return cni_err_nomem(err);
	for (i = 0; i < prev->n_ips; i++) {
		const struct cni_ip *ip = &prev->ips[i];

		if (ip->iface >= 0 && (size_t)ip->iface < prev->n_ifaces) {
			const char *name = prev->ifaces[ip->iface].name;

			if (strcmp(name ? name : "", ifname) != 0)
				continue;
		}
		ret->ips[ret->n++] = ip;
	}
	return 0;
}

/* Take the namespace's lock: mode LOCK_EX for changes, LOCK_SH for CHECK. */
static int sbr_lock(int netns_fd, const char *path, int mode, struct cni_err *err)
{
	while (flock(netns_fd, mode) < 0) {
		if (errno != EINTR)
			return cni_err_syscall(err, CNI_ERR_INTERNAL, errno,
					       "failed to lock netns \"%s\"", path);
	}
	return 0;
}

/* A rule "from ip/32 (or /128) lookup table". */
static void sbr_rule_for(const struct ip_addr *ip, uint32_t table, struct nl_rule *r)
{
	memset(r, 0, sizeof(*r));
	r->family = ip->family;
	memcpy(r->src, ip->a, 16);
	r->src_len = (uint8_t)ip_bits(ip);
	r->table = table;
}

static bool sbr_table_used(const struct nl_rule *rules, size_t n, uint32_t table)
{
	size_t i;

	/* default, main and local: never ours, whatever rules say. */
	if (table >= RT_TABLE_DEFAULT && table <= RT_TABLE_LOCAL)
		return true;
	for (i = 0; i < n; i++)
		if (rules[i].table == table)
			return true;
	return false;
}

/* The first table from candidate on that no rule uses. */
static uint32_t sbr_next_table(const struct nl_rule *rules, size_t n, uint32_t candidate)
{
	while (sbr_table_used(rules, n, candidate))
		candidate++;
	return candidate;
}

static bool route_addr_in(const struct ip_net *net, int family, const uint8_t *a)
{
	struct ip_addr x = {.family = family};

	if (family != net->ip.family)
		return false;
	memcpy(x.a, a, 16);
	return ipnet_contains(net, &x);
}

/* Whether a main-table route of the link goes into the table of address net: its source or
 * gateway is in the address's prefix, or it has neither (the reference's rule); also, for an
 * IPv6 address, a route via a link-local gateway, usable from any address of the link (the
 * reference leaves such a default route, from router advertisements or IPAM, behind). */
static bool sbr_route_moves(const struct nl_route *r, const struct ip_net *net)
{
	if (r->has_src && route_addr_in(net, r->family, r->src))
		return true;
	if (r->has_gw && route_addr_in(net, r->family, r->gw))
		return true;
	if (!r->has_src && !r->has_gw)
		return true;
	return net->ip.family == AF_INET6 && r->family == AF_INET6 && r->has_gw &&
	       r->gw[0] == 0xfe && (r->gw[1] & 0xc0) == 0x80;
}

static int sbr_push_route(struct nl_route **v, size_t *n, size_t *cap, const struct nl_route *r,
			  struct cni_err *err)
{
	if (ARRAY_RESERVE(*v, *cap, *n + 1) < 0)
		return cni_err_nomem(err);
	(*v)[(*n)++] = *r;
	return 0;
}

/* Undo what ADD did, in reverse; every step is best effort. */
static void sbr_rollback(struct nl_sock *sock, struct sbr_undo *u, const struct cni_log *log)
{
	struct cni_err e = {0};
	size_t i;
	int pass;

	for (i = u->n_hints; i-- > 0;) {
		cni_err_clear(&e);
		if (nl_route_del(sock, &u->hints[i], &e) < 0 && e.sys_errno != ESRCH)
			cni_warn_err(log, &e, "could not remove a source-hint route");
	}
	/* The main table's routes back: direct ones first, then those via a gateway (which
	 * the kernel checks against the direct ones). One still there is left alone. */
	for (pass = 0; u->main_touched && pass < 2; pass++) {
		for (i = 0; i < u->n_main; i++) {
			struct nl_route r = u->main[i];

			if (r.has_gw != (pass == 1))
				continue;
			r.excl = false;
			r.replace = false;
			cni_err_clear(&e);
			if (nl_route_add(sock, &r, &e) < 0 && e.sys_errno != EEXIST)
				cni_warn_err(log, &e,
					     "could not restore a route of the main table");
		}
	}
	for (i = u->n_added; i-- > 0;) {
		cni_err_clear(&e);
		if (nl_route_del(sock, &u->added[i], &e) < 0 && e.sys_errno != ESRCH)
			cni_warn_err(log, &e, "could not remove a route of table %u",
				     u->added[i].table);
	}
	for (i = u->n_rules; i-- > 0;) {
		cni_err_clear(&e);
		if (nl_rule_del(sock, &u->rules[i], &e) < 0 && e.sys_errno != ENOENT)
			cni_warn_err(log, &e, "could not remove a rule of table %u",
				     u->rules[i].table);
	}
}

static int sbr_add_rule(struct nl_sock *sock, struct sbr_undo *u, const struct ip_addr *ip,
			uint32_t table, const char *what, struct cni_err *err)
{
	struct nl_rule rule;
	int r;

	sbr_rule_for(ip, table, &rule);
	r = nl_rule_add(sock, &rule, err);
	if (r < 0)
		return cni_err_prefix(err, "%s", what);
	if (ARRAY_RESERVE(u->rules, u->cap_rules, u->n_rules + 1) < 0) {
		struct cni_err e = {0};

		(void)nl_rule_del(sock, &rule, &e);
		return cni_err_nomem(err);
	}
	u->rules[u->n_rules++] = rule;
	return 0;
}

/* The gateway of ip's table: the static one of its family, else its own; NULL for none. */
static const struct ip_addr *sbr_gateway(const struct sbr_conf *c, const struct cni_ip *ip)
{
	const struct ip_addr *st = ip->address.ip.family == AF_INET ? &c->gw4 : &c->gw6;

	if (st->family)
		return st;
	if (ip->gateway.family)
		return &ip->gateway;
	return NULL;
}

/* The default route of an address's table via gw through the link. */
static void sbr_default_route(int family, const struct ip_addr *gw, int oif, uint32_t table,
			      struct nl_route *r)
{
	memset(r, 0, sizeof(*r));
	r->family = family;
	r->has_gw = true;
	memcpy(r->gw, gw->a, 16);
	r->oif = oif;
	r->table = table;
}

/* The main-table route to the prefix of ip through the link, preferring ip as source. */
static void sbr_hint_route(const struct ip_net *ip, int oif, struct nl_route *r)
{
	struct ip_net net = ipnet_network(ip);

	memset(r, 0, sizeof(*r));
	r->family = ip->ip.family;
	memcpy(r->dst, net.ip.a, 16);
	r->dst_len = (uint8_t)ip->prefix;
	r->has_src = true;
	memcpy(r->src, ip->ip.a, 16);
	r->oif = oif;
	r->table = RT_TABLE_MAIN;
	r->scope = RT_SCOPE_LINK;
}

/* The reference's doRoutes: rules, default routes and the link's routes per address. */
static int sbr_do_routes(struct nl_sock *sock, const struct sbr_conf *c, const struct sbr_ips *s,
			 const char *ifname, struct sbr_undo *u, const struct cni_log *log,
			 struct cni_err *err)
{
	_cleanup_free_ struct nl_rule *rules = NULL;
	struct nl_route *routes;
	char gbuf[IP_STRLEN];
	struct nl_link link;
	size_t n_rules, n_routes, i, j;
	uint32_t table;
	int r;

	r = nl_rule_list(sock, AF_UNSPEC, 0, &rules, &n_rules, err);
	if (r < 0)
		return cni_err_prefix(err, "Failed to list all rules");
	table = sbr_next_table(rules, n_rules, SBR_FIRST_TABLE);
	cni_log(log, CNI_LOG_DEBUG, "first unreferenced table: %u", table);
	r = nl_link_get_by_name(sock, ifname, &link, err);
	if (r < 0)
		return cni_err_prefix(err, "Cannot find network interface %s", ifname);
	r = nl_route_list(sock, AF_UNSPEC, link.index, RT_TABLE_MAIN, &u->main, &u->n_main, err);
	if (r < 0)
		return cni_err_prefix(err, "Unable to list routes");
	routes = u->main;
	n_routes = u->n_main;

	for (i = 0; i < s->n; i++) {
		const struct cni_ip *ip = s->ips[i];
		const struct ip_addr *gw = sbr_gateway(c, ip);

		r = sbr_add_rule(sock, u, &ip->address.ip, table, "Failed to add rule", err);
		if (r < 0)
			return r;
		cni_log(log, CNI_LOG_INFO, "rule from %s lookup %u added",
			ip_format(&ip->address.ip, gbuf, sizeof(gbuf)), table);
		if (gw) {
			struct nl_route d;

			sbr_default_route(ip->address.ip.family, gw, link.index, table, &d);
			/* No rule uses the table, so what it holds is stale (a DEL that left
			 * its routes): replace its default route rather than add a second. */
			d.replace = true;
			r = nl_route_add(sock, &d, err);
			if (r < 0)
				return cni_err_prefix(err, "Failed to add default route to %s",
						      ip_format(gw, gbuf, sizeof(gbuf)));
			d.replace = false;
			r = sbr_push_route(&u->added, &u->n_added, &u->cap_added, &d, err);
			if (r < 0)
				return r;
		}
		for (j = 0; j < n_routes; j++) {
			struct nl_route copy = routes[j];

			if (!sbr_route_moves(&copy, &ip->address))
				continue;
			copy.table = table;
			copy.replace = true;
			copy.excl = false;
			copy.multipath = false;
			r = nl_route_add(sock, &copy, err);
			if (r < 0)
				return cni_err_prefix(err, "Failed to readd route");
			copy.replace = false;
			r = sbr_push_route(&u->added, &u->n_added, &u->cap_added, &copy, err);
			if (r < 0)
				return r;
		}
		table = sbr_next_table(rules, n_rules, table + 1);
	}

	if (c->add_source_hints) {
		struct cni_err e = {0};

		for (i = 0; i < s->n; i++) {
			struct nl_route h;

			sbr_hint_route(&s->ips[i]->address, link.index, &h);
			h.replace = true;
			u->main_touched = true;
			cni_err_clear(&e);
			if (nl_route_add(sock, &h, &e) < 0) {
				cni_warn_err(log, &e, "Failed to add subnet route to main table");
				continue;
			}
			h.replace = false;
			h.scope = RT_SCOPE_NOWHERE;
			/* An IPv6 route added without a metric has the kernel's default. */
			if (h.family == AF_INET6)
				h.priority = SBR_IP6_DEFAULT_METRIC;
			r = sbr_push_route(&u->hints, &u->n_hints, &u->cap_hints, &h, err);
			if (r < 0)
				return r;
		}
		for (i = 0; i < n_routes; i++) {
			if (routes[i].scope == RT_SCOPE_LINK)
				continue;
			cni_err_clear(&e);
			if (nl_route_del(sock, &routes[i], &e) < 0 && e.sys_errno != ESRCH)
				cni_warn_err(log, &e, "Failed to delete route");
		}
		return 0;
	}
	for (i = 0; i < n_routes; i++) {
		u->main_touched = true;
		r = nl_route_del(sock, &routes[i], err);
		/* Gone already (the kernel took it with another): that is what we wanted. */
		if (r < 0 && err->sys_errno != ESRCH)
			return cni_err_prefix(err, "Failed to delete route");
		cni_err_clear(err);
	}
	return 0;
}

static int sbr_cmd_add(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(sbr_conf_freep) struct sbr_conf *c = NULL;
	_cleanup_close_ int netns_fd = -1;
	_cleanup_nl_close_ struct nl_sock *sock = NULL;
	_cleanup_free_ char *text = NULL;
	struct sbr_ips s = {0};
	struct sbr_undo u = {0};
	size_t i;
	int r;

	if (sbr_conf_load(args, SBR_LOAD_FULL, &c, err) < 0)
		return cni_err_ret(err);
	if (!c->prev)
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "This plugin must be called as chained plugin");
	r = sbr_select_ips(c->prev, args->ifname, &s, err);
	if (r < 0)
		goto out;
	r = netns_open_container(args->netns, 0, &netns_fd, &sock, err);
	if (r < 0)
		goto out;
	r = sbr_lock(netns_fd, args->netns, LOCK_EX, err);
	if (r < 0)
		goto out;
	if (c->has_table) {
		for (i = 0; i < s.n && r >= 0; i++)
			r = sbr_add_rule(sock, &u, &s.ips[i]->address.ip, c->table,
					 "failed to add rule", err);
	} else {
		r = sbr_do_routes(sock, c, &s, args->ifname, &u, args->log, err);
	}
	if (r >= 0)
		r = cni_result_print(c->prev, c->cni_version, &text, err);
	if (r < 0) {
		sbr_rollback(sock, &u, args->log);
		goto out;
	}
	*ret_out = TAKE_PTR(text);
out:
	sbr_undo_free(&u);
	sbr_ips_free(&s);
	return r;
}

/* Remove the routes sbr put into table through the link (the default route and the copies),
 * unless another rule still sends traffic there. Best effort: returns nothing. */
static void sbr_tidy_table(struct nl_sock *sock, uint32_t table, int oif,
			   const struct nl_rule *rules, size_t n_rules, const bool *deleted,
			   const struct cni_log *log)
{
	_cleanup_free_ struct nl_route *routes = NULL;
	struct cni_err e = {0};
	size_t i, n;

	if (table >= RT_TABLE_DEFAULT && table <= RT_TABLE_LOCAL)
		return;
	for (i = 0; i < n_rules; i++)
		if (!deleted[i] && rules[i].table == table)
			return;
	if (nl_route_list(sock, AF_UNSPEC, oif, table, &routes, &n, &e) < 0) {
		cni_warn_err(log, &e, "could not list the routes of table %u", table);
		return;
	}
	for (i = 0; i < n; i++) {
		cni_err_clear(&e);
		if (nl_route_del(sock, &routes[i], &e) < 0 && e.sys_errno != ESRCH)
			cni_warn_err(log, &e, "could not remove a route of table %u", table);
	}
}

static int sbr_cmd_del(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(sbr_conf_freep) struct sbr_conf *c = NULL;
	_cleanup_close_ int netns_fd = -1;
	_cleanup_nl_close_ struct nl_sock *sock = NULL;
	_cleanup_free_ struct nl_rule *rules = NULL;
	_cleanup_free_ struct nl_addr *addrs = NULL;
	_cleanup_free_ bool *deleted = NULL;
	struct cni_err last = {0};
	struct nl_link link;
	size_t n_rules, n_addrs, i, j;
	int r;

	if (sbr_conf_load(args, SBR_LOAD_DEL, &c, err) < 0)
		return cni_err_ret(err);
	if (!*args->netns)
		return 0;
	r = netns_open_container(args->netns, NETNS_GONE_OK, &netns_fd, &sock, err);
	if (r != 0)
		return r < 0 ? r : 0;
	r = sbr_lock(netns_fd, args->netns, LOCK_EX, err);
	if (r < 0)
		return r;
	r = nl_rule_list(sock, AF_UNSPEC, c->has_table ? c->table : 0, &rules, &n_rules, err);
	if (r < 0) {
		if (c->has_table)
			return cni_err_prefix(err, "failed to list rules of table %u to tidy",
					      c->table);
		return cni_err_prefix(err, "Failed to list all rules to tidy");
	}
	r = nl_link_get_by_name(sock, args->ifname, &link, err);
	if (r == -ENODEV) {
		cni_err_clear(err);
		return 0;
	}
	if (r < 0)
		return cni_err_prefix(err, "Failed to get link %s", args->ifname);
	r = nl_addr_list(sock, AF_UNSPEC, link.index, &addrs, &n_addrs, err);
	if (r < 0)
		return cni_err_prefix(err, "Failed to list all addrs");
	deleted = calloc(n_rules ? n_rules : 1, sizeof(*deleted));
	if (!deleted)
		return cni_err_nomem(err);
	for (i = 0; i < n_rules; i++) {
		const struct nl_rule *rule = &rules[i];

		if (!rule->src_len)
			continue;
		for (j = 0; j < n_addrs; j++) {
			struct cni_err e = {0};

			if (addrs[j].family != rule->family ||
			    memcmp(addrs[j].addr, rule->src, rule->family == AF_INET ? 4 : 16) != 0)
				continue;
			if (nl_rule_del(sock, rule, &e) < 0 && e.sys_errno != ENOENT) {
				last = e;
				cni_err_prefix(&last, "Failed to delete rule");
			} else {
				deleted[i] = true;
			}
			break;
		}
	}
	/* Without "table" the tables were ours: their routes go with the rules, so that a DEL
	 * not followed by the link's removal leaves nothing behind. */
	if (!c->has_table) {
		for (i = 0; i < n_rules; i++) {
			bool seen = false;

			if (!deleted[i])
				continue;
			for (j = 0; j < i && !seen; j++)
				seen = deleted[j] && rules[j].table == rules[i].table;
			if (!seen)
				sbr_tidy_table(sock, rules[i].table, link.index, rules, n_rules,
					       deleted, args->log);
		}
	}
	if (cni_err_isset(&last)) {
		*err = last;
		return cni_err_ret(err);
	}
	return 0;
}

/* The rule of ip: in table (any table but main, local and default when 0). */
static const struct nl_rule *sbr_find_rule(const struct nl_rule *rules, size_t n,
					   const struct ip_addr *ip, uint32_t table)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct nl_rule *r = &rules[i];

		if (r->family != ip->family || r->src_len != ip_bits(ip) ||
		    memcmp(r->src, ip->a, (size_t)ip_len(ip)) != 0 || r->dst_len ||
		    r->other_selectors || r->action != FR_ACT_TO_TBL)
			continue;
		if (table ? r->table == table
			  : !(r->table >= RT_TABLE_DEFAULT && r->table <= RT_TABLE_LOCAL))
			return r;
	}
	return NULL;
}

static bool sbr_has_route(const struct nl_route *routes, size_t n, const struct nl_route *want)
{
	size_t len = want->family == AF_INET ? 4 : 16;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct nl_route *r = &routes[i];

		if (r->family != want->family || r->dst_len != want->dst_len ||
		    memcmp(r->dst, want->dst, len) != 0 || r->oif != want->oif)
			continue;
		if (want->has_gw && (!r->has_gw || memcmp(r->gw, want->gw, len) != 0))
			continue;
		if (want->has_src && (!r->has_src || memcmp(r->src, want->src, len) != 0))
			continue;
		return true;
	}
	return false;
}

static int sbr_cmd_check(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(sbr_conf_freep) struct sbr_conf *c = NULL;
	_cleanup_close_ int netns_fd = -1;
	_cleanup_nl_close_ struct nl_sock *sock = NULL;
	_cleanup_free_ struct nl_rule *rules = NULL;
	_cleanup_free_ struct nl_route *main_routes = NULL;
	char abuf[IP_STRLEN], gbuf[IP_STRLEN];
	struct sbr_ips s = {0};
	struct nl_link link;
	size_t n_rules, n_main = 0, i;
	int r;

	if (sbr_conf_load(args, SBR_LOAD_FULL, &c, err) < 0)
		return cni_err_ret(err);
	if (!c->prev)
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "This plugin must be called as chained plugin");
	r = sbr_select_ips(c->prev, args->ifname, &s, err);
	if (r < 0)
		goto out;
	r = netns_open_container(args->netns, 0, &netns_fd, &sock, err);
	if (r < 0)
		goto out;
	r = sbr_lock(netns_fd, args->netns, LOCK_SH, err);
	if (r < 0)
		goto out;
	r = nl_link_get_by_name(sock, args->ifname, &link, err);
	if (r < 0) {
		cni_err_prefix(err, "Cannot find network interface %s", args->ifname);
		goto out;
	}
	r = nl_rule_list(sock, AF_UNSPEC, 0, &rules, &n_rules, err);
	if (r < 0) {
		cni_err_prefix(err, "Failed to list all rules");
		goto out;
	}
	if (c->add_source_hints && !c->has_table) {
		r = nl_route_list(sock, AF_UNSPEC, link.index, RT_TABLE_MAIN, &main_routes, &n_main,
				  err);
		if (r < 0) {
			cni_err_prefix(err, "Unable to list routes");
			goto out;
		}
	}
	for (i = 0; i < s.n; i++) {
		const struct cni_ip *ip = s.ips[i];
		const struct ip_addr *gw = sbr_gateway(c, ip);
		const struct nl_rule *rule;
		_cleanup_free_ struct nl_route *routes = NULL;
		struct nl_route want;
		size_t n;

		ip_format(&ip->address.ip, abuf, sizeof(abuf));
		rule = sbr_find_rule(rules, n_rules, &ip->address.ip, c->has_table ? c->table : 0);
		if (!rule) {
			if (c->has_table)
				r = cni_err_set(err, CNI_ERR_INTERNAL,
						"rule from %s/%d lookup %u missing", abuf,
						ip_bits(&ip->address.ip), c->table);
			else
				r = cni_err_set(err, CNI_ERR_INTERNAL,
						"rule from %s/%d to a table of its own missing",
						abuf, ip_bits(&ip->address.ip));
			goto out;
		}
		if (c->has_table)
			continue;
		if (gw) {
			r = nl_route_list(sock, ip->address.ip.family, link.index, rule->table,
					  &routes, &n, err);
			if (r < 0) {
				cni_err_prefix(err, "Unable to list routes of table %u",
					       rule->table);
				goto out;
			}
			sbr_default_route(ip->address.ip.family, gw, link.index, rule->table,
					  &want);
			if (!sbr_has_route(routes, n, &want)) {
				r = cni_err_set(err, CNI_ERR_INTERNAL,
						"default route via %s dev %s missing in table %u",
						ip_format(gw, gbuf, sizeof(gbuf)), args->ifname,
						rule->table);
				goto out;
			}
		}
		if (c->add_source_hints) {
			sbr_hint_route(&ip->address, link.index, &want);
			if (!sbr_has_route(main_routes, n_main, &want)) {
				struct ip_net net = ipnet_network(&ip->address);

				r = cni_err_set(err, CNI_ERR_INTERNAL,
						"route %s dev %s src %s missing in the main table",
						ipnet_format(&net, gbuf, sizeof(gbuf)),
						args->ifname, abuf);
				goto out;
			}
		}
	}
	r = 0;
out:
	sbr_ips_free(&s);
	return r;
}

const struct cni_plugin sbr_plugin = {
	.name = "sbr",
	.add = sbr_cmd_add,
	.del = sbr_cmd_del,
	.check = sbr_cmd_check,
	.status = NULL,
	.gc = NULL,
};
