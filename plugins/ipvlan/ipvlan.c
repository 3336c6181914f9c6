/* SPDX-License-Identifier: Apache-2.0 */
/* The ipvlan plugin's verbs: an ipvlan link on a master, in the container. */
#include "ipvlan/ipvlan.h"

#include <errno.h>
#include <linux/if_link.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "cni/delegate.h"
#include "cni/result.h"
#include "gostr.h"
#include "hwaddr.h"
#include "iface/iface.h"
#include "ipvlan/netconf.h"
#include "net/netns.h"
#include "net/rtnl.h"

/* What one command works with. */
struct ipvlan_ctx {
	const struct cni_cmd_args *args; /* the runtime's arguments */
	const struct cni_log *log;	 /* the opt-in log */
	struct ipvlan_conf *conf;	 /* the parsed config */
	struct nl_sock *host;		 /* rtnetlink in the node namespace */
	int netns_fd;			 /* the container namespace, -1 until opened */
	struct nl_sock *cont;		 /* rtnetlink in the container namespace */
	char master[NL_IFNAMSIZ];	 /* the master's name, once resolved */
};

#define IPVLAN_CTX_INIT(a)                                   \
	{                                                    \
		.args = (a), .log = (a)->log, .netns_fd = -1 \
	}

static void ctx_clear(struct ipvlan_ctx *c)
{
	ipvlan_conf_free(c->conf);
	nl_close(c->host);
	nl_close(c->cont);
	if (c->netns_fd >= 0)
		close(c->netns_fd);
}

/* The socket of the namespace that holds the master. */
static struct nl_sock *master_sock(const struct ipvlan_ctx *c)
{
	return c->conf->link_in_container ? c->cont : c->host;
}

/* True when prev's one interface is the link this plugin put into the container: in CHECK
 * prevResult is the chain's result, which holds the ipvlan instead of the master. */
static bool prev_is_own(const struct ipvlan_ctx *c)
{
	const struct cni_result *prev = c->conf->prev;

	return prev->n_ifaces == 1 && iface_prev_find(prev, c->args->ifname, c->args->netns);
}

/*
 * The master's name into c->master: the config's, else the one named interface of
 * prevResult, else the interface of the default route (in the node namespace, or the
 * container's with linkInContainer). In CHECK, prevResult is the chain's result, whose one
 * interface is the ipvlan itself: then the master is the link's own lower device, which the
 * kernel keeps while the ipvlan exists, and there is no name to look up ("" in c->master).
 */
static int resolve_master(struct ipvlan_ctx *c, bool check, struct cni_err *err)
{
	const struct ipvlan_conf *conf = c->conf;
	const char *name = conf->master;

	if (!*name && conf->prev) {
		if (check && prev_is_own(c)) {
			c->master[0] = '\0';
			return 0;
		}
		name = iface_master_from_prev(conf->prev);
		if (!name)
			return cni_err_set(err, CNI_ERR_INTERNAL,
					   "chained master failure. PrevResult lacks a single "
					   "named interface");
	}
	if (!*name)
		return iface_default_route_link(master_sock(c), c->master, err);
	if (strlen(name) >= sizeof(c->master)) {
		/* No link has such a name: the lookup's answer. */
		_cleanup_free_ char *q = go_quote_dup(name);

		return cni_err_set_errno(err, CNI_ERR_INTERNAL, ENODEV,
					 "failed to lookup master %s: Link not found",
					 q ? q : name);
	}
	strcpy(c->master, name);
	return 0;
}

/* The master link, "failed to lookup master \"x\": Link not found" when there is none. */
static int lookup_master(struct ipvlan_ctx *c, struct nl_link *ret, struct cni_err *err)
{
	_cleanup_free_ char *q = go_quote_dup(c->master);
	int r;

	if (!q)
		return cni_err_nomem(err);
	r = nl_link_get_by_name(master_sock(c), c->master, ret, err);
	if (r == -ENODEV)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, ENODEV,
					 "failed to lookup master %s: Link not found", q);
	if (r < 0)
		return cni_err_prefix(err, "failed to lookup master %s", q);
	return 0;
}

