/* SPDX-License-Identifier: Apache-2.0 */
/* portmap verbs: ADD, DEL, CHECK, GC, STATUS. Each command that changes rules sends one
 * nftables transaction, so it applies completely or not at all. */
#include "portmap/portmap.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"
#include "strv.h"
#include "cni/conf.h"
#include "net/conntrack.h"
#include "net/nft.h"
#include "net/nl.h"
#include "net/rtnl.h"
#include "portmap/iptables.h"
#include "portmap/netconf.h"
#include "net/xt_cni.h"
#include "portmap/rules.h"
#include "cni/result.h"
#include "net/sysctl.h"

/*
 * Commit what queue(txn, ctx) queues as one transaction, so that it applies
 * completely or not at all; read and queued again when a concurrent change got in
 * between (nft_txn_run()). The transaction is left in *txn (NULL on entry), committed or
 * not, for the caller to free (nft_txn_free(): its socket is closed by a child process,
 * so the kernel's release of what the commit deleted is not waited for).
 */
static int pm_run_txn(nft_txn_fill_fn queue, nft_txn_send_fn commit, void *ctx,
		      struct nft_txn **txn, struct cni_err *err)
{
	int r;

	r = nft_txn_new(txn, err);
	if (r < 0)
		return r;
	return nft_txn_run(*txn, queue, commit, ctx, err);
}

/* What ADD queues: the container's rules, replacing any it had. */
struct pm_add_txn {
	const struct portmap_conf *c; /* the config */
	const char *network;	      /* the network name (iptables chain names) */
	const char *container_id;     /* the container */
	bool iptables;		      /* the last attempt used the iptables layout */
	bool replace;		      /* look for rules of an earlier ADD and delete them */
	size_t n_rules;		      /* container rules queued by the last attempt */
	struct pm_dispatch dispatch;  /* dispatch rules with sets, of the last attempt */
};

static int pm_queue_add_txn(struct nft_txn *txn, void *ctx, struct cni_err *err)
{
	struct pm_add_txn *t = ctx;

	pm_dispatch_clear(&t->dispatch);
	t->iptables = t->c->backend == PORTMAP_BACKEND_IPTABLES;
	/* The default-backend rule: one GET, bound to the batch like every read. */
	if (t->c->backend_default) {
		int r = pm_xt_state_present(txn, &t->iptables, err);

		if (r < 0)
			return r;
	}
	if (t->iptables)
		return pm_xt_queue_add(txn, t->c, t->network, t->container_id, &t->n_rules, err);
	return pm_queue_attach(txn, t->c, t->container_id, t->replace, &t->n_rules, &t->dispatch,
			       err);
}

/* What DEL and GC remove. */
struct pm_del_txn {
	struct pm_del_filter f;	 /* the nftables rules */
	const char *network;	 /* the network */
	const char *const *keep; /* GC: the valid container IDs (NULL-terminated) */
	struct xt_cni_count xt;	 /* iptables rules and chains queued for removal */
};

/* DEL and GC queue the deletions a struct pm_del_filter selects, and the removal of the
 * reference's iptables state of the same containers (DEL: this one, by chain name; GC:
 * every container of the network not kept, by the comments), when there is a nat table
 * to hold it. */
static int pm_queue_delete_txn(struct nft_txn *txn, void *ctx, struct cni_err *err)
{
	struct pm_del_txn *t = ctx;
	bool nat = false;
	int r;

	/* Ports collected by a failed attempt are kept: harmless extras. */
	t->f.deleted = 0;
	t->xt = (struct xt_cni_count){0};
	r = t->f.container_id || t->f.n_ids ? pm_queue_delete(txn, &t->f, err) : 0;
	if (r == 0)
		r = xt_cni_nat_present(txn, &nat, err);
	if (r < 0 || !nat)
		return r;
	if (t->f.container_id)
		return xt_cni_portmap_remove(txn, t->network, t->f.container_id, &t->xt, err);
	return xt_cni_gc(txn, t->network, t->keep, &t->xt, err);
}

