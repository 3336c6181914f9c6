/* SPDX-License-Identifier: Apache-2.0 */
/* The vlan plugin's verbs: an 802.1Q VLAN link on a master, in the container. */
#include "vlan/vlan.h"

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
#include "net/netns.h"
#include "net/rtnl.h"
#include "vlan/netconf.h"

/* What one command works with. */
struct vlan_ctx {
	const struct cni_cmd_args *args; /* the runtime's arguments */
	const struct cni_log *log;	 /* the opt-in log */
	struct vlan_conf *conf;		 /* the parsed config */
	struct nl_sock *host;		 /* rtnetlink in the node namespace */
	int netns_fd;			 /* the container namespace, -1 until opened */
	struct nl_sock *cont;		 /* rtnetlink in the container namespace */
	char master[NL_IFNAMSIZ];	 /* the master's name, once resolved ("" for none) */
};

#define VLAN_CTX_INIT(a)                                     \
	{                                                    \
		.args = (a), .log = (a)->log, .netns_fd = -1 \
	}

static void ctx_clear(struct vlan_ctx *c)
{
	vlan_conf_free(c->conf);
	nl_close(c->host);
	nl_close(c->cont);
	if (c->netns_fd >= 0)
		close(c->netns_fd);
}

/* The socket of the namespace that holds the master. */
static struct nl_sock *master_sock(const struct vlan_ctx *c)
{
	return c->conf->link_in_container ? c->cont : c->host;
}

/*
 * The master's name into c->master: the config's, else the one named interface of
 * prevResult. In CHECK, prevResult is the chain's result, whose interface is the VLAN link
 * itself: then there is no master name to look up ("" in c->master, success).
 */
static int resolve_master(struct vlan_ctx *c, bool check, struct cni_err *err)
{
	const struct vlan_conf *conf = c->conf;
	const char *name = conf->master;

	if (!*name && conf->prev) {
		name = iface_master_from_prev(conf->prev);
		if (check &&
		    (!name || iface_prev_find(conf->prev, c->args->ifname, c->args->netns)))
			name = "";
		else if (!name)
			return cni_err_set(err, CNI_ERR_INVALID_CONFIG, VLAN_MASTER_REQUIRED);
	}
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
static int lookup_master(struct vlan_ctx *c, struct nl_link *ret, struct cni_err *err)
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

/* Open the node's socket and the container namespace, and find the master (for ADD), in the
 * reference's order: a master on the node before the namespace, one inside it after. */
static int open_and_find_master(struct vlan_ctx *c, struct nl_link *master, struct cni_err *err)
{
	if (nl_open(&c->host, err) < 0 || resolve_master(c, false, err) < 0)
		return cni_err_ret(err);
	if (!c->conf->link_in_container && lookup_master(c, master, err) < 0)
		return cni_err_ret(err);
	if (netns_open_container(c->args->netns, 0, &c->netns_fd, &c->cont, err) < 0)
		return cni_err_ret(err);
	if (c->conf->link_in_container && lookup_master(c, master, err) < 0)
		return cni_err_ret(err);
	return 0;
}

/* Remove the link of a failed ADD from the container. */
static void undo_link(const struct vlan_ctx *c, int ifindex)
{
	struct cni_err e = {0};
	int r = nl_link_del(c->cont, ifindex, &e);

	if (r < 0 && r != -ENODEV)
		cni_warn_err(c->log, &e, "could not remove '%s' after the failed ADD",
			     c->args->ifname);
}

/* The create step of ADD: an EEXIST from the kernel there means the master already has a
 * link with this VLAN id (in whatever namespace), which the message then explains. */
static int create_link(struct vlan_ctx *c, const struct nl_link *master, struct nl_link *ret,
		       struct cni_err *err)
{
	static const char create[] = "failed to create vlan";
	struct nl_link_req req = {.kind = "vlan"};
	int r;

	req.link = master->index;
	req.has_netns = !c->conf->link_in_container;
	req.netns_fd = c->netns_fd;
	req.mtu = (unsigned int)c->conf->mtu;
	req.data[req.n_data++] = (struct nl_link_data){IFLA_VLAN_ID, 2, (uint32_t)c->conf->vlan_id};
	r = iface_create_renamed(master_sock(c), &req, c->cont, c->args->ifname, "vlan", ret, err);
	if (r == -EEXIST && !strncmp(err->msg, create, sizeof(create) - 1))
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EEXIST,
					 "failed to create vlan: file exists: master '%s' already "
					 "has a VLAN link with id %d (the kernel allows one per "
					 "master and VLAN id: each container needs its own master "
					 "and vlanId pair)",
					 c->master, c->conf->vlan_id);
	return r;
}

