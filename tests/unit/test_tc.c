/* SPDX-License-Identifier: Apache-2.0 */
/* Tests of the traffic control layer (common/net/tc.c).
 *
 * Part 1 builds every request into a buffer, checks its bytes and parses it back with the
 * parsers that decode the kernel's answers (no privileges). Part 2 runs against the kernel
 * inside a private network namespace (unshare(CLONE_NEWNET)); it is skipped when
 * namespaces cannot be created. */
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/tc_act/tc_mirred.h>

#include <libmnl/libmnl.h>

#define LIVE_LOCAL_ERR
#include "live.h"
#include "unit.h"
#include "net/nl.h"
#include "net/rtnl.h"
#include "net/tc.h"

/* ---- part 1: builders and parsers ------------------------------------------------------ */

static void test_psched(void)
{
	struct cni_err err = {0};
	double t = 0;

	/* What current kernels write (the trailing newline trimmed by the reader). */
	CHECK_INT(tc_psched_parse("000003e8 00000040 000f4240 3b9aca00", &t, &err), 0);
	CHECK(t == 15.625);
	/* A 1 GHz clock resolution: the first field is replaced by the second. */
	CHECK_INT(tc_psched_parse("000003e8 00000040 3b9aca00 3b9aca00", &t, &err), 0);
	CHECK(t == 1000.0);
	/* Upper-case hex, extra fields ignored as Go ignores them. */
	CHECK_INT(tc_psched_parse("3E8 40 F4240 64 extra", &t, &err), 0);
	CHECK(t == 15.625);

	static const char *const bad[] = {
		"",
		"000003e8 00000040 000f4240",		/* three fields */
		"000003e8  00000040 000f4240 3b9aca00", /* an empty field */
		"0x3e8 00000040 000f4240 3b9aca00",	/* no prefixes */
		"000003e8 00000040 000f4240 3b9acaz0",	/* not hex */
		"000003e8 100000000 000f4240 3b9aca00", /* beyond 32 bits */
		"000003e8 00000000 000f4240 3b9aca00",	/* division by zero */
		" 000003e8 00000040 000f4240 3b9aca00", /* untrimmed */
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		cni_err_clear(&err);
		CHECK_INT(tc_psched_parse(bad[i], &t, &err), -EINVAL);
		CHECK(strstr(err.msg, "cannot parse /proc/net/psched") != NULL);
	}
	/* The real file of this machine. */
	CHECK_INT(tc_tick_in_usec(&t, &err), 0);
	CHECK(t > 0);
}

/* The tcmsg of a built request. */
static const struct tcmsg *tcm_of(const struct nlmsghdr *nlh)
{
	return mnl_nlmsg_get_payload(nlh);
}

