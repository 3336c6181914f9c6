/* SPDX-License-Identifier: Apache-2.0 */
/* The netlink transport (one send/receive loop for every bus) and rtnetlink basics. */
#include "net/nl.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/membarrier.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <libmnl/libmnl.h>

#include "array.h"
#include "net/netns.h"
#include "net/test_priv.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

/* ---- sockets ------------------------------------------------------------------------ */

static const char *bus_name(int bus)
{
	switch (bus) {
	case NETLINK_ROUTE:
		return "rtnetlink";
	case NETLINK_NETFILTER:
		return "netfilter netlink";
	default:
		return "netlink";
	}
}

int nl_open_bus(int bus, struct nl_sock **ret_sock, struct cni_err *err)
{
	_cleanup_nl_close_ struct nl_sock *sock = NULL;
	int one = 1;

	sock = calloc(1, sizeof(*sock));
	if (sock)
		sock->buf = malloc(NL_RECV_BUF_SIZE);
	if (!sock || !sock->buf)
		return cni_err_nomem(err);
	sock->bus = bus;
	sock->mnl = mnl_socket_open2(bus, SOCK_CLOEXEC);
	if (!sock->mnl)
		return cni_err_errno(err, CNI_ERR_INTERNAL, errno, "failed to open %s socket",
				     bus_name(bus));
	/* Both are best effort: old kernels still work, just without the kernel's reason. */
	(void)mnl_socket_setsockopt(sock->mnl, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)mnl_socket_setsockopt(sock->mnl, NETLINK_CAP_ACK, &one, sizeof(one));
	if (mnl_socket_bind(sock->mnl, 0, MNL_SOCKET_AUTOPID) < 0)
		return cni_err_errno(err, CNI_ERR_INTERNAL, errno, "failed to bind %s socket",
				     bus_name(bus));
	sock->portid = mnl_socket_get_portid(sock->mnl);
	/* Start from a value that differs between processes, like iproute2 does. */
	sock->seq = (uint32_t)time(NULL);
	*ret_sock = TAKE_PTR(sock);
	return 0;
}

int nl_open(struct nl_sock **ret_sock, struct cni_err *err)
{
	return nl_open_bus(NETLINK_ROUTE, ret_sock, err);
}

