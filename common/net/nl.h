/* SPDX-License-Identifier: Apache-2.0 */
/* The netlink transport of the suite over libmnl. The typed requests of each bus use it:
 * rtnetlink links, addresses and routes (rtnl.h), traffic control (tc.h), nftables (nft.h)
 * and conntrack (conntrack.h).
 *
 * One struct nl_sock serves every bus the suite talks to (NETLINK_ROUTE, NETLINK_NETFILTER),
 * opened SOCK_CLOEXEC with extended and capped ACKs. Every exchange goes through
 * nl_exchange(): it sends the request, a dump request or a whole batch in one sendmsg() and
 * reads the replies (libmnl's recvfrom wrapper), handing each datagram to nl_rx_feed(), which
 * parses without doing I/O. Replies are matched by sequence number (and port id); anything
 * else, left over from an aborted exchange, is skipped. A request ends with its ACK, a dump
 * with NLMSG_DONE, a batch with the ACK of every message (or, once the kernel refused one,
 * with whatever is still queued). A kernel refusal (an NLMSG_ERROR, or an NLMSG_DONE with a
 * negative status) is kept in sock->refusal with the extended ACK text, and recorded in err
 * as described below. A dump message flagged NLM_F_DUMP_INTR (the table changed under the
 * dump) makes the exchange fail with -EINTR, CNI code 11 (try again); nl_dump() redoes such
 * a dump a few times first.
 *
 * Error convention: every fallible function returns 0 or a negative errno value and fills
 * *err (sys_errno agreeing with the value returned). When the kernel refuses a request the
 * message is Go's errno text ("file exists", "no such device") followed by ": <extack>" when
 * the kernel sent one, and the extack text alone is also put in the details; no context is
 * prefixed, so callers add their own (cni_err_prefix) exactly as the reference plugins wrap
 * netlink errors. Callers with messages of their own use nl_err_wrap().
 */
#ifndef CNI_NL_H
#define CNI_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include <linux/netlink.h>

#include "cleanup.h"
#include "err.h"

struct mnl_socket;

/* Size of the buffer a message builder writes into. */
#define NL_MSG_BUF_SIZE 4096

/* Size of the receive buffer; the kernel never fills a dump datagram beyond 32 KiB. */
#define NL_RECV_BUF_SIZE 32768

/* Longest extended ACK text kept (the kernel's are far shorter). */
#define NL_EXTACK_MAX 256

/* How often nl_dump() redoes a dump interrupted by NLM_F_DUMP_INTR before failing. */
#define NL_DUMP_RETRIES 10

/* How long a batch waits for missing ACKs (the kernel answers inside sendmsg()). */
#define NL_BATCH_TIMEOUT_MS 10000

/* What the kernel refused in an exchange. */
struct nl_refusal {
	uint32_t seq;		    /* sequence number of the refused message */
	int error;		    /* positive errno; 0 when nothing was refused */
	char extack[NL_EXTACK_MAX]; /* NLMSGERR_ATTR_MSG text, "" when none */
};

/* A netlink socket with extended ACK and capped ACK enabled. Not thread-safe. */
struct nl_sock {
	struct mnl_socket *mnl;	   /* the libmnl socket */
	int bus;		   /* NETLINK_ROUTE, NETLINK_NETFILTER */
	unsigned int portid;	   /* our netlink port id, assigned by the kernel at bind */
	uint32_t seq;		   /* last sequence number handed out */
	char *buf;		   /* receive buffer of NL_RECV_BUF_SIZE bytes */
	struct nl_refusal refusal; /* the kernel's refusal in the last exchange, if any */
};

/* Per-message callback of nl_request_cb() and nl_dump(). Return 0 to go on, negative (with
 * err set) to fail. For dumps, nlh == NULL means "the dump was interrupted and restarts from
 * the beginning: discard everything collected so far". The callback must not use the socket. */
typedef int (*nl_msg_cb)(const struct nlmsghdr *nlh, void *data, struct cni_err *err);

/* Open a socket of bus (NETLINK_ROUTE, NETLINK_NETFILTER) in the caller's network
 * namespace. -errno of socket() or bind() ("failed to open rtnetlink socket"), -ENOMEM. */
int nl_open_bus(int bus, struct nl_sock **ret_sock, struct cni_err *err) CNI_MUST_USE;

/* Open a rtnetlink socket in the caller's network namespace (nl_open_bus(NETLINK_ROUTE)). */
int nl_open(struct nl_sock **ret_sock, struct cni_err *err) CNI_MUST_USE;

/* Open a rtnetlink socket bound to the namespace netns_fd: netns_enter() it, open the
 * socket, netns_restore(). The socket keeps operating in netns_fd. -errno of setns()
 * ("failed to enter netns") or of nl_open_bus(). */
