/* SPDX-License-Identifier: Apache-2.0 */
/* portmap verbs: ADD, DEL, CHECK, GC, STATUS. Each command that changes rules sends one
 * nftables transaction, so it applies completely or not at all. */
#include "portmap/portmap.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "cni/conf.h"
#include "net/conntrack.h"
#include "net/nft.h"
#include "net/nl.h"
#include "portmap/netconf.h"
#include "portmap/rules.h"
#include "cni/result.h"
#include "net/sysctl.h"

/* How often a transaction is rebuilt when a rule it deletes vanished meanwhile (a
 * concurrent DEL/GC of another container): listing and commit are not atomic. */
#define PM_TXN_ATTEMPTS 3

/* Which verb a transaction builder serves. */
enum pm_op {
	PM_OP_ADD, /* replace this container's rules */
	PM_OP_DEL, /* delete this container's rules */
	PM_OP_GC,  /* delete the rules of containers not in the valid list */
};

/* Build and commit the transaction of op, rebuilding it when a listed rule vanished. */
static int pm_run_txn(enum pm_op op, const struct portmap_conf *c, const char *container_id,
		      struct pm_del_filter *f, struct cni_err *err)
{
	_cleanup_(nft_txn_freep) struct nft_txn *txn = NULL;
	int r = 0;

	if (nft_txn_new(&txn, err) < 0)
		return -1;
	for (int attempt = 0; attempt < PM_TXN_ATTEMPTS; attempt++) {
		struct pm_del_filter fresh;

		if (f) {
			/* Ports collected by a failed attempt are kept: harmless extras. */
			fresh = *f;
			fresh.deleted = 0;
		}
		nft_txn_abort(txn);
		if (op == PM_OP_ADD)
			r = pm_queue_add(txn, c, container_id, err);
		else
			r = pm_queue_delete(txn, &fresh, err);
		if (r < 0)
			return -1;
		r = nft_txn_commit(txn, err);
		if (r == 0) {
			if (f)
				*f = fresh;
			return 0;
		}
		if (r != -ENOENT)
			break;
		cni_err_clear(err);
		r = -1;
	}
	return -1;
}

/* Delete UDP conntrack entries whose original destination port is one of ports (all
 * destination addresses, as the reference does). Failures are only logged. */
static void pm_flush_udp(int af, const struct pm_ports *ports)
{
	for (size_t i = 0; i < ports->n; i++) {
		struct cni_err cerr = {0};

		if (ct_delete_by_dport(af, IPPROTO_UDP, ports->v[i], NULL, &cerr) < 0)
			fprintf(stderr,
				"portmap: failed to delete stale UDP conntrack entries for port "
				"%u (%s): %s%s%s\n",
				ports->v[i], af == AF_INET ? "IPv4" : "IPv6", cerr.msg,
				cerr.details[0] ? ": " : "", cerr.details);
	}
}

/* The UDP host ports of the config's mappings that apply to af. */
static void pm_config_udp_ports(const struct portmap_conf *c, int af, struct pm_ports *ports)
{
	for (size_t i = 0; i < c->n_mappings; i++) {
		const struct portmap_mapping *m = &c->mappings[i];

		if (m->proto == IPPROTO_UDP && portmap_mapping_applies(m, af))
			pm_ports_add(ports, m->host_port);
	}
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

/* Record that container_id has rules for network. Failures only weaken GC: logged. */
static void pm_marker_add(const char *network, const char *container_id)
{
	char path[4096];
	int fd = -1;

	/* A concurrent DEL may remove the (empty) directories between our steps: retry. */
	for (int attempt = 0; attempt < 3 && fd < 0; attempt++) {
		snprintf(path, sizeof(path), "%s", pm_state_dir());
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			continue;
		snprintf(path, sizeof(path), "%s/%s", pm_state_dir(), network);
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			continue;
		snprintf(path, sizeof(path), "%s/%s/%s", pm_state_dir(), network, container_id);
		fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	}
	if (fd < 0) {
		fprintf(stderr, "portmap: cannot record '%s' for GC: %s\n", path, strerror(errno));
		return;
	}
	close(fd);
}

/* Forget container_id for network; empty directories are removed (rmdir fails otherwise). */
static void pm_marker_del(const char *network, const char *container_id)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s/%s", pm_state_dir(), network, container_id);
	unlink(path);
	snprintf(path, sizeof(path), "%s/%s", pm_state_dir(), network);
	rmdir(path);
	rmdir(pm_state_dir());
}