int nl_open_in_netns(int netns_fd, struct nl_sock **ret_sock, struct cni_err *err)
{
	_cleanup_(netns_restorep) int saved = -1;
	_cleanup_nl_close_ struct nl_sock *sock = NULL;
	int r;

	r = netns_enter(netns_fd, &saved, err);
	if (r < 0)
		return r;
	r = nl_open_bus(NETLINK_ROUTE, &sock, err);
	if (r < 0)
		return r;
	r = netns_restore(TAKE_FD(saved), err);
	if (r < 0)
		return r;
	*ret_sock = TAKE_PTR(sock);
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

/* Most grace periods the child of detached_at_exit() waits for before it closes. */
#define DETACHED_WAITS_MAX 8

static int nfgen_cb(const struct nlmsghdr *nlh, void *data, struct cni_err *err)
{
	const struct nlattr *tb[NFTA_GEN_MAX + 1] = {NULL};

	if (nl_msg_check(nlh, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWGEN, sizeof(struct nfgenmsg),
			 err) < 0)
		return cni_err_ret(err);
	nl_attr_index(nlh, sizeof(struct nfgenmsg), tb, NFTA_GEN_MAX);
	if (tb[NFTA_GEN_ID] && mnl_attr_get_payload_len(tb[NFTA_GEN_ID]) >= sizeof(uint32_t))
		*(uint32_t *)data = ntohl(mnl_attr_get_u32(tb[NFTA_GEN_ID]));
	return 0;
}

/* The nf_tables ruleset generation of sock's namespace; 0 when it cannot be read. */
static uint32_t nfgen(struct nl_sock *sock)
{
	char buf[NL_MSG_BUF_SIZE];
	struct nlmsghdr *nlh = nl_msg_init(buf, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETGEN, 0);
	struct nfgenmsg *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	struct cni_err ign = {0}; /* "not known": the waits below are only bounded then */
	uint32_t gen = 0;

	g->nfgen_family = AF_UNSPEC;
	g->version = NFNETLINK_V0;
	(void)nl_request_cb(sock, nlh, nfgen_cb, &gen, &ign);
	return gen;
}

/* Sockets left to the child the process starts at its exit (nl_close_detached()). */
#define DETACHED_MAX 16
static struct nl_sock *detached[DETACHED_MAX];
static size_t n_detached;

/*
 * The child of detached_at_exit(): keep nothing but the detached sockets, wait without any
 * lock until what earlier commits deleted has been released, close them. The kernel
 * releases in batches, one at a time, each after its own grace period: what a commit
 * deleted is released at most two grace periods after it (one for a batch already under
 * way), and each later commit may queue another batch. So the child waits two grace
 * periods (membarrier's global command is one synchronize_rcu()), then one more as long as
 * the ruleset generation changed during the last, at most DETACHED_WAITS_MAX in all; where
 * membarrier is refused, the close waits.
 */
static _Noreturn void close_child(void)
{
	int keep[DETACHED_MAX];
	unsigned int lo = 0;
	uint32_t gen, now;

	for (size_t i = 0; i < n_detached; i++) {
		size_t j = i;

		for (; j > 0 && keep[j - 1] > mnl_socket_get_fd(detached[i]->mnl); j--)
			keep[j] = keep[j - 1];
		keep[j] = mnl_socket_get_fd(detached[i]->mnl);
	}
	for (size_t i = 0; i < n_detached; i++) {
		if ((unsigned int)keep[i] > lo)
			close_range(lo, (unsigned int)keep[i] - 1, 0);
		lo = (unsigned int)keep[i] + 1;
	}
	close_range(lo, ~0U, 0);
	gen = nfgen(detached[0]);
	for (int i = 0; i < DETACHED_WAITS_MAX; i++) {
		if (syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0) < 0)
			break;
		now = nfgen(detached[0]);
		if (i > 0 && now == gen)
			break;
		gen = now;
	}
	for (size_t i = 0; i < n_detached; i++)
		close(keep[i]);
	_exit(0);
}

/* At exit: the output is complete. Whoever reads stdout and stderr to their end (the
 * runtime) must not wait for the child, so this process points them at /dev/null before it
 * starts the child (stderr is kept in ASan builds, whose leak report comes later in exit). */
static void detached_at_exit(void)
{
	int null;

	if (n_detached == 0)
		return;
	fflush(NULL);
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, STDOUT_FILENO);
#ifndef __SANITIZE_ADDRESS__
		dup2(null, STDERR_FILENO);
#endif
		close(null);
	}
	if (fork() == 0)
		close_child();
	/* This process's copies close as it exits, without releasing the sockets. */
}

void nl_close_detached(struct nl_sock *sock)
{
	static bool registered;

	if (!sock || !sock->mnl || n_detached == DETACHED_MAX) {
		nl_close(sock);
		return;
	}
	if (!registered) {
		if (atexit(detached_at_exit) != 0) {
			nl_close(sock);
			return;
		}
		registered = true;
	}
	detached[n_detached++] = sock;
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

int nl_msg_check(const struct nlmsghdr *nlh, uint16_t type, size_t hdrlen, struct cni_err *err)
{
	if (nlh->nlmsg_type != type || mnl_nlmsg_get_payload_len(nlh) < hdrlen)
		return cni_err_set_errno(err, CNI_ERR_INTERNAL, EBADMSG,
					 "unexpected netlink message type %u", nlh->nlmsg_type);
	return 0;
}

/* ---- receiving: parsing only ---------------------------------------------------------- */

/* The NLMSGERR_ATTR_MSG text of the extended ACK attributes starting off bytes into the
 * payload of nlh, or NULL. */
static const char *extack_text(const struct nlmsghdr *nlh, size_t off)
{
	const struct nlattr *attr;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || off > nlh->nlmsg_len)
		return NULL;
	off = MNL_ALIGN(off);
	if (mnl_nlmsg_size(off) >= nlh->nlmsg_len)
		return NULL;
	mnl_attr_for_each (attr, nlh, off) {
		if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
		    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0)
			return mnl_attr_get_str(attr);
	}
	return NULL;
}

