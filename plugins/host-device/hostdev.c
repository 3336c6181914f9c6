/* SPDX-License-Identifier: Apache-2.0 */
/* The host-device plugin: a device of the node moved into the container and back. */
#include "host-device/hostdev.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>

#include "cleanup.h"
#include "hwaddr.h"
#include "ifname.h"
#include "cni/delegate.h"
#include "cni/result.h"
#include "host-device/move.h"
#include "host-device/netconf.h"
#include "iface/iface.h"
#include "net/netns.h"
#include "net/nl.h"
#include "net/rtnl.h"

/* What a verb holds. */
struct hostdev_ctx {
	const struct cni_cmd_args *args; /* the runtime's arguments */
	const struct cni_log *log;	 /* the opt-in log */
	struct hostdev_conf *conf;	 /* the parsed config */
	struct hostdev_ns ns;		 /* node and container namespaces */
};

const struct hostdev_paths hostdev_node_paths = {.sysfs = HOSTDEV_SYSFS};

#define HOSTDEV_CTX_INIT(a)                                                         \
	{                                                                           \
		.args = (a), .log = (a)->log, .ns = {.host_fd = -1, .cont_fd = -1 } \
	}

static void ctx_clear(struct hostdev_ctx *c)
{
	hostdev_conf_free(c->conf);
	nl_close(c->ns.host);
	nl_close(c->ns.cont);
	if (c->ns.host_fd >= 0)
		close(c->ns.host_fd);
	if (c->ns.cont_fd >= 0)
		close(c->ns.cont_fd);
}

/* The node side: its rtnetlink socket and an fd of its namespace (the plugin's own). */
static int open_host(struct hostdev_ctx *c, struct cni_err *err)
{
	if (!c->ns.host && nl_open(&c->ns.host, err) < 0)
		return cni_err_ret(err);
	if (c->ns.host_fd < 0) {
		c->ns.host_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
		if (c->ns.host_fd < 0)
			return cni_err_syscall(err, CNI_ERR_INTERNAL, errno,
					       "open /proc/thread-self/ns/net");
	}
	return 0;
}

/* Replace the result's DNS by the config's when it sets any field (else IPAM's stays). */
static int apply_dns(const struct hostdev_conf *conf, struct cni_result *res, struct cni_err *err)
{
	if (!conf->has_dns)
		return 0;
	cni_dns_clear(&res->dns);
	if (cni_dns_copy(&res->dns, &conf->dns) < 0)
		return cni_err_nomem(err);
	return 0;
}

/* The DPDK result: the interface without a MAC and, with IPAM, its addresses, routes and
 * DNS, nothing configured. */
static int dpdk_result(const struct hostdev_ctx *c, const struct cni_result *ipam,
		       struct cni_result **ret, struct cni_err *err)
{
	_cleanup_(cni_result_freep) struct cni_result *res = cni_result_new();

	if (!res || cni_result_add_iface(res, c->args->ifname, NULL, c->args->netns) < 0)
		return cni_err_nomem(err);
	for (size_t i = 0; ipam && i < ipam->n_ips; i++) {
		struct cni_ip ip = ipam->ips[i];

		ip.iface = 0;
		if (cni_result_add_ip(res, &ip) < 0)
			return cni_err_nomem(err);
	}
	for (size_t i = 0; ipam && i < ipam->n_routes; i++)
		if (cni_result_add_route(res, &ipam->routes[i]) < 0)
			return cni_err_nomem(err);
	if (ipam && cni_dns_copy(&res->dns, &ipam->dns) < 0)
		return cni_err_nomem(err);
	*ret = TAKE_PTR(res);
	return 0;
}

/* After a failed ADD: the device (ifindex in the container) back into the node under its
 * name, up again when it was up before. */
static void undo_move_in(struct hostdev_ctx *c, int ifindex, const char *orig, bool was_up)
{
	struct cni_err e = {0};
	struct nl_link l;

	if (nl_link_get_by_index(c->ns.cont, ifindex, &l, &e) < 0 ||
	    hostdev_move_out(&c->ns, &l, orig, was_up, c->log, &e) < 0)
		cni_warn_err(c->log, &e, "could not move '%s' back to the node", orig);
	else
		cni_log(c->log, CNI_LOG_INFO, "device '%s' moved back to the node", orig);
}

