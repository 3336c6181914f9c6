/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The tap plugin: a persistent tap device in the container's namespace, made through the
 * tun driver's ioctls under a temporary name and renamed to CNI_IFNAME, with its MAC and MTU
 * set over rtnetlink, optionally a port of a bridge in the container and, with IPAM, its
 * addresses and routes.
 */
#include "tap/tap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/if_arp.h>

#include "cleanup.h"
#include "hwaddr.h"
#include "sha512.h"
#include "cni/conf.h"
#include "cni/delegate.h"
#include "cni/result.h"
#include "iface/iface.h"
#include "net/netns.h"
#include "net/nl.h"
#include "net/rtnl.h"
#include "net/tun.h"
#include "tap/netconf.h"

/* Room for a temporary name: "tap" and 12 hex digits, with the NUL. */
#define TAP_TMPNAME_SIZE 16

/*
 * The temporary name of an attachment's tap: "tap" and 12 hex digits of a hash of the
 * container ID and CNI_IFNAME. Derived rather than random, so that DEL (and the next ADD)
 * find the tap of an ADD that was killed before its rename.
 */
static int tap_tmp_name(const struct cni_cmd_args *args, char name[TAP_TMPNAME_SIZE],
			struct cni_err *err)
{
	char hex[13];

	if (sha512_hex_printf(12, hex, "tap\n%s\n%s", args->container_id, args->ifname) < 0)
		return cni_err_nomem(err);
	snprintf(name, TAP_TMPNAME_SIZE, "tap%s", hex);
	return 0;
}

/* Delete the half-made tap ifindex, warning when that fails too. */
static void tap_undo(struct nl_sock *cont, int ifindex, const struct cni_log *log)
{
	struct cni_err e = {0};

	if (ifindex > 0 && nl_link_del(cont, ifindex, &e) < 0 && e.sys_errno != ENODEV)
		cni_warn_err(log, &e, "could not remove the tap after the failed ADD");
}

/* Make the tap under a temporary name, give it the configured MTU and MAC, rename it to
 * ifname: *ret is the renamed link, down. On failure nothing is left. */
static int tap_create(const struct tap_conf *c, const struct cni_cmd_args *args, int netns_fd,
		      struct nl_sock *cont, struct nl_link *ret, struct cni_err *err)
{
	char tmp[TAP_TMPNAME_SIZE];
	struct tun_tap_req req = {
		.name = tmp,
		.multi_queue = c->multi_queue,
		.has_owner = c->has_owner,
		.owner = c->owner,
		.has_group = c->has_group,
		.group = c->group,
		.label = c->selinux_context,
	};
	struct nl_link l;
	int r;

	r = tap_tmp_name(args, tmp, err);
	if (r < 0)
		return r;
	r = tun_tap_create(netns_fd, &req, err);
	if (r == -EBUSY) {
		struct cni_err e = {0};

		/* The name is this attachment's own: the tap of an ADD killed before its
		 * rename. Made again from scratch. */
		if (nl_link_del_by_name(cont, tmp, &e) == 0) {
			cni_err_clear(err);
			r = tun_tap_create(netns_fd, &req, err);
		}
	}
	if (r < 0)
		return c->selinux_context && r == -EOPNOTSUPP
			       ? r
			       : cni_err_prefix(err, "failed to create tap");
	r = nl_link_get_by_name(cont, tmp, &l, err);
	if (r < 0) {
		struct cni_err e = {0};

		/* Not found means not there: nothing to remove then. */
		(void)nl_link_del_by_name(cont, tmp, &e);
		return cni_err_prefix(err, "failed to find the new tap \"%s\"", tmp);
	}
	if (c->mtu && (r = nl_link_set_mtu(cont, l.index, c->mtu, err)) < 0) {
		cni_err_prefix(err, "failed to set MTU %u on tap", c->mtu);
		goto undo;
	}
	if (c->has_mac && (r = nl_link_set_mac(cont, l.index, c->mac, 6, err)) < 0) {
		char mac[HWADDR_TEXT_MAX];

		cni_err_prefix(err, "failed to set MAC %s on tap", hwaddr_format(c->mac, 6, mac));
		goto undo;
	}
	r = nl_link_set_name(cont, l.index, args->ifname, err);
	if (r < 0) {
		cni_err_prefix(err, "failed to rename tap to \"%s\"", args->ifname);
		goto undo;
	}
	r = nl_link_get_by_index(cont, l.index, ret, err);
	if (r < 0) {
		cni_err_prefix(err, "failed to refetch tap \"%s\"", args->ifname);
		goto undo;
	}
	return 0;
undo:
	tap_undo(cont, l.index, args->log);
	return r;
}