/* Whether m answers the exchange: our port (or the kernel's 0) and one of our sequence
 * numbers (unsigned arithmetic copes with the counter wrapping). */
static bool rx_ours(const struct nl_rx *rx, const struct nlmsghdr *m)
{
	if (m->nlmsg_pid && m->nlmsg_pid != rx->portid)
		return false;
	return (uint32_t)(m->nlmsg_seq - rx->seq_first) <= (uint32_t)(rx->seq_last - rx->seq_first);
}

/* Keep the first refusal of the exchange. */
static void rx_refuse(struct nl_rx *rx, uint32_t seq, int error, const char *extack)
{
	if (rx->refusal.error)
		return;
	rx->refusal.seq = seq;
	rx->refusal.error = error;
	snprintf(rx->refusal.extack, sizeof(rx->refusal.extack), "%s", extack ? extack : "");
}

/* The errno of a kernel status word (negative errno, or 0). The kernel never sends a
 * value outside 1..4095 in magnitude; such a value (INT_MIN cannot even be negated)
 * means a corrupt reply and reads as EPROTO. */
static int status_errno(int status)
{
	if (status == 0)
		return 0;
	if (status >= -4095 && status <= 4095)
		return status < 0 ? -status : status;
	return EPROTO;
}

/* NLMSG_ERROR: an ACK (error 0) or a refusal, followed by the echoed request (only its
 * header with NLM_F_CAPPED) and the extended ACK attributes. */
static int rx_ack(struct nl_rx *rx, const struct nlmsghdr *m, struct cni_err *err)
{
	const struct nlmsgerr *me = mnl_nlmsg_get_payload(m);
	int e;

	if (m->nlmsg_len < mnl_nlmsg_size(sizeof(*me)))
		return cni_err_set_errno(err, 0, EBADMSG, "truncated netlink error message");
	rx->acks++;
	e = status_errno(me->error);
	if (e) {
		size_t off = sizeof(*me);

		if (!(m->nlmsg_flags & NLM_F_CAPPED))
			off = me->msg.nlmsg_len < sizeof(struct nlmsghdr)
				      ? SIZE_MAX
				      : off + me->msg.nlmsg_len - sizeof(struct nlmsghdr);
		rx_refuse(rx, m->nlmsg_seq, e, extack_text(m, off));
	}
	switch (rx->mode) {
	case NL_RX_ACK:
		rx->done = true;
		break;
	case NL_RX_DUMP:
		rx->done = e != 0;
		break;
	case NL_RX_BATCH:
		rx->done = rx->acks >= rx->acks_wanted;
		break;
	}
	return 0;
}

/* NLMSG_DONE of a dump: the payload is an int, negative on failure, followed by the
 * extended ACK attributes. */
static void rx_done(struct nl_rx *rx, const struct nlmsghdr *m)
{
	int status;

	if (rx->mode != NL_RX_DUMP)
		return;
	rx->done = true;
	if (mnl_nlmsg_get_payload_len(m) < sizeof(status))
		return;
	memcpy(&status, mnl_nlmsg_get_payload(m), sizeof(status));
	if (status < 0)
		rx_refuse(rx, m->nlmsg_seq, status_errno(status), extack_text(m, sizeof(status)));
}

/* A data message: to the callback, unless it failed or the dump is known to be stale.
 * After a failure the exchange is still read to its end so that the socket stays usable. */
