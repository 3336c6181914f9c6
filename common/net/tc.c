/* SPDX-License-Identifier: Apache-2.0 */
/* Traffic control over rtnetlink: tbf and ingress qdiscs, the u32 mirred redirect filter.
 * Builders, parsers and the executors that join them to the transport. */
#include "net/tc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/tc_act/tc_mirred.h>

#include <libmnl/libmnl.h>

#include "cleanup.h"
#include "fileio.h"
#include "hex.h"
#include "net/rtnl.h"

_Static_assert(TC_KIND_MAX == IFNAMSIZ, "TC_KIND_MAX must match IFNAMSIZ");
_Static_assert(TC_PARENT_ROOT == TC_H_ROOT, "TC_PARENT_ROOT must be TC_H_ROOT");
_Static_assert(TC_PARENT_INGRESS == TC_H_INGRESS, "TC_PARENT_INGRESS must be TC_H_INGRESS");

/* Largest /proc/net/psched read (it is one short line). */
#define PSCHED_MAX 256

/* ---- clock ------------------------------------------------------------------------------ */

/* One field of /proc/net/psched: hexadecimal digits only (Go's ParseUint(x, 16, 32)), up
 * to a space or the end. The position after it, or NULL. */
static const char *psched_field(const char *p, unsigned long long *ret)
{
	unsigned long long v = 0;
	const char *start = p;

	for (; *p && *p != ' '; p++) {
		int d = hex_digit(*p);

		if (d < 0)
			return NULL;
		v = v * 16 + (unsigned long long)d;
		if (v > UINT32_MAX)
			return NULL;
	}
	if (p == start)
		return NULL;
	*ret = v;
	return p;
}

int tc_psched_parse(const char *text, double *ret_tick_usec, struct cni_err *err)
{
	unsigned long long v[4];
	const char *p = text;

	/* Go: strings.Split(strings.TrimSpace(text), " "), the first four fields parsed;
	 * the caller trims. */
	for (int i = 0; i < 4; i++) {
		if (i > 0) {
			if (*p != ' ')
				goto bad;
			p++;
		}
		p = psched_field(p, &v[i]);
		if (!p)
			goto bad;
	}
	if (v[1] == 0)
		goto bad;
	if (v[2] == 1000000000ull)
		v[0] = v[1];
	*ret_tick_usec = (double)v[0] / (double)v[1] * ((double)v[2] / 1e6);
	return 0;
bad:
	return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL, "cannot parse %s: '%.64s'",
				 TC_PSCHED_PATH, text);
}

int tc_tick_in_usec(double *ret_tick_usec, struct cni_err *err)
{
	_cleanup_free_ char *text = NULL;
	const char *start;
	size_t len = 0;
	int r;

	r = fileio_read_path(TC_PSCHED_PATH, PSCHED_MAX, &text, &len);
	if (r < 0)
		return cni_err_errno(err, CNI_ERR_INTERNAL, r, "cannot read %s", TC_PSCHED_PATH);
	/* strings.TrimSpace */
	while (len > 0 && strchr(" \t\n\r\v\f", text[len - 1]))
		text[--len] = '\0';
	for (start = text; *start && strchr(" \t\n\r\v\f", *start); start++)
		;
	return tc_psched_parse(start, ret_tick_usec, err);
}

/* ---- helpers ---------------------------------------------------------------------------- */

/* Start a tc message of type with a struct tcmsg. */
static struct nlmsghdr *tc_msg(void *buf, uint16_t type, uint16_t flags, int ifindex,
			       uint32_t handle, uint32_t parent, uint32_t info)
{
	struct nlmsghdr *nlh = nl_msg_init(buf, type, flags);
	struct tcmsg *tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));

	tcm->tcm_family = AF_UNSPEC;
	tcm->tcm_ifindex = ifindex;
	tcm->tcm_handle = handle;
	tcm->tcm_parent = parent;
	tcm->tcm_info = info;
	return nlh;
}

/* ---- qdiscs ----------------------------------------------------------------------------- */