/* Open the node's socket and the container namespace, and find the master, in the order the
 * reference does: a master on the node before the namespace, one inside it after. */
static int open_and_find_master(struct ipvlan_ctx *c, bool check, struct nl_link *master,
				struct cni_err *err)
{
	if (nl_open(&c->host, err) < 0)
		return cni_err_ret(err);
	if (!c->conf->link_in_container && resolve_master(c, check, err) < 0)
		return cni_err_ret(err);
	if (netns_open_container(c->args->netns, 0, &c->netns_fd, &c->cont, err) < 0)
		return cni_err_ret(err);
	if (c->conf->link_in_container && resolve_master(c, check, err) < 0)
		return cni_err_ret(err);
	return lookup_master(c, master, err);
}

/* Remove the link of a failed ADD from the container. */
static void undo_link(const struct ipvlan_ctx *c, int ifindex)
{
	struct cni_err e = {0};
	int r = nl_link_del(c->cont, ifindex, &e);

	if (r < 0 && r != -ENODEV)
		cni_warn_err(c->log, &e, "could not remove '%s' after the failed ADD",
			     c->args->ifname);
}

int ipvlan_add(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(ctx_clear) struct ipvlan_ctx c = IPVLAN_CTX_INIT(args);
	_cleanup_(cni_result_freep) struct cni_result *ipam = NULL, *res = NULL;
	_cleanup_free_ char *text = NULL;
	const struct cni_result *addrs;
	struct nl_link master, link;
	struct nl_link_req req = {.kind = "ipvlan"};

	if (ipvlan_conf_load(args, IPVLAN_LOAD_FULL, &c.conf, err) < 0 ||
	    open_and_find_master(&c, false, &master, err) < 0)
		return cni_err_ret(err);
	if (c.conf->mtu < 0 || (unsigned int)c.conf->mtu > master.mtu)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
				   "invalid MTU %d, must be [0, master MTU(%u)]", c.conf->mtu,
				   master.mtu);
	req.link = master.index;
	req.has_netns = !c.conf->link_in_container;
	req.netns_fd = c.netns_fd;
	req.mtu = (unsigned int)c.conf->mtu;
	req.data[req.n_data++] = (struct nl_link_data){IFLA_IPVLAN_MODE, 2, c.conf->mode};
	if (iface_create_renamed(master_sock(&c), &req, c.cont, args->ifname, "ipvlan", &link,
				 err) < 0)
		return cni_err_ret(err);
	cni_log(c.log, CNI_LOG_INFO, "created ipvlan '%s' (mode %s) on master '%s'", args->ifname,
		ipvlan_mode_name(c.conf->mode), c.master);

	/* Chained without IPAM: the addresses of the plugin before. */
	if (!c.conf->ipam_type[0] && c.conf->prev && c.conf->prev->n_ips > 0) {
		addrs = c.conf->prev;
	} else {
		if (delegate_add(c.conf->ipam_type, args, &ipam, err) < 0)
			goto undo_link;
		if (!ipam->n_ips) {
			cni_err_set(err, CNI_ERR_INTERNAL,
				    "IPAM plugin returned missing IP config");
			goto undo_ipam;
		}
		addrs = ipam;
	}
	res = iface_result_new(args->ifname, &link, args->netns, addrs);
	if (!res) {
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
	if (!c.conf->accept_ra)
		iface_ipv6_no_autoconf(c.netns_fd, args->ifname, c.log);
	iface_announce(c.cont, c.netns_fd, link.index, args->ifname);
	if (iface_configure(c.cont, link.index, args->ifname, res, true, err) < 0)
		goto undo_ipam;
	if (cni_result_print(res, c.conf->cni_version, &text, err) < 0)
		goto undo_ipam;
	*ret_out = TAKE_PTR(text);
	return 0;

undo_ipam:
	if (ipam)
		delegate_undo_add(c.conf->ipam_type, args);
undo_link:
	undo_link(&c, link.index);
	return cni_err_ret(err);
}