static void rx_data(struct nl_rx *rx, const struct nlmsghdr *m, struct cni_err *err)
{
	int r;

	if (m->nlmsg_flags & NLM_F_DUMP_INTR)
		rx->intr = true;
	if (!rx->cb || rx->cb_error || rx->intr)
		return;
	r = rx->cb(m, rx->data, err);
	if (r < 0)
		rx->cb_error = r;
}

/* Whether a whole message starts at m with left bytes remaining. Unlike mnl_nlmsg_ok(),
 * which compares the length as an int, a length above INT_MAX is not taken for a short
 * one (a corrupt reply would otherwise walk backwards forever). */
static bool rx_msg_ok(const struct nlmsghdr *m, int left)
{
	return left >= (int)sizeof(*m) && m->nlmsg_len >= sizeof(*m) &&
	       m->nlmsg_len <= (unsigned int)left;
}

int nl_rx_feed(struct nl_rx *rx, const void *buf, size_t len, struct cni_err *err)
{
	int left = len > INT_MAX ? INT_MAX : (int)len;
	const struct nlmsghdr *m;

	for (m = buf; !rx->done && rx_msg_ok(m, left); m = mnl_nlmsg_next(m, &left)) {
		if (!rx_ours(rx, m))
			continue;
		switch (m->nlmsg_type) {
		case NLMSG_NOOP:
		case NLMSG_OVERRUN:
			break;
		case NLMSG_ERROR: {
			int r = rx_ack(rx, m, err);

			if (r < 0)
				return r;
			break;
		}
		case NLMSG_DONE:
			rx_done(rx, m);
			break;
		default:
			rx_data(rx, m, err);
			break;
		}
	}
	return 0;
}

/* Whether the exchange failed only because the dump was interrupted. */
static bool rx_interrupted(const struct nl_rx *rx)
{
	return rx->intr && !rx->cb_error && !rx->refusal.error;
}

/* Record a kernel refusal: Go's errno text, then the extack message if any. */
static int set_refusal_err(const struct nl_refusal *ref, struct cni_err *err)
{
	char text[128];

	cni_strerror(ref->error, text, sizeof(text));
	if (!ref->extack[0])
		return cni_err_set_errno(err, 0, ref->error, "%s", text);
	cni_err_set_errno(err, 0, ref->error, "%s: %s", text, ref->extack);
	return cni_err_details(err, "%s", ref->extack);
}

int nl_rx_status(const struct nl_rx *rx, struct cni_err *err)
{
	if (rx->cb_error)
		return rx->cb_error;
	if (rx->refusal.error)
		return set_refusal_err(&rx->refusal, err);
	if (rx_interrupted(rx))
		return cni_err_set_errno(
			err, CNI_ERR_TRY_AGAIN, EINTR,
			"netlink dump interrupted: the kernel's table changed meanwhile");
	return 0;
}

int nl_err_wrap(const struct nl_sock *sock, struct cni_err *err, const char *fmt, ...)
{
	int code = err->code ? err->code : CNI_ERR_INTERNAL;
	int e = err->sys_errno ? err->sys_errno : EIO;
	va_list ap;

	va_start(ap, fmt);
	cni_err_vset_errno(err, code, e, fmt, ap);
	va_end(ap);
	if (sock->refusal.error == e && sock->refusal.extack[0])
		return cni_err_details(err, "%s: %s", strerror(e), sock->refusal.extack);
	return cni_err_details(err, "%s", strerror(e));
}

/* ---- the exchange --------------------------------------------------------------------- */

/* The test hook of test_priv.h, NULL outside tests. */
static nl_dump_hook_fn dump_hook;
static void *dump_hook_data;

void nl_test_set_dump_hook(nl_dump_hook_fn fn, void *data)
{
	dump_hook = fn;
	dump_hook_data = data;
}

/* Call the dump hook once per exchange, after a first datagram that left the dump open. */
static void run_dump_hook(struct nl_sock *sock, const struct nl_rx *rx, bool *called)
{
	if (*called || rx->mode != NL_RX_DUMP || rx->done)
		return;
	*called = true;
	dump_hook(sock, dump_hook_data);
}

