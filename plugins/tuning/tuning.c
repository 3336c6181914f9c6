/* SPDX-License-Identifier: Apache-2.0 */
/* tuning verbs: ADD, DEL, CHECK. Everything happens inside the container's network
 * namespace: sysctls are written after entering it, links are changed over a rtnetlink
 * socket opened in it. */
#include "tuning/tuning.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>

#include "cleanup.h"
#include "hwaddr.h"
#include "fileio.h"
#include "strv.h"
#include "cni/result.h"
#include "net/netns.h"
#include "net/nl.h"
#include "net/rtnl.h"
#include "net/sysctl.h"
#include "tuning/backup.h"
#include "tuning/netconf.h"

/* Largest state file read (they are about 100 bytes). */
#define STATE_MAX (64 * 1024)

/* Room for one sysctl value. */
#define SYSCTL_VALUE_MAX 4096

/* The link attributes ADD changes, as bits of what it has changed so far. */
enum {
	CHANGED_MAC = 1 << 0,
	CHANGED_PROMISC = 1 << 1,
	CHANGED_MTU = 1 << 2,
	CHANGED_ALLMULTI = 1 << 3,
	CHANGED_TXQLEN = 1 << 4,
};

/* One sysctl as ADD handles it. */
struct add_sysctl {
	char *path;   /* full /proc/sys/net/... path */
	char *orig;   /* value before the write, NULL when it could not be read */
	bool written; /* the write succeeded (undo puts orig back) */
};

/* What one ADD works with, and what it has changed. */
struct add_ctx {
	const struct cni_cmd_args *args; /* the runtime's arguments */
	const struct tuning_conf *c;	 /* the config */
	int netns_fd;			 /* the container netns */
	struct nl_sock *sock;		 /* rtnetlink in the container netns */
	struct add_sysctl *sysctls;	 /* one per c->sysctls */
	struct nl_link orig;		 /* the link before ADD */
	uint8_t mac[HWADDR_MAX];	 /* the MAC to set */
	size_t mac_len;			 /* its length */
	char state_path[PATH_MAX];	 /* the state file */
	char *state_old;		 /* the state file's text before ADD, if any */
	char **created_dirs;		 /* directories made for the state file */
	unsigned int changed;		 /* CHANGED_* done so far */
};

static void add_ctx_clear(struct add_ctx *a)
{
	if (a->sysctls) {
		for (size_t i = 0; i < a->c->n_sysctls; i++) {
			free(a->sysctls[i].path);
			free(a->sysctls[i].orig);
		}
		free(a->sysctls);
	}
	nl_close(a->sock);
	if (a->netns_fd >= 0)
		close(a->netns_fd);
	free(a->state_old);
	strv_free(a->created_dirs);
}

/* A rtnetlink socket in netns_fd (*ret_sock, the caller closes it) and the attributes of
 * CNI_IFNAME there. -ENODEV when the link is missing, for the caller to word; other
 * failures in the reference's words. */
static int open_link(const struct cni_cmd_args *args, int netns_fd, struct nl_sock **ret_sock,
		     struct nl_link *ret, struct cni_err *err)
{
	int r;

	r = netns_open_container_nl(args->netns, netns_fd, ret_sock, err);
	if (r < 0)
		return r;
	r = nl_link_get_by_name(*ret_sock, args->ifname, ret, err);
	if (r < 0 && r != -ENODEV)
		return cni_err_prefix(err, "failed to get \"%s\"", args->ifname);
	return r;
}

/* ---- ADD -------------------------------------------------------------------------------- */