static void test_build_tbf(void)
{
	const struct nlattr *tb[TCA_MAX + 1], *opt[TCA_TBF_MAX + 1];
	struct tc_tbf tbf = {.rate = 1000, .limit = 35, .buffer = 156250};
	const struct tc_tbf_qopt *q;
	struct cni_err err = {0};
	char buf[NL_MSG_BUF_SIZE];
	struct nlmsghdr *nlh;
	struct tc_qdisc back;

	CHECK_INT(tc_build_qdisc_tbf(buf, 7, TC_HANDLE(1, 0), TC_PARENT_ROOT, &tbf, &nlh, &err), 0);
	CHECK_INT(nlh->nlmsg_type, RTM_NEWQDISC);
	CHECK_INT(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL);
	CHECK_INT(tcm_of(nlh)->tcm_family, AF_UNSPEC);
	CHECK_INT(tcm_of(nlh)->tcm_ifindex, 7);
	CHECK_INT(tcm_of(nlh)->tcm_handle, 0x10000);
	CHECK_INT(tcm_of(nlh)->tcm_parent, TC_H_ROOT);
	CHECK_INT(tcm_of(nlh)->tcm_info, 0);
	nl_attr_index(nlh, sizeof(struct tcmsg), tb, TCA_MAX);
	CHECK(tb[TCA_KIND] && strcmp(mnl_attr_get_str(tb[TCA_KIND]), "tbf") == 0);
	/* NUL-terminated, as the reference's library sends it. */
	CHECK(tb[TCA_KIND] && mnl_attr_get_payload_len(tb[TCA_KIND]) == 4);
	CHECK(tb[TCA_OPTIONS] != NULL);
	if (!tb[TCA_OPTIONS])
		return;
	nl_attr_index_nested(tb[TCA_OPTIONS], opt, TCA_TBF_MAX);
	CHECK(opt[TCA_TBF_PARMS] && mnl_attr_get_payload_len(opt[TCA_TBF_PARMS]) == sizeof(*q));
	CHECK(opt[TCA_TBF_RATE64] == NULL);
	CHECK(opt[TCA_TBF_BURST] == NULL && opt[TCA_TBF_RTAB] == NULL);
	q = mnl_attr_get_payload(opt[TCA_TBF_PARMS]);
	CHECK_INT(q->rate.rate, 1000);
	CHECK_INT(q->rate.linklayer, 0);
	CHECK_INT(q->rate.mpu, 0);
	CHECK_INT(q->peakrate.rate, 0);
	CHECK_INT(q->limit, 35);
	CHECK_INT(q->buffer, 156250);
	CHECK_INT(q->mtu, 0);
	/* The request parses back as the kernel's answer would. */
	CHECK_INT(tc_qdisc_parse(nlh, &back, &err), 0);
	CHECK_INT(back.ifindex, 7);
	CHECK_INT(back.handle, TC_HANDLE(1, 0));
	CHECK_INT(back.parent, TC_PARENT_ROOT);
	CHECK_STR(back.kind, "tbf");
	CHECK(back.has_tbf);
	CHECK_INT(back.tbf.rate, 1000);
	CHECK_INT(back.tbf.limit, 35);
	CHECK_INT(back.tbf.buffer, 156250);

	/* 2^32 bytes/s and more: the low half in the struct, the whole in TCA_TBF_RATE64. */
	tbf.rate = (5ull << 32) + 7;
	CHECK_INT(tc_build_qdisc_tbf(buf, 7, TC_HANDLE(1, 0), TC_PARENT_ROOT, &tbf, &nlh, &err), 0);
	nl_attr_index(nlh, sizeof(struct tcmsg), tb, TCA_MAX);
	nl_attr_index_nested(tb[TCA_OPTIONS], opt, TCA_TBF_MAX);
	q = mnl_attr_get_payload(opt[TCA_TBF_PARMS]);
	CHECK_INT(q->rate.rate, 7);
	CHECK(opt[TCA_TBF_RATE64] && mnl_attr_get_u64(opt[TCA_TBF_RATE64]) == (5ull << 32) + 7);
	CHECK_INT(tc_qdisc_parse(nlh, &back, &err), 0);
	CHECK(back.tbf.rate == (5ull << 32) + 7);
	tbf.rate = UINT32_MAX;
	CHECK_INT(tc_build_qdisc_tbf(buf, 7, TC_HANDLE(1, 0), TC_PARENT_ROOT, &tbf, &nlh, &err), 0);
	nl_attr_index(nlh, sizeof(struct tcmsg), tb, TCA_MAX);
	nl_attr_index_nested(tb[TCA_OPTIONS], opt, TCA_TBF_MAX);
	CHECK(opt[TCA_TBF_RATE64] == NULL);

	CHECK_INT(tc_build_qdisc_tbf(buf, 0, TC_HANDLE(1, 0), TC_PARENT_ROOT, &tbf, &nlh, &err),
		  -EINVAL);
}