/* Delete the UDP conntrack entries whose original destination port is one of the
 * ports (all destination addresses, as the reference does). Failures are warnings. The
 * search walks the kernel's whole conntrack table (shared by every namespace): it is
 * skipped when the namespace has no entries at all. The socket is a netfilter one too,
 * closed with nl_close_detached(): its close would wait for the release of the rules the
 * command deleted. */
static void pm_flush_udp(const struct cni_log *log, const struct pm_ports *udp4,
			 const struct pm_ports *udp6)
{
	const struct ct_port_set sets[] = {{AF_INET, udp4->v, udp4->n},
					   {AF_INET6, udp6->v, udp6->n}};
	_cleanup_(nl_close_detachedp) struct nl_sock *sock = NULL;
	struct cni_err oerr = {0};
	unsigned int total = 0, entries = 1;

	if (udp4->n + udp6->n == 0)
		return;
	if (ct_open(&sock, &oerr) < 0) {
		cni_warn(log, "failed to delete stale UDP conntrack entries: %s", oerr.msg);
		return;
	}
	/* A failed count is no reason to skip the search: it reports its own errors. */
	if (ct_count_entries(sock, &entries, &oerr) == 0 && entries == 0) {
		cni_log(log, CNI_LOG_DEBUG,
			"flushed 0 UDP conntrack entries of %zu host ports (the namespace has "
			"none)",
			udp4->n + udp6->n);
		return;
	}
	cni_err_clear(&oerr);
	/* One search for both families and every port. */
	if (ct_delete_by_dports(sock, IPPROTO_UDP, sets, ARRAY_SIZE(sets), &total, &oerr) < 0)
		cni_warn_err(log, &oerr,
			     "failed to delete stale UDP conntrack entries for %zu host ports",
			     udp4->n + udp6->n);
	cni_log(log, CNI_LOG_DEBUG, "flushed %u UDP conntrack entries of %zu host ports", total,
		udp4->n + udp6->n);
}

/*
 * Ownership markers. Rules carry only the container ID (as the reference's do), and
 * every network shares the tables, so GC could not tell which network a rule belongs
 * to. ADD therefore records <state dir>/<network>/<containerID> and DEL removes it;
 * GC for a network only deletes the rules of containers recorded for that network
 * (and not recorded for any other). Rules without a marker (written by the reference
 * plugin, or before an upgrade) are left to DEL. The state dir is on tmpfs by default,
 * like the rules it describes.
 */
#define PM_STATE_DIR_DEFAULT "/run/cni-portmap"

static const char *pm_state_dir(void)
{
	const char *d = getenv("CNI_PORTMAP_STATE_DIR");

	return d && *d ? d : PM_STATE_DIR_DEFAULT;
}

static int pm_path(char path[PATH_MAX], struct cni_err *err, const char *fmt, ...) CNI_PRINTF(3, 4);

/* Format a path into path; one that does not fit is an error naming it (code 999,
 * -ENAMETOOLONG), never a shorter, different path. */
static int pm_path(char path[PATH_MAX], struct cni_err *err, const char *fmt, ...)
{
	_cleanup_free_ char *full = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(path, PATH_MAX, fmt, ap);
	va_end(ap);
	if (n >= 0 && n < PATH_MAX)
		return 0;
	path[0] = '\0';
	va_start(ap, fmt);
	n = vasprintf(&full, fmt, ap);
	va_end(ap);
	if (n < 0)
		return cni_err_nomem(err);
	return cni_err_errno(err, CNI_ERR_INTERNAL, ENAMETOOLONG,
			     "portmap state path is too long: '%s'", full);
}

/* A container's marker and the directories holding it. */
struct pm_marker {
	char state_dir[PATH_MAX]; /* <state dir> */
	char net_dir[PATH_MAX];	  /* <state dir>/<network> */
	char path[PATH_MAX];	  /* <state dir>/<network>/<containerID> */
};

/* The paths of container_id's marker for network. */
static int pm_marker_init(struct pm_marker *m, const char *network, const char *container_id,
			  struct cni_err *err)
{
	const char *dir = pm_state_dir();

	if (pm_path(m->state_dir, err, "%s", dir) < 0 ||
	    pm_path(m->net_dir, err, "%s/%s", dir, network) < 0 ||
	    pm_path(m->path, err, "%s/%s/%s", dir, network, container_id) < 0)
		return cni_err_ret(err);
	return 0;
}

