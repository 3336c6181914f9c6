/* SPDX-License-Identifier: Apache-2.0 */
/* The macvlan plugin's verbs: ADD, DEL, CHECK and STATUS, as the reference's macvlan. */
#include "macvlan/macvlan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <net/if.h>
#include <linux/if_link.h>

#include "cleanup.h"
#include "cni/delegate.h"
#include "cni/result.h"
#include "hwaddr.h"
#include "iface/iface.h"
#include "macvlan/netconf.h"
#include "net/netns.h"
#include "net/nl.h"
#include "net/rtnl.h"

/* Per-command state: the config, the sockets and the container namespace. */
struct mv_ctx {
	const struct cni_cmd_args *args; /* the runtime's arguments */
	const struct cni_log *log;	 /* the opt-in log and warnings (args->log) */
	struct macvlan_conf *conf;	 /* parsed config */
	struct nl_sock *host;		 /* rtnetlink in the node's namespace */
	int netns_fd;			 /* the container namespace, -1 if not open */
	struct nl_sock *cont;		 /* rtnetlink in the container namespace */
};

/* The context of one command, before anything is opened. */
#define MV_CTX_INIT(a)                                       \
	{                                                    \
		.args = (a), .log = (a)->log, .netns_fd = -1 \
	}

static void ctx_clear(struct mv_ctx *c)
{
	macvlan_conf_free(c->conf);
	nl_close(c->host);
	nl_close(c->cont);
	if (c->netns_fd >= 0)
		close(c->netns_fd);
}

/* Open CNI_NETNS and a rtnetlink socket inside it. */
static int open_container(struct mv_ctx *c, struct cni_err *err)
{
	return netns_open_container(c->args->netns, 0, &c->netns_fd, &c->cont, err);
}

/*
 * The master and its link: the config's, else prevResult's one named interface (on CHECK
 * not the container interface itself, which is what a CHECK's prevResult names), else the
 * interface of the default route; in the node, or with linkInContainer in the container
 * (which must be open then). Then the config's MTU against the master's.
 */
static int resolve_master(struct mv_ctx *c, bool for_check, struct nl_link *ret,
			  struct cni_err *err)
{
	struct nl_sock *sock = c->conf->link_in_container ? c->cont : c->host;
	char name[NL_IFNAMSIZ];
	const char *master = c->conf->master;
	struct cni_err e = {0};
	int r;

	if (!master) {
		master = iface_master_from_prev(c->conf->prev);
		if (master && for_check && !strcmp(master, c->args->ifname))
			master = NULL;
	}
	if (!master) {
		if (iface_default_route_link(sock, name, err) < 0)
			return cni_err_ret(err);
		master = name;
	}
	r = nl_link_get_by_name(sock, master, ret, &e);
	if (r == -ENODEV)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, r,
					 "failed to lookup master \"%s\": Link not found", master);
	if (r < 0) {
		*err = e;
		return cni_err_prefix(err, "failed to lookup master \"%s\"", master);
	}
	cni_log(c->log, CNI_LOG_INFO, "master '%s' (index %d, mtu %u)%s", ret->name, ret->index,
		ret->mtu, c->conf->link_in_container ? " in the container" : "");
	return macvlan_check_mtu(c->conf, ret->mtu, err);
}

/* Open the node's socket, the container's namespace and resolve the master, in the
 * reference's order: a master of the node is looked up before the namespace is opened. */
static int open_all(struct mv_ctx *c, bool for_check, struct nl_link *master, struct cni_err *err)
{
	if (nl_open(&c->host, err) < 0)
		return cni_err_ret(err);
	if (c->conf->link_in_container) {
		if (open_container(c, err) < 0 || resolve_master(c, for_check, master, err) < 0)
			return cni_err_ret(err);
		return 0;
	}
	if (resolve_master(c, for_check, master, err) < 0 || open_container(c, err) < 0)
		return cni_err_ret(err);
	return 0;
}

/* ---- ADD ------------------------------------------------------------------------------ */

/* Create the macvlan of master in the container, named CNI_IFNAME. */
static int create_link(struct mv_ctx *c, const struct nl_link *master, struct nl_link *ret,
		       struct cni_err *err)
{
	const struct macvlan_conf *conf = c->conf;
	struct nl_link_req req = {
		.kind = "macvlan",
		.link = master->index,
		.mtu = (unsigned int)conf->mtu,
		.data = {{.type = IFLA_MACVLAN_MODE, .size = 4, .value = conf->mode}},
		.n_data = 1,
	};