int hostdev_add_at(const struct cni_cmd_args *args, const struct hostdev_paths *paths,
		   char **ret_out, struct cni_err *err)
{
	_cleanup_(ctx_clear) struct hostdev_ctx c = HOSTDEV_CTX_INIT(args);
	_cleanup_(cni_result_freep) struct cni_result *res = NULL, *ipam = NULL;
	_cleanup_free_ char *text = NULL;
	struct nl_link dev = {0}, cont = {0};
	bool l3, moved = false;

	if (hostdev_conf_load(args, paths->sysfs, HOSTDEV_LOAD_FULL, &c.conf, err) < 0)
		return cni_err_ret(err);
	l3 = c.conf->ipam_type && c.conf->ipam_type[0];
	if (netns_open_container(args->netns, 0, &c.ns.cont_fd, &c.ns.cont, err) < 0)
		return cni_err_ret(err);
	if (!c.conf->dpdk) {
		if (open_host(&c, err) < 0)
			return cni_err_ret(err);
		if (hostdev_find(c.conf, paths->sysfs, c.ns.host, &dev, err) < 0)
			return cni_err_prefix(err, "failed to find host device");
		/* With IPAM the link goes up once IPv6 autoconf is off; up before IPAM runs, as
		 * the reference has it (a DHCP client needs it up). */
		if (hostdev_move_in(&c.ns, &dev, args->ifname, !l3, c.log, &cont, err) < 0)
			return cni_err_ret(err);
		moved = true;
		cni_log(c.log, CNI_LOG_INFO, "device '%s' moved into the container as '%s'",
			dev.name, args->ifname);
		if (l3) {
			if (!c.conf->accept_ra)
				iface_ipv6_no_autoconf(c.ns.cont_fd, args->ifname, c.log);
			if (nl_link_set_up(c.ns.cont, cont.index, true, err) < 0) {
				cni_err_prefix(err, "failed to move link failed to set \"%s\" up",
					       args->ifname);
				goto undo_move;
			}
		}
	}

	if (l3) {
		if (delegate_add(c.conf->ipam_type, args, &ipam, err) < 0)
			goto undo_move;
		cni_log(c.log, CNI_LOG_INFO, "IPAM '%s' returned %zu address(es)",
			c.conf->ipam_type, ipam->n_ips);
		if (!ipam->n_ips) {
			cni_err_set(err, CNI_ERR_INTERNAL,
				    "IPAM plugin returned missing IP config");
			goto undo_ipam;
		}
	}
	if (c.conf->dpdk) {
		if (dpdk_result(&c, ipam, &res, err) < 0)
			goto undo_ipam;
	} else {
		res = iface_result_new(args->ifname, &cont, args->netns, ipam);
		if (!res) {
			cni_err_nomem(err);
			goto undo_ipam;
		}
		if (l3 && iface_configure(c.ns.cont, cont.index, args->ifname, res, true, err) < 0)
			goto undo_ipam;
	}
	if (l3 && apply_dns(c.conf, res, err) < 0)
		goto undo_ipam;
	if (cni_result_print(res, c.conf->cni_version, &text, err) < 0)
		goto undo_ipam;
	*ret_out = TAKE_PTR(text);
	return 0;

undo_ipam:
	if (ipam)
		delegate_undo_add(c.conf->ipam_type, args);
undo_move:
	if (moved)
		undo_move_in(&c, cont.index, dev.name, dev.flags & IFF_UP);
	return cni_err_ret(err);
}

int hostdev_add(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	return hostdev_add_at(args, &hostdev_node_paths, ret_out, err);
}

/* ---- DEL ------------------------------------------------------------------------------ */

/* What tells the device of this attachment from others. */
struct hostdev_ident {
	const char *device;	      /* the configured device name, NULL if none */
	uint8_t mac[HWADDR_MAX];      /* the configured hwaddr */
	size_t mac_len;		      /* its length, 0 if none */
	uint8_t prev_mac[HWADDR_MAX]; /* prevResult's MAC of the interface */
	size_t prev_mac_len;	      /* its length, 0 if none */
};