/* Enslave the tap to the bridge the config names, in the container. */
static int tap_join_bridge(const struct tap_conf *c, struct nl_sock *cont, const struct nl_link *l,
			   const char *ifname, struct cni_err *err)
{
	struct nl_link br;
	int r;

	r = nl_link_get_by_name(cont, c->bridge, &br, err);
	if (r < 0)
		return cni_err_prefix(err, "failed to get bridge %s", c->bridge);
	r = nl_link_set_master(cont, l->index, br.index, err);
	if (r < 0)
		return cni_err_prefix(err, "failed to set tap %s as a port of bridge %s", ifname,
				      c->bridge);
	return 0;
}

static int tap_cmd_add(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(tap_conf_freep) struct tap_conf *c = NULL;
	_cleanup_close_ int netns_fd = -1;
	_cleanup_nl_close_ struct nl_sock *cont = NULL;
	_cleanup_(cni_result_freep) struct cni_result *ipam = NULL;
	_cleanup_(cni_result_freep) struct cni_result *res = NULL;
	_cleanup_free_ char *text = NULL;
	struct nl_link l;
	int r;

	if (tap_conf_load(args, TAP_LOAD_FULL, &c, err) < 0)
		return cni_err_ret(err);
	r = netns_open_container(args->netns, 0, &netns_fd, &cont, err);
	if (r < 0)
		return r;
	r = tap_create(c, args, netns_fd, cont, &l, err);
	if (r < 0)
		return r;
	cni_log(args->log, CNI_LOG_INFO, "tap '%s' created", args->ifname);
	if (c->bridge && (r = tap_join_bridge(c, cont, &l, args->ifname, err)) < 0)
		goto undo_link;

	if (c->ipam_type) {
		r = delegate_add(c->ipam_type, args, &ipam, err);
		if (r < 0)
			goto undo_link;
		if (!ipam->n_ips) {
			r = cni_err_set(err, CNI_ERR_INTERNAL,
					"IPAM plugin returned missing IP config");
			goto undo_ipam;
		}
		res = iface_result_new(args->ifname, &l, args->netns, ipam);
		if (!res) {
			r = cni_err_nomem(err);
			goto undo_ipam;
		}
		if (!c->accept_ra)
			iface_ipv6_no_autoconf(netns_fd, args->ifname, args->log);
		iface_announce(cont, netns_fd, l.index, args->ifname);
		/* No wait for IPv6 DAD: a tap has no carrier until its reader attaches, and its
		 * addresses stay tentative until then. */
		r = iface_configure(cont, l.index, args->ifname, res, false, err);
		if (r < 0)
			goto undo_ipam;
	} else {
		r = nl_link_set_up(cont, l.index, true, err);
		if (r < 0) {
			cni_err_prefix(err, "failed to set tap interface up");
			goto undo_link;
		}
		res = iface_result_new(args->ifname, &l, args->netns, NULL);
		if (!res) {
			r = cni_err_nomem(err);
			goto undo_link;
		}
	}
	if (c->has_dns) {
		cni_dns_clear(&res->dns);
		if (cni_dns_copy(&res->dns, &c->dns) < 0) {
			r = cni_err_nomem(err);
			goto undo_ipam;
		}
	}
	r = cni_result_print(res, c->cni_version, &text, err);
	if (r < 0)
		goto undo_ipam;
	*ret_out = TAKE_PTR(text);
	return 0;

undo_ipam:
	if (ipam)
		delegate_undo_add(c->ipam_type, args);
undo_link:
	tap_undo(cont, l.index, args->log);
	return r;
}