/* The command's marker, or none (*ret_long_id true) for a container ID too long for a
 * rule comment: no rule is tagged with it, so no marker is kept for it either. */
static int pm_marker_of(const struct cni_cmd_args *args, struct pm_marker *m, bool *ret_long_id,
			struct cni_err *err)
{
	*ret_long_id = strlen(args->container_id) > PM_ID_MAX;
	return *ret_long_id ? 0 : pm_marker_init(m, args->name, args->container_id, err);
}

/* Create the marker. Failures only weaken GC: warned about. Returns whether the marker
 * exists now. */
static bool pm_marker_add(const struct cni_log *log, const struct pm_marker *m)
{
	const char *at = m->path;
	size_t at_len = strlen(at);
	int fd = -1, e = 0;

	/* A concurrent DEL may remove the (empty) directories between our steps: retry. */
	for (int attempt = 0; attempt < 3 && fd < 0; attempt++) {
		int r = fileio_mkdir_p(m->net_dir, 0700, NULL, &at_len);

		if (r < 0) {
			at = m->net_dir;
			e = -r;
			continue;
		}
		at = m->path;
		at_len = strlen(at);
		fd = open(at, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		e = errno;
	}
	if (fd < 0) {
		cni_warn(log, "cannot record '%.*s' for GC: %s", (int)at_len, at, strerror(e));
		return false;
	}
	close(fd);
	return true;
}

/* Remove the marker; empty directories are removed too (rmdir fails otherwise). */
static void pm_marker_del(const struct pm_marker *m)
{
	unlink(m->path);
	rmdir(m->net_dir);
	rmdir(m->state_dir);
}

/* 1 when container_id is recorded for a network other than network, else 0. */
static int pm_marker_elsewhere(const char *network, const char *container_id, struct cni_err *err)
{
	_cleanup_closedir_ DIR *d = opendir(pm_state_dir());
	struct dirent *de;

	while (d && (de = readdir(d))) {
		char path[PATH_MAX];
		int r;

		if (de->d_name[0] == '.' || !strcmp(de->d_name, network))
			continue;
		r = pm_path(path, err, "%s/%s/%s", pm_state_dir(), de->d_name, container_id);
		if (r < 0)
			return r;
		if (access(path, F_OK) == 0)
			return 1;
	}
	return 0;
}

/*
 * Code 7 for a container ID the rules cannot carry: they have it as their comment, which
 * nftables limits to PM_ID_MAX bytes (the reference's nft fails the same ADD with "comment
 * too long, 128 characters maximum allowed"). Only when the command would write or look
 * for such rules; checked before anything changes.
 */
static int pm_refuse_long_id(const struct portmap_conf *c, const char *container_id,
			     struct cni_err *err)
{
	size_t len = strlen(container_id);

	if (len <= PM_ID_MAX || c->n_mappings == 0 || !pm_conf_tags_rules(c) ||
	    c->backend == PORTMAP_BACKEND_IPTABLES)
		return 0;
	return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
			   "container ID '%.32s...' is too long for portmap: %zu characters, and "
			   "its nftables rules carry it as their comment, which holds at most %d",
			   container_id, len, PM_ID_MAX);
}

/* The iptables backend's refusal, before anything changes: an iptables-legacy host (code
 * 2). */
static int pm_refuse_iptables(const struct portmap_conf *c, struct cni_err *err)
{
	if (c->backend != PORTMAP_BACKEND_IPTABLES)
		return 0;
	return xt_cni_refuse_legacy(c->external_set_mark_chain
					    ? "portmap's \"externalSetMarkChain\" (the iptables "
					      "backend)"
					    : "portmap's iptables backend",
				    err);
}

/*
 * route_localnet=1 on the node interface that routes to the container's IPv4 address,
 * so that 127.0.0.1:hostPort can be DNATed out of the node. *ret_path is the sysctl
 * written when it was 0 before (for rollback), else left empty. No route: nothing to do,
 * as in the reference (a warning).
 */
