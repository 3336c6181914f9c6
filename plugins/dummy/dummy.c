/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The dummy plugin: a dummy link created inside the container's namespace under its final
 * name (nothing on the node can collide with it there), holding the addresses and routes
 * IPAM assigns.
 */
#include "dummy/dummy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>

#include "cleanup.h"
#include "hwaddr.h"
#include "cni/delegate.h"
#include "cni/result.h"
#include "dummy/netconf.h"
#include "iface/iface.h"
#include "net/netns.h"
#include "net/nl.h"
#include "net/rtnl.h"

static int dummy_cmd_add(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(dummy_conf_freep) struct dummy_conf *c = NULL;
	_cleanup_close_ int netns_fd = -1;
	_cleanup_nl_close_ struct nl_sock *cont = NULL;
	_cleanup_(cni_result_freep) struct cni_result *ipam = NULL;
	_cleanup_(cni_result_freep) struct cni_result *res = NULL;
	_cleanup_free_ char *text = NULL;
	struct nl_link_req req = {.kind = "dummy", .name = args->ifname};
	struct cni_err rb = {0};
	struct nl_link l;
	int r;

	if (dummy_conf_load(args, DUMMY_LOAD_FULL, &c, err) < 0)
		return cni_err_ret(err);
	r = netns_open_container(args->netns, 0, &netns_fd, &cont, err);
	if (r < 0)
		return r;
	r = nl_link_add(cont, &req, err);
	if (r < 0)
		return cni_err_prefix(err, "failed to create dummy");
	r = nl_link_get_by_name(cont, args->ifname, &l, err);
	if (r < 0) {
		struct cni_err e = {0};

		cni_err_prefix(err, "failed to fetch dummy\"%s\"", args->ifname);
		/* Not found means not there: nothing to remove then. */
		(void)nl_link_del_by_name(cont, args->ifname, &e);
		return r;
	}
	cni_log(args->log, CNI_LOG_INFO, "dummy '%s' created", args->ifname);
	r = delegate_add(c->ipam_type, args, &ipam, err);
	if (r < 0)
		goto undo_link;
	if (!ipam->n_ips) {
		r = cni_err_set(err, CNI_ERR_INTERNAL, "IPAM plugin returned missing IP config");
		goto undo_ipam;
	}
	res = iface_result_new(args->ifname, &l, args->netns, ipam);
	if (!res) {
		r = cni_err_nomem(err);
		goto undo_ipam;
	}
	if (!c->accept_ra)
		iface_ipv6_no_autoconf(netns_fd, args->ifname, args->log);
	r = iface_configure(cont, l.index, args->ifname, res, true, err);
	if (r < 0)
		goto undo_ipam;
	r = cni_result_print(res, c->cni_version, &text, err);
	if (r < 0)
		goto undo_ipam;
	*ret_out = TAKE_PTR(text);
	return 0;

undo_ipam:
	delegate_undo_add(c->ipam_type, args);
undo_link:
	cni_err_clear(&rb);
	if (nl_link_del(cont, l.index, &rb) < 0 && rb.sys_errno != ENODEV)
		cni_warn_err(args->log, &rb, "could not remove the dummy after the failed ADD");
	return r;
}

static int dummy_cmd_del(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(dummy_conf_freep) struct dummy_conf *c = NULL;

	if (dummy_conf_load(args, DUMMY_LOAD_DEL, &c, err) < 0)
		return cni_err_ret(err);
	return iface_del(args, c->ipam_type, NULL, err);
}

/* The reference's validateCniContainerInterface: the link exists, is a dummy, has the MAC
 * prevResult names and is up. */
static int dummy_check_link(struct nl_sock *cont, const struct cni_iface *f, struct cni_err *err)
{
	char mac[HWADDR_TEXT_MAX];
	struct nl_link l;

	if (nl_link_get_by_name(cont, f->name, &l, err) < 0)
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "Container Interface name in prevResult: %s not found", f->name);
	if (strcmp(l.kind, "dummy") != 0)
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "Error: Container interface %s not of type dummy", l.name);
	if (!iface_mac_matches(f, &l))
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "Interface %s Mac %s doesn't match container Mac: %s", f->name,
				   f->mac, hwaddr_format(l.mac, l.mac_len, mac));
	if (!(l.flags & IFF_UP))
		return cni_err_set(err, CNI_ERR_INTERNAL, "Interface %s is down", f->name);
	return 0;
}

static int dummy_cmd_check(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(dummy_conf_freep) struct dummy_conf *c = NULL;
	_cleanup_nl_close_ struct nl_sock *cont = NULL;
	const struct cni_iface *f;
	int r;

	if (dummy_conf_load(args, DUMMY_LOAD_FULL, &c, err) < 0)
		return cni_err_ret(err);
	r = netns_open_container(args->netns, 0, NULL, &cont, err);
	if (r < 0)
		return r;
	r = delegate_exec(c->ipam_type, "CHECK", args, args->stdin_data, args->stdin_len, NULL,
			  err);
	if (r < 0)
		return r;
	if (!c->prev)
		return cni_err_set(err, CNI_ERR_INTERNAL, "dummy: Required prevResult missing");
	f = iface_prev_find(c->prev, args->ifname, args->netns);
	if (!f)
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "Sandbox in prevResult %s doesn't match configured netns: %s",
				   "", args->netns);
	r = dummy_check_link(cont, f, err);
	if (r < 0)
		return r;
	return iface_check_ips_routes(cont, args->ifname, c->prev, true, err);
}

static int dummy_cmd_status(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(dummy_conf_freep) struct dummy_conf *c = NULL;

	if (dummy_conf_load(args, DUMMY_LOAD_FULL, &c, err) < 0)
		return cni_err_ret(err);
	return delegate_exec(c->ipam_type, "STATUS", args, args->stdin_data, args->stdin_len, NULL,
			     err);
}

const struct cni_plugin dummy_plugin = {
	.name = "dummy",
	.add = dummy_cmd_add,
	.del = dummy_cmd_del,
	.check = dummy_cmd_check,
	.status = dummy_cmd_status,
	.gc = NULL,
};
