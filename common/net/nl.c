/* SPDX-License-Identifier: Apache-2.0 */
/* rtnetlink socket, request/ack with extended ACK, and restartable dumps over libmnl. */
#include "net/nl.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>

/* How often a dump is redone after NLM_F_DUMP_INTR before giving up. */
#define NL_DUMP_RETRIES 10

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

static int nl_open_here(struct nl_sock **ret_sock, struct cni_err *err)
{
	_cleanup_nl_close_ struct nl_sock *sock = NULL;
	int one = 1;

	sock = calloc(1, sizeof(*sock));
	if (sock)
		sock->buf = malloc(NL_RECV_BUF_SIZE);
	if (!sock || !sock->buf) {
		cni_err_nomem(err);
		return -ENOMEM;
	}

	sock->mnl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!sock->mnl) {
		int e = errno;
		cni_err_errno(err, CNI_ERR_INTERNAL, e, "failed to open rtnetlink socket");
		return -e;
	}
	/* Both are best effort: old kernels still work, just without the kernel's reason. */
	(void)mnl_socket_setsockopt(sock->mnl, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)mnl_socket_setsockopt(sock->mnl, NETLINK_CAP_ACK, &one, sizeof(one));
	if (mnl_socket_bind(sock->mnl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int e = errno;
		cni_err_errno(err, CNI_ERR_INTERNAL, e, "failed to bind rtnetlink socket");
		return -e;
	}
	sock->portid = mnl_socket_get_portid(sock->mnl);
	/* Start from a value that differs between processes, like iproute2 does. */
	sock->seq = (uint32_t)time(NULL);
	*ret_sock = TAKE_PTR(sock);
	return 0;
}

int nl_open(struct nl_sock **ret_sock, struct cni_err *err)
{
	return nl_open_here(ret_sock, err);
}

int nl_open_in_netns(int netns_fd, struct nl_sock **ret_sock, struct cni_err *err)
{
	_cleanup_close_ int saved = -1;
	struct nl_sock *sock = NULL;
	int r, e;

	saved = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (saved < 0) {
		e = errno;
		cni_err_errno(err, CNI_ERR_INTERNAL, e, "failed to open the current netns");
		return -e;
	}
	if (setns(netns_fd, CLONE_NEWNET) < 0) {
		e = errno;
		cni_err_errno(err, CNI_ERR_INTERNAL, e, "failed to enter netns");
		return -e;
	}
	r = nl_open_here(&sock, err);
	if (setns(saved, CLONE_NEWNET) < 0) {
		e = errno;
		nl_close(sock);
		cni_err_errno(err, CNI_ERR_INTERNAL, e, "failed to return to the original netns");
		return -e;
	}
	if (r < 0)
		return r;
	*ret_sock = sock;
	return 0;
}

void nl_close(struct nl_sock *sock)
{
	if (!sock)
		return;
	if (sock->mnl)
		mnl_socket_close(sock->mnl);
	free(sock->buf);
	free(sock);
}

struct nlmsghdr *nl_msg_init(void *buf, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh;

	memset(buf, 0, NL_MSG_BUF_SIZE);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	return nlh;
}

/* Record a kernel error: Go's errno text, then the extack message if any. */
static int nl_set_kernel_err(int e, const char *extack, struct cni_err *err)
{
	char text[128];

	cni_strerror(e, text, sizeof(text));
	if (extack && extack[0]) {
		cni_err_set(err, CNI_ERR_INTERNAL, "%s: %s", text, extack);
		cni_err_details(err, "%s", extack);
	} else {
		cni_err_set(err, CNI_ERR_INTERNAL, "%s", text);
	}
	return -e;
}

struct extack_data {
	const char *msg; /* NLMSGERR_ATTR_MSG payload, NULL when absent */
};

static int extack_attr_cb(const struct nlattr *attr, void *data)
{
	struct extack_data *d = data;

	if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0)
		d->msg = mnl_attr_get_str(attr);
	return MNL_CB_OK;
}

/* Decode an NLMSG_ERROR (or a NLMSG_DONE carrying an error): returns 0 for an ACK. */
static int nl_handle_error(const struct nlmsghdr *nlh, struct cni_err *err)
{
	const struct nlmsgerr *me = mnl_nlmsg_get_payload(nlh);
	struct extack_data ex = {NULL};
	size_t off;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*me))) {
		cni_err_set(err, CNI_ERR_INTERNAL, "truncated netlink error message");
		return -EBADMSG;
	}
	if (me->error == 0)
		return 0;
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		/* With NLM_F_CAPPED only the header of our request is echoed back. */
		off = sizeof(*me);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += me->msg.nlmsg_len - sizeof(struct nlmsghdr);
		off = MNL_ALIGN(off);
		if (mnl_nlmsg_size(off) < nlh->nlmsg_len)
			(void)mnl_attr_parse(nlh, off, extack_attr_cb, &ex);
	}
	return nl_set_kernel_err(me->error < 0 ? -me->error : me->error, ex.msg, err);
}