static int pm_enable_route_localnet(const struct cni_log *log, const struct ip_addr *cont,
				    char *ret_path, size_t len, struct cni_err *err)
{
	_cleanup_nl_close_ struct nl_sock *sock = NULL;
	struct nl_route route;
	struct nl_link link;
	struct cni_err rerr = {0};
	char path[128];
	bool changed = false;

	ret_path[0] = '\0';
	if (nl_open(&sock, &rerr) < 0 || nl_route_get(sock, AF_INET, cont->a, &route, &rerr) < 0 ||
	    route.oif <= 0 || nl_link_get_by_index(sock, route.oif, &link, &rerr) < 0) {
		cni_warn(log, "no interface routes to the container, route_localnet not set: %s",
			 rerr.msg[0] ? rerr.msg : "no output interface");
		return 0;
	}
	/* An interface name has at most IFNAMSIZ - 1 bytes: both always fit. */
	snprintf(path, sizeof(path), "net/ipv4/conf/%s/route_localnet", link.name);
	if (sysctl_write_if_changed(path, "1", &changed, err) < 0)
		return cni_err_prefix(err, "unable to enable route_localnet");
	if (changed)
		snprintf(ret_path, len, "%s", path);
	return 0;
}

/* ADD's changes once there is something to map: route_localnet, the marker, the rules
 * (one transaction; route_localnet and a new marker rolled back when it fails), the
 * flush. */
static int pm_add_mappings(const struct cni_cmd_args *args, const struct portmap_conf *c,
			   struct cni_err *err)
{
	_cleanup_(nft_txn_freep) struct nft_txn *txn = NULL;
	_cleanup_(pm_ports_clear) struct pm_ports udp4 = {0}, udp6 = {0};
	struct pm_add_txn t = {.c = c, .network = args->name, .container_id = args->container_id};
	struct pm_marker m;
	char localnet[160] = "";
	bool long_id, had_marker = false;
	int r;

	/* Before anything changes: an unusable state dir or no memory for the ports to
	 * flush fails the command cleanly. An ID too long for a rule comment gets here only
	 * when no rule is tagged with it: nothing for GC to know. */
	r = pm_marker_of(args, &m, &long_id, err);
	if (r < 0)
		return r;
	if (c->has_v4 && (r = pm_conf_udp_ports(c, 0, &udp4, err)) < 0)
		return r;
	if (c->has_v6 && (r = pm_conf_udp_ports(c, 0, &udp6, err)) < 0)
		return r;
	if (c->snat && c->has_v4) {
		r = pm_enable_route_localnet(args->log, &c->cont_v4.ip, localnet, sizeof(localnet),
					     err);
		if (r < 0)
			return r;
	}
	/* The marker goes first, so that rules of this container never exist without it: an
	 * ADD that finds no marker has no earlier rules to replace and does not look for
	 * them (a walk over every container's rules), and its batch is only appends. A
	 * marker that cannot be written means looking. (An ID too long for a marker cannot
	 * be in a rule comment either: no rules to replace.) */
	if (!long_id) {
		had_marker = access(m.path, F_OK) == 0;
		t.replace = had_marker || !pm_marker_add(args->log, &m);
	}
	r = pm_run_txn(pm_queue_add_txn, NULL, &t, &txn, err);
	pm_dispatch_clear(&t.dispatch);
	if (r < 0) {
		struct cni_err ignored = {0};

		if (localnet[0])
			(void)sysctl_write(localnet, "0", &ignored);
		if (!long_id && !had_marker)
			pm_marker_del(&m);
		return cni_err_prefix(err, t.iptables ? "unable to setup DNAT"
						      : "unable to set up nftables rules for port "
							"mappings");
	}
	cni_log(args->log, CNI_LOG_INFO, "committed %zu %s rules for %zu port mappings%s",
		t.n_rules, t.iptables ? "iptables" : "nftables", c->n_mappings,
		t.replace && !t.iptables ? " (replacing earlier ones)" : "");
	/* After the rules are in place, so that new packets use them. */
	pm_flush_udp(args->log, &udp4, &udp6);
	return 0;
}