int tc_build_qdisc_tbf(void *buf, int ifindex, uint32_t handle, uint32_t parent,
		       const struct tc_tbf *tbf, struct nlmsghdr **ret_nlh, struct cni_err *err)
{
	struct tc_tbf_qopt opt;
	struct nlmsghdr *nlh;
	struct nlattr *opts;
	int r;

	r = nl_ifindex_check(ifindex, err);
	if (r < 0)
		return r;
	memset(&opt, 0, sizeof(opt));
	/* The 32-bit field carries the low half; TCA_TBF_RATE64 the whole rate. */
	opt.rate.rate = (uint32_t)tbf->rate;
	opt.limit = tbf->limit;
	opt.buffer = tbf->buffer;
	opt.mtu = tbf->mtu;
	nlh = tc_msg(buf, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL, ifindex, handle, parent, 0);
	mnl_attr_put_strz(nlh, TCA_KIND, "tbf");
	opts = mnl_attr_nest_start(nlh, TCA_OPTIONS);
	mnl_attr_put(nlh, TCA_TBF_PARMS, sizeof(opt), &opt);
	if (tbf->rate >= (1ull << 32))
		mnl_attr_put_u64(nlh, TCA_TBF_RATE64, tbf->rate);
	mnl_attr_nest_end(nlh, opts);
	*ret_nlh = nlh;
	return 0;
}

int tc_qdisc_add_tbf(struct nl_sock *sock, int ifindex, uint32_t handle, uint32_t parent,
		     const struct tc_tbf *tbf, struct cni_err *err)
{
	char buf[NL_MSG_BUF_SIZE];
	struct nlmsghdr *nlh;

	return nl_request_built(
		sock, tc_build_qdisc_tbf(buf, ifindex, handle, parent, tbf, &nlh, err), buf, err);
}

int tc_build_qdisc_ingress(void *buf, int ifindex, struct nlmsghdr **ret_nlh, struct cni_err *err)
{
	struct nlmsghdr *nlh;
	int r;

	r = nl_ifindex_check(ifindex, err);
	if (r < 0)
		return r;
	nlh = tc_msg(buf, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL, ifindex, TC_HANDLE_INGRESS,
		     TC_PARENT_INGRESS, 0);
	mnl_attr_put_strz(nlh, TCA_KIND, "ingress");
	/* An empty TCA_OPTIONS, as both tc and the reference's library send. */
	mnl_attr_nest_end(nlh, mnl_attr_nest_start(nlh, TCA_OPTIONS));
	*ret_nlh = nlh;
	return 0;
}

int tc_qdisc_add_ingress(struct nl_sock *sock, int ifindex, struct cni_err *err)
{
	char buf[NL_MSG_BUF_SIZE];
	struct nlmsghdr *nlh;

	return nl_request_built(sock, tc_build_qdisc_ingress(buf, ifindex, &nlh, err), buf, err);
}

int tc_build_qdisc_del(void *buf, int ifindex, uint32_t handle, uint32_t parent,
		       struct nlmsghdr **ret_nlh, struct cni_err *err)
{
	int r = nl_ifindex_check(ifindex, err);

	if (r < 0)
		return r;
	*ret_nlh = tc_msg(buf, RTM_DELQDISC, 0, ifindex, handle, parent, 0);
	return 0;
}

int tc_qdisc_del(struct nl_sock *sock, int ifindex, uint32_t handle, uint32_t parent,
		 struct cni_err *err)
{
	char buf[NL_MSG_BUF_SIZE];
	struct nlmsghdr *nlh;

	return nl_request_built(sock, tc_build_qdisc_del(buf, ifindex, handle, parent, &nlh, err),
				buf, err);
}

int tc_build_qdisc_get(void *buf, int ifindex, uint32_t parent, struct nlmsghdr **ret_nlh,
		       struct cni_err *err)
{
	int r = nl_ifindex_check(ifindex, err);

	if (r < 0)
		return r;
	/* The kernel answers a qdisc get as a notification: only NLM_F_ECHO sends it to us. */
	*ret_nlh = tc_msg(buf, RTM_GETQDISC, NLM_F_ECHO, ifindex, 0, parent, 0);
	return 0;
}

struct nlmsghdr *tc_build_qdisc_dump(void *buf, int ifindex)
{
	return tc_msg(buf, RTM_GETQDISC, 0, ifindex, 0, 0, 0);
}

