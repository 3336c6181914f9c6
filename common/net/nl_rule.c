/* SPDX-License-Identifier: Apache-2.0 */
/* rtnetlink policy routing rules: add, delete, list. */
#include "net/nl_rule.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>

#include <libmnl/libmnl.h>

static int rule_family_len(int family, struct cni_err *err)
{
	if (family == AF_INET)
		return 4;
	if (family == AF_INET6)
		return 16;
	return cni_err_set_errno(err, CNI_ERR_INTERNAL, EAFNOSUPPORT,
				 "unsupported address family %d", family);
}

int nl_rule_build(void *buf, bool add, const struct nl_rule *rule, struct nlmsghdr **ret_nlh,
		  struct cni_err *err)
{
	struct fib_rule_hdr *frh;
	struct nlmsghdr *nlh;
	int len;

	len = rule_family_len(rule->family, err);
	if (len < 0)
		return len;
	if (rule->src_len > len * 8 || rule->dst_len > len * 8)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL, "invalid prefix length %u",
					 rule->src_len > len * 8 ? rule->src_len : rule->dst_len);
	nlh = nl_msg_init(buf, add ? RTM_NEWRULE : RTM_DELRULE,
			  add ? NLM_F_CREATE | NLM_F_EXCL : 0);
	frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));
	frh->family = (uint8_t)rule->family;
	frh->src_len = rule->src_len;
	frh->dst_len = rule->dst_len;
	frh->table = rule->table < 256 ? (uint8_t)rule->table : RT_TABLE_UNSPEC;
	frh->action = rule->action ? rule->action : (add ? FR_ACT_TO_TBL : FR_ACT_UNSPEC);
	if (rule->src_len)
		mnl_attr_put(nlh, FRA_SRC, (size_t)len, rule->src);
	if (rule->dst_len)
		mnl_attr_put(nlh, FRA_DST, (size_t)len, rule->dst);
	if (rule->has_priority)
		mnl_attr_put_u32(nlh, FRA_PRIORITY, rule->priority);
	if (rule->table)
		mnl_attr_put_u32(nlh, FRA_TABLE, rule->table);
	*ret_nlh = nlh;
	return 0;
}

int nl_rule_add(struct nl_sock *sock, const struct nl_rule *rule, struct cni_err *err)
{
	char buf[NL_MSG_BUF_SIZE];
	struct nlmsghdr *nlh;

	return nl_request_built(sock, nl_rule_build(buf, true, rule, &nlh, err), buf, err);
}

int nl_rule_del(struct nl_sock *sock, const struct nl_rule *rule, struct cni_err *err)
{
	char buf[NL_MSG_BUF_SIZE];
	struct nlmsghdr *nlh;

	return nl_request_built(sock, nl_rule_build(buf, false, rule, &nlh, err), buf, err);
}

/* Attributes that select packets by something struct nl_rule does not keep. */
static const uint16_t rule_other_attrs[] = {
	FRA_IIFNAME,   FRA_OIFNAME,  FRA_FWMARK,      FRA_FWMASK,      FRA_L3MDEV,
	FRA_UID_RANGE, FRA_IP_PROTO, FRA_SPORT_RANGE, FRA_DPORT_RANGE, FRA_TUN_ID,
};

int nl_rule_parse(const struct nlmsghdr *nlh, struct nl_rule *ret, struct cni_err *err)
{
	const struct nlattr *tb[FRA_MAX + 1];
	const struct fib_rule_hdr *frh;
	size_t i, len;
	int e;

	e = nl_msg_check(nlh, RTM_NEWRULE, sizeof(*frh), err);
	if (e < 0)
		return e;
	frh = mnl_nlmsg_get_payload(nlh);
	if (frh->family != AF_INET && frh->family != AF_INET6)
		return -EAFNOSUPPORT;
	len = frh->family == AF_INET ? 4 : 16;
	memset(ret, 0, sizeof(*ret));
	ret->family = frh->family;
	ret->action = frh->action;
	nl_attr_index(nlh, sizeof(*frh), tb, FRA_MAX);
	ret->table = nl_attr_u32(tb[FRA_TABLE], frh->table);
	if (tb[FRA_PRIORITY] && mnl_attr_get_payload_len(tb[FRA_PRIORITY]) >= 4) {
		ret->has_priority = true;
		ret->priority = mnl_attr_get_u32(tb[FRA_PRIORITY]);
	}
	if (frh->src_len && frh->src_len <= len * 8 && tb[FRA_SRC] &&
	    mnl_attr_get_payload_len(tb[FRA_SRC]) >= len) {
		memcpy(ret->src, mnl_attr_get_payload(tb[FRA_SRC]), len);
		ret->src_len = frh->src_len;
	}
	if (frh->dst_len && frh->dst_len <= len * 8 && tb[FRA_DST] &&
	    mnl_attr_get_payload_len(tb[FRA_DST]) >= len) {
		memcpy(ret->dst, mnl_attr_get_payload(tb[FRA_DST]), len);
		ret->dst_len = frh->dst_len;
	}
	ret->other_selectors = frh->tos || (frh->flags & FIB_RULE_INVERT);
	for (i = 0; i < sizeof(rule_other_attrs) / sizeof(rule_other_attrs[0]); i++) {
		const struct nlattr *a = tb[rule_other_attrs[i]];

		/* The kernel reports a mark and mask of 0 on some versions: no selector. */
		if ((rule_other_attrs[i] == FRA_FWMARK || rule_other_attrs[i] == FRA_FWMASK) &&
		    nl_attr_u32(a, 0) == 0)
			continue;
		if (a)
			ret->other_selectors = true;
	}
	return 0;
}

/* What nl_rule_list() collects. */
struct rule_filter {
	struct nl_vec *v; /* the results */
	int family;	  /* AF_UNSPEC or the wanted family */
	uint32_t table;	  /* 0 or the wanted table */
};

static int rule_list_cb(const struct nlmsghdr *nlh, void *data, struct cni_err *err)
{
	struct rule_filter *f = data;
	struct nl_rule r, *slot;
	int e;

	e = nl_rule_parse(nlh, &r, err);
	if (e == -EAFNOSUPPORT)
		return 0;
	if (e < 0)
		return e;
	if ((f->family != AF_UNSPEC && r.family != f->family) || (f->table && r.table != f->table))
		return 0;
	slot = nl_vec_push(f->v, err);
	if (!slot)
		return -ENOMEM;
	*slot = r;
	return 0;
}

int nl_rule_list(struct nl_sock *sock, int family, uint32_t table, struct nl_rule **ret_rules,
		 size_t *ret_n, struct cni_err *err)
{
	struct nl_vec v = {.size = sizeof(struct nl_rule)};
	struct rule_filter f = {.v = &v, .family = family, .table = table};
	char buf[NL_MSG_BUF_SIZE];
	struct fib_rule_hdr *frh;
	struct nlmsghdr *nlh;

	nlh = nl_msg_init(buf, RTM_GETRULE, 0);
	frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));
	frh->family = (uint8_t)family;
	return nl_dump_collect(sock, nlh, RTM_NEWRULE, rule_list_cb, &f, &v, ret_rules, ret_n, err);
}