int portmap_add(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(portmap_conf_freep) struct portmap_conf *c = NULL;
	int r;

	r = portmap_conf_load(args, PORTMAP_LOAD_STRICT, &c, err);
	if (r < 0)
		return r;
	if (!c->prev)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG, "must be called as chained plugin");
	/* No mappings: prevResult as is, before anything that needs a firewall. */
	if (c->n_mappings == 0)
		return cni_result_print(c->prev, c->cni_version, ret_out, err);
	r = pm_refuse_iptables(c, err);
	if (r == 0)
		r = pm_refuse_long_id(c, args->container_id, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < c->n_mappings; i++) {
		const struct portmap_mapping *m = &c->mappings[i];
		char buf[256];

		/* Skipped, as the reference does; said so, since the port stays closed. */
		if (!portmap_mapping_usable(c, m))
			cni_warn(args->log,
				 "ignoring port mapping %s: the container has no %saddress",
				 portmap_mapping_format(m, buf, sizeof(buf)),
				 !m->has_host_ip		? ""
				 : m->host_ip.family == AF_INET ? "IPv4 "
								: "IPv6 ");
	}
	if (c->n_mappings > 0 && (c->has_v4 || c->has_v6)) {
		r = pm_add_mappings(args, c, err);
		if (r < 0)
			return r;
	}
	return cni_result_print(c->prev, c->cni_version, ret_out, err);
}

int portmap_del(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(nft_txn_freep) struct nft_txn *txn = NULL;
	_cleanup_(portmap_conf_freep) struct portmap_conf *c = NULL;
	_cleanup_(pm_ports_clear) struct pm_ports udp4 = {0}, udp6 = {0};
	struct pm_del_txn t = {
		.f = {.container_id = args->container_id, .udp4 = &udp4, .udp6 = &udp6},
		.network = args->name,
	};
	struct pm_marker m;
	bool long_id;
	int r;

	r = portmap_conf_load(args, PORTMAP_LOAD_LENIENT, &c, err);
	if (r < 0)
		return r;
	/* ADD writes neither a marker nor a rule for longer IDs. */
	r = pm_marker_of(args, &m, &long_id, err);
	if (r < 0)
		return r;
	r = pm_run_txn(pm_queue_delete_txn, NULL, &t, &txn, err);
	if (r < 0)
		return cni_err_prefix(err, "error deleting nftables rules");
	cni_log(args->log, CNI_LOG_INFO,
		"deleted %zu nftables rules, %zu iptables rules and %zu iptables chains",
		t.f.deleted, t.xt.rules, t.xt.chains);
	if (!long_id)
		pm_marker_del(&m);
	/* Ports of the deleted rules, plus the config's (rules deleted by hand earlier). */
	r = pm_conf_udp_ports(c, AF_INET, &udp4, err);
	if (r == 0)
		r = pm_conf_udp_ports(c, AF_INET6, &udp6, err);
	if (r < 0)
		return r;
	pm_flush_udp(args->log, &udp4, &udp6);
	return 0;
}

int portmap_check(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(portmap_conf_freep) struct portmap_conf *c = NULL;
	_cleanup_(nft_txn_freep) struct nft_txn *txn = NULL;
	int r;

	r = portmap_conf_load(args, PORTMAP_LOAD_STRICT, &c, err);
	if (r < 0)
		return r;
	if (!c->prev)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG, "Required prevResult missing");
	if (c->n_mappings == 0)
		return 0;
	r = pm_refuse_iptables(c, err);
	if (r == 0)
		r = pm_refuse_long_id(c, args->container_id, err);
	if (r == 0)
		r = nft_txn_new(&txn, err);
	if (r < 0)
		return r;
	if (c->backend == PORTMAP_BACKEND_IPTABLES)
		return pm_xt_check(txn, c, args->name, args->container_id, err);
	r = pm_check(txn, c, args->container_id, err);
	if (r < 0) {
		/* A container attached by the reference's (or our) iptables backend. */
		struct cni_err e = {0};
		bool present = false;

		if (xt_cni_portmap_present(txn, args->name, args->container_id, &present, &e) ==
			    0 &&
		    present) {
			cni_err_clear(err);
			return 0;
		}
	}
	return r;
}