/* The tbf options: TCA_TBF_PARMS, then TCA_TBF_RATE64/PRATE64 override the 32-bit rates. */
static void parse_tbf(const struct nlattr *opts, struct tc_qdisc *q)
{
	const struct nlattr *tb[TCA_TBF_MAX + 1];
	const struct tc_tbf_qopt *opt;

	nl_attr_index_nested(opts, tb, TCA_TBF_MAX);
	if (!tb[TCA_TBF_PARMS] || mnl_attr_get_payload_len(tb[TCA_TBF_PARMS]) < sizeof(*opt))
		return;
	opt = mnl_attr_get_payload(tb[TCA_TBF_PARMS]);
	q->has_tbf = true;
	q->tbf.rate = opt->rate.rate;
	q->tbf.peakrate = opt->peakrate.rate;
	q->tbf.limit = opt->limit;
	q->tbf.buffer = opt->buffer;
	q->tbf.mtu = opt->mtu;
	if (tb[TCA_TBF_RATE64] && mnl_attr_get_payload_len(tb[TCA_TBF_RATE64]) >= 8)
		q->tbf.rate = mnl_attr_get_u64(tb[TCA_TBF_RATE64]);
	if (tb[TCA_TBF_PRATE64] && mnl_attr_get_payload_len(tb[TCA_TBF_PRATE64]) >= 8)
		q->tbf.peakrate = mnl_attr_get_u64(tb[TCA_TBF_PRATE64]);
}

int tc_qdisc_parse(const struct nlmsghdr *nlh, struct tc_qdisc *ret, struct cni_err *err)
{
	const struct nlattr *tb[TCA_MAX + 1];
	const struct tcmsg *tcm;
	struct tc_qdisc q;
	int r;

	r = nl_msg_check(nlh, RTM_NEWQDISC, sizeof(*tcm), err);
	if (r < 0)
		return r;
	tcm = mnl_nlmsg_get_payload(nlh);
	memset(&q, 0, sizeof(q));
	q.ifindex = tcm->tcm_ifindex;
	q.handle = tcm->tcm_handle;
	q.parent = tcm->tcm_parent;
	nl_attr_index(nlh, sizeof(*tcm), tb, TCA_MAX);
	nl_attr_str(tb[TCA_KIND], q.kind, sizeof(q.kind));
	if (tb[TCA_OPTIONS] && strcmp(q.kind, "tbf") == 0)
		parse_tbf(tb[TCA_OPTIONS], &q);
	*ret = q;
	return 0;
}

/* What tc_qdisc_get() collects: the one answer. */
struct qdisc_get {
	struct tc_qdisc *q; /* where it goes */
	bool found;	    /* a RTM_NEWQDISC arrived */
};

static int qdisc_get_cb(const struct nlmsghdr *nlh, void *data, struct cni_err *err)
{
	struct qdisc_get *g = data;
	int r;

	if (nlh->nlmsg_type != RTM_NEWQDISC)
		return 0;
	r = tc_qdisc_parse(nlh, g->q, err);
	if (r == 0)
		g->found = true;
	return r;
}

int tc_qdisc_get(struct nl_sock *sock, int ifindex, uint32_t parent, struct tc_qdisc *ret,
		 struct cni_err *err)
{
	struct qdisc_get g = {.q = ret};
	char buf[NL_MSG_BUF_SIZE];
	struct nlmsghdr *nlh;
	int r;

	r = tc_build_qdisc_get(buf, ifindex, parent, &nlh, err);
	if (r < 0)
		return r;
	r = nl_request_cb(sock, nlh, qdisc_get_cb, &g, err);
	if (r < 0)
		return r;
	if (!g.found)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, ENOENT,
					 "no qdisc at parent %x:%x of ifindex %d", parent >> 16,
					 parent & 0xffffu, ifindex);
	return 0;
}

/* What tc_qdisc_list() collects: the device's qdiscs (all when ifindex is 0). */
struct qdisc_filter {
	struct nl_vec *v; /* the results */
	int ifindex;	  /* the device, 0 = any */
};

static int qdisc_list_cb(const struct nlmsghdr *nlh, void *data, struct cni_err *err)
{
	struct qdisc_filter *f = data;
	struct tc_qdisc q, *out;
	int r;

	r = tc_qdisc_parse(nlh, &q, err);
	if (r < 0)
		return r;
	/* The kernel dumps every device's qdiscs; keep the one asked for. */
	if (f->ifindex && q.ifindex != f->ifindex)
		return 0;
	out = nl_vec_push(f->v, err);
	if (!out)
		return -ENOMEM;
	*out = q;
	return 0;
}

int tc_qdisc_list(struct nl_sock *sock, int ifindex, struct tc_qdisc **ret_qdiscs, size_t *ret_n,
		  struct cni_err *err)
{
	struct nl_vec v = {.size = sizeof(struct tc_qdisc)};
	struct qdisc_filter f = {.v = &v, .ifindex = ifindex};
	char buf[NL_MSG_BUF_SIZE];

