/* SPDX-License-Identifier: Apache-2.0 */
/* Conntrack deletion over ctnetlink: dump the family's table (IPCTNL_MSG_CT_GET with
 * NLM_F_DUMP), remember the original tuple of every matching entry, then send one
 * IPCTNL_MSG_CT_DELETE per tuple (the dump cannot be modified while it runs). Both go
 * through the netlink transport of nl.c. */
#include "net/conntrack.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>

#include <libmnl/libmnl.h>

#include "array.h"
#include "cleanup.h"
#include "net/nl.h"

/* One entry to delete: its CTA_TUPLE_ORIG attribute verbatim, and its zone. */
struct ct_match {
	struct nlattr *tuple; /* copy of the CTA_TUPLE_ORIG attribute (header included) */
	uint16_t zone;	      /* CTA_ZONE in network order */
	bool has_zone;	      /* whether the entry carried CTA_ZONE */
};

/* State of the dump: the filter and what matched. */
struct ct_dump {
	uint8_t proto;		/* L4 protocol to match */
	uint16_t port_be;	/* destination port to match, network order */
	bool collect;		/* keep the tuples (delete) or only count */
	struct ct_match *match; /* matching entries (collect) */
	size_t n;		/* number of matches */
	size_t cap;		/* allocated entries of match */
};

/* Start a ctnetlink message of the given type in buf (NL_MSG_BUF_SIZE bytes); the
 * transport assigns the sequence number. */
static struct nlmsghdr *ct_msg(char *buf, uint16_t type, uint16_t flags, int family)
{
	struct nlmsghdr *nlh = nl_msg_init(buf, (NFNL_SUBSYS_CTNETLINK << 8) | type, flags);
	struct nfgenmsg *nfg;

	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = (uint8_t)family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	return nlh;
}

/* Find a nested attribute of the given type directly inside nest. */
static const struct nlattr *nested_find(const struct nlattr *nest, uint16_t type)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested (a, nest) {
		if (mnl_attr_get_type(a) == type)
			return a;
	}
	return NULL;
}

/* Forget every match (the dump restarts, or is over). */
static void ct_dump_clear(struct ct_dump *d)
{
	size_t i;

	if (d->collect)
		for (i = 0; i < d->n; i++)
			free(d->match[i].tuple);
	d->n = 0;
}

static void ct_dump_free(struct ct_dump *d)
{
	ct_dump_clear(d);
	free(d->match);
}

static int ct_entry_cb(const struct nlmsghdr *nlh, void *data, struct cni_err *err)
{
	struct ct_dump *d = data;
	const struct nlattr *a, *tuple = NULL, *zone = NULL, *proto, *num, *dport;
	struct ct_match *m;

	if (!nlh) {
		ct_dump_clear(d);
		return 0;
	}
	mnl_attr_for_each (a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) == CTA_TUPLE_ORIG)
			tuple = a;
		else if (mnl_attr_get_type(a) == CTA_ZONE &&
			 mnl_attr_get_payload_len(a) >= sizeof(uint16_t))
			zone = a;
	}
	if (!tuple)
		return 0;
	proto = nested_find(tuple, CTA_TUPLE_PROTO);
	if (!proto)
		return 0;
	num = nested_find(proto, CTA_PROTO_NUM);
	dport = nested_find(proto, CTA_PROTO_DST_PORT);
	if (!num || !dport || mnl_attr_get_payload_len(num) < 1 ||
	    mnl_attr_get_payload_len(dport) < 2)
		return 0;
	if (mnl_attr_get_u8(num) != d->proto || mnl_attr_get_u16(dport) != d->port_be)
		return 0;
	if (!d->collect) {
		d->n++;
		return 0;
	}
	if (ARRAY_RESERVE(d->match, d->cap, d->n + 1) < 0)
		return cni_err_nomem(err);
	m = &d->match[d->n];
	m->tuple = malloc(tuple->nla_len);
	if (!m->tuple)
		return cni_err_nomem(err);
	memcpy(m->tuple, tuple, tuple->nla_len);
	m->has_zone = zone != NULL;
	m->zone = zone ? mnl_attr_get_u16(zone) : 0;
	d->n++;
	return 0;
}

/* Open a ctnetlink socket in the current namespace and dump the family's entries that
 * match d into d. */
static int ct_find(int family, struct ct_dump *d, struct nl_sock **ret_sock, struct cni_err *err)
{
	_cleanup_nl_close_ struct nl_sock *sock = NULL;
	char buf[NL_MSG_BUF_SIZE];
	int r;

	if (family != AF_INET && family != AF_INET6)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL,
					 "conntrack: unsupported address family %d", family);
	r = nl_open_bus(NETLINK_NETFILTER, &sock, err);
	if (r < 0)
		return r;
	r = nl_dump(sock, ct_msg(buf, IPCTNL_MSG_CT_GET, 0, family), ct_entry_cb, d, err);
	if (r < 0)
		return nl_err_wrap(sock, err, "failed to list %s conntrack entries",
				   family == AF_INET ? "ipv4" : "ipv6");
	*ret_sock = TAKE_PTR(sock);
	return 0;
}

int ct_count_by_dport(int family, uint8_t proto, uint16_t port, unsigned int *ret_count,
		      struct cni_err *err)
{
	_cleanup_(ct_dump_free) struct ct_dump d = {.proto = proto, .port_be = htons(port)};
	_cleanup_nl_close_ struct nl_sock *sock = NULL;
	int r;

	r = ct_find(family, &d, &sock, err);
	if (r < 0)
		return r;
	*ret_count = (unsigned int)d.n;
	return 0;
}

/* Delete the entry of one match; an entry that vanished meanwhile is not an error. */
static int ct_delete(struct nl_sock *sock, int family, const struct ct_match *m, bool *ret_deleted,
		     struct cni_err *err)
{
	char buf[NL_MSG_BUF_SIZE];
	struct nlmsghdr *nlh;
	int r;

	*ret_deleted = false;
	if (m->tuple->nla_len > sizeof(buf) - 64)
		return 0;
	nlh = ct_msg(buf, IPCTNL_MSG_CT_DELETE, 0, family);
	/* The original tuple verbatim identifies the entry (with its zone). */
	memcpy(mnl_nlmsg_get_payload_tail(nlh), m->tuple, m->tuple->nla_len);
	nlh->nlmsg_len += MNL_ALIGN(m->tuple->nla_len);
	if (m->has_zone)
		mnl_attr_put_u16(nlh, CTA_ZONE, m->zone);
	r = nl_request(sock, nlh, err);
	if (r == -ENOENT) {
		cni_err_clear(err);
		return 0;
	}
	if (r < 0)
		return r;
	*ret_deleted = true;
	return 0;
}

int ct_delete_by_dport(int family, uint8_t proto, uint16_t port, unsigned int *ret_deleted,
		       struct cni_err *err)
{
	_cleanup_(ct_dump_free) struct ct_dump d = {
		.proto = proto, .port_be = htons(port), .collect = true};
	_cleanup_nl_close_ struct nl_sock *sock = NULL;
	unsigned int deleted = 0;
	size_t i;
	int r;

	r = ct_find(family, &d, &sock, err);
	if (r < 0)
		return r;
	for (i = 0; i < d.n; i++) {
		bool gone;

		r = ct_delete(sock, family, &d.match[i], &gone, err);
		if (r < 0)
			return nl_err_wrap(sock, err,
					   "failed to delete conntrack entry for %s port %u",
					   proto == IPPROTO_UDP ? "udp" : "l4", port);
		deleted += gone;
	}
	if (ret_deleted)
		*ret_deleted = deleted;
	return 0;
}
