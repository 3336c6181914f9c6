/* SPDX-License-Identifier: Apache-2.0 */
/* Conntrack deletion over ctnetlink: dump the family's table (IPCTNL_MSG_CT_GET with
 * NLM_F_DUMP), remember the original tuple of every matching entry, then send one
 * IPCTNL_MSG_CT_DELETE per tuple (the dump cannot be modified while it runs). */
#include "net/conntrack.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>

#include <libmnl/libmnl.h>

#include "cleanup.h"

#define CT_RECV_SIZE (64 * 1024)

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
	struct ct_match *match; /* matching entries */
	size_t n;		/* number of matches */
	size_t cap;		/* allocated entries of match */
	int error;		/* -errno from a callback, 0 if none */
};

/* A ctnetlink socket in the current network namespace. */
struct ct_sock {
	struct mnl_socket *nl; /* the socket */
	uint32_t portid;       /* our port id */
	uint32_t seq;	       /* next sequence number */
};

static void ct_sock_close(struct ct_sock *s)
{
	if (s->nl)
		mnl_socket_close(s->nl);
	s->nl = NULL;
}

static int ct_sock_open(struct ct_sock *s, struct cni_err *err)
{
	int one = 1, e;

	s->nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!s->nl) {
		e = errno;
		cni_err_errno(err, CNI_ERR_INTERNAL, e, "failed to open conntrack netlink socket");
		return -e;
	}
	if (mnl_socket_bind(s->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		e = errno;
		ct_sock_close(s);
		cni_err_errno(err, CNI_ERR_INTERNAL, e, "failed to bind conntrack netlink socket");
		return -e;
	}
	(void)mnl_socket_setsockopt(s->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	s->portid = mnl_socket_get_portid(s->nl);
	s->seq = (uint32_t)time(NULL);
	return 0;
}

/* Start a ctnetlink message of the given type in buf. */
static struct nlmsghdr *ct_msg(struct ct_sock *s, char *buf, uint16_t type, uint16_t flags,
			       int family)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = s->seq++;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = (uint8_t)family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	return nlh;
}

/* Send a request and run cb on the replies until the ACK or NLMSG_DONE; -errno. */
static int ct_request(struct ct_sock *s, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	_cleanup_free_ char *buf = malloc(CT_RECV_SIZE);
	uint32_t seq = nlh->nlmsg_seq;
	ssize_t n;
	int r;

	if (!buf)
		return -ENOMEM;
	if (mnl_socket_sendto(s->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		n = mnl_socket_recvfrom(s->nl, buf, CT_RECV_SIZE);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		r = mnl_cb_run(buf, (size_t)n, seq, s->portid, cb, data);
		if (r < 0)
			return errno ? -errno : -EIO;
		if (r == MNL_CB_STOP)
			return 0;
	}
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

static int ct_entry_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ct_dump *d = data;
	const struct nlattr *a, *tuple = NULL, *zone = NULL, *proto, *num, *dport;

	mnl_attr_for_each (a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) == CTA_TUPLE_ORIG)
			tuple = a;
		else if (mnl_attr_get_type(a) == CTA_ZONE &&
			 mnl_attr_get_payload_len(a) >= sizeof(uint16_t))
			zone = a;
	}
	if (!tuple)
		return MNL_CB_OK;
	proto = nested_find(tuple, CTA_TUPLE_PROTO);
	if (!proto)
		return MNL_CB_OK;
	num = nested_find(proto, CTA_PROTO_NUM);
	dport = nested_find(proto, CTA_PROTO_DST_PORT);
	if (!num || !dport || mnl_attr_get_payload_len(num) < 1 ||
	    mnl_attr_get_payload_len(dport) < 2)
		return MNL_CB_OK;
	if (mnl_attr_get_u8(num) != d->proto || mnl_attr_get_u16(dport) != d->port_be)
		return MNL_CB_OK;

	if (d->collect) {
		struct ct_match *m;

		if (d->n == d->cap) {
			size_t cap = d->cap ? d->cap * 2 : 16;

			m = realloc(d->match, cap * sizeof(*m));
			if (!m)
				goto nomem;
			d->match = m;
			d->cap = cap;
		}
		m = &d->match[d->n];
		m->tuple = malloc(tuple->nla_len);
		if (!m->tuple)
			goto nomem;
		memcpy(m->tuple, tuple, tuple->nla_len);
		m->has_zone = zone != NULL;
		m->zone = zone ? mnl_attr_get_u16(zone) : 0;
	}
	d->n++;
	return MNL_CB_OK;