	return nl_dump_collect(sock, tc_build_qdisc_dump(buf, ifindex), RTM_NEWQDISC, qdisc_list_cb,
			       &f, &v, ret_qdiscs, ret_n, err);
}

/* ---- filters ---------------------------------------------------------------------------- */

int tc_build_filter_redirect(void *buf, const struct tc_redirect_req *req,
			     struct nlmsghdr **ret_nlh, struct cni_err *err)
{
	uint8_t selbuf[sizeof(struct tc_u32_sel) + sizeof(struct tc_u32_key)];
	struct tc_u32_sel sel;
	struct nlattr *opts, *acts;
	struct nlmsghdr *nlh;
	int r;

	r = nl_ifindex_check(req->ifindex, err);
	if (r < 0)
		return r;
	if (req->n_actions == 0 || req->n_actions > TC_ACTIONS_MAX || !req->actions)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL,
					 "a redirect filter needs 1 to %d actions, not %zu",
					 TC_ACTIONS_MAX, req->n_actions);
	/* Match everything: one key with mask 0 at offset 0, terminal. */
	memset(&sel, 0, sizeof(sel));
	sel.flags = TC_U32_TERMINAL;
	sel.nkeys = 1;
	memset(selbuf, 0, sizeof(selbuf));
	memcpy(selbuf, &sel, sizeof(sel));
	nlh = tc_msg(buf, RTM_NEWTFILTER, NLM_F_CREATE | NLM_F_EXCL, req->ifindex, 0, req->parent,
		     TC_HANDLE(req->prio, htons(req->protocol)));
	mnl_attr_put_strz(nlh, TCA_KIND, "u32");
	opts = mnl_attr_nest_start(nlh, TCA_OPTIONS);
	mnl_attr_put(nlh, TCA_U32_SEL, sizeof(selbuf), selbuf);
	if (req->classid)
		mnl_attr_put_u32(nlh, TCA_U32_CLASSID, req->classid);
	acts = mnl_attr_nest_start(nlh, TCA_U32_ACT);
	for (size_t i = 0; i < req->n_actions; i++) {
		struct nlattr *tab, *aopts;
		struct tc_mirred parms;

		memset(&parms, 0, sizeof(parms));
		parms.action = req->actions[i].action;
		parms.eaction = req->actions[i].eaction;
		parms.ifindex = (uint32_t)req->actions[i].ifindex;
		/* Action tables are numbered from TCA_ACT_TAB (1) in execution order. */
		tab = mnl_attr_nest_start(nlh, (uint16_t)(TCA_ACT_TAB + i));
		mnl_attr_put_strz(nlh, TCA_ACT_KIND, "mirred");
		aopts = mnl_attr_nest_start(nlh, TCA_ACT_OPTIONS);
		mnl_attr_put(nlh, TCA_MIRRED_PARMS, sizeof(parms), &parms);
		mnl_attr_nest_end(nlh, aopts);
		mnl_attr_nest_end(nlh, tab);
	}
	mnl_attr_nest_end(nlh, acts);
	mnl_attr_nest_end(nlh, opts);
	*ret_nlh = nlh;
	return 0;
}

int tc_filter_add_redirect(struct nl_sock *sock, const struct tc_redirect_req *req,
			   struct cni_err *err)
{
	char buf[NL_MSG_BUF_SIZE];
	struct nlmsghdr *nlh;

	return nl_request_built(sock, tc_build_filter_redirect(buf, req, &nlh, err), buf, err);
}

int tc_build_filter_dump(void *buf, int ifindex, uint32_t parent, struct nlmsghdr **ret_nlh,
			 struct cni_err *err)
{
	int r = nl_ifindex_check(ifindex, err);

	if (r < 0)
		return r;
	*ret_nlh = tc_msg(buf, RTM_GETTFILTER, 0, ifindex, 0, parent, 0);
	return 0;
}

