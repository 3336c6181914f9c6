/* SPDX-License-Identifier: Apache-2.0 */
/* bandwidth verbs: ADD, DEL, CHECK, GC (STATUS: always ready).
 *
 * Ingress (traffic into the container) is shaped by a root tbf on the host end of the
 * container's veth: its egress is the container's ingress. Egress (traffic out of the
 * container) arrives on the host veth's ingress, where a u32 filter redirects every packet
 * to an ifb device whose root tbf shapes it. The objects and their parameters are the
 * reference plugin's, so either plugin can CHECK and DEL what the other set up. */
#include "bandwidth/bandwidth.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/tc_act/tc_mirred.h>

#include "cleanup.h"
#include "hwaddr.h"
#include "bandwidth/netconf.h"
#include "cni/conf.h"
#include "cni/result.h"
#include "net/netns.h"
#include "net/nl.h"
#include "net/rtnl.h"
#include "net/tc.h"

/* Handle of the tbf qdiscs, "1:". */
#define BW_TBF_HANDLE TC_HANDLE(1, 0)
/* Class of the redirect filter, "1:1", and its priority, as the reference sets them. */
#define BW_FILTER_CLASSID TC_HANDLE(1, 1)
#define BW_FILTER_PRIO	  1

/* One command's state. */
struct bw_ctx {
	const struct cni_cmd_args *args; /* the runtime's arguments */
	struct bw_conf *conf;		 /* the parsed config */
	struct nl_sock *host;		 /* rtnetlink in our (the host's) namespace */
	struct nl_sock *cont;		 /* rtnetlink in the container's namespace */
	struct nl_link veth;		 /* the host end of the container's veth */
	char ifb[NL_IFNAMSIZ];		 /* the container's ifb device name */
};

static void bw_ctx_clear(struct bw_ctx *c)
{
	bw_conf_free(c->conf);
	nl_close(c->host);
	nl_close(c->cont);
}

/* Parse the config, name the ifb, and insist on a prevResult (code 7 no_prev otherwise, the
 * reference's words differing between the verbs). */
static int ctx_init(struct bw_ctx *c, const struct cni_cmd_args *args, const char *no_prev,
		    struct cni_err *err)
{
	int r;

	c->args = args;
	r = bw_conf_load(args, &c->conf, err);
	if (r == 0)
		r = bw_ifb_name(args->name, args->container_id, c->ifb, err);
	if (r == 0 && !c->conf->prev)
		r = cni_err_set(err, CNI_ERR_INVALID_CONFIG, "%s", no_prev);
	return r;
}

/* rtnetlink sockets in our namespace and in CNI_NETNS. */
static int open_sockets(struct bw_ctx *c, struct cni_err *err)
{
	int r;

	r = nl_open(&c->host, err);
	if (r < 0)
		return r;
	return netns_open_container(c->args->netns, 0, NULL, &c->cont, err);
}

/* True for a prevResult interface on the host (no sandbox). */
static bool on_host(const struct cni_iface *f)
{
	return !f->sandbox || !f->sandbox[0];
}

/*
 * Open the sockets, then the reference's getHostInterface: the peer ifindex of CNI_IFNAME's
 * veth inside the container, that ifindex in our namespace, and a prevResult interface
 * without sandbox of that name. Its messages, in its order.
 */