static void ident_init(const struct hostdev_ctx *c, struct hostdev_ident *id)
{
	const struct cni_result *prev = c->conf->prev;

	memset(id, 0, sizeof(*id));
	id->device = c->conf->device;
	id->mac_len = hostdev_conf_mac(c->conf, id->mac);
	for (size_t i = 0; prev && i < prev->n_ifaces; i++) {
		const struct cni_iface *f = &prev->ifaces[i];

		if (f->name && f->mac && !strcmp(f->name, c->args->ifname) &&
		    hwaddr_parse(f->mac, id->prev_mac, &id->prev_mac_len) == 0)
			break;
		id->prev_mac_len = 0;
	}
}

/*
 * The node name of l, a device this plugin moved, into buf: its marker's (a pod may
 * rewrite the alias, hardly the alternative names), else its alias, else conf's device
 * (conf may be NULL); "" when none of them is an interface name.
 */
static void original_name(const struct nl_link *l, const struct hostdev_conf *conf,
			  char buf[NL_IFNAMSIZ])
{
	size_t n = strlen(HOSTDEV_ALTNAME_PREFIX);

	buf[0] = '\0';
	for (const char *p = l->altnames; *p; p += strlen(p) + 1)
		if (!strncmp(p, HOSTDEV_ALTNAME_PREFIX, n) && ifname_check(p + n) == IFNAME_OK) {
			snprintf(buf, NL_IFNAMSIZ, "%.*s", NL_IFNAMSIZ - 1, p + n);
			return;
		}
	if (l->alias[0] && ifname_check(l->alias) == IFNAME_OK)
		snprintf(buf, NL_IFNAMSIZ, "%.*s", NL_IFNAMSIZ - 1, l->alias);
	else if (conf && conf->device && ifname_check(conf->device) == IFNAME_OK)
		snprintf(buf, NL_IFNAMSIZ, "%.*s", NL_IFNAMSIZ - 1, conf->device);
}

/* Whether l carries the marker this plugin puts on a device it moves. */
static bool has_marker(const struct nl_link *l)
{
	size_t n = strlen(HOSTDEV_ALTNAME_PREFIX);

	for (const char *p = l->altnames; *p; p += strlen(p) + 1)
		if (!strncmp(p, HOSTDEV_ALTNAME_PREFIX, n))
			return true;
	return false;
}

/* Whether l, carrying an alias or the marker, is this attachment's device by what the
 * config or prevResult says of it. */
static bool ident_matches(const struct hostdev_ident *id, const struct nl_link *l)
{
	char orig[NL_IFNAMSIZ];

	original_name(l, NULL, orig);
	if (id->device && !strcmp(orig, id->device))
		return true;
	if (id->mac_len && l->mac_len == id->mac_len && !memcmp(l->mac, id->mac, id->mac_len))
		return true;
	return id->prev_mac_len && l->mac_len == id->prev_mac_len &&
	       !memcmp(l->mac, id->prev_mac, id->prev_mac_len);
}

/*
 * The device in the container: CNI_IFNAME with an alias or the marker; else, when the pod
 * renamed it, the link with an alias or the marker that the config's device or hwaddr or
 * prevResult's MAC names (the marker alone would not tell two devices of one pod apart).
 * 1 when there is none.
 */
static int find_in_container(struct hostdev_ctx *c, const struct hostdev_ident *id,
			     struct nl_link *ret, struct cni_err *err)
{
	_cleanup_free_ struct nl_link *links = NULL;
	bool unaliased = false;
	size_t n = 0;
	struct nl_link l;
	int r;