/* True when container_id is recorded for a network other than network. */
static bool pm_marker_elsewhere(const char *network, const char *container_id)
{
	_cleanup_(closedirp) DIR *d = opendir(pm_state_dir());
	struct dirent *de;

	while (d && (de = readdir(d))) {
		char path[4096];

		if (de->d_name[0] == '.' || !strcmp(de->d_name, network))
			continue;
		snprintf(path, sizeof(path), "%s/%s/%s", pm_state_dir(), de->d_name, container_id);
		if (access(path, F_OK) == 0)
			return true;
	}
	return false;
}

/* Code 2 for configurations that need the (not implemented) iptables backend. */
static int pm_refuse_iptables(const struct portmap_conf *c, struct cni_err *err)
{
	if (c->backend != PORTMAP_BACKEND_IPTABLES)
		return 0;
	if (c->external_set_mark_chain)
		return cni_err_set(
			err, CNI_ERR_UNSUPPORTED_FIELD,
			"unsupported field \"externalSetMarkChain\": \"%s\": it needs the "
			"iptables backend, and only the nftables backend is implemented; "
			"set \"backend\": \"nftables\" and remove it",
			c->external_set_mark_chain);
	return cni_err_set(err, CNI_ERR_UNSUPPORTED_FIELD,
			   "unsupported field \"backend\": \"iptables\" (or iptables-style "
			   "conditions): only the nftables backend is implemented; set "
			   "\"backend\": \"nftables\" (DEL still cleans up)");
}

/*
 * route_localnet=1 on the node interface that routes to the container's IPv4 address,
 * so that 127.0.0.1:hostPort can be DNATed out of the node. *ret_path is the sysctl
 * written when it was 0 before (for rollback), else left empty. No route: nothing to do,
 * as in the reference.
 */
static int pm_enable_route_localnet(const struct ip_addr *cont, char *ret_path, size_t len,
				    struct cni_err *err)
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
		fprintf(stderr,
			"portmap: no interface routes to the container, route_localnet "
			"not set: %s\n",
			rerr.msg[0] ? rerr.msg : "no output interface");
		return 0;
	}
	snprintf(path, sizeof(path), "net/ipv4/conf/%s/route_localnet", link.name);
	if (sysctl_write_if_changed(path, "1", &changed, err) < 0)
		return cni_err_prefix(err, "unable to enable route_localnet");
	if (changed)
		snprintf(ret_path, len, "%s", path);
	return 0;
}

int portmap_add(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(portmap_conf_freep) struct portmap_conf *c = NULL;
	char localnet[160] = "";
	struct pm_ports udp4 = {0}, udp6 = {0};

	if (portmap_conf_load(args, PORTMAP_LOAD_STRICT, &c, err) < 0)
		return -1;
	if (pm_refuse_iptables(c, err) < 0)
		return -1;
	if (!c->prev)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG, "must be called as chained plugin");
	if (c->n_mappings > 0 && (c->has_v4 || c->has_v6)) {
		if (c->snat && c->has_v4 &&
		    pm_enable_route_localnet(&c->cont_v4.ip, localnet, sizeof(localnet), err) < 0)
			return -1;
		if (pm_run_txn(PM_OP_ADD, c, args->container_id, NULL, err) < 0) {
			struct cni_err ignored = {0};

			if (localnet[0])
				(void)sysctl_write(localnet, "0", &ignored);
			return cni_err_prefix(err,
					      "unable to set up nftables rules for port mappings");
		}
		pm_marker_add(args->name, args->container_id);
		/* After the rules are in place, so that new packets use them. */
		if (c->has_v4) {
			pm_config_udp_ports(c, AF_INET, &udp4);
			pm_flush_udp(AF_INET, &udp4);
		}
		if (c->has_v6) {
			pm_config_udp_ports(c, AF_INET6, &udp6);
			pm_flush_udp(AF_INET6, &udp6);
		}
	}
	return cni_result_print(c->prev, c->cni_version, ret_out, err);
}

int portmap_del(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(portmap_conf_freep) struct portmap_conf *c = NULL;
	struct pm_ports udp4 = {0}, udp6 = {0};
	struct pm_del_filter f = {.container_id = args->container_id, .udp4 = &udp4, .udp6 = &udp6};

	if (portmap_conf_load(args, PORTMAP_LOAD_LENIENT, &c, err) < 0)
		return -1;
	if (pm_run_txn(PM_OP_DEL, c, args->container_id, &f, err) < 0)
		return cni_err_prefix(err, "error deleting nftables rules");
	pm_marker_del(args->name, args->container_id);
	/* Ports of the deleted rules, plus the config's (rules deleted by hand earlier). */
	pm_config_udp_ports(c, AF_INET, &udp4);
	pm_config_udp_ports(c, AF_INET6, &udp6);
	pm_flush_udp(AF_INET, &udp4);
	pm_flush_udp(AF_INET6, &udp6);
	return 0;
}