static void test_build_ingress_del_get(void)
{
	const struct nlattr *tb[TCA_MAX + 1];
	struct cni_err err = {0};
	char buf[NL_MSG_BUF_SIZE];
	struct nlmsghdr *nlh;
	struct tc_qdisc back;

	CHECK_INT(tc_build_qdisc_ingress(buf, 3, &nlh, &err), 0);
	CHECK_INT(nlh->nlmsg_type, RTM_NEWQDISC);
	CHECK_INT(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL);
	CHECK_INT(tcm_of(nlh)->tcm_ifindex, 3);
	CHECK_INT(tcm_of(nlh)->tcm_handle, 0xffff0000u);
	CHECK_INT(tcm_of(nlh)->tcm_parent, TC_H_INGRESS);
	nl_attr_index(nlh, sizeof(struct tcmsg), tb, TCA_MAX);
	CHECK(tb[TCA_KIND] && strcmp(mnl_attr_get_str(tb[TCA_KIND]), "ingress") == 0);
	CHECK(tb[TCA_OPTIONS] && mnl_attr_get_payload_len(tb[TCA_OPTIONS]) == 0);
	CHECK_INT(tc_qdisc_parse(nlh, &back, &err), 0);
	CHECK_STR(back.kind, "ingress");
	CHECK(!back.has_tbf);
	CHECK_INT(back.handle, TC_HANDLE_INGRESS);
	CHECK_INT(tc_build_qdisc_ingress(buf, -1, &nlh, &err), -EINVAL);

	CHECK_INT(tc_build_qdisc_del(buf, 3, TC_HANDLE(1, 0), TC_PARENT_ROOT, &nlh, &err), 0);
	CHECK_INT(nlh->nlmsg_type, RTM_DELQDISC);
	CHECK_INT(nlh->nlmsg_flags, NLM_F_REQUEST);
	CHECK_INT(tcm_of(nlh)->tcm_handle, 0x10000);
	CHECK_INT(tcm_of(nlh)->tcm_parent, TC_H_ROOT);
	CHECK_INT(mnl_nlmsg_get_payload_len(nlh), sizeof(struct tcmsg));

	CHECK_INT(tc_build_qdisc_get(buf, 3, TC_PARENT_INGRESS, &nlh, &err), 0);
	CHECK_INT(nlh->nlmsg_type, RTM_GETQDISC);
	/* The kernel only answers a get to NLM_F_ECHO. */
	CHECK_INT(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ECHO);
	CHECK_INT(tcm_of(nlh)->tcm_parent, TC_H_INGRESS);
	CHECK_INT(tcm_of(nlh)->tcm_handle, 0);

	nlh = tc_build_qdisc_dump(buf, 0);
	CHECK_INT(nlh->nlmsg_type, RTM_GETQDISC);
	CHECK_INT(tcm_of(nlh)->tcm_ifindex, 0);

	/* Not a qdisc message. */
	nlh->nlmsg_type = RTM_NEWLINK;
	CHECK_INT(tc_qdisc_parse(nlh, &back, &err), -EBADMSG);
}

/* The redirect the bandwidth plugin installs: every packet of ifindex's ingress to ifb
 * (stolen, then a second action that never runs), priority 1, class 1:1. */
static void redirect_req(int ifindex, int ifb, struct tc_mirred_act acts[2],
			 struct tc_redirect_req *req)
{
	acts[0] = (struct tc_mirred_act){TC_ACT_STOLEN, TCA_EGRESS_REDIR, ifb};
	acts[1] = (struct tc_mirred_act){TC_ACT_OK, TCA_EGRESS_REDIR, ifb};
	*req = (struct tc_redirect_req){.ifindex = ifindex,
					.parent = TC_HANDLE_INGRESS,
					.prio = 1,
					.protocol = ETH_P_ALL,
					.classid = TC_HANDLE(1, 1),
					.actions = acts,
					.n_actions = 2};
}