	if (conf->mac) {
		req.mac = conf->mac_bytes;
		req.mac_len = sizeof(conf->mac_bytes);
	}
	if (conf->bcqueuelen > 0)
		req.data[req.n_data++] = (struct nl_link_data){
			.type = IFLA_MACVLAN_BC_QUEUE_LEN, .size = 4, .value = conf->bcqueuelen};
	/* A master in the node: the node's socket creates the link straight into the
	 * container; a master in the container: the container's own socket creates it. */
	if (!conf->link_in_container) {
		req.has_netns = true;
		req.netns_fd = c->netns_fd;
	}
	if (iface_create_renamed(conf->link_in_container ? c->cont : c->host, &req, c->cont,
				 c->args->ifname, "macvlan", ret, err) < 0)
		return cni_err_ret(err);
	cni_log(c->log, CNI_LOG_INFO, "macvlan '%s' (index %d) of '%s' created, mode %s", ret->name,
		ret->index, master->name, macvlan_mode_name(conf->mode));
	return 0;
}

/* The L3 part of ADD after IPAM: announcements, IPv6 autoconf, addresses, link up,
 * routes. */
static int configure_l3(struct mv_ctx *c, const struct nl_link *link, const struct cni_result *res,
			struct cni_err *err)
{
	const char *ifname = c->args->ifname;
	bool has_v6 = false;

	for (size_t i = 0; i < res->n_ips; i++)
		has_v6 |= res->ips[i].address.ip.family == AF_INET6;
	iface_announce(c->cont, c->netns_fd, link->index, ifname);
	if (!c->conf->accept_ra)
		iface_ipv6_no_autoconf(c->netns_fd, ifname, c->log);
	if (has_v6 && iface_ipv6_enable(c->netns_fd, ifname, err) < 0)
		return cni_err_ret(err);
	if (iface_configure(c->cont, link->index, ifname, res, true, err) < 0)
		return cni_err_ret(err);
	cni_log(c->log, CNI_LOG_INFO, "%zu address(es) and %zu route(s) set on '%s'", res->n_ips,
		res->n_routes, ifname);
	return 0;
}

struct cni_result *macvlan_result(const struct macvlan_conf *conf, const char *ifname,
				  const struct nl_link *link, const char *sandbox,
				  const struct cni_result *ipam)
{
	_cleanup_(cni_result_freep) struct cni_result *res =
		iface_result_new(ifname, link, sandbox, ipam);

	if (!res)
		return NULL;
	/* The config's dns when it says anything, else what IPAM found. */
	if (conf->has_dns) {
		cni_dns_clear(&res->dns);
		if (cni_dns_copy(&res->dns, &conf->dns) < 0)
			return NULL;
	}
	return TAKE_PTR(res);
}

int macvlan_add(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(ctx_clear) struct mv_ctx c = MV_CTX_INIT(args);
	_cleanup_(cni_result_freep) struct cni_result *res = NULL, *ipam = NULL;
	_cleanup_free_ char *text = NULL;
	struct nl_link master, link;
	struct cni_err rb = {0};

	if (macvlan_conf_load(args, MACVLAN_LOAD_FULL, &c.conf, err) < 0 ||
	    open_all(&c, false, &master, err) < 0 || create_link(&c, &master, &link, err) < 0)
		return cni_err_ret(err);

	if (macvlan_conf_is_l3(c.conf)) {
		if (delegate_add(c.conf->ipam_type, args, &ipam, err) < 0) {
			if (cni_err_ret(err) == -ECHILD)
				delegate_undo_add(c.conf->ipam_type, args);
			goto undo_link;
		}
		cni_log(c.log, CNI_LOG_INFO, "IPAM '%s' returned %zu address(es)",
			c.conf->ipam_type, ipam->n_ips);
		if (!ipam->n_ips) {
			cni_err_set(err, CNI_ERR_INTERNAL,
				    "IPAM plugin returned missing IP config");
			goto undo_ipam;
		}
		res = macvlan_result(c.conf, args->ifname, &link, args->netns, ipam);
		if (!res) {
			cni_err_nomem(err);
			goto undo_ipam;
		}
		if (configure_l3(&c, &link, res, err) < 0)
			goto undo_ipam;
	} else {
		res = macvlan_result(c.conf, args->ifname, &link, args->netns, NULL);
		if (!res) {
			cni_err_nomem(err);
			goto undo_link;
		}
		if (nl_link_set_up(c.cont, link.index, true, err) < 0) {
			cni_err_prefix(err, "failed to set \"%s\" UP", args->ifname);
			goto undo_link;
		}
	}
	if (cni_result_print(res, c.conf->cni_version, &text, err) < 0)
		goto undo_ipam;
	*ret_out = TAKE_PTR(text);
	return 0;

undo_ipam:
	if (ipam)
		delegate_undo_add(c.conf->ipam_type, args);
	cni_err_clear(&rb);
undo_link:
	if (nl_link_del(c.cont, link.index, &rb) < 0 && cni_err_ret(&rb) != -ENODEV)
		cni_warn_err(c.log, &rb, "could not delete '%s' after the failed ADD",
			     args->ifname);
	return cni_err_ret(err);
}