int nl_open_in_netns(int netns_fd, struct nl_sock **ret_sock, struct cni_err *err) CNI_MUST_USE;

/* Close a socket; NULL is fine. */
void nl_close(struct nl_sock *sock);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nl_sock *, nl_close)
#define _cleanup_nl_close_ _cleanup_(nl_closep)

/*
 * Close a netfilter netlink socket without waiting for the kernel's release of it; NULL is
 * fine. The last close of such a socket flushes, holding the namespace's nf_tables commit
 * lock, the release of what earlier commits deleted (freed one RCU grace period after each
 * commit): 10-20 ms after a DEL, although those commits took effect at their ACKs. The
 * socket stays open until the process exits. At exit (atexit()), the process points its
 * stdout and stderr at /dev/null, so that nobody reading them to their end waits, and
 * starts a child that holds nothing but these sockets: it waits without that lock until
 * the release is done (grace periods, membarrier(), while the ruleset generation changes),
 * closes them and exits. Beyond 16 sockets, or without atexit(), nl_close().
 */
void nl_close_detached(struct nl_sock *sock);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nl_sock *, nl_close_detached)

/* The next sequence number of sock, for messages the caller frames itself (batches). */
static inline uint32_t nl_seq_next(struct nl_sock *sock)
{
	return ++sock->seq;
}

/* Send one request (NLM_F_ACK is added, the sequence number assigned) and wait for the
 * kernel's ACK. 0, or -errno with the kernel's reason in err (e.g. -EEXIST, -ENODEV);
 * -errno of sendmsg()/recvmsg(), -EBADMSG for a truncated reply. */
int nl_request(struct nl_sock *sock, struct nlmsghdr *nlh, struct cni_err *err);

/* Send the request a message builder (nl_*_build_*) wrote at the start of buf, as
 * nl_request() does; when the builder failed (built < 0, err set) return built instead:
 *
 *	return nl_request_built(sock, nl_addr_build(buf, true, addr, &nlh, err), buf, err);
 */
int nl_request_built(struct nl_sock *sock, int built, void *buf, struct cni_err *err);

/* Like nl_request(), passing each reply message that precedes the ACK (e.g. the RTM_NEWLINK
 * answering a RTM_GETLINK) to cb. cb may be NULL. A failure of cb is returned as it is. */
int nl_request_cb(struct nl_sock *sock, struct nlmsghdr *nlh, nl_msg_cb cb, void *data,
		  struct cni_err *err);

/* Run a dump request (NLM_F_DUMP is added) and pass every message to cb. When the kernel
 * flags the dump NLM_F_DUMP_INTR (the table changed meanwhile) it calls cb(NULL) and redoes
 * the whole dump, up to NL_DUMP_RETRIES times, then fails with -EINTR and CNI code 11 (try
 * again). Other errors as for nl_request_cb(). */
int nl_dump(struct nl_sock *sock, struct nlmsghdr *nlh, nl_msg_cb cb, void *data,
	    struct cni_err *err);

/* Send a batch the caller framed (e.g. nfnetlink NFNL_MSG_BATCH_BEGIN .. END), whose
 * messages carry the sequence numbers seq_first..seq_last and acks of them NLM_F_ACK, in
 * one sendmsg() of the niov buffers, and collect the ACKs. Once the kernel refused a
 * message it reads what is still queued and fails with that message's -errno, err as for
 * nl_request() and sock->refusal naming the first refused message (its seq). -ETIMEDOUT
 * when ACKs are missing after NL_BATCH_TIMEOUT_MS. */
int nl_batch(struct nl_sock *sock, const struct iovec *iov, size_t niov, uint32_t seq_first,
	     uint32_t seq_last, size_t acks, struct cni_err *err);

/*
 * Re-record the failure of an exchange on sock, recorded in err by the transport or by a
 * callback, in the caller's words: msg from fmt, details the errno text (strerror)
 * followed by ": <extack>" when the kernel gave a reason for refusing; the CNI code (11
 * for an interrupted dump) and the errno are kept. Returns that negative errno. For the
 * netfilter callers, whose messages read "failed to list ipv4 conntrack entries" with
 * "Operation not permitted" as details.
 */
int nl_err_wrap(const struct nl_sock *sock, struct cni_err *err, const char *fmt, ...)
	CNI_PRINTF(3, 4);

/* ---- the receive half of an exchange, without I/O (tests feed it crafted replies) ---- */

/* What ends an exchange. */
enum nl_rx_mode {
	NL_RX_ACK,   /* a request: its ACK or error */
	NL_RX_DUMP,  /* a dump: NLMSG_DONE, or an error */
	NL_RX_BATCH, /* a batch: acks_wanted ACKs (after a refusal nl_exchange() drains) */
};

