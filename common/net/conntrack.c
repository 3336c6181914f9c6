/* SPDX-License-Identifier: Apache-2.0 */
/* Conntrack deletion over ctnetlink: dump the family's table (IPCTNL_MSG_CT_GET with
 * NLM_F_DUMP, filtered by the kernel), remember the original tuple of every matching entry,
 * then send one IPCTNL_MSG_CT_DELETE per tuple (the dump cannot be modified while it runs).
 * All of it goes through the netlink transport of nl.c. */
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
#include "net/test_priv.h"

/* One entry to delete: its CTA_TUPLE_ORIG attribute verbatim, its zone and family. */
struct ct_match {
	struct nlattr *tuple; /* copy of the CTA_TUPLE_ORIG attribute (header included) */
	uint16_t zone;	      /* CTA_ZONE in network order */
	bool has_zone;	      /* whether the entry carried CTA_ZONE */
	int family;	      /* the entry's AF_INET or AF_INET6 */
};

/* State of the dump: the filter and what matched. */
struct ct_dump {
	uint8_t proto;		       /* L4 protocol to match */
	uint16_t port_be;	       /* destination port to match, network order (no sets) */
	const struct ct_port_set *set; /* else: per family, the ports to match */
	size_t nsets;		       /* number of entries of set */
	bool collect;		       /* keep the tuples (delete) or only count */
	struct ct_match *match;	       /* matching entries (collect) */
	size_t n;		       /* number of matches */
	size_t cap;		       /* allocated entries of match */
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

/* Is port (host order) among d's ports of family? */
static bool ct_sets_have(const struct ct_dump *d, int family, uint16_t port)
{
	for (size_t i = 0; i < d->nsets; i++) {
		if (d->set[i].family != family)
			continue;
		for (size_t j = 0; j < d->set[i].n; j++)
			if (d->set[i].ports[j] == port)
				return true;
	}
	return false;
}

static int ct_entry_cb(const struct nlmsghdr *nlh, void *data, struct cni_err *err)
{
	struct ct_dump *d = data;
	const struct nlattr *a, *tuple = NULL, *zone = NULL, *proto, *num, *dport;
	struct ct_match *m;
	int family;

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
	if (mnl_attr_get_u8(num) != d->proto)
		return 0;
	family = ((const struct nfgenmsg *)mnl_nlmsg_get_payload(nlh))->nfgen_family;
	if (d->set ? !ct_sets_have(d, family, ntohs(mnl_attr_get_u16(dport)))
		   : mnl_attr_get_u16(dport) != d->port_be)
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
	m->family = family;
	d->n++;
	return 0;
}

/* The kernel's dump filter flags (CTA_FILTER_F_* of nf_conntrack_netlink.c, not in the
 * uapi headers): which fields of the CTA_TUPLE_ORIG sent with the dump request must match. */
#define CT_FILTER_F_PROTO_NUM	   (1U << 3)
#define CT_FILTER_F_PROTO_DST_PORT (1U << 5)

int ct_open(struct nl_sock **ret_sock, struct cni_err *err)
{
	return nl_open_bus(NETLINK_NETFILTER, ret_sock, err);
}

static int ct_stats_cb(const struct nlmsghdr *nlh, void *data, struct cni_err *err)
{
	const struct nlattr *a;
	unsigned int *count = data;

	mnl_attr_for_each (a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) == CTA_STATS_GLOBAL_ENTRIES &&
		    mnl_attr_get_payload_len(a) >= sizeof(uint32_t)) {
			*count = ntohl(mnl_attr_get_u32(a));
			return 0;
		}
	}
	return cni_err_set_errno(err, 0, EBADMSG, "conntrack statistics without an entry count");
}

int ct_count_entries(struct nl_sock *sock, unsigned int *ret_count, struct cni_err *err)
{
	char buf[NL_MSG_BUF_SIZE];
	unsigned int count = 0;
	int r;

	r = nl_request_cb(sock, ct_msg(buf, IPCTNL_MSG_CT_GET_STATS, 0, AF_UNSPEC), ct_stats_cb,
			  &count, err);
	if (r < 0)
		return nl_err_wrap(sock, err, "failed to count conntrack entries");
	*ret_count = count;
	return 0;
}

/* The dump request for the family's entries, with the kernel-side filter on the original
 * tuple's protocol and destination port when filter is set. */
static struct nlmsghdr *ct_dump_msg(char *buf, int family, const struct ct_dump *d, bool filter)
{
	struct nlmsghdr *nlh = ct_msg(buf, IPCTNL_MSG_CT_GET, 0, family);
	struct nlattr *tuple, *proto, *f;

	if (!filter)
		return nlh;
	tuple = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
	proto = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, d->proto);
	if (!d->set)
		mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, d->port_be);
	mnl_attr_nest_end(nlh, proto);
	mnl_attr_nest_end(nlh, tuple);
	f = mnl_attr_nest_start(nlh, CTA_FILTER);
	mnl_attr_put_u32(nlh, CTA_FILTER_ORIG_FLAGS,
			 CT_FILTER_F_PROTO_NUM | (d->set ? 0 : CT_FILTER_F_PROTO_DST_PORT));
	mnl_attr_put_u32(nlh, CTA_FILTER_REPLY_FLAGS, 0);
	mnl_attr_nest_end(nlh, f);
	return nlh;
}