/* NLMSG_DONE of a dump: the payload is an int, negative on failure, followed by extack. */
static int nl_handle_done(const struct nlmsghdr *nlh, struct cni_err *err)
{
	struct extack_data ex = {NULL};
	int status;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(int))
		return 0;
	memcpy(&status, mnl_nlmsg_get_payload(nlh), sizeof(status));
	if (status >= 0)
		return 0;
	if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) &&
	    mnl_nlmsg_size(MNL_ALIGN(sizeof(int))) < nlh->nlmsg_len)
		(void)mnl_attr_parse(nlh, MNL_ALIGN(sizeof(int)), extack_attr_cb, &ex);
	return nl_set_kernel_err(-status, ex.msg, err);
}

/* Send nlh and read replies until the ACK (request) or NLMSG_DONE (dump). Messages of other
 * sequence numbers (left over from an aborted exchange) are skipped. *ret_intr tells whether
 * a dump message carried NLM_F_DUMP_INTR. */
static int nl_talk(struct nl_sock *sock, struct nlmsghdr *nlh, bool dump, nl_msg_cb cb, void *data,
		   bool *ret_intr, struct cni_err *err)
{
	bool intr = false;
	int failed = 0;
	uint32_t seq;

	nlh->nlmsg_seq = seq = ++sock->seq;
	nlh->nlmsg_pid = 0;
	if (mnl_socket_sendto(sock->mnl, nlh, nlh->nlmsg_len) < 0) {
		int e = errno;
		cni_err_errno(err, CNI_ERR_INTERNAL, e, "failed to send netlink message");
		return -e;
	}

	for (;;) {
		ssize_t n = mnl_socket_recvfrom(sock->mnl, sock->buf, NL_RECV_BUF_SIZE);
		const struct nlmsghdr *m;
		int len;

		if (n < 0) {
			int e = errno;
			if (e == EINTR)
				continue;
			cni_err_errno(err, CNI_ERR_INTERNAL, e,
				      "failed to receive netlink message");
			return -e;
		}
		len = (int)n;
		for (m = (const struct nlmsghdr *)sock->buf; mnl_nlmsg_ok(m, len);
		     m = mnl_nlmsg_next(m, &len)) {
			int r;

			if (m->nlmsg_seq != seq)
				continue;
			if (m->nlmsg_type == NLMSG_ERROR) {
				r = nl_handle_error(m, err);
				/* An ACK ends a request; an error ends either. */
				if (r < 0 || !dump)
					return failed ? failed : r;
				continue;
			}
			if (m->nlmsg_type == NLMSG_DONE) {
				if (!dump)
					continue;
				r = nl_handle_done(m, err);
				if (r < 0)
					return r;
				if (failed)
					return failed;
				*ret_intr = intr;
				return 0;
			}
			if (m->nlmsg_type == NLMSG_NOOP || m->nlmsg_type == NLMSG_OVERRUN)
				continue;
			if (m->nlmsg_flags & NLM_F_DUMP_INTR)
				intr = true;
			/* After a callback failure keep reading to the end so the socket stays
			 * usable, but stop calling back. */
			if (cb && !failed && !intr) {
				r = cb(m, data, err);
				if (r < 0)
					failed = r;
			}
		}
	}
}

int nl_request_cb(struct nl_sock *sock, struct nlmsghdr *nlh, nl_msg_cb cb, void *data,
		  struct cni_err *err)
{
	bool intr = false;

	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	return nl_talk(sock, nlh, false, cb, data, &intr, err);
}

int nl_request(struct nl_sock *sock, struct nlmsghdr *nlh, struct cni_err *err)
{
	return nl_request_cb(sock, nlh, NULL, NULL, err);
}

int nl_dump(struct nl_sock *sock, struct nlmsghdr *nlh, nl_msg_cb cb, void *data,
	    struct cni_err *err)
{
	int attempt, r;

	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_DUMP;
	for (attempt = 0; attempt < NL_DUMP_RETRIES; attempt++) {
		bool intr = false;

		r = nl_talk(sock, nlh, true, cb, data, &intr, err);
		if (r < 0)
			return r;
		if (!intr)
			return 0;
		/* The kernel's table changed under the dump: start over. */
		r = cb(NULL, data, err);
		if (r < 0)
			return r;
	}
	cni_err_set(err, CNI_ERR_TRY_AGAIN, "netlink dump interrupted %d times", NL_DUMP_RETRIES);
	return -EINTR;
}

struct attr_index {
	const struct nlattr **tb; /* table being filled */
	unsigned int max;	  /* its highest index */
};

static int attr_index_cb(const struct nlattr *attr, void *data)
{
	struct attr_index *ai = data;
	unsigned int type = mnl_attr_get_type(attr);

	if (type <= ai->max)
		ai->tb[type] = attr;
	return MNL_CB_OK;
}

void nl_attr_index(const struct nlmsghdr *nlh, size_t hdrlen, const struct nlattr **tb,
		   unsigned int max)
{
	struct attr_index ai = {tb, max};

	memset(tb, 0, (max + 1) * sizeof(*tb));
	if (nlh->nlmsg_len >= mnl_nlmsg_size(MNL_ALIGN(hdrlen)))
		(void)mnl_attr_parse(nlh, MNL_ALIGN(hdrlen), attr_index_cb, &ai);
}

void nl_attr_index_nested(const struct nlattr *nest, const struct nlattr **tb, unsigned int max)
{
	struct attr_index ai = {tb, max};

	memset(tb, 0, (max + 1) * sizeof(*tb));
	(void)mnl_attr_parse_nested(nest, attr_index_cb, &ai);
}