static void test_build_filter(void)
{
	struct tc_mirred_act acts[2];
	struct tc_redirect_req req;
	const struct nlattr *tb[TCA_MAX + 1], *u32[TCA_U32_MAX + 1], *act[TCA_ACT_MAX_PRIO + 1];
	const struct nlattr *a[TCA_ACT_MAX + 1], *m[TCA_MIRRED_MAX + 1];
	const struct tc_u32_sel *sel;
	const struct tc_mirred *mp;
	struct cni_err err = {0};
	char buf[NL_MSG_BUF_SIZE];
	struct tc_filter back;
	struct nlmsghdr *nlh;

	redirect_req(4, 9, acts, &req);
	CHECK_INT(tc_build_filter_redirect(buf, &req, &nlh, &err), 0);
	CHECK_INT(nlh->nlmsg_type, RTM_NEWTFILTER);
	CHECK_INT(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL);
	CHECK_INT(tcm_of(nlh)->tcm_ifindex, 4);
	CHECK_INT(tcm_of(nlh)->tcm_parent, 0xffff0000u);
	CHECK_INT(tcm_of(nlh)->tcm_handle, 0);
	/* MakeHandle(prio, htons(ETH_P_ALL)) */
	CHECK_INT(tcm_of(nlh)->tcm_info, (1u << 16) | htons(ETH_P_ALL));
	nl_attr_index(nlh, sizeof(struct tcmsg), tb, TCA_MAX);
	CHECK(tb[TCA_KIND] && strcmp(mnl_attr_get_str(tb[TCA_KIND]), "u32") == 0);
	CHECK(tb[TCA_OPTIONS] != NULL);
	if (!tb[TCA_OPTIONS])
		return;
	nl_attr_index_nested(tb[TCA_OPTIONS], u32, TCA_U32_MAX);
	CHECK(u32[TCA_U32_SEL] && mnl_attr_get_payload_len(u32[TCA_U32_SEL]) ==
					  sizeof(struct tc_u32_sel) + sizeof(struct tc_u32_key));
	sel = mnl_attr_get_payload(u32[TCA_U32_SEL]);
	CHECK_INT(sel->flags, TC_U32_TERMINAL);
	CHECK_INT(sel->nkeys, 1);
	CHECK(sel->keys[0].mask == 0 && sel->keys[0].val == 0 && sel->keys[0].off == 0);
	CHECK(u32[TCA_U32_CLASSID] && mnl_attr_get_u32(u32[TCA_U32_CLASSID]) == 0x10001);
	CHECK(u32[TCA_U32_ACT] != NULL);
	if (!u32[TCA_U32_ACT])
		return;
	nl_attr_index_nested(u32[TCA_U32_ACT], act, TCA_ACT_MAX_PRIO);
	CHECK(act[1] && act[2] && !act[3] && !act[0]);
	for (int i = 1; i <= 2 && act[i]; i++) {
		nl_attr_index_nested(act[i], a, TCA_ACT_MAX);
		CHECK(a[TCA_ACT_KIND] && strcmp(mnl_attr_get_str(a[TCA_ACT_KIND]), "mirred") == 0);
		CHECK(a[TCA_ACT_OPTIONS] != NULL);
		if (!a[TCA_ACT_OPTIONS])
			continue;
		nl_attr_index_nested(a[TCA_ACT_OPTIONS], m, TCA_MIRRED_MAX);
		CHECK(m[TCA_MIRRED_PARMS] &&
		      mnl_attr_get_payload_len(m[TCA_MIRRED_PARMS]) == sizeof(*mp));
		mp = mnl_attr_get_payload(m[TCA_MIRRED_PARMS]);
		CHECK_INT(mp->action, i == 1 ? TC_ACT_STOLEN : TC_ACT_OK);
		CHECK_INT(mp->eaction, TCA_EGRESS_REDIR);
		CHECK_INT(mp->ifindex, 9);
		CHECK(mp->index == 0 && mp->capab == 0 && mp->refcnt == 0 && mp->bindcnt == 0);
	}

	CHECK_INT(tc_filter_parse(nlh, &back, &err), 0);
	CHECK_INT(back.ifindex, 4);
	CHECK_INT(back.parent, TC_HANDLE_INGRESS);
	CHECK_INT(back.prio, 1);
	CHECK_INT(back.protocol, ETH_P_ALL);
	CHECK_STR(back.kind, "u32");
	CHECK_INT(back.classid, TC_HANDLE(1, 1));
	CHECK(back.has_sel && back.match_all);
	CHECK_INT(back.sel_flags, TC_U32_TERMINAL);
	CHECK_INT(back.sel_nkeys, 1);
	CHECK_INT(back.n_actions, 2);
	CHECK_INT(back.n_other_actions, 0);
	CHECK_INT(back.actions[0].action, TC_ACT_STOLEN);
	CHECK_INT(back.actions[1].action, TC_ACT_OK);
	CHECK_INT(back.actions[1].eaction, TCA_EGRESS_REDIR);
	CHECK_INT(back.actions[1].ifindex, 9);

	/* Without a class: no TCA_U32_CLASSID. */
	req.classid = 0;
	req.n_actions = 1;
	CHECK_INT(tc_build_filter_redirect(buf, &req, &nlh, &err), 0);
	nl_attr_index(nlh, sizeof(struct tcmsg), tb, TCA_MAX);
	nl_attr_index_nested(tb[TCA_OPTIONS], u32, TCA_U32_MAX);
	CHECK(u32[TCA_U32_CLASSID] == NULL);
	CHECK_INT(tc_filter_parse(nlh, &back, &err), 0);
	CHECK_INT(back.n_actions, 1);
	CHECK_INT(back.classid, 0);

	/* Bad arguments are refused before anything is sent. */
	req.n_actions = 0;
	CHECK_INT(tc_build_filter_redirect(buf, &req, &nlh, &err), -EINVAL);
	req.n_actions = TC_ACTIONS_MAX + 1;
	CHECK_INT(tc_build_filter_redirect(buf, &req, &nlh, &err), -EINVAL);
	req.n_actions = 1;
	req.ifindex = 0;
	CHECK_INT(tc_build_filter_redirect(buf, &req, &nlh, &err), -EINVAL);

	CHECK_INT(tc_build_filter_dump(buf, 4, TC_HANDLE_INGRESS, &nlh, &err), 0);
	CHECK_INT(nlh->nlmsg_type, RTM_GETTFILTER);
	CHECK_INT(tcm_of(nlh)->tcm_parent, TC_HANDLE_INGRESS);
	CHECK_INT(tc_build_filter_dump(buf, 0, TC_HANDLE_INGRESS, &nlh, &err), -EINVAL);
	nlh->nlmsg_type = RTM_NEWQDISC;
	CHECK_INT(tc_filter_parse(nlh, &back, &err), -EBADMSG);
}