	r = nl_link_get_by_name(c->ns.cont, c->args->ifname, &l, err);
	if (r == 0 && (l.alias[0] || has_marker(&l))) {
		*ret = l;
		return 0;
	}
	if (r < 0 && r != -ENODEV)
		return cni_err_prefix(err, "failed to find \"%s\" in containerNS", c->args->ifname);
	unaliased = r == 0;
	cni_err_clear(err);
	r = nl_link_list_kind(c->ns.cont, NULL, &links, &n, err);
	if (r < 0)
		return cni_err_prefix(err, "failed to list the container's links");
	for (size_t i = 0; i < n; i++) {
		if (!links[i].alias[0] && !has_marker(&links[i]))
			continue;
		if (ident_matches(id, &links[i])) {
			*ret = links[i];
			return 0;
		}
	}
	if (unaliased)
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "failed to find original ifname for \"%s\" (alias is not set)",
				   c->args->ifname);
	return 1;
}

/* Whether name is what the kernel calls a device it gives back under a taken name. */
static bool is_dev_n(const char *name)
{
	if (strncmp(name, "dev", 3) != 0 || !name[3])
		return false;
	for (const char *p = name + 3; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	return true;
}

/*
 * A device the kernel gave back to the node when the container's namespace went away:
 * still named CNI_IFNAME (or devN when that was taken), its alias holding its node name,
 * and this attachment's by the config, prevResult or the marker. Renamed back there.
 */
static int restore_in_host(struct hostdev_ctx *c, const struct hostdev_ident *id,
			   struct cni_err *err)
{
	_cleanup_free_ struct nl_link *links = NULL;
	struct cni_err e = {0};
	struct nl_link taken;
	size_t n = 0;
	int r;

	r = nl_link_list_kind(c->ns.host, NULL, &links, &n, err);
	if (r < 0)
		return cni_err_prefix(err, "failed to list the node's links");
	for (size_t i = 0; i < n; i++) {
		const struct nl_link *l = &links[i];
		char orig[NL_IFNAMSIZ];

		if (!l->alias[0] && !has_marker(l))
			continue;
		original_name(l, NULL, orig);
		if (!orig[0] || !strcmp(orig, l->name) ||
		    (strcmp(l->name, c->args->ifname) != 0 && !is_dev_n(l->name)))
			continue;
		if (!ident_matches(id, l) && !has_marker(l))
			continue;
		if (nl_link_get_by_name(c->ns.host, orig, &taken, &e) == 0) {
			cni_warn(c->log,
				 "device '%s' is back in the node, but its name '%s' is taken",
				 l->name, orig);
			return 0;
		}
		r = hostdev_restore_name(c->ns.host, l, orig, err);
		if (r < 0)
			return r;
		cni_log(c->log, CNI_LOG_INFO, "device '%s' was back in the node, renamed '%s'",
			l->name, orig);
		return 0;
	}
	return 0;
}

int hostdev_del_at(const struct cni_cmd_args *args, const struct hostdev_paths *paths,
		   char **ret_out, struct cni_err *err)
{
	_cleanup_(ctx_clear) struct hostdev_ctx c = HOSTDEV_CTX_INIT(args);
	struct hostdev_ident id;
	struct nl_link l;
	int r;

	if (hostdev_conf_load(args, paths->sysfs, HOSTDEV_LOAD_DEL, &c.conf, err) < 0)
		return cni_err_ret(err);
	/* IPAM first, whatever became of the netns: a reservation must never leak. */
	if (c.conf->ipam_type && c.conf->ipam_type[0]) {
		if (delegate_exec(c.conf->ipam_type, "DEL", args, args->stdin_data, args->stdin_len,
				  NULL, err) < 0)
			return cni_err_ret(err);
		cni_log(c.log, CNI_LOG_INFO, "IPAM '%s' released the addresses", c.conf->ipam_type);
	}
	ident_init(&c, &id);
	if (open_host(&c, err) < 0)
		return cni_err_ret(err);
	if (args->netns[0]) {
		r = netns_open_container(args->netns, NETNS_GONE_OK, &c.ns.cont_fd, &c.ns.cont,
					 err);
		if (r < 0)
			return r;
		if (r == 0) {
			r = find_in_container(&c, &id, &l, err);
			if (r < 0)
				return r;
			if (r == 0) {
				char orig[NL_IFNAMSIZ];

				original_name(&l, c.conf, orig);
				if (!orig[0])
					return cni_err_set(err, CNI_ERR_INTERNAL,
							   "failed to find original ifname for "
							   "\"%s\" (alias is not set)",
							   l.name);
				if (hostdev_move_out(&c.ns, &l, orig, false, c.log, err) < 0)
					return cni_err_ret(err);
				cni_log(c.log, CNI_LOG_INFO,
					"device '%s' moved back to the node as '%s'", l.name, orig);
				return 0;
			}
		}
	}
	return restore_in_host(&c, &id, err);
}

int hostdev_del(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	return hostdev_del_at(args, &hostdev_node_paths, ret_out, err);
}

/* ---- CHECK, STATUS -------------------------------------------------------------------- */

int hostdev_check_at(const struct cni_cmd_args *args, const struct hostdev_paths *paths,
		     char **ret_out, struct cni_err *err)
{
	_cleanup_(ctx_clear) struct hostdev_ctx c = HOSTDEV_CTX_INIT(args);
	const struct cni_iface *f;
	char mac[HWADDR_TEXT_MAX];
	struct nl_link l;

	if (hostdev_conf_load(args, paths->sysfs, HOSTDEV_LOAD_FULL, &c.conf, err) < 0)
		return cni_err_ret(err);
	if (netns_open_container(args->netns, 0, &c.ns.cont_fd, &c.ns.cont, err) < 0)
		return cni_err_ret(err);
	if (c.conf->ipam_type && c.conf->ipam_type[0] &&
	    delegate_exec(c.conf->ipam_type, "CHECK", args, args->stdin_data, args->stdin_len, NULL,
			  err) < 0)
		return cni_err_ret(err);
	if (!c.conf->prev)
		return cni_err_set(err, CNI_ERR_INTERNAL, "Required prevResult missing");
	if (c.conf->dpdk)
		return 0;
	f = iface_prev_find(c.conf->prev, args->ifname, args->netns);
	if (!f)
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "Sandbox in prevResult  doesn't match configured netns: %s",
				   args->netns);
	if (!f->name || !f->name[0])
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "Container interface name missing in prevResult: ");
	if (nl_link_get_by_name(c.ns.cont, f->name, &l, err) < 0)
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "Container Interface name in prevResult: %s not found", f->name);
	if (!f->sandbox || !f->sandbox[0])
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "Error: Container interface %s should not be in host namespace",
				   l.name);
	if (!iface_mac_matches(f, &l))
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "Interface %s Mac %s doesn't match container Mac: %s", f->name,
				   f->mac, hwaddr_format(l.mac, l.mac_len, mac));
	return iface_check_ips_routes(c.ns.cont, args->ifname, c.conf->prev, true, err);
}