int ipvlan_del(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(ipvlan_conf_freep) struct ipvlan_conf *conf = NULL;

	(void)ret_out;
	if (ipvlan_conf_load(args, IPVLAN_LOAD_DEL, &conf, err) < 0)
		return cni_err_ret(err);
	/* The link, and one an interrupted ADD left under its temporary name. */
	return iface_del(args, conf->ipam_type, "ipvlan", err);
}

/* The reference's validateCniContainerInterface, in the container. */
static int check_container_link(const struct ipvlan_ctx *c, const struct cni_iface *f,
				struct cni_err *err)
{
	struct nl_link l;
	char mac[HWADDR_TEXT_MAX];
	int r;

	if (!f->name || !f->name[0])
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "Container interface name missing in prevResult: %s",
				   f->name ? f->name : "");
	r = nl_link_get_by_name(c->cont, f->name, &l, err);
	if (r == -ENODEV)
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "Container Interface name in prevResult: %s not found", f->name);
	if (r < 0)
		return r;
	if (!f->sandbox || !f->sandbox[0])
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "Error: Container interface %s should not be in host namespace",
				   l.name);
	if (strcmp(l.kind, "ipvlan") != 0)
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "Error: Container interface %s not of type ipvlan", l.name);
	if (l.info_mode != c->conf->mode) {
		const char *cur = ipvlan_mode_name(l.info_mode);

		if (!cur)
			return cni_err_set(err, CNI_ERR_INTERNAL, "unknown ipvlan mode: %d",
					   l.info_mode);
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "Container IPVlan mode %s does not match expected value: %s",
				   cur, ipvlan_mode_name(c->conf->mode));
	}
	if (!iface_mac_matches(f, &l))
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "Interface %s Mac %s doesn't match container Mac: %s", f->name,
				   f->mac, hwaddr_format(l.mac, l.mac_len, mac));
	return 0;
}

int ipvlan_check(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(ctx_clear) struct ipvlan_ctx c = IPVLAN_CTX_INIT(args);
	const struct cni_iface *f;
	struct nl_link master;

	(void)ret_out;
	if (ipvlan_conf_load(args, IPVLAN_LOAD_FULL, &c.conf, err) < 0)
		return cni_err_ret(err);
	if (nl_open(&c.host, err) < 0 ||
	    netns_open_container(args->netns, 0, &c.netns_fd, &c.cont, err) < 0)
		return cni_err_ret(err);
	if (c.conf->ipam_type[0] && delegate_exec(c.conf->ipam_type, "CHECK", args,
						  args->stdin_data, args->stdin_len, NULL, err) < 0)
		return cni_err_ret(err);
	if (!c.conf->prev)
		return cni_err_set(err, CNI_ERR_INTERNAL, "Required prevResult missing");
	f = iface_prev_find(c.conf->prev, args->ifname, args->netns);
	if (!f)
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "Sandbox in prevResult %s doesn't match configured netns: %s",
				   "", args->netns);
	/* The master as ADD found it (the reference looks up an empty name and always fails). */
	if (resolve_master(&c, true, err) < 0 ||
	    (c.master[0] && lookup_master(&c, &master, err) < 0))
		return cni_err_ret(err);
	if (check_container_link(&c, f, err) < 0)
		return cni_err_ret(err);
	return iface_check_ips_routes(c.cont, args->ifname, c.conf->prev, true, err);
}

int ipvlan_status(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(ctx_clear) struct ipvlan_ctx c = IPVLAN_CTX_INIT(args);

	(void)ret_out;
	if (ipvlan_conf_load(args, IPVLAN_LOAD_FULL, &c.conf, err) < 0)
		return cni_err_ret(err);
	if (iface_status_master(c.conf->master, c.conf->link_in_container, err) < 0)
		return cni_err_ret(err);
	if (!c.conf->ipam_type[0])
		return 0;
	return delegate_exec(c.conf->ipam_type, "STATUS", args, args->stdin_data, args->stdin_len,
			     NULL, err);
}

const struct cni_plugin ipvlan_plugin = {
	.name = "ipvlan",
	.add = ipvlan_add,
	.del = ipvlan_del,
	.check = ipvlan_check,
	.status = ipvlan_status,
};