/* The state of one exchange: what is ours, and what arrived so far. */
struct nl_rx {
	enum nl_rx_mode mode;	   /* what ends the exchange */
	uint32_t portid;	   /* our port id (set by nl_exchange()); others are skipped */
	uint32_t seq_first;	   /* sequence numbers of ours: seq_first..seq_last */
	uint32_t seq_last;	   /* (equal for a single request) */
	size_t acks_wanted;	   /* NL_RX_BATCH: the ACKs that complete it */
	nl_msg_cb cb;		   /* data messages go here (may be NULL) */
	void *data;		   /* cb's argument */
	bool done;		   /* the exchange is complete */
	bool intr;		   /* a data message carried NLM_F_DUMP_INTR */
	size_t acks;		   /* NLMSG_ERROR messages (ACKs and errors) received */
	int cb_error;		   /* the first failure of cb (err set by it), 0 if none */
	struct nl_refusal refusal; /* the first thing the kernel refused */
};

/* Parse one received datagram of len bytes into rx: skip what is not ours, count ACKs,
 * record the first refusal with its extended ACK, note NLM_F_DUMP_INTR, pass data messages
 * to rx->cb (not after it failed or the dump was interrupted). Stops at the message that
 * completes the exchange. -EBADMSG for a truncated NLMSG_ERROR. */
int nl_rx_feed(struct nl_rx *rx, const void *buf, size_t len, struct cni_err *err);

/* The outcome of a finished exchange: 0; the callback's failure; the kernel's refusal
 * recorded in err (see the error convention above); or -EINTR (CNI code 11) for an
 * interrupted dump. */
int nl_rx_status(const struct nl_rx *rx, struct cni_err *err);

/* Send the niov buffers in one sendmsg() and read replies into rx until it is done (its
 * mode, seq_first/seq_last, acks_wanted and cb set by the caller); then sock->refusal is
 * rx->refusal and the result nl_rx_status(). -errno of sendmsg()/recvmsg()/poll(). */
int nl_exchange(struct nl_sock *sock, const struct iovec *iov, size_t niov, struct nl_rx *rx,
		struct cni_err *err);

/* A growable array of fixed-size elements, filled by the callback of nl_dump_collect(). */
struct nl_vec {
	void *items; /* elements (malloc'ed) */
	size_t n;    /* elements in use */
	size_t cap;  /* elements allocated */
	size_t size; /* element size */
};

/* Room for one more element at the end of v: a pointer to it (counted in v->n, contents
 * undefined), or NULL when out of memory (err set, -ENOMEM). */
void *nl_vec_push(struct nl_vec *v, struct cni_err *err);

/*
 * nl_dump() collecting into v (v->size set, empty): cb sees only the messages of type
 * msg_type and appends what it wants with nl_vec_push(); a restarted dump empties v first.
 * On success the array goes to *ret_items (a pointer to a typed pointer; free() it) and
 * *ret_n; on failure it is freed and the error is nl_dump()'s or cb's.
 */
int nl_dump_collect(struct nl_sock *sock, struct nlmsghdr *nlh, uint16_t msg_type, nl_msg_cb cb,
		    void *data, struct nl_vec *v, void *ret_items, size_t *ret_n,
		    struct cni_err *err);

/* ---- message helpers ------------------------------------------------------------------ */

/* Index the attributes of nlh that follow a family header of hdrlen bytes: tb[type] is the
 * last attribute of each type <= max, NULL when absent. tb has max + 1 entries. */
void nl_attr_index(const struct nlmsghdr *nlh, size_t hdrlen, const struct nlattr **tb,
		   unsigned int max);

/* Same for the attributes nested in nest. */
void nl_attr_index_nested(const struct nlattr *nest, const struct nlattr **tb, unsigned int max);

/* Check that nlh is a message of type carrying a family header of hdrlen bytes: 0, or
 * -EBADMSG ("unexpected netlink message type N"). */
int nl_msg_check(const struct nlmsghdr *nlh, uint16_t type, size_t hdrlen, struct cni_err *err);

/* Start a request in buf (NL_MSG_BUF_SIZE bytes, zeroed up to the header) with type and
 * flags; the caller appends the family header with mnl_nlmsg_put_extra_header(). */
struct nlmsghdr *nl_msg_init(void *buf, uint16_t type, uint16_t flags);

/* Attribute readers (nl_attr.c), for attributes the kernel may send short or not at all. */

/* Copy the string attribute a into dst of len bytes, cut at its first NUL and to len - 1
 * bytes, always NUL-terminated; "" when a is NULL. */
void nl_attr_str(const struct nlattr *a, char *dst, size_t len);

/* The u32 payload of a, or dflt when a is NULL or shorter than 4 bytes. */
uint32_t nl_attr_u32(const struct nlattr *a, uint32_t dflt);

/* The u8 payload of a, or dflt when a is NULL or empty. */
int nl_attr_u8(const struct nlattr *a, int dflt);

#endif