static int tap_cmd_del(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(tap_conf_freep) struct tap_conf *c = NULL;
	_cleanup_nl_close_ struct nl_sock *cont = NULL;
	_cleanup_close_ int netns_fd = -1;
	char tmp[TAP_TMPNAME_SIZE];
	int r;

	if (tap_conf_load(args, TAP_LOAD_DEL, &c, err) < 0)
		return cni_err_ret(err);
	if (c->ipam_type) {
		r = delegate_exec(c->ipam_type, "DEL", args, args->stdin_data, args->stdin_len,
				  NULL, err);
		if (r < 0)
			return r;
	}
	if (!args->netns[0])
		return 0;
	r = netns_open_container(args->netns, NETNS_GONE_OK, &netns_fd, &cont, err);
	if (r != 0)
		return r < 0 ? r : 0;
	r = nl_link_del_name_unlisted(cont, netns_fd, args->ifname, err);
	if (r < 0 && r != -ENODEV)
		return cni_err_prefix(err, "failed to delete \"%s\"", args->ifname);
	if (r == 0)
		cni_log(args->log, CNI_LOG_INFO, "tap '%s' removed", args->ifname);
	cni_err_clear(err);
	/* An ADD killed between making the tap and renaming it left it under its temporary
	 * name. */
	r = tap_tmp_name(args, tmp, err);
	if (r < 0)
		return r;
	r = nl_link_del_by_name(cont, tmp, err);
	if (r < 0 && r != -ENODEV)
		return cni_err_prefix(err, "failed to delete \"%s\"", tmp);
	cni_err_clear(err);
	return 0;
}

static int tap_cmd_check(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(tap_conf_freep) struct tap_conf *c = NULL;
	_cleanup_nl_close_ struct nl_sock *cont = NULL;
	const struct cni_iface *f;
	struct nl_link l;
	int r;

	if (tap_conf_load(args, TAP_LOAD_FULL, &c, err) < 0)
		return cni_err_ret(err);
	r = netns_open_container(args->netns, 0, NULL, &cont, err);
	if (r < 0)
		return r;
	if (c->ipam_type) {
		r = delegate_exec(c->ipam_type, "CHECK", args, args->stdin_data, args->stdin_len,
				  NULL, err);
		if (r < 0)
			return r;
	}
	if (!c->prev)
		return cni_err_set(err, CNI_ERR_INTERNAL, "Required prevResult missing");
	f = iface_prev_find(c->prev, args->ifname, args->netns);
	if (!f)
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "Sandbox in prevResult %s doesn't match configured netns: %s",
				   "", args->netns);
	if (nl_link_get_by_name(cont, args->ifname, &l, err) < 0)
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "Container Interface name in prevResult: %s not found",
				   args->ifname);
	if (strcmp(l.kind, "tun") != 0 || l.type != ARPHRD_ETHER)
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "Error: Container interface %s not of type tap", l.name);
	if (!iface_mac_matches(f, &l)) {
		char mac[HWADDR_TEXT_MAX];

		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "Interface %s Mac %s doesn't match container Mac: %s", f->name,
				   f->mac, hwaddr_format(l.mac, l.mac_len, mac));
	}
	return iface_check_ips_routes(cont, args->ifname, c->prev, true, err);
}

static int tap_cmd_status(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(tap_conf_freep) struct tap_conf *c = NULL;

	if (tap_conf_load(args, TAP_LOAD_DEL, &c, err) < 0)
		return cni_err_ret(err);
	if (!c->ipam_type)
		return 0;
	return delegate_exec(c->ipam_type, "STATUS", args, args->stdin_data, args->stdin_len, NULL,
			     err);
}

const struct cni_plugin tap_plugin = {
	.name = "tap",
	.add = tap_cmd_add,
	.del = tap_cmd_del,
	.check = tap_cmd_check,
	.status = tap_cmd_status,
	.gc = NULL,
};