/* A u32 selector that is not match-all is recognised as such. */
static void test_parse_filter_keys(void)
{
	char buf[NL_MSG_BUF_SIZE];
	struct nlmsghdr *nlh = nl_msg_init(buf, RTM_NEWTFILTER, 0);
	struct tcmsg *tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
	uint8_t selbuf[sizeof(struct tc_u32_sel) + 2 * sizeof(struct tc_u32_key)];
	struct tc_u32_sel sel = {.nkeys = 2};
	struct tc_u32_key key = {.mask = htonl(0xffff0000u), .val = htonl(0x0a000000u)};
	struct cni_err err = {0};
	struct nlattr *opts, *acts, *tab;
	struct tc_filter f;

	tcm->tcm_ifindex = 2;
	tcm->tcm_info = (2u << 16) | htons(ETH_P_IP);
	mnl_attr_put_strz(nlh, TCA_KIND, "u32");
	opts = mnl_attr_nest_start(nlh, TCA_OPTIONS);
	memset(selbuf, 0, sizeof(selbuf));
	memcpy(selbuf, &sel, sizeof(sel));
	memcpy(selbuf + sizeof(sel) + sizeof(key), &key, sizeof(key));
	mnl_attr_put(nlh, TCA_U32_SEL, sizeof(selbuf), selbuf);
	acts = mnl_attr_nest_start(nlh, TCA_U32_ACT);
	tab = mnl_attr_nest_start(nlh, 1);
	mnl_attr_put_strz(nlh, TCA_ACT_KIND, "gact");
	mnl_attr_nest_end(nlh, tab);
	mnl_attr_nest_end(nlh, acts);
	mnl_attr_nest_end(nlh, opts);

	CHECK_INT(tc_filter_parse(nlh, &f, &err), 0);
	CHECK_INT(f.prio, 2);
	CHECK_INT(f.protocol, ETH_P_IP);
	CHECK(f.has_sel);
	CHECK(!f.match_all);
	CHECK_INT(f.n_actions, 0);
	CHECK_INT(f.n_other_actions, 1);

	/* A selector claiming more keys than it carries is not match-all either. */
	sel.nkeys = 9;
	memcpy(selbuf, &sel, sizeof(sel));
	nlh = nl_msg_init(buf, RTM_NEWTFILTER, 0);
	tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
	mnl_attr_put_strz(nlh, TCA_KIND, "u32");
	opts = mnl_attr_nest_start(nlh, TCA_OPTIONS);
	mnl_attr_put(nlh, TCA_U32_SEL, sizeof(struct tc_u32_sel), selbuf);
	mnl_attr_nest_end(nlh, opts);
	CHECK_INT(tc_filter_parse(nlh, &f, &err), 0);
	CHECK(f.has_sel && !f.match_all);
}