static int find_host_veth(struct bw_ctx *c, struct cni_err *err)
{
	const struct cni_result *prev = c->conf->prev;
	const char *ifname = c->args->ifname;
	struct cni_err lerr = {0};
	struct nl_link cl;
	int r;

	r = open_sockets(c, err);
	if (r < 0)
		return r;
	if (prev->n_ifaces == 0)
		return cni_err_set(err, CNI_ERR_INTERNAL, "no interfaces provided");
	r = nl_link_get_by_name(c->cont, ifname, &cl, &lerr);
	if (r < 0)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, -r,
					 "container interface %s has no veth peer: could not look "
					 "up \"%s\": %s",
					 ifname, ifname, lerr.msg);
	if (strcmp(cl.kind, "veth") != 0)
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "container interface %s has no veth peer: interface \"%s\" was "
				   "not a veth interface",
				   ifname, ifname);
	if (cl.link <= 0)
		return cni_err_set(err, CNI_ERR_INTERNAL,
				   "container interface %s has no veth peer: the kernel reports no "
				   "peer ifindex",
				   ifname);
	/* A lookup error of any kind means the same here: no such link in our namespace. */
	r = nl_link_get_by_index(c->host, cl.link, &c->veth, &lerr);
	if (r < 0)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, -r,
					 "veth peer with index %d is not in host ns", cl.link);
	for (size_t i = 0; i < prev->n_ifaces; i++) {
		const struct cni_iface *f = &prev->ifaces[i];

		if (on_host(f) && f->name && strcmp(f->name, c->veth.name) == 0) {
			cni_log(c->args->log, CNI_LOG_DEBUG, "host veth of %s is '%s' (ifindex %d)",
				ifname, c->veth.name, c->veth.index);
			return 0;
		}
	}
	return cni_err_set(err, CNI_ERR_INTERNAL,
			   "no veth peer of container interface found in host ns");
}

/* Best-effort removal of what a failed ADD created; failures are warnings. */
static void undo_warn(const struct bw_ctx *c, int r, const char *what, const struct cni_err *e)
{
	if (r < 0 && r != -ENOENT && r != -ENODEV)
		cni_warn_err(c->args->log, e, "could not remove %s after the failed ADD", what);
}

/* Tag the ifb with the network and container it belongs to, for GC. A failure only
 * weakens GC: a warning. */
static void tag_ifb(const struct bw_ctx *c, int ifindex)
{
	char alias[NL_ALIAS_MAX];
	struct cni_err e = {0};

	if (bw_ifb_alias(c->args->name, c->args->container_id, alias, sizeof(alias)) < 0) {
		cni_log(c->args->log, CNI_LOG_DEBUG,
			"network name and container ID too long for the ifb alias: GC will "
			"not collect '%s'",
			c->ifb);
		return;
	}
	if (nl_link_set_alias(c->host, ifindex, alias, &e) < 0)
		cni_warn(c->args->log,
			 "could not set the alias of '%s' (GC will not collect it): %s", c->ifb,
			 e.msg);
}

/* The redirect of the reference: its library puts a mirred egress redirect (stolen) for
 * the filter's redirect index before the explicitly listed one (pass), so every filter it
 * installs has both; the second never runs. Kept identical. */
static void redirect_req(const struct bw_ctx *c, int ifb_index, struct tc_mirred_act acts[2],
			 struct tc_redirect_req *req)
{
	acts[0] = (struct tc_mirred_act){
		.action = TC_ACT_STOLEN, .eaction = TCA_EGRESS_REDIR, .ifindex = ifb_index};
	acts[1] = (struct tc_mirred_act){
		.action = TC_ACT_OK, .eaction = TCA_EGRESS_REDIR, .ifindex = ifb_index};
	*req = (struct tc_redirect_req){.ifindex = c->veth.index,
					.parent = TC_HANDLE_INGRESS,
					.prio = BW_FILTER_PRIO,
					.protocol = ETH_P_ALL,
					.classid = BW_FILTER_CLASSID,
					.actions = acts,
					.n_actions = 2};
}

/* ADD's changes, rolled back in reverse when a later step fails; the result is printed
 * before returning so that nothing can fail after the last change. */