/* One entry of an action list: decode it when it is a mirred action. */
static void parse_action(const struct nlattr *tab, struct tc_filter *f)
{
	const struct nlattr *tb[TCA_ACT_MAX + 1], *mt[TCA_MIRRED_MAX + 1];
	const struct tc_mirred *m;
	char kind[TC_KIND_MAX];

	nl_attr_index_nested(tab, tb, TCA_ACT_MAX);
	nl_attr_str(tb[TCA_ACT_KIND], kind, sizeof(kind));
	if (strcmp(kind, "mirred") != 0 || !tb[TCA_ACT_OPTIONS] || f->n_actions >= TC_ACTIONS_MAX) {
		f->n_other_actions++;
		return;
	}
	nl_attr_index_nested(tb[TCA_ACT_OPTIONS], mt, TCA_MIRRED_MAX);
	if (!mt[TCA_MIRRED_PARMS] || mnl_attr_get_payload_len(mt[TCA_MIRRED_PARMS]) < sizeof(*m)) {
		f->n_other_actions++;
		return;
	}
	m = mnl_attr_get_payload(mt[TCA_MIRRED_PARMS]);
	f->actions[f->n_actions].action = m->action;
	f->actions[f->n_actions].eaction = m->eaction;
	f->actions[f->n_actions].ifindex = (int)m->ifindex;
	f->n_actions++;
}

/* The u32 options: class, selector, actions (in the order of their table numbers). */
static void parse_u32(const struct nlattr *opts, struct tc_filter *f)
{
	const struct nlattr *tb[TCA_U32_MAX + 1];

	nl_attr_index_nested(opts, tb, TCA_U32_MAX);
	f->classid = nl_attr_u32(tb[TCA_U32_CLASSID], 0);
	if (tb[TCA_U32_SEL] &&
	    mnl_attr_get_payload_len(tb[TCA_U32_SEL]) >= sizeof(struct tc_u32_sel)) {
		const struct tc_u32_sel *sel = mnl_attr_get_payload(tb[TCA_U32_SEL]);
		size_t room = (mnl_attr_get_payload_len(tb[TCA_U32_SEL]) - sizeof(*sel)) /
			      sizeof(struct tc_u32_key);

		f->has_sel = true;
		f->sel_flags = sel->flags;
		f->sel_nkeys = sel->nkeys;
		f->match_all = sel->nkeys <= room;
		for (size_t i = 0; i < sel->nkeys && i < room; i++)
			if (sel->keys[i].mask != 0)
				f->match_all = false;
	}
	if (tb[TCA_U32_ACT]) {
		const struct nlattr *acts[TCA_ACT_MAX_PRIO + 1];

		nl_attr_index_nested(tb[TCA_U32_ACT], acts, TCA_ACT_MAX_PRIO);
		for (unsigned int i = TCA_ACT_TAB; i <= TCA_ACT_MAX_PRIO; i++)
			if (acts[i])
				parse_action(acts[i], f);
	}
}

int tc_filter_parse(const struct nlmsghdr *nlh, struct tc_filter *ret, struct cni_err *err)
{
	const struct nlattr *tb[TCA_MAX + 1];
	const struct tcmsg *tcm;
	struct tc_filter f;
	int r;

	r = nl_msg_check(nlh, RTM_NEWTFILTER, sizeof(*tcm), err);
	if (r < 0)
		return r;
	tcm = mnl_nlmsg_get_payload(nlh);
	memset(&f, 0, sizeof(f));
	f.ifindex = tcm->tcm_ifindex;
	f.parent = tcm->tcm_parent;
	f.handle = tcm->tcm_handle;
	f.prio = (uint16_t)(tcm->tcm_info >> 16);
	f.protocol = ntohs((uint16_t)(tcm->tcm_info & 0xffffu));
	nl_attr_index(nlh, sizeof(*tcm), tb, TCA_MAX);
	nl_attr_str(tb[TCA_KIND], f.kind, sizeof(f.kind));
	if (tb[TCA_OPTIONS] && strcmp(f.kind, "u32") == 0)
		parse_u32(tb[TCA_OPTIONS], &f);
	*ret = f;
	return 0;
}

static int filter_list_cb(const struct nlmsghdr *nlh, void *data, struct cni_err *err)
{
	struct tc_filter *out = nl_vec_push(data, err);

	if (!out)
		return -ENOMEM;
	return tc_filter_parse(nlh, out, err);
}

int tc_filter_list(struct nl_sock *sock, int ifindex, uint32_t parent,
		   struct tc_filter **ret_filters, size_t *ret_n, struct cni_err *err)
{
	struct nl_vec v = {.size = sizeof(struct tc_filter)};
	char buf[NL_MSG_BUF_SIZE];
	struct nlmsghdr *nlh;
	int r;

	r = tc_build_filter_dump(buf, ifindex, parent, &nlh, err);
	if (r < 0)
		return r;
	return nl_dump_collect(sock, nlh, RTM_NEWTFILTER, filter_list_cb, &v, &v, ret_filters,
			       ret_n, err);
}