nomem:
	d->error = -ENOMEM;
	errno = ENOMEM;
	return MNL_CB_ERROR;
}

static void ct_dump_free(struct ct_dump *d)
{
	size_t i;

	if (d->collect)
		for (i = 0; i < d->n; i++)
			free(d->match[i].tuple);
	free(d->match);
}

static int ct_check_args(int family, struct cni_err *err)
{
	if (family != AF_INET && family != AF_INET6) {
		cni_err_set(err, CNI_ERR_INTERNAL, "conntrack: unsupported address family %d",
			    family);
		return -EINVAL;
	}
	return 0;
}

/* Dump the family's table into d. */
static int ct_dump(struct ct_sock *s, int family, struct ct_dump *d, struct cni_err *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	int r;

	nlh = ct_msg(s, buf, IPCTNL_MSG_CT_GET, NLM_F_DUMP, family);
	r = ct_request(s, nlh, ct_entry_cb, d);
	if (d->error)
		r = d->error;
	if (r < 0)
		cni_err_errno(err, CNI_ERR_INTERNAL, -r, "failed to list %s conntrack entries",
			      family == AF_INET ? "ipv4" : "ipv6");
	return r;
}

int ct_count_by_dport(int family, uint8_t proto, uint16_t port, unsigned int *ret_count,
		      struct cni_err *err)
{
	struct ct_dump d = {.proto = proto, .port_be = htons(port), .collect = false};
	struct ct_sock s = {0};
	int r;

	if (ct_check_args(family, err) < 0)
		return -EINVAL;
	r = ct_sock_open(&s, err);
	if (r < 0)
		return r;
	r = ct_dump(&s, family, &d, err);
	ct_sock_close(&s);
	ct_dump_free(&d);
	if (r < 0)
		return r;
	*ret_count = (unsigned int)d.n;
	return 0;
}

int ct_delete_by_dport(int family, uint8_t proto, uint16_t port, unsigned int *ret_deleted,
		       struct cni_err *err)
{
	struct ct_dump d = {.proto = proto, .port_be = htons(port), .collect = true};
	struct ct_sock s = {0};
	unsigned int deleted = 0;
	size_t i;
	int r;

	if (ct_check_args(family, err) < 0)
		return -EINVAL;
	r = ct_sock_open(&s, err);
	if (r < 0)
		return r;
	r = ct_dump(&s, family, &d, err);
	for (i = 0; r == 0 && i < d.n; i++) {
		char buf[MNL_SOCKET_BUFFER_SIZE];
		struct nlmsghdr *nlh;
		int dr;

		if (d.match[i].tuple->nla_len > sizeof(buf) - 64)
			continue;
		nlh = ct_msg(&s, buf, IPCTNL_MSG_CT_DELETE, NLM_F_ACK, family);
		/* The original tuple verbatim identifies the entry (with its zone). */
		memcpy(mnl_nlmsg_get_payload_tail(nlh), d.match[i].tuple,
		       d.match[i].tuple->nla_len);
		nlh->nlmsg_len += MNL_ALIGN(d.match[i].tuple->nla_len);
		if (d.match[i].has_zone)
			mnl_attr_put_u16(nlh, CTA_ZONE, d.match[i].zone);
		dr = ct_request(&s, nlh, NULL, NULL);
		if (dr == 0)
			deleted++;
		else if (dr != -ENOENT) {
			r = dr;
			cni_err_errno(err, CNI_ERR_INTERNAL, -dr,
				      "failed to delete conntrack entry for %s port %u",
				      proto == IPPROTO_UDP ? "udp" : "l4", port);
		}
	}
	ct_sock_close(&s);
	ct_dump_free(&d);
	if (r < 0)
		return r;
	if (ret_deleted)
		*ret_deleted = deleted;
	return 0;
}