/* Wait up to timeout_ms for the socket to become readable: 1 when it is, 0 when not. */
static int wait_readable(int fd, int timeout_ms, struct cni_err *err)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	int n;

	do
		n = poll(&pfd, 1, timeout_ms);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return cni_err_errno(err, CNI_ERR_INTERNAL, errno, "failed to poll netlink socket");
	return n > 0;
}

int nl_exchange(struct nl_sock *sock, const struct iovec *iov, size_t niov, struct nl_rx *rx,
		struct cni_err *err)
{
	struct sockaddr_nl snl = {.nl_family = AF_NETLINK};
	struct msghdr msg = {
		.msg_name = &snl,
		.msg_namelen = sizeof(snl),
		.msg_iov = (struct iovec *)iov,
		.msg_iovlen = niov,
	};
	int fd = mnl_socket_get_fd(sock->mnl);
	bool hooked = false;

	memset(&sock->refusal, 0, sizeof(sock->refusal));
	rx->portid = sock->portid;
	if (sendmsg(fd, &msg, 0) < 0)
		return cni_err_errno(err, CNI_ERR_INTERNAL, errno,
				     "failed to send netlink message");
	while (!rx->done) {
		ssize_t n;
		int r;

		if (rx->mode == NL_RX_BATCH) {
			/* The kernel answers a batch inside sendmsg(): everything is queued
			 * already unless something is badly wrong. After a refusal the
			 * number of answers is unknown, so read until none is left. */
			bool draining = rx->refusal.error || rx->acks_wanted == 0;

			r = wait_readable(fd, draining ? 0 : NL_BATCH_TIMEOUT_MS, err);
			if (r < 0)
				return r;
			if (r == 0 && draining)
				break;
			if (r == 0)
				return cni_err_set_errno(err, 0, ETIMEDOUT,
							 "timed out waiting for netlink batch "
							 "acknowledgements");
		}
		n = mnl_socket_recvfrom(sock->mnl, sock->buf, NL_RECV_BUF_SIZE);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return cni_err_errno(err, CNI_ERR_INTERNAL, errno,
					     "failed to receive netlink message");
		}
		r = nl_rx_feed(rx, sock->buf, (size_t)n, err);
		if (r < 0)
			return r;
		if (dump_hook)
			run_dump_hook(sock, rx, &hooked);
	}
	sock->refusal = rx->refusal;
	return nl_rx_status(rx, err);
}

/* Exchange the single message nlh (its sequence number assigned here). */
static int exchange_one(struct nl_sock *sock, struct nlmsghdr *nlh, struct nl_rx *rx,
			struct cni_err *err)
{
	struct iovec iov = {.iov_base = nlh, .iov_len = nlh->nlmsg_len};

	nlh->nlmsg_seq = rx->seq_first = rx->seq_last = nl_seq_next(sock);
	nlh->nlmsg_pid = 0;
	return nl_exchange(sock, &iov, 1, rx, err);
}

int nl_request_cb(struct nl_sock *sock, struct nlmsghdr *nlh, nl_msg_cb cb, void *data,
		  struct cni_err *err)
{
	struct nl_rx rx = {.mode = NL_RX_ACK, .cb = cb, .data = data};

	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	return exchange_one(sock, nlh, &rx, err);
}

int nl_request(struct nl_sock *sock, struct nlmsghdr *nlh, struct cni_err *err)
{
	return nl_request_cb(sock, nlh, NULL, NULL, err);
}

int nl_request_built(struct nl_sock *sock, int built, void *buf, struct cni_err *err)
{
	if (built < 0)
		return built;
	return nl_request(sock, buf, err);
}