/* ---- part 2: live, in a private network namespace -------------------------------------- */

static struct nl_sock *live_sock;

/* The binary's private namespace (live_enter()) and the live test's socket there. Returns
 * true when both are set up; live_skip says why not. */
static bool live_setup(void)
{
	struct cni_err err = {0};

	if (live_enter(0) < 0)
		return false;
	live_skip = "the live namespace could not be set up";
	if (nl_open(&live_sock, &err) < 0) {
		fprintf(stderr, "nl_open: %s\n", err.msg);
		return false;
	}
	return true;
}

/* Find the qdisc at parent in a list. */
static const struct tc_qdisc *find_qdisc(const struct tc_qdisc *v, size_t n, uint32_t parent)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].parent == parent)
			return &v[i];
	return NULL;
}

static void test_live(void)
{
	struct nl_veth_req vreq = {.name = "tcveth0", .peer_name = "tcveth1", .peer_netns_fd = -1};
	struct tc_tbf tbf = {.rate = 1000, .limit = 35, .buffer = 156250};
	struct tc_mirred_act acts[2];
	struct tc_redirect_req req;
	struct tc_qdisc *qs = NULL, q;
	struct tc_filter *fs = NULL;
	struct nl_link *ifbs = NULL;
	struct cni_err err = {0};
	struct nl_link veth, ifb;
	const struct tc_qdisc *root;
	size_t n = 0;
	bool found = false;
	int r;

	LIVE_REQUIRED();
	CHECK_INT(nl_link_add_veth(live_sock, &vreq, &err), 0);
	CHECK_INT(nl_link_get_by_name(live_sock, "tcveth0", &veth, &err), 0);
	/* A device that is down has the kernel's built-in placeholder, which is not reported. */
	CHECK_INT(tc_qdisc_get(live_sock, veth.index, TC_PARENT_ROOT, &q, &err), -ENOENT);
	CHECK_INT(nl_link_set_up(live_sock, veth.index, true, &err), 0);
	CHECK_INT(nl_link_get_by_name(live_sock, "tcveth1", &ifb, &err), 0);
	CHECK_INT(nl_link_set_up(live_sock, ifb.index, true, &err), 0);
	r = nl_link_add_ifb(live_sock, "tcifb0", 1400, &err);
	if (r == -EOPNOTSUPP)
		UNIT_SKIP("the kernel has no ifb support (%s)", err.msg);
	CHECK_INT(r, 0);
	CHECK_INT(nl_link_add_ifb(live_sock, "tcifb0", 1400, &err), -EEXIST);
	CHECK(strstr(err.msg, "file exists") != NULL);
	CHECK_INT(nl_link_get_by_name(live_sock, "tcifb0", &ifb, &err), 0);
	CHECK_STR(ifb.kind, "ifb");
	CHECK_INT(ifb.mtu, 1400);
	CHECK(ifb.flags & IFF_UP);
	CHECK_INT(nl_link_set_alias(live_sock, ifb.index, "cni-bandwidth n c", &err), 0);
	CHECK_INT(nl_link_list_kind(live_sock, "ifb", &ifbs, &n, &err), 0);
	CHECK_INT(n, 1); /* the veth ends are not listed */
	if (n == 1) {
		CHECK_STR(ifbs[0].name, "tcifb0");
		CHECK_STR(ifbs[0].alias, "cni-bandwidth n c");
		CHECK_INT(ifbs[0].index, ifb.index);
	}
	free(ifbs);

	/* A root tbf, reported back with the parameters sent. */
	CHECK_INT(tc_qdisc_get(live_sock, veth.index, TC_PARENT_ROOT, &q, &err), 0);
	CHECK_STR(q.kind, "noqueue");
	/* The default qdisc cannot be deleted; naming another handle is -EINVAL. */
	CHECK_INT(tc_qdisc_del(live_sock, veth.index, 0, TC_PARENT_ROOT, &err), -ENOENT);
	CHECK_INT(tc_qdisc_del(live_sock, veth.index, TC_HANDLE(1, 0), TC_PARENT_ROOT, &err),
		  -EINVAL);
	CHECK_INT(tc_qdisc_add_tbf(live_sock, veth.index, TC_HANDLE(1, 0), TC_PARENT_ROOT, &tbf,
				   &err),
		  0);
	CHECK_INT(tc_qdisc_add_tbf(live_sock, veth.index, TC_HANDLE(1, 0), TC_PARENT_ROOT, &tbf,
				   &err),
		  -EEXIST);
	CHECK_INT(tc_qdisc_get(live_sock, veth.index, TC_PARENT_ROOT, &q, &err), 0);
	CHECK_STR(q.kind, "tbf");
	CHECK(q.has_tbf && q.tbf.rate == 1000 && q.tbf.limit == 35 && q.tbf.buffer == 156250);
	CHECK_INT(q.handle, TC_HANDLE(1, 0));
	/* A zero bucket is refused by the kernel. */
	tbf.buffer = 0;
	CHECK_INT(
		tc_qdisc_add_tbf(live_sock, ifb.index, TC_HANDLE(1, 0), TC_PARENT_ROOT, &tbf, &err),
		-EINVAL);
	tbf.buffer = 156250;
	/* A rate beyond 32 bits round-trips through the kernel. */
	tbf.rate = 6ull << 32;
	CHECK_INT(
		tc_qdisc_add_tbf(live_sock, ifb.index, TC_HANDLE(1, 0), TC_PARENT_ROOT, &tbf, &err),
		0);
	CHECK_INT(tc_qdisc_get(live_sock, ifb.index, TC_PARENT_ROOT, &q, &err), 0);
	CHECK(q.has_tbf && q.tbf.rate == (6ull << 32));

	/* The ingress qdisc and the redirect filter. */
	CHECK_INT(tc_qdisc_get(live_sock, veth.index, TC_PARENT_INGRESS, &q, &err), -ENOENT);
	/* No qdisc: an empty list. */
	CHECK_INT(tc_filter_list(live_sock, veth.index, TC_HANDLE_INGRESS, &fs, &n, &err), 0);
	CHECK_INT(n, 0);
	free(fs);
	fs = NULL;
	redirect_req(veth.index, ifb.index, acts, &req);
	CHECK_INT(tc_filter_add_redirect(live_sock, &req, &err), -EINVAL);
	CHECK_INT(tc_qdisc_add_ingress(live_sock, veth.index, &err), 0);
	CHECK_INT(tc_qdisc_add_ingress(live_sock, veth.index, &err), -EEXIST);
	CHECK_INT(tc_qdisc_get(live_sock, veth.index, TC_PARENT_INGRESS, &q, &err), 0);
	CHECK_STR(q.kind, "ingress");
	CHECK_INT(q.handle, TC_HANDLE_INGRESS);
	CHECK_INT(tc_filter_add_redirect(live_sock, &req, &err), 0);
	CHECK_INT(tc_filter_list(live_sock, veth.index, TC_HANDLE_INGRESS, &fs, &n, &err), 0);
	for (size_t i = 0; i < n; i++) {
		if (!fs[i].has_sel)
			continue; /* the hash table entries */
		found = true;
		CHECK_STR(fs[i].kind, "u32");
		CHECK(fs[i].match_all);
		CHECK_INT(fs[i].prio, 1);
		CHECK_INT(fs[i].protocol, ETH_P_ALL);
		CHECK_INT(fs[i].classid, TC_HANDLE(1, 1));
		CHECK_INT(fs[i].n_actions, 2);
		CHECK_INT(fs[i].actions[0].action, TC_ACT_STOLEN);
		CHECK_INT(fs[i].actions[0].eaction, TCA_EGRESS_REDIR);
		CHECK_INT(fs[i].actions[0].ifindex, ifb.index);
		CHECK_INT(fs[i].actions[1].action, TC_ACT_OK);
	}
	free(fs);
	CHECK(found);

	/* The device's list: root first, then ingress; others' qdiscs are not in it. */
	CHECK_INT(tc_qdisc_list(live_sock, veth.index, &qs, &n, &err), 0);
	CHECK_INT(n, 2);
	root = find_qdisc(qs, n, TC_PARENT_ROOT);
	CHECK(root && root->has_tbf && root->tbf.buffer == 156250);
	CHECK(find_qdisc(qs, n, TC_PARENT_INGRESS) != NULL);
	if (n >= 1)
		CHECK_INT(qs[0].parent, TC_PARENT_ROOT);
	for (size_t i = 0; i < n; i++)
		CHECK_INT(qs[i].ifindex, veth.index);
	free(qs);
	CHECK_INT(tc_qdisc_list(live_sock, 0, &qs, &n, &err), 0);
	CHECK(n >= 4); /* both veth ends, the ifb's tbf, the ingress qdisc */
	free(qs);

	/* Deleting: the ingress qdisc takes its filter along; a second delete is -ENOENT. */
	CHECK_INT(tc_qdisc_del(live_sock, veth.index, TC_HANDLE_INGRESS, TC_PARENT_INGRESS, &err),
		  0);
	CHECK_INT(tc_qdisc_del(live_sock, veth.index, 0, TC_PARENT_INGRESS, &err), -ENOENT);
	CHECK_INT(tc_qdisc_del(live_sock, veth.index, TC_HANDLE_INGRESS, TC_PARENT_INGRESS, &err),
		  -EINVAL);
	CHECK_INT(tc_qdisc_del(live_sock, veth.index, TC_HANDLE(1, 0), TC_PARENT_ROOT, &err), 0);
	CHECK_INT(tc_qdisc_get(live_sock, veth.index, TC_PARENT_ROOT, &q, &err), 0);
	CHECK_STR(q.kind, "noqueue");
	CHECK_INT(tc_qdisc_add_tbf(live_sock, 999, TC_HANDLE(1, 0), TC_PARENT_ROOT, &tbf, &err),
		  -ENODEV);

	CHECK_INT(nl_link_del(live_sock, ifb.index, &err), 0);
	CHECK_INT(nl_link_del(live_sock, veth.index, &err), 0);
}

int main(void)
{
	RUN(test_psched);
	RUN(test_build_tbf);
	RUN(test_build_ingress_del_get);
	RUN(test_build_filter);
	RUN(test_parse_filter_keys);
	if (live_setup())
		live_skip = NULL;
	RUN(test_live);
	nl_close(live_sock);
	UNIT_DONE();
}