/* Dump the family's entries (AF_UNSPEC: every family's) that match d into d, over sock.
 * For one family the kernel filters the dump by protocol and, for one port, the port (it
 * still walks its whole table, but only sends the matches); it filters no AF_UNSPEC dump
 * (EOPNOTSUPP), and one walk sending every entry is still cheaper than a filtered walk per
 * family. A kernel without the filter (EINVAL, EOPNOTSUPP) gets the unfiltered dump: the
 * callback filters all the same. */
static int ct_find(struct nl_sock *sock, int family, struct ct_dump *d, struct cni_err *err)
{
	char buf[NL_MSG_BUF_SIZE];
	int r;

	if (family != AF_INET && family != AF_INET6 && (family != AF_UNSPEC || !d->set))
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL,
					 "conntrack: unsupported address family %d", family);
	r = nl_dump(sock, ct_dump_msg(buf, family, d, family != AF_UNSPEC), ct_entry_cb, d, err);
	if (family != AF_UNSPEC && (r == -EINVAL || r == -EOPNOTSUPP)) {
		cni_err_clear(err);
		ct_dump_clear(d);
		r = nl_dump(sock, ct_dump_msg(buf, family, d, false), ct_entry_cb, d, err);
	}
	if (r < 0)
		return nl_err_wrap(sock, err, "failed to list %s conntrack entries",
				   family == AF_INET	? "ipv4"
				   : family == AF_INET6 ? "ipv6"
							: "udp");
	return 0;
}

int ct_count_by_dport(int family, uint8_t proto, uint16_t port, unsigned int *ret_count,
		      struct cni_err *err)
{
	_cleanup_(ct_dump_free) struct ct_dump d = {.proto = proto, .port_be = htons(port)};
	_cleanup_nl_close_ struct nl_sock *sock = NULL;
	int r;

	r = ct_open(&sock, err);
	if (r == 0)
		r = ct_find(sock, family, &d, err);
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
	nlh = ct_msg(buf, IPCTNL_MSG_CT_DELETE, 0, m->family ? m->family : family);
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

/* ct_delete_by_dport() over an open ctnetlink socket. */
static int ct_delete_by_dport_on(struct nl_sock *sock, int family, uint8_t proto, uint16_t port,
				 unsigned int *ret_deleted, struct cni_err *err);

int ct_delete_by_dport(int family, uint8_t proto, uint16_t port, unsigned int *ret_deleted,
		       struct cni_err *err)
{
	_cleanup_nl_close_ struct nl_sock *sock = NULL;
	int r;

	if (family != AF_INET && family != AF_INET6)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL,
					 "conntrack: unsupported address family %d", family);
	r = ct_open(&sock, err);
	if (r < 0)
		return r;
	return ct_delete_by_dport_on(sock, family, proto, port, ret_deleted, err);
}

static int ct_delete_by_dport_on(struct nl_sock *sock, int family, uint8_t proto, uint16_t port,
				 unsigned int *ret_deleted, struct cni_err *err)
{
	_cleanup_(ct_dump_free) struct ct_dump d = {
		.proto = proto, .port_be = htons(port), .collect = true};
	unsigned int deleted = 0;
	size_t i;
	int r;

	if (ret_deleted)
		*ret_deleted = 0;
	r = ct_find(sock, family, &d, err);
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

int ct_delete_by_dports(struct nl_sock *sock, uint8_t proto, const struct ct_port_set *sets,
			size_t nsets, unsigned int *ret_deleted, struct cni_err *err)
{
	_cleanup_(ct_dump_free) struct ct_dump d = {
		.proto = proto, .set = sets, .nsets = nsets, .collect = true};
	unsigned int deleted = 0;
	int family = AF_UNSPEC, r;

	if (ret_deleted)
		*ret_deleted = 0;
	for (size_t i = 0; i < nsets; i++) {
		if (sets[i].family != AF_INET && sets[i].family != AF_INET6)
			return cni_err_set_errno(err, CNI_ERR_INTERNAL, EINVAL,
						 "conntrack: unsupported address family %d",
						 sets[i].family);
		if (sets[i].n)
			family = family == AF_UNSPEC || family == sets[i].family ? sets[i].family
										 : -1;
	}
	if (family == AF_UNSPEC)
		return 0; /* no port at all */
	/* One walk for every port of every family. */
	r = ct_find(sock, family < 0 ? AF_UNSPEC : family, &d, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < d.n; i++) {
		bool gone;

		r = ct_delete(sock, d.match[i].family, &d.match[i], &gone, err);
		if (r < 0)
			return nl_err_wrap(sock, err, "failed to delete a conntrack entry for %s",
					   proto == IPPROTO_UDP ? "udp" : "l4");
		deleted += gone;
	}
	if (ret_deleted)
		*ret_deleted = deleted;
	return 0;
}