static int add_shaping(struct bw_ctx *c, double tick_usec, char **ret_out, struct cni_err *err)
{
	const struct bw_entry *bw = &c->conf->bw;
	bool ingress = bw_ingress_on(bw), egress = bw_egress_on(bw);
	struct tc_mirred_act acts[2];
	struct tc_redirect_req req;
	struct cni_err uerr = {0};
	struct tc_tbf tbf;
	struct nl_link ifb;
	char mac[HWADDR_TEXT_MAX];
	int r;

	if (ingress) {
		bw_tbf_params(bw->ingress_rate, bw->ingress_burst, tick_usec, &tbf);
		r = tc_qdisc_add_tbf(c->host, c->veth.index, BW_TBF_HANDLE, TC_PARENT_ROOT, &tbf,
				     err);
		if (r < 0)
			return cni_err_prefix(err, "create qdisc");
		cni_log(c->args->log, CNI_LOG_INFO,
			"tbf on '%s': rate %llu B/s, limit %u B, buffer %u ticks", c->veth.name,
			(unsigned long long)tbf.rate, tbf.limit, tbf.buffer);
	}
	if (egress) {
		r = nl_link_add_ifb(c->host, c->ifb, c->veth.mtu, err);
		if (r < 0) {
			cni_err_prefix(err, "adding link");
			goto undo_root_tbf;
		}
		r = nl_link_get_by_name(c->host, c->ifb, &ifb, err);
		if (r < 0)
			goto undo_ifb;
		tag_ifb(c, ifb.index);
		hwaddr_format(ifb.mac, ifb.mac_len, mac);
		r = cni_result_add_iface(c->conf->prev, c->ifb, mac[0] ? mac : NULL, NULL);
		if (r < 0) {
			r = cni_err_nomem(err);
			goto undo_ifb;
		}
		r = tc_qdisc_add_ingress(c->host, c->veth.index, err);
		if (r < 0) {
			cni_err_prefix(err, "create ingress qdisc");
			goto undo_ifb;
		}
		redirect_req(c, ifb.index, acts, &req);
		r = tc_filter_add_redirect(c->host, &req, err);
		if (r < 0) {
			cni_err_prefix(err, "add filter");
			goto undo_ingress_qdisc;
		}
		bw_tbf_params(bw->egress_rate, bw->egress_burst, tick_usec, &tbf);
		r = tc_qdisc_add_tbf(c->host, ifb.index, BW_TBF_HANDLE, TC_PARENT_ROOT, &tbf, err);
		if (r < 0) {
			cni_err_prefix(err, "create qdisc");
			cni_err_prefix(err, "create ifb qdisc");
			goto undo_ingress_qdisc;
		}
		cni_log(c->args->log, CNI_LOG_INFO,
			"'%s' redirected to '%s': rate %llu B/s, limit %u B, buffer %u ticks",
			c->veth.name, c->ifb, (unsigned long long)tbf.rate, tbf.limit, tbf.buffer);
	}
	r = cni_result_print(c->conf->prev, c->conf->cni_version, ret_out, err);
	if (r == 0)
		return 0;
	if (!egress)
		goto undo_root_tbf;

undo_ingress_qdisc:
	/* The filter goes with its qdisc. */
	undo_warn(c,
		  tc_qdisc_del(c->host, c->veth.index, TC_HANDLE_INGRESS, TC_PARENT_INGRESS, &uerr),
		  "the ingress qdisc", &uerr);
undo_ifb:
	undo_warn(c, nl_link_del_by_name(c->host, c->ifb, &uerr), "the ifb device", &uerr);
undo_root_tbf:
	if (ingress)
		undo_warn(
			c,
			tc_qdisc_del(c->host, c->veth.index, BW_TBF_HANDLE, TC_PARENT_ROOT, &uerr),
			"the tbf qdisc", &uerr);
	return r;
}

int bandwidth_add(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(bw_ctx_clear) struct bw_ctx c = {0};
	double tick_usec;
	int r;

	/* A prevResult also when there is nothing to shape: the reference would print a nil
	 * result. */
	r = ctx_init(&c, args, "must be called as chained plugin", err);
	if (r < 0)
		return r;
	if (!bw_ingress_on(&c.conf->bw) && !bw_egress_on(&c.conf->bw))
		return cni_result_print(c.conf->prev, c.conf->cni_version, ret_out, err);
	r = find_host_veth(&c, err);
	if (r == 0)
		r = tc_tick_in_usec(&tick_usec, err);
	if (r < 0)
		return r;
	return add_shaping(&c, tick_usec, ret_out, err);
}