int hostdev_check(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	return hostdev_check_at(args, &hostdev_node_paths, ret_out, err);
}

int hostdev_status(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(ctx_clear) struct hostdev_ctx c = HOSTDEV_CTX_INIT(args);
	struct nl_link l;
	int r;

	if (hostdev_conf_load(args, HOSTDEV_SYSFS, HOSTDEV_LOAD_DEL, &c.conf, err) < 0)
		return cni_err_ret(err);
	if (c.conf->ipam_type && c.conf->ipam_type[0] &&
	    delegate_exec(c.conf->ipam_type, "STATUS", args, args->stdin_data, args->stdin_len,
			  NULL, err) < 0)
		return cni_err_ret(err);
	if (!c.conf->device)
		return 0;
	if (nl_open(&c.ns.host, err) < 0)
		return cni_err_ret(err);
	r = nl_link_get_by_name(c.ns.host, c.conf->device, &l, err);
	if (r == -ENODEV || r == -EINVAL)
		return cni_err_set(err, CNI_ERR_NOT_AVAILABLE,
				   "host device '%s' not found in the node's namespace",
				   c.conf->device);
	return r < 0 ? r : 0;
}

const struct cni_plugin hostdev_plugin = {
	.name = "host-device",
	.add = hostdev_add,
	.del = hostdev_del,
	.check = hostdev_check,
	.status = hostdev_status,
	/* GC: nothing is kept (no GC verb = success). */
};