/* ---- DEL ------------------------------------------------------------------------------ */

int macvlan_del(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(ctx_clear) struct mv_ctx c = MV_CTX_INIT(args);

	if (macvlan_conf_load(args, MACVLAN_LOAD_DEL, &c.conf, err) < 0)
		return cni_err_ret(err);
	return iface_del(args, macvlan_conf_is_l3(c.conf) ? c.conf->ipam_type : NULL, "macvlan",
			 err);
}

/* ---- CHECK ---------------------------------------------------------------------------- */

/* validateCniContainerInterface: the prevResult interface is a macvlan in the container,
 * of the configured mode and with its MAC. */
static int check_link(struct mv_ctx *c, const struct cni_iface *f, struct cni_err *err)
{
	struct cni_err ign = {0}; /* replaced by the reference's message below */
	char mac[HWADDR_TEXT_MAX];
	const char *have;
	struct nl_link l;

	if (!f->name || !f->name[0])
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "container interface name missing in prevResult: ");
	if (nl_link_get_by_name(c->cont, f->name, &l, &ign) < 0)
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "container Interface name in prevResult: %s not found", f->name);
	if (!f->sandbox || !f->sandbox[0])
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "error: Container interface %s should not be in host namespace",
				   l.name);
	if (strcmp(l.kind, "macvlan") != 0)
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "error: Container interface %s not of type macvlan", l.name);
	if (l.info_mode < 0 || (uint32_t)l.info_mode != c->conf->mode) {
		have = l.info_mode < 0 ? NULL : macvlan_mode_name((uint32_t)l.info_mode);
		if (!have)
			return cni_err_set(err, CNI_ERR_INTERNAL, "unknown macvlan mode: %d",
					   l.info_mode);
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "container macvlan mode %s does not match expected value: %s",
				   have, macvlan_mode_name(c->conf->mode));
	}
	if (!iface_mac_matches(f, &l))
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "interface %s Mac %s doesn't match container Mac: %s", f->name,
				   f->mac, hwaddr_format(l.mac, l.mac_len, mac));
	return 0;
}

int macvlan_check(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(ctx_clear) struct mv_ctx c = MV_CTX_INIT(args);
	const struct cni_iface *f;
	struct nl_link master;

	if (macvlan_conf_load(args, MACVLAN_LOAD_FULL, &c.conf, err) < 0 ||
	    open_all(&c, true, &master, err) < 0)
		return cni_err_ret(err);
	if (macvlan_conf_is_l3(c.conf) &&
	    delegate_exec(c.conf->ipam_type, "CHECK", args, args->stdin_data, args->stdin_len, NULL,
			  err) < 0)
		return cni_err_ret(err);
	if (!c.conf->prev)
		return cni_err_set(err, CNI_ERR_INTERNAL, "required prevResult missing");
	f = iface_prev_find(c.conf->prev, args->ifname, args->netns);
	if (!f)
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "sandbox in prevResult  doesn't match configured netns: %s",
				   args->netns);
	if (check_link(&c, f, err) < 0)
		return cni_err_ret(err);
	return iface_check_ips_routes(c.cont, args->ifname, c.conf->prev, true, err);
}

/* ---- STATUS --------------------------------------------------------------------------- */

int macvlan_status(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(ctx_clear) struct mv_ctx c = MV_CTX_INIT(args);

	if (macvlan_conf_load(args, MACVLAN_LOAD_STATUS, &c.conf, err) < 0)
		return cni_err_ret(err);
	if (iface_status_master(c.conf->master, c.conf->link_in_container, err) < 0)
		return cni_err_ret(err);
	if (macvlan_conf_is_l3(c.conf) &&
	    delegate_exec(c.conf->ipam_type, "STATUS", args, args->stdin_data, args->stdin_len,
			  NULL, err) < 0)
		return cni_err_ret(err);
	return 0;
}

const struct cni_plugin macvlan_plugin = {
	.name = "macvlan",
	.add = macvlan_add,
	.del = macvlan_del,
	.check = macvlan_check,
	.status = macvlan_status,
};