int bandwidth_del(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_nl_close_ struct nl_sock *host = NULL;
	_cleanup_(bw_conf_freep) struct bw_conf *conf = NULL;
	struct cni_err cerr = {0};
	char ifb[NL_IFNAMSIZ];
	_cleanup_close_ int node_fd = -1;
	struct nl_link l;
	int r;

	/* DEL only needs the network name and container ID: a config that does not validate
	 * (the reference refuses it) must not keep the ifb alive. */
	if (bw_conf_load(args, &conf, &cerr) < 0)
		cni_warn(args->log, "ignoring config error: %s", cerr.msg);
	r = bw_ifb_name(args->name, args->container_id, ifb, err);
	if (r == 0)
		r = nl_open(&host, err);
	if (r < 0)
		return r;
	r = nl_link_get_by_name(host, ifb, &l, err);
	if (r == -ENODEV) {
		cni_err_clear(err);
		cni_log(args->log, CNI_LOG_DEBUG, "no '%s': nothing to delete", ifb);
		return 0;
	}
	if (r < 0)
		return r;
	if (strcmp(l.kind, "ifb") != 0) {
		cni_warn(args->log, "'%s' is a %s link, not an ifb device: left alone", ifb,
			 l.kind[0] ? l.kind : "plain");
		return 0;
	}
	/* Returns once the ifb has left the node's namespace; the kernel's last wait for the
	 * device (tens of milliseconds) is left to a child, as the interface plugins do. */
	node_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (node_fd < 0)
		return cni_err_syscall(err, CNI_ERR_INTERNAL, errno,
				       "open /proc/thread-self/ns/net");
	r = nl_link_del_unlisted(node_fd, l.index, err);
	if (r == -ENODEV) {
		cni_err_clear(err);
		return 0;
	}
	if (r < 0)
		return r;
	cni_log(args->log, CNI_LOG_INFO, "deleted '%s'", ifb);
	return 0;
}

/* The reference's CHECK of a tbf: the device has qdiscs (pfifo_fast aside, which old
 * kernels do not report), and its root tbf has the computed rate, limit and buffer. The
 * reference stops at the first qdisc that is not a tbf, so a missing root tbf passed; here
 * it fails. */
static int check_tbf(struct nl_sock *sock, const struct nl_link *link, const struct tc_tbf *want,
		     struct cni_err *err)
{
	_cleanup_free_ struct tc_qdisc *qs = NULL;
	const struct tc_qdisc *root = NULL;
	size_t n = 0, shown = 0;
	int r;

	r = tc_qdisc_list(sock, link->index, &qs, &n, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(qs[i].kind, "pfifo_fast") == 0)
			continue;
		shown++;
		if (qs[i].parent == TC_PARENT_ROOT && !root)
			root = &qs[i];
	}
	if (shown == 0)
		return cni_err_set(err, CNI_ERR_INTERNAL, "Failed to find qdisc");
	if (!root || !root->has_tbf)
		return cni_err_set(err, CNI_ERR_INTERNAL, "no tbf qdisc at the root of '%s'",
				   link->name);
	if (root->tbf.rate != want->rate)
		return cni_err_set(err, CNI_ERR_INTERNAL, "Rate doesn't match");
	if (root->tbf.limit != want->limit)
		return cni_err_set(err, CNI_ERR_INTERNAL, "Limit doesn't match");
	if (root->tbf.buffer != want->buffer)
		return cni_err_set(err, CNI_ERR_INTERNAL, "Buffer doesn't match");
	return 0;
}

/* Beyond the reference: egress shaping also needs the host veth's ingress qdisc and a
 * match-all filter that redirects to the ifb. */
static int check_redirect(struct bw_ctx *c, const struct nl_link *ifb, struct cni_err *err)
{
	_cleanup_free_ struct tc_filter *fs = NULL;
	struct tc_qdisc q;
	size_t n = 0;
	int r;

	r = tc_qdisc_get(c->host, c->veth.index, TC_PARENT_INGRESS, &q, err);
	if (r == -ENOENT || (r == 0 && strcmp(q.kind, "ingress") != 0)) {
		cni_err_clear(err);
		return cni_err_set(err, CNI_ERR_INTERNAL, "no ingress qdisc on '%s'", c->veth.name);
	}
	if (r < 0)
		return r;
	r = tc_filter_list(c->host, c->veth.index, TC_HANDLE_INGRESS, &fs, &n, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		const struct tc_filter *f = &fs[i];

		if (strcmp(f->kind, "u32") != 0 || !f->has_sel || !f->match_all ||
		    f->n_actions == 0)
			continue;
		/* The first action decides where packets go. */
		if (f->actions[0].eaction == TCA_EGRESS_REDIR &&
		    f->actions[0].ifindex == ifb->index)
			return 0;
	}
	return cni_err_set(err, CNI_ERR_INTERNAL, "no filter on '%s' redirects to '%s'",
			   c->veth.name, ifb->name);
}