int vlan_add(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(ctx_clear) struct vlan_ctx c = VLAN_CTX_INIT(args);
	_cleanup_(cni_result_freep) struct cni_result *ipam = NULL, *res = NULL;
	_cleanup_free_ char *text = NULL;
	struct nl_link master, link;

	if (vlan_conf_load(args, VLAN_LOAD_ADD, &c.conf, err) < 0)
		return cni_err_ret(err);
	/* IPAM is required: said before anything is created. */
	if (!c.conf->ipam_type[0])
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
				   "failed to execute IPAM delegate: no plugin name provided");
	if (open_and_find_master(&c, &master, err) < 0)
		return cni_err_ret(err);
	if (c.conf->mtu < 0 || (unsigned int)c.conf->mtu > master.mtu)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
				   "invalid MTU %d, must be [0, master MTU(%u)]", c.conf->mtu,
				   master.mtu);
	if (create_link(&c, &master, &link, err) < 0)
		return cni_err_ret(err);
	cni_log(c.log, CNI_LOG_INFO, "created vlan '%s' (id %d) on master '%s'", args->ifname,
		c.conf->vlan_id, c.master);

	if (delegate_add(c.conf->ipam_type, args, &ipam, err) < 0) {
		cni_err_prefix(err, "failed to execute IPAM delegate");
		goto undo_link;
	}
	if (!ipam->n_ips) {
		cni_err_set(err, CNI_ERR_INTERNAL, "IPAM plugin returned missing IP config");
		goto undo_ipam;
	}
	res = iface_result_new(args->ifname, &link, args->netns, ipam);
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
	if (iface_configure(c.cont, link.index, args->ifname, res, true, err) < 0)
		goto undo_ipam;
	if (cni_result_print(res, c.conf->cni_version, &text, err) < 0)
		goto undo_ipam;
	*ret_out = TAKE_PTR(text);
	return 0;

undo_ipam:
	delegate_undo_add(c.conf->ipam_type, args);
undo_link:
	undo_link(&c, link.index);
	return cni_err_ret(err);
}

int vlan_del(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(vlan_conf_freep) struct vlan_conf *conf = NULL;

	(void)ret_out;
	if (vlan_conf_load(args, VLAN_LOAD_DEL, &conf, err) < 0)
		return cni_err_ret(err);
	/* The link, and one an interrupted ADD left under its temporary name. */
	return iface_del(args, conf->ipam_type, "vlan", err);
}

/* The reference's validateCniContainerInterface, in the container, with texts that say what
 * the VLAN id and MTU checks compare. */
static int check_container_link(const struct vlan_ctx *c, const struct cni_iface *f,
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
				   "vlan: Container Interface name in prevResult: %s not found",
				   f->name);
	if (r < 0)
		return r;
	if (!f->sandbox || !f->sandbox[0])
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "vlan: Error: Container interface %s should not be in host "
				   "namespace",
				   l.name);
	if (strcmp(l.kind, "vlan") != 0)
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "Error: Container interface %s not of type vlan", l.name);
	if (!iface_mac_matches(f, &l))
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "vlan: Interface %s Mac %s doesn't match container Mac: %s",
				   f->name, f->mac, hwaddr_format(l.mac, l.mac_len, mac));
	if (l.vlan_id != c->conf->vlan_id)
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "Error: Container vlan %s VLAN ID %d does not match expected "
				   "value: %d",
				   f->name, l.vlan_id, c->conf->vlan_id);
	if (c->conf->mtu && (unsigned int)c->conf->mtu != l.mtu)
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "Error: Container vlan %s MTU %u does not match expected value: "
				   "%d",
				   f->name, l.mtu, c->conf->mtu);
	return 0;
}

int vlan_check(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(ctx_clear) struct vlan_ctx c = VLAN_CTX_INIT(args);
	const struct cni_iface *f;
	struct nl_link master;

	(void)ret_out;
	if (vlan_conf_load(args, VLAN_LOAD_FULL, &c.conf, err) < 0)
		return cni_err_ret(err);
	if (nl_open(&c.host, err) < 0 ||
	    netns_open_container(args->netns, 0, &c.netns_fd, &c.cont, err) < 0)
		return cni_err_ret(err);
	if (delegate_exec(c.conf->ipam_type, "CHECK", args, args->stdin_data, args->stdin_len, NULL,
			  err) < 0)
		return cni_err_ret(err);
	if (!c.conf->prev)
		return cni_err_set(err, CNI_ERR_INTERNAL, "vlan: Required prevResult missing");
	f = iface_prev_find(c.conf->prev, args->ifname, args->netns);
	if (!f)
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "Sandbox in prevResult %s doesn't match configured netns: %s",
				   "", args->netns);
	if (resolve_master(&c, true, err) < 0 ||
	    (c.master[0] && lookup_master(&c, &master, err) < 0))
		return cni_err_ret(err);
	if (check_container_link(&c, f, err) < 0)
		return cni_err_ret(err);
	return iface_check_ips_routes(c.cont, args->ifname, c.conf->prev, true, err);
}

int vlan_status(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(ctx_clear) struct vlan_ctx c = VLAN_CTX_INIT(args);

	(void)ret_out;
	if (vlan_conf_load(args, VLAN_LOAD_FULL, &c.conf, err) < 0)
		return cni_err_ret(err);
	if (iface_status_master(c.conf->master, c.conf->link_in_container, err) < 0)
		return cni_err_ret(err);
	return delegate_exec(c.conf->ipam_type, "STATUS", args, args->stdin_data, args->stdin_len,
			     NULL, err);
}

const struct cni_plugin vlan_plugin = {
	.name = "vlan",
	.add = vlan_add,
	.del = vlan_del,
	.check = vlan_check,
	.status = vlan_status,
};