/* Resolve every sysctl key before anything changes. */
static int add_resolve_sysctls(struct add_ctx *a, struct cni_err *err)
{
	const struct tuning_conf *c = a->c;
	int r;

	a->sysctls = calloc(c->n_sysctls + 1, sizeof(*a->sysctls));
	if (!a->sysctls)
		return cni_err_nomem(err);
	for (size_t i = 0; i < c->n_sysctls; i++) {
		r = tuning_sysctl_path(c->sysctls[i].key, a->args->ifname, &a->sysctls[i].path,
				       err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Put the written sysctls back, newest first (the caller is inside the netns). */
static void undo_sysctls_here(struct add_ctx *a)
{
	for (size_t i = a->c->n_sysctls; i > 0; i--) {
		struct add_sysctl *s = &a->sysctls[i - 1];
		struct cni_err e = {0};

		if (!s->written)
			continue;
		if (!s->orig)
			cni_warn(a->args->log,
				 "sysctl '%s' could not be read before it was written "
				 "and keeps its new value",
				 s->path);
		else if (sysctl_write(s->path, s->orig, &e) < 0)
			cni_warn_err(a->args->log, &e,
				     "failed to restore a sysctl to its earlier value");
		s->written = false;
	}
}

static void undo_sysctls(struct add_ctx *a)
{
	_cleanup_(netns_restorep) int saved = -1;
	struct cni_err e = {0};

	if (netns_enter(a->netns_fd, &saved, &e) < 0) {
		cni_warn_err(a->args->log, &e, "cannot restore the sysctls");
		return;
	}
	undo_sysctls_here(a);
}

/* Write the sysctls inside the container netns, remembering the values they replace; a
 * failed write puts the earlier ones back. */
static int add_sysctls(struct add_ctx *a, struct cni_err *err)
{
	_cleanup_(netns_restorep) int saved = -1;
	const struct tuning_conf *c = a->c;
	char buf[SYSCTL_VALUE_MAX];
	int r;

	if (c->n_sysctls == 0)
		return 0;
	r = netns_enter(a->netns_fd, &saved, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < c->n_sysctls; i++) {
		struct add_sysctl *s = &a->sysctls[i];
		struct cni_err rerr = {0};

		/* A sysctl that cannot be read (write-only, say) is written without undo. */
		if (sysctl_read(s->path, buf, sizeof(buf), &rerr) == 0 &&
		    strlen(buf) < sizeof(buf) - 1 && !(s->orig = strdup(buf))) {
			undo_sysctls_here(a);
			return cni_err_nomem(err);
		}
		r = sysctl_write(s->path, c->sysctls[i].value, err);
		if (r < 0) {
			undo_sysctls_here(a);
			return cni_err_flatten(err);
		}
		s->written = true;
	}
	cni_log(a->args->log, CNI_LOG_INFO, "wrote %zu sysctls", c->n_sysctls);
	return 0;
}

/* The MAC the result reports: the configured address as the kernel stores it (an
 * Ethernet link keeps the first 6 bytes of a longer one). */
static void add_result_mac(const struct add_ctx *a, char buf[HWADDR_TEXT_MAX])
{
	size_t len = a->mac_len;

	if (a->orig.mac_len > 0 && a->orig.mac_len < len)
		len = a->orig.mac_len;
	hwaddr_format(a->mac, len, buf);
}

/*
 * Set the MAC of the result's interfaces named CNI_IFNAME that are in a
 * sandbox; when none of them has a sandbox, of all interfaces of that name
 * (the reference's rule, for main plugins that leave sandbox out).
 */
static int update_result_mac(struct cni_result *r, const char *ifname, const char *mac,
			     struct cni_err *err)
{
	bool any_sandbox = false;

	for (size_t i = 0; i < r->n_ifaces; i++)
		if (r->ifaces[i].name && strcmp(r->ifaces[i].name, ifname) == 0 &&
		    r->ifaces[i].sandbox && *r->ifaces[i].sandbox)
			any_sandbox = true;
	for (size_t i = 0; i < r->n_ifaces; i++) {
		struct cni_iface *f = &r->ifaces[i];
		char *copy;

		if (!f->name || strcmp(f->name, ifname) != 0 ||
		    (any_sandbox && !(f->sandbox && *f->sandbox)))
			continue;
		copy = strdup(mac);
		if (!copy)
			return cni_err_nomem(err);
		free(f->mac);
		f->mac = copy;
	}
	return 0;
}

/* Record the link's current values of what the config changes, in the reference's file. */
static int add_save_state(struct add_ctx *a, struct cni_err *err)
{
	const struct tuning_conf *c = a->c;
	const struct cni_cmd_args *args = a->args;
	_cleanup_free_ char *text = NULL;
	char mac[HWADDR_TEXT_MAX];
	struct tuning_backup b;
	size_t len;
	int r;

	r = tuning_backup_path(c->data_dir, args->container_id, args->ifname, a->state_path, err);
	if (r < 0)
		return r;
	/* An earlier ADD's file is put back if this one fails. */
	r = fileio_read_path(a->state_path, STATE_MAX, &a->state_old, &len);
	if (r == -ENOMEM)
		return cni_err_nomem(err);
	tuning_backup_init(&b);
	if (c->mac)
		b.mac = hwaddr_format(a->orig.mac, a->orig.mac_len, mac);
	if (c->promisc)
		b.promisc = !!(a->orig.flags & IFF_PROMISC);
	if (c->mtu)
		b.mtu = a->orig.mtu;
	if (c->has_allmulti)
		b.allmulti = !!(a->orig.flags & IFF_ALLMULTI);
	if (c->has_txqlen) {
		b.has_txqlen = true;
		b.txqlen = a->orig.txqlen;
	}
	text = tuning_backup_format(&b);
	if (!text)
		return cni_err_nomem(err);
	r = tuning_backup_mkdirs(c->data_dir, &a->created_dirs, err);
	if (r == 0)
		r = tuning_backup_write(a->state_path, args->ifname, text, err);
	if (r < 0) {
		fileio_rmdirs(a->created_dirs);
		return r;
	}
	cni_log(args->log, CNI_LOG_INFO, "saved the link attributes of '%s' to '%s'", args->ifname,
		a->state_path);
	return 0;
}

/* Put the state file back as it was before ADD. */
static void undo_state(struct add_ctx *a)
{
	struct cni_err e = {0};
	int r;

	if (a->state_old) {
		if (tuning_backup_write(a->state_path, a->args->ifname, a->state_old, &e) < 0)
			cni_warn_err(a->args->log, &e, "failed to put back the earlier state file");
	} else if ((r = fileio_remove_atomic(a->state_path)) < 0) {
		cni_warn(a->args->log, "failed to remove '%s': %s", a->state_path, strerror(-r));
	}
	fileio_rmdirs(a->created_dirs);
}

/* Set the configured link attributes in the reference's order, each recorded in
 * a->changed for undo_link(). */
static int add_link(struct add_ctx *a, struct cni_err *err)
{
	const struct tuning_conf *c = a->c;
	const char *ifname = a->args->ifname;
	int idx = a->orig.index, r;

	if (c->mac) {
		r = nl_link_set_mac(a->sock, idx, a->mac, a->mac_len, err);
		if (r < 0)
			return cni_err_prefix(err, "failed to set the MAC address of '%s' to %s",
					      ifname, c->mac);
		a->changed |= CHANGED_MAC;
	}
	if (c->promisc) {
		r = nl_link_set_promisc(a->sock, idx, true, err);
		if (r < 0)
			return cni_err_prefix(err, "failed to set promiscuous mode on '%s'",
					      ifname);
		a->changed |= CHANGED_PROMISC;
	}
	if (c->mtu) {
		r = nl_link_set_mtu(a->sock, idx, c->mtu, err);
		if (r < 0)
			return cni_err_prefix(err, "failed to set the MTU of '%s' to %u", ifname,
					      c->mtu);
		a->changed |= CHANGED_MTU;
	}
	if (c->has_allmulti) {
		r = nl_link_set_allmulti(a->sock, idx, c->allmulti, err);
		if (r < 0)
			return cni_err_prefix(err, "failed to set all-multicast mode %s on '%s'",
					      c->allmulti ? "on" : "off", ifname);
		a->changed |= CHANGED_ALLMULTI;
	}
	if (c->has_txqlen) {
		r = nl_link_set_txqlen(a->sock, idx, c->txqlen, err);
		if (r < 0)
			return cni_err_prefix(
				err, "failed to set the transmit queue length of '%s' to %u",
				ifname, c->txqlen);
		a->changed |= CHANGED_TXQLEN;
	}
	cni_log(a->args->log, CNI_LOG_INFO, "set the link attributes of '%s'", ifname);
	return 0;
}

/* Put back the attributes add_link() changed, newest first. */
static void undo_link(struct add_ctx *a)
{
	const struct nl_link *o = &a->orig;
	struct cni_err e = {0};
	int idx = o->index;

	if ((a->changed & CHANGED_TXQLEN) && nl_link_set_txqlen(a->sock, idx, o->txqlen, &e) < 0)
		cni_warn_err(a->args->log, &e, "failed to restore transmit queue length");
	if ((a->changed & CHANGED_ALLMULTI) &&
	    nl_link_set_allmulti(a->sock, idx, o->flags & IFF_ALLMULTI, &e) < 0)
		cni_warn_err(a->args->log, &e, "failed to restore all-multicast mode");
	if ((a->changed & CHANGED_MTU) && nl_link_set_mtu(a->sock, idx, o->mtu, &e) < 0)
		cni_warn_err(a->args->log, &e, "failed to restore MTU");
	if ((a->changed & CHANGED_PROMISC) &&
	    nl_link_set_promisc(a->sock, idx, o->flags & IFF_PROMISC, &e) < 0)
		cni_warn_err(a->args->log, &e, "failed to restore promiscuous mode");
	if ((a->changed & CHANGED_MAC) && o->mac_len &&
	    nl_link_set_mac(a->sock, idx, o->mac, o->mac_len, &e) < 0)
		cni_warn_err(a->args->log, &e, "failed to restore MAC address");
	a->changed = 0;
}

/* Everything of ADD that can fail before the first change: config, allowlist, keys, MAC,
 * netns, link, the result text. */
static int add_prepare(struct add_ctx *a, struct tuning_conf *c, char **ret_out,
		       struct cni_err *err)
{
	const struct cni_cmd_args *args = a->args;
	int r;

	r = tuning_allowlist_check(c, TUNING_ALLOWLIST_PATH, err);
	if (r < 0)
		return r;
	if (!c->prev)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG, "Required prevResult missing");
	r = add_resolve_sysctls(a, err);
	if (r < 0)
		return r;
	if (c->mac && hwaddr_parse(c->mac, a->mac, &a->mac_len) < 0)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
				   "invalid args %s for MAC addr: address %s: invalid MAC address",
				   c->mac, c->mac);
	r = netns_open_container(args->netns, 0, &a->netns_fd, NULL, err);
	if (r < 0)
		return r;
	if (tuning_conf_changes_link(c)) {
		r = open_link(args, a->netns_fd, &a->sock, &a->orig, err);
		if (r == -ENODEV)
			return cni_err_set_errno(err, CNI_ERR_INTERNAL, ENODEV,
						 "failed to get \"%s\": Link not found",
						 args->ifname);
		if (r < 0)
			return r;
	}
	if (c->mac) {
		char mac[HWADDR_TEXT_MAX];

		add_result_mac(a, mac);
		r = update_result_mac(c->prev, args->ifname, mac, err);
		if (r < 0)
			return r;
	}
	return cni_result_print(c->prev, c->cni_version, ret_out, err);
}

int tuning_add(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(tuning_conf_freep) struct tuning_conf *c = NULL;
	_cleanup_(add_ctx_clear) struct add_ctx a = {.args = args, .netns_fd = -1};
	_cleanup_free_ char *out = NULL;
	int r;

	r = tuning_conf_load(args, TUNING_LOAD_FULL, &c, err);
	if (r < 0)
		return r;
	a.c = c;
	r = add_prepare(&a, c, &out, err);
	if (r < 0)
		return r;
	r = add_sysctls(&a, err);
	if (r < 0)
		return r;
	if (tuning_conf_changes_link(c)) {
		r = add_save_state(&a, err);
		if (r < 0)
			goto undo_sysctls;
		r = add_link(&a, err);
		if (r < 0)
			goto undo_link;
	}
	*ret_out = TAKE_PTR(out);
	return 0;

undo_link:
	undo_link(&a);
	undo_state(&a);
undo_sysctls:
	undo_sysctls(&a);
	return r;
}

/* ---- DEL -------------------------------------------------------------------------------- */

/* Restore the saved attributes of CNI_IFNAME. 1 when there is nothing to restore them on
 * (netns or link gone), 0 when done (failures of single attributes are warnings), or a
 * negative errno when the namespace or link cannot be reached for another reason. */
static int del_restore(const struct cni_cmd_args *args, const struct tuning_backup *b,
		       struct cni_err *err)
{
	_cleanup_nl_close_ struct nl_sock *sock = NULL;
	_cleanup_close_ int fd = -1;
	struct nl_link l;
	struct cni_err e = {0};
	int r;

	if (!*args->netns)
		return 1;
	r = netns_open_container(args->netns, NETNS_GONE_OK, &fd, NULL, err);
	if (r != 0)
		return r;
	r = open_link(args, fd, &sock, &l, err);
	if (r == -ENODEV) {
		cni_err_clear(err);
		return 1;
	}
	if (r < 0)
		return r;

	/* The reference's order: MTU, MAC, promiscuous mode, all-multicast, queue length. */
	if (b->mtu && nl_link_set_mtu(sock, l.index, b->mtu, &e) < 0)
		cni_warn_err(args->log, &e, "failed to restore MTU");
	if (b->mac && *b->mac) {
		uint8_t mac[HWADDR_MAX];
		size_t len;

		if (hwaddr_parse(b->mac, mac, &len) < 0)
			cni_warn(args->log,
				 "failed to restore MAC address: invalid args %s for MAC addr: "
				 "address %s: invalid MAC address",
				 b->mac, b->mac);
		else if (nl_link_set_mac(sock, l.index, mac, len, &e) < 0)
			cni_warn_err(args->log, &e, "failed to restore MAC address");
	}
	if (b->promisc >= 0 && nl_link_set_promisc(sock, l.index, b->promisc, &e) < 0)
		cni_warn_err(args->log, &e, "failed to restore promiscuous mode");
	if (b->allmulti >= 0 && nl_link_set_allmulti(sock, l.index, b->allmulti, &e) < 0)
		cni_warn_err(args->log, &e, "failed to restore all-multicast mode");
	if (b->has_txqlen && nl_link_set_txqlen(sock, l.index, b->txqlen, &e) < 0)
		cni_warn_err(args->log, &e, "failed to restore transmit queue length");
	return 0;
}

int tuning_del(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(tuning_conf_freep) struct tuning_conf *c = NULL;
	_cleanup_(tuning_backup_clear) struct tuning_backup b = {0};
	_cleanup_free_ char *text = NULL;
	char path[PATH_MAX];
	struct cni_err perr = {0};
	size_t len;
	int r;

	r = tuning_conf_load(args, TUNING_LOAD_DEL, &c, err);
	if (r < 0)
		return r;
	r = tuning_backup_path(c->data_dir, args->container_id, args->ifname, path, err);
	if (r < 0)
		return r;
	r = fileio_read_path(path, STATE_MAX, &text, &len);
	if (r == -ENOENT) {
		cni_log(args->log, CNI_LOG_INFO, "no saved link attributes in '%s'", path);
		/* An ADD killed before its rename may have left its temp file. */
		(void)fileio_sweep_temps(path);
		return 0;
	}
	if (r < 0) {
		cni_warn(args->log, "cannot read '%s', nothing restored: %s", path, strerror(-r));
		return 0;
	}
	tuning_backup_init(&b);
	if (tuning_backup_parse(text, len, &b, &perr) < 0) {
		cni_warn_err(args->log, &perr, "ignoring the saved link attributes");
	} else {
		r = del_restore(args, &b, err);
		if (r < 0)
			return r;
		cni_log(args->log, CNI_LOG_INFO, "%s",
			r ? "netns or link gone, nothing to restore"
			  : "restored the link attributes");
	}
	r = fileio_remove_atomic(path);
	if (r < 0)
		cni_warn(args->log, "failed to remove file %s: %s", path, strerror(-r));
	return 0;
}

/* ---- CHECK ------------------------------------------------------------------------------ */

/* Each configured sysctl must read back as configured (one trailing newline trimmed). */
static int check_sysctls(const struct cni_cmd_args *args, const struct tuning_conf *c, int netns_fd,
			 struct cni_err *err)
{
	_cleanup_(netns_restorep) int saved = -1;
	char **paths = NULL;
	char buf[SYSCTL_VALUE_MAX];
	int r = 0;

	if (c->n_sysctls == 0)
		return 0;
	paths = calloc(c->n_sysctls + 1, sizeof(*paths));
	if (!paths)
		return cni_err_nomem(err);
	for (size_t i = 0; i < c->n_sysctls && r == 0; i++)
		r = tuning_sysctl_path(c->sysctls[i].key, args->ifname, &paths[i], err);
	if (r == 0)
		r = netns_enter(netns_fd, &saved, err);
	for (size_t i = 0; i < c->n_sysctls && r == 0; i++) {
		r = sysctl_read(paths[i], buf, sizeof(buf), err);
		if (r < 0) {
			cni_err_flatten(err);
			break;
		}
		if (strcmp(buf, c->sysctls[i].value) != 0)
			r = cni_err_set(err, CNI_ERR_INTERNAL,
					"Error: Tuning configured value of %s is %s, current value "
					"is %s",
					paths[i], c->sysctls[i].value, buf);
	}
	strv_free(paths);
	return r;
}

/* The link must have every configured attribute; promisc off is checked too. */
static int check_link(const struct cni_cmd_args *args, const struct tuning_conf *c,
		      const struct nl_link *l, struct cni_err *err)
{
	const char *ifname = args->ifname;
	char mac[HWADDR_TEXT_MAX];
	bool promisc = l->flags & IFF_PROMISC, allmulti = l->flags & IFF_ALLMULTI;

	hwaddr_format(l->mac, l->mac_len, mac);
	if (c->mac && strcmp(c->mac, mac) != 0)
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "Error: Tuning configured Ethernet of %s is %s, current value "
				   "is %s",
				   ifname, c->mac, mac);
	if (c->promisc != promisc)
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "Error: Tuning link %s configured promisc is %s, current value "
				   "is %d",
				   ifname, c->promisc ? "true" : "false", promisc);
	if (c->mtu && c->mtu != l->mtu)
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "Error: Tuning configured MTU of %s is %u, current value is %u",
				   ifname, c->mtu, l->mtu);
	if (c->has_allmulti && c->allmulti != allmulti)
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "Error: Tuning configured all-multicast mode of %s is %s, "
				   "current value is %s",
				   ifname, c->allmulti ? "true" : "false",
				   allmulti ? "true" : "false");
	if (c->has_txqlen && c->txqlen != l->txqlen)
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "Error: Tuning configured Transmit Queue Length of %s is %u, "
				   "current value is %u",
				   ifname, c->txqlen, l->txqlen);
	return 0;
}

int tuning_check(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(tuning_conf_freep) struct tuning_conf *c = NULL;
	_cleanup_nl_close_ struct nl_sock *sock = NULL;
	_cleanup_close_ int fd = -1;
	struct nl_link l;
	int r;

	r = tuning_conf_load(args, TUNING_LOAD_FULL, &c, err);
	if (r < 0)
		return r;
	if (!c->prev)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG, "Required prevResult missing");
	r = netns_open_container(args->netns, 0, &fd, NULL, err);
	if (r < 0)
		return r;
	r = check_sysctls(args, c, fd, err);
	if (r < 0)
		return r;
	r = open_link(args, fd, &sock, &l, err);
	if (r == -ENODEV)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, ENODEV,
					 "Cannot find container link %s", args->ifname);
	if (r < 0)
		return r;
	return check_link(args, c, &l, err);
}

const struct cni_plugin tuning_plugin = {
	.name = "tuning", .add = tuning_add, .del = tuning_del, .check = tuning_check,
	/* STATUS: always ready. GC: nothing to collect; the state files' names carry no
	 * network, so stale ones cannot be told from another network's (no GC verb =
	 * success). */
};