int bandwidth_check(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(bw_ctx_clear) struct bw_ctx c = {0};
	const struct bw_entry *bw;
	struct tc_tbf want;
	struct nl_link ifb;
	double tick_usec;
	int r;

	r = ctx_init(&c, args, "must be called as a chained plugin", err);
	if (r == 0)
		r = find_host_veth(&c, err);
	if (r < 0)
		return r;
	bw = &c.conf->bw;
	if (!bw_ingress_on(bw) && !bw_egress_on(bw))
		return 0;
	r = tc_tick_in_usec(&tick_usec, err);
	if (r < 0)
		return r;
	if (bw_ingress_on(bw)) {
		bw_tbf_params(bw->ingress_rate, bw->ingress_burst, tick_usec, &want);
		r = check_tbf(c.host, &c.veth, &want, err);
		if (r < 0)
			return r;
	}
	if (bw_egress_on(bw)) {
		r = nl_link_get_by_name(c.host, c.ifb, &ifb, err);
		if (r < 0)
			return cni_err_prefix(err, "get ifb device");
		bw_tbf_params(bw->egress_rate, bw->egress_burst, tick_usec, &want);
		r = check_tbf(c.host, &ifb, &want, err);
		if (r == 0)
			r = check_redirect(&c, &ifb, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Whether a valid attachment has container_id (the ifb is per network and container). */
static bool attached(const struct cni_attachment *a, size_t n, const char *container_id)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(a[i].container_id, container_id) == 0)
			return true;
	return false;
}

/* GC over the ifb devices tagged for this network; returns the first deletion error
 * after trying them all. */
static int gc_ifbs(const struct cni_cmd_args *args, const struct cni_attachment *valid,
		   size_t n_valid, struct cni_err *err)
{
	_cleanup_nl_close_ struct nl_sock *host = NULL;
	_cleanup_free_ struct nl_link *ifbs = NULL;
	size_t n = 0, removed = 0;
	int r, first = 0;

	r = nl_open(&host, err);
	if (r == 0)
		r = nl_link_list_kind(host, "ifb", &ifbs, &n, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		const char *net, *cid;
		struct cni_err derr = {0};

		if (!bw_ifb_alias_parse(ifbs[i].alias, &net, &cid) ||
		    strcmp(net, args->name) != 0 || attached(valid, n_valid, cid))
			continue;
		r = nl_link_del(host, ifbs[i].index, &derr);
		if (r == 0 || r == -ENODEV) {
			removed++;
			continue;
		}
		cni_warn(args->log, "could not delete '%s' of container %s: %s", ifbs[i].name, cid,
			 derr.msg);
		if (!first) {
			*err = derr;
			cni_err_prefix(err, "could not delete '%s'", ifbs[i].name);
			first = r;
		}
	}
	cni_log(args->log, CNI_LOG_INFO, "GC removed %zu ifb devices", removed);
	return first;
}

int bandwidth_gc(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	_cleanup_(cjson_freep) cJSON *root = NULL;
	struct cni_attachment *valid = NULL;
	size_t n_valid = 0;
	int r;

	r = conf_parse_object(args->stdin_data, args->stdin_len,
			      "failed to parse network configuration", &root, err);
	if (r == 0)
		r = cni_gc_attachments(root, &valid, &n_valid, err);
	if (r < 0)
		return r;
	r = gc_ifbs(args, valid, n_valid, err);
	cni_attachments_free(valid, n_valid);
	return r;
}

const struct cni_plugin bandwidth_plugin = {
	.name = "bandwidth",
	.versions = bw_supported_versions,
	.add = bandwidth_add,
	.del = bandwidth_del,
	.check = bandwidth_check,
	.gc = bandwidth_gc,
	/* STATUS: always ready (no status verb = success), as the reference. */
};