int portmap_check(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(portmap_conf_freep) struct portmap_conf *c = NULL;
	_cleanup_(nft_txn_freep) struct nft_txn *txn = NULL;

	if (portmap_conf_load(args, PORTMAP_LOAD_STRICT, &c, err) < 0)
		return -1;
	if (!c->prev)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG, "Required prevResult missing");
	if (c->n_mappings == 0)
		return 0;
	if (pm_refuse_iptables(c, err) < 0)
		return -1;
	if (nft_txn_new(&txn, err) < 0)
		return -1;
	return pm_check(txn, c, args->container_id, err);
}

/* Container IDs recorded for network that are not among the valid attachments. */
static int pm_stale_ids(const char *network, const struct cni_attachment *valid, size_t n_valid,
			char ***ret, size_t *ret_n, struct cni_err *err)
{
	char path[4096];
	_cleanup_(closedirp) DIR *d = NULL;
	struct dirent *de;
	char **ids = NULL;
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/%s", pm_state_dir(), network);
	d = opendir(path);
	*ret = NULL;
	*ret_n = 0;
	if (!d)
		return errno == ENOENT ? 0
				       : cni_err_errno(err, CNI_ERR_INTERNAL, errno,
						       "cannot read '%s'", path);
	while ((de = readdir(d))) {
		bool keep = false;
		char **nv;

		if (de->d_name[0] == '.')
			continue;
		for (size_t i = 0; i < n_valid && !keep; i++)
			keep = !strcmp(valid[i].container_id, de->d_name);
		if (keep)
			continue;
		nv = realloc(ids, (n + 2) * sizeof(*ids));
		if (!nv) {
			strv_free(ids);
			return cni_err_nomem(err);
		}
		ids = nv;
		ids[n + 1] = NULL;
		if (!(ids[n] = strdup(de->d_name))) {
			strv_free(ids);
			return cni_err_nomem(err);
		}
		n++;
	}
	*ret = ids;
	*ret_n = n;
	return 0;
}

int portmap_gc(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(cjson_freep) cJSON *root = NULL;
	struct cni_attachment *valid = NULL;
	size_t n_valid = 0, n_stale = 0, n_del = 0;
	char **stale = NULL;
	_cleanup_free_ char **del = NULL;
	struct pm_ports udp4 = {0}, udp6 = {0};
	struct pm_del_filter f = {.udp4 = &udp4, .udp6 = &udp6};
	int r = 0;

	if (conf_parse_object(args->stdin_data, args->stdin_len,
			      "failed to parse network configuration", &root, err) < 0 ||
	    cni_gc_attachments(root, &valid, &n_valid, err) < 0)
		return -1;
	r = pm_stale_ids(args->name, valid, n_valid, &stale, &n_stale, err);
	cni_attachments_free(valid, n_valid);
	if (r < 0)
		return -1;
	del = calloc(n_stale + 1, sizeof(*del));
	if (!del) {
		strv_free(stale);
		return cni_err_nomem(err);
	}
	/* A container also attached to another network keeps its (shared-comment) rules. */
	for (size_t i = 0; i < n_stale; i++)
		if (!pm_marker_elsewhere(args->name, stale[i]))
			del[n_del++] = stale[i];
	if (n_del) {
		f.ids = del;
		f.n_ids = n_del;
		r = pm_run_txn(PM_OP_GC, NULL, NULL, &f, err);
	}
	if (r == 0)
		for (size_t i = 0; i < n_stale; i++)
			pm_marker_del(args->name, stale[i]);
	strv_free(stale);
	if (r < 0)
		return cni_err_prefix(err, "error deleting stale nftables rules");
	pm_flush_udp(AF_INET, &udp4);
	pm_flush_udp(AF_INET6, &udp6);
	return 0;
}

int portmap_status(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	return 0;
}

const struct cni_plugin portmap_plugin = {
	.about = "CNI portmap plugin (C, nftables)",
	.add = portmap_add,
	.del = portmap_del,
	.check = portmap_check,
	.status = portmap_status,
	.gc = portmap_gc,
};