int nl_dump(struct nl_sock *sock, struct nlmsghdr *nlh, nl_msg_cb cb, void *data,
	    struct cni_err *err)
{
	int attempt, r;

	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_DUMP;
	for (attempt = 1;; attempt++) {
		struct nl_rx rx = {.mode = NL_RX_DUMP, .cb = cb, .data = data};

		r = exchange_one(sock, nlh, &rx, err);
		if (!rx_interrupted(&rx))
			return r;
		if (attempt == NL_DUMP_RETRIES)
			return cni_err_set_errno(err, CNI_ERR_TRY_AGAIN, EINTR,
						 "netlink dump interrupted %d times",
						 NL_DUMP_RETRIES);
		/* The kernel's table changed under the dump: start over. */
		r = cb(NULL, data, err);
		if (r < 0)
			return r;
	}
}

void *nl_vec_push(struct nl_vec *v, struct cni_err *err)
{
	if (array_reserve(&v->items, &v->cap, v->n + 1, v->size) < 0) {
		cni_err_nomem(err);
		return NULL;
	}
	return (char *)v->items + v->size * v->n++;
}

/* What nl_dump_collect() passes through nl_dump(). */
struct collect {
	uint16_t msg_type; /* messages for cb */
	nl_msg_cb cb;	   /* the caller's callback */
	void *data;	   /* its argument */
	struct nl_vec *v;  /* the array being filled */
};

static int collect_cb(const struct nlmsghdr *nlh, void *data, struct cni_err *err)
{
	struct collect *c = data;

	if (!nlh) {
		c->v->n = 0;
		return 0;
	}
	if (nlh->nlmsg_type != c->msg_type)
		return 0;
	return c->cb(nlh, c->data, err);
}

int nl_dump_collect(struct nl_sock *sock, struct nlmsghdr *nlh, uint16_t msg_type, nl_msg_cb cb,
		    void *data, struct nl_vec *v, void *ret_items, size_t *ret_n,
		    struct cni_err *err)
{
	struct collect c = {.msg_type = msg_type, .cb = cb, .data = data, .v = v};
	int r;

	r = nl_dump(sock, nlh, collect_cb, &c, err);
	if (r < 0) {
		free(v->items);
		v->items = NULL;
		return r;
	}
	/* ret_items points at a typed pointer; copy instead of aliasing it as void *. */
	memcpy(ret_items, &v->items, sizeof(v->items));
	*ret_n = v->n;
	return 0;
}

/* Make a socket buffer at least size bytes (the kernel doubles the value); best effort,
 * the privileged *FORCE option first. */
static void grow_sockbuf(int fd, int opt, int force_opt, size_t size)
{
	int cur = 0, want;
	socklen_t len = sizeof(cur);

	if (size > INT32_MAX / 2)
		size = INT32_MAX / 2;
	want = (int)size;
	if (getsockopt(fd, SOL_SOCKET, opt, &cur, &len) == 0 && cur >= want * 2)
		return;
	if (setsockopt(fd, SOL_SOCKET, force_opt, &want, sizeof(want)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, opt, &want, sizeof(want));
}

int nl_batch(struct nl_sock *sock, const struct iovec *iov, size_t niov, uint32_t seq_first,
	     uint32_t seq_last, size_t acks, struct cni_err *err)
{
	struct nl_rx rx = {
		.mode = NL_RX_BATCH,
		.seq_first = seq_first,
		.seq_last = seq_last,
		.acks_wanted = acks,
	};
	int fd = mnl_socket_get_fd(sock->mnl);
	size_t i, total = 0;

	for (i = 0; i < niov; i++)
		total += iov[i].iov_len;
	/* Room for the whole batch in one sendmsg() and for every ACK it brings. */
	grow_sockbuf(fd, SO_SNDBUF, SO_SNDBUFFORCE, total + 4096);
	grow_sockbuf(fd, SO_RCVBUF, SO_RCVBUFFORCE, acks * 2048 + 65536);
	return nl_exchange(sock, iov, niov, &rx, err);
}

/* ---- attributes --------------------------------------------------------------------- */

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