/* Container IDs recorded for network that are not among the valid attachments. */
static int pm_stale_ids(const char *network, const struct cni_attachment *valid, size_t n_valid,
			char ***ret, struct cni_err *err)
{
	_cleanup_strv_free_ char **ids = NULL;
	_cleanup_closedir_ DIR *d = NULL;
	char path[PATH_MAX];
	struct dirent *de;
	int r;

	r = pm_path(path, err, "%s/%s", pm_state_dir(), network);
	if (r < 0)
		return r;
	d = opendir(path);
	if (!d && errno != ENOENT)
		return cni_err_errno(err, CNI_ERR_INTERNAL, errno, "cannot read '%s'", path);
	while (d && (de = readdir(d))) {
		bool keep = false;
		char *id;

		if (de->d_name[0] == '.')
			continue;
		for (size_t i = 0; i < n_valid && !keep; i++)
			keep = !strcmp(valid[i].container_id, de->d_name);
		if (keep)
			continue;
		id = strdup(de->d_name);
		if (!id || strv_push(&ids, id) < 0) {
			free(id);
			return cni_err_nomem(err);
		}
	}
	*ret = TAKE_PTR(ids);
	return 0;
}

/* The valid attachments of a GC, freed at the end. */
struct pm_valid {
	struct cni_attachment *v; /* the attachments */
	size_t n;		  /* their number */
};

static void pm_valid_clear(struct pm_valid *p)
{
	cni_attachments_free(p->v, p->n);
}

int portmap_gc(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(nft_txn_freep) struct nft_txn *txn = NULL;
	_cleanup_(cjson_freep) cJSON *root = NULL;
	_cleanup_strv_free_ char **stale = NULL;
	_cleanup_free_ char **del = NULL;
	_cleanup_(pm_ports_clear) struct pm_ports udp4 = {0}, udp6 = {0};
	struct pm_del_txn t = {.f = {.udp4 = &udp4, .udp6 = &udp6}, .network = args->name};
	_cleanup_free_ const char **keep = NULL;
	_cleanup_(pm_valid_clear) struct pm_valid valid = {0};
	size_t n_stale, n_del = 0;
	int r;

	r = conf_parse_object(args->stdin_data, args->stdin_len,
			      "failed to parse network configuration", &root, err);
	if (r < 0)
		return r;
	r = cni_gc_attachments(root, &valid.v, &valid.n, err);
	if (r < 0)
		return r;
	r = pm_stale_ids(args->name, valid.v, valid.n, &stale, err);
	if (r == 0 && !(keep = calloc(valid.n + 1, sizeof(*keep))))
		r = cni_err_nomem(err);
	for (size_t i = 0; r == 0 && i < valid.n; i++)
		keep[i] = valid.v[i].container_id;
	if (r < 0)
		return r;
	n_stale = strv_length(stale);
	del = calloc(n_stale + 1, sizeof(*del));
	if (!del)
		return cni_err_nomem(err);
	/* A container also attached to another network keeps its (shared-comment) rules. */
	for (size_t i = 0; i < n_stale; i++) {
		r = pm_marker_elsewhere(args->name, stale[i], err);
		if (r < 0)
			return r;
		if (r == 0)
			del[n_del++] = stale[i];
	}
	/* Always: the reference's iptables state has no markers, GC finds it by comment. */
	t.f.ids = del;
	t.f.n_ids = n_del;
	t.keep = keep;
	r = pm_run_txn(pm_queue_delete_txn, NULL, &t, &txn, err);
	if (r < 0)
		return cni_err_prefix(err, "error deleting stale nftables rules");
	for (size_t i = 0; i < n_stale; i++) {
		struct pm_marker m;

		r = pm_marker_init(&m, args->name, stale[i], err);
		if (r < 0)
			return r;
		pm_marker_del(&m);
	}
	cni_log(args->log, CNI_LOG_INFO,
		"GC removed %zu rules of %zu stale containers, %zu iptables chains", t.f.deleted,
		n_del, t.xt.chains);
	pm_flush_udp(args->log, &udp4, &udp6);
	return 0;
}

const struct cni_plugin portmap_plugin = {
	.name = "portmap",
	.add = portmap_add,
	.del = portmap_del,
	.check = portmap_check,
	.gc = portmap_gc,
	/* STATUS: always ready (no status verb = success). */
};
