/* SPDX-License-Identifier: Apache-2.0 */
/* The scripted netlink kernel of the netlink fuzz targets (see fake_kernel.h). */
#include "fake_kernel.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <libmnl/libmnl.h>

/* A socket of the library: libmnl's type is opaque to its users, so it is ours here. */
struct mnl_socket {
	int fd;			      /* eventfd (script) or netlink socket (record mode) */
	bool real;		      /* record mode: a real netlink socket */
	int bus;		      /* NETLINK_ROUTE, NETLINK_NETFILTER */
	unsigned int portid;	      /* our port id */
	bool readable;		      /* the eventfd counter is set */
	uint32_t seq_first;	      /* lowest sequence number of the last request */
	uint32_t seq_last;	      /* highest */
	bool dump;		      /* the last request asked for a dump */
	enum fake_kernel_parse parse; /* what libnftnl parses the reply's data messages as */
	struct nlmsghdr *acked;	      /* headers of its messages that asked for an ACK */
	size_t n_acked;		      /* their number */
	size_t acks_sent;	      /* ACKs of them given by the automatic answer */
	bool pending_end;	      /* the automatic answer is still to be given */
	struct mnl_socket *next;      /* list of open sockets */
};

static struct mnl_socket *sockets;
static uint8_t *script;
static size_t script_len, script_pos;
static unsigned script_flags;
static size_t n_recv, n_requests;
static unsigned int next_portid = 4242;
static FILE *record_out;

void fake_kernel_script(const uint8_t *data, size_t size, unsigned flags)
{
	free(script);
	script = malloc(size ? size : 1);
	if (script && size)
		memcpy(script, data, size);
	script_len = script ? size : 0;
	script_pos = 0;
	script_flags = flags;
	n_recv = 0;
	n_requests = 0;
}

void fake_kernel_record(FILE *out)
{
	record_out = out;
}

size_t fake_kernel_requests(void)
{
	return n_requests;
}

static struct mnl_socket *find(int fd)
{
	for (struct mnl_socket *s = sockets; s; s = s->next) {
		if (s->fd == fd)
			return s;
	}
	return NULL;
}

/* Whether a scripted datagram is left. */
static bool script_more(void)
{
	return script_len - script_pos >= 2;
}

/* Make the eventfd readable exactly when a reply is waiting. */
static void sync_readable(struct mnl_socket *s)
{
	bool want = script_more() || s->pending_end;
	uint64_t v = 1;

	if (s->real || want == s->readable)
		return;
	if (want) {
		if (write(s->fd, &v, sizeof(v)) == sizeof(v))
			s->readable = true;
	} else if (read(s->fd, &v, sizeof(v)) == sizeof(v)) {
		s->readable = false;
	}
}

struct mnl_socket *mnl_socket_open2(int bus, int flags)
{
	struct mnl_socket *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->real = record_out != NULL;
	s->bus = bus;
	if (s->real)
		s->fd = socket(AF_NETLINK, SOCK_RAW | flags, bus);
	else
		s->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->fd < 0) {
		free(s);
		return NULL;
	}
	s->next = sockets;
	sockets = s;
	return s;
}

struct mnl_socket *mnl_socket_open(int bus)
{
	return mnl_socket_open2(bus, 0);
}

int mnl_socket_bind(struct mnl_socket *nl, unsigned int groups, pid_t pid)
{
	struct sockaddr_nl addr = {.nl_family = AF_NETLINK, .nl_groups = groups, .nl_pid = pid};
	socklen_t len = sizeof(addr);

	if (!nl->real) {
		nl->portid = next_portid++;
		return 0;
	}
	if (bind(nl->fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    getsockname(nl->fd, (struct sockaddr *)&addr, &len) < 0)
		return -1;
	nl->portid = addr.nl_pid;
	return 0;
}

unsigned int mnl_socket_get_portid(const struct mnl_socket *nl)
{
	return nl->portid;
}

int mnl_socket_get_fd(const struct mnl_socket *nl)
{
	return nl->fd;
}

int mnl_socket_setsockopt(const struct mnl_socket *nl, int type, void *buf, socklen_t len)
{
	return nl->real ? setsockopt(nl->fd, SOL_NETLINK, type, buf, len) : 0;
}

int mnl_socket_close(struct mnl_socket *nl)
{
	for (struct mnl_socket **p = &sockets; *p; p = &(*p)->next) {
		if (*p == nl) {
			*p = nl->next;
			break;
		}
	}
	close(nl->fd);
	free(nl->acked);
	free(nl);
	return 0;
}

/* Note what a request sent on s needs for its answer. */
static void note_request(struct mnl_socket *s, const uint8_t *buf, size_t len)
{
	const struct nlmsghdr *m = (const void *)buf;
	int left = len > INT32_MAX ? INT32_MAX : (int)len;
	bool first = true;

	free(s->acked);
	s->acked = NULL;
	s->n_acked = 0;
	s->acks_sent = 0;
	s->dump = false;
	s->parse = FAKE_KERNEL_PARSE_NONE;
	s->seq_first = s->seq_last = 0;
	for (; mnl_nlmsg_ok(m, left); m = mnl_nlmsg_next(m, &left)) {
		if (first || (int32_t)(m->nlmsg_seq - s->seq_first) < 0)
			s->seq_first = m->nlmsg_seq;
		if (first || (int32_t)(m->nlmsg_seq - s->seq_last) > 0)
			s->seq_last = m->nlmsg_seq;
		first = false;
		if ((m->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP && !(m->nlmsg_flags & NLM_F_ACK)) {
			s->dump = true;
			if (m->nlmsg_type == ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETRULE))
				s->parse = FAKE_KERNEL_PARSE_RULE;
		}
		/* nft_read.c parses the answer to a chain request, dump or not, as chains. */
		if (m->nlmsg_type == ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETCHAIN))
			s->parse = FAKE_KERNEL_PARSE_CHAIN;
		if (m->nlmsg_flags & NLM_F_ACK) {
			struct nlmsghdr *a = realloc(s->acked, (s->n_acked + 1) * sizeof(*a));

			if (!a)
				break;
			s->acked = a;
			s->acked[s->n_acked++] = *m;
		}
	}
	s->pending_end = true;
	n_requests++;
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	struct mnl_socket *s = find(fd);
	size_t total = 0, off = 0;
	uint8_t *buf;

	if (!s)
		return syscall(SYS_sendmsg, fd, msg, flags);
	for (size_t i = 0; i < msg->msg_iovlen; i++)
		total += msg->msg_iov[i].iov_len;
	buf = malloc(total ? total : 1);
	if (!buf) {
		errno = ENOBUFS;
		return -1;
	}
	for (size_t i = 0; i < msg->msg_iovlen; i++) {
		memcpy(buf + off, msg->msg_iov[i].iov_base, msg->msg_iov[i].iov_len);
		off += msg->msg_iov[i].iov_len;
	}
	note_request(s, buf, total);
	free(buf);
	if (s->real)
		return syscall(SYS_sendmsg, fd, msg, flags);
	sync_readable(s);
	return (ssize_t)total;
}

/* The next message of buf[off..len) (off advanced past it), or NULL. Checked here rather
 * than with mnl_nlmsg_ok(), which takes an nlmsg_len above INT_MAX for a valid one. */
static struct nlmsghdr *next_msg(uint8_t *buf, size_t len, size_t *off)
{
	struct nlmsghdr *m = (void *)(buf + *off);

	if (len - *off < sizeof(*m) || m->nlmsg_len < sizeof(*m) || m->nlmsg_len > len - *off)
		return NULL;
	*off += NLMSG_ALIGN(m->nlmsg_len) < len - *off ? NLMSG_ALIGN(m->nlmsg_len) : len - *off;
	return m;
}

/* The nftnl_check helper process: its pid and our end of the socket to it. */
static pid_t checker_pid = -1;
static int checker_fd = -1;

/* Start nftnl_check (FUZZ_NFTNL_CHECK, else next to our executable). false when it cannot
 * be started. */
static bool checker_start(void)
{
	char path[4096];
	const char *env = getenv("FUZZ_NFTNL_CHECK");
	int sv[2];
	ssize_t n;

	if (env) {
		snprintf(path, sizeof(path), "%s", env);
	} else {
		n = readlink("/proc/self/exe", path, sizeof(path) - 16);
		if (n <= 0)
			return false;
		path[n] = '\0';
		if (strrchr(path, '/'))
			strcpy(strrchr(path, '/') + 1, "nftnl_check");
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return false;
	checker_pid = fork();
	if (checker_pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return false;
	}
	if (checker_pid == 0) {
		int null_fd = open("/dev/null", O_WRONLY);

		dup2(sv[1], STDIN_FILENO);
		dup2(sv[1], STDOUT_FILENO);
		if (null_fd >= 0)
			dup2(null_fd, STDERR_FILENO);
		execl(path, path, (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	checker_fd = sv[0];
	return true;
}

/* The helper died (what it was parsing killed it): reap it, so the next check starts one. */
static void checker_stop(void)
{
	close(checker_fd);
	checker_fd = -1;
	if (checker_pid > 0)
		waitpid(checker_pid, NULL, 0);
	checker_pid = -1;
}

/* Outcomes of survives() by message hash (0 = empty slot). */
static struct {
	uint64_t hash;
	bool ok;
} tried[4096];

/* Whether libnftnl parses message m as a rule or a chain (parse) without crashing or
 * exiting, tried by the helper (cached by content and kind). Without the helper nothing
 * survives. */
static bool survives(const struct nlmsghdr *m, enum fake_kernel_parse parse)
{
	const uint8_t *p = (const void *)m;
	uint64_t h = 1469598103934665603ull ^ (uint64_t)parse;
	uint32_t len = m->nlmsg_len;
	uint8_t kind = (uint8_t)parse;
	size_t slot;
	char answer;
	bool ok;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	h |= 1;
	slot = h % (sizeof(tried) / sizeof(tried[0]));
	if (tried[slot].hash == h)
		return tried[slot].ok;
	if (checker_fd < 0 && !checker_start())
		return false;
	ok = send(checker_fd, &kind, sizeof(kind), MSG_NOSIGNAL) == sizeof(kind) &&
	     send(checker_fd, &len, sizeof(len), MSG_NOSIGNAL) == sizeof(len) &&
	     send(checker_fd, p, len, MSG_NOSIGNAL) == (ssize_t)len &&
	     recv(checker_fd, &answer, 1, MSG_WAITALL) == 1;
	if (!ok)
		checker_stop();
	tried[slot].hash = h;
	tried[slot].ok = ok;
	return ok;
}

/* Keep a data message of a reply libnftnl parses away from its crashes (nft_read.c parses
 * every data message of a rule dump as a rule, of a chain request as a chain): a rule
 * without its expressions when those are what it cannot parse, else the message as a
 * NLMSG_NOOP. */
static void guard_message(struct nlmsghdr *m, enum fake_kernel_parse parse)
{
	struct nlattr *a;

	if ((m->nlmsg_type >= NLMSG_NOOP && m->nlmsg_type <= NLMSG_OVERRUN) || survives(m, parse))
		return;
	if (parse == FAKE_KERNEL_PARSE_RULE &&
	    m->nlmsg_len >= NLMSG_LENGTH(sizeof(struct nfgenmsg))) {
		mnl_attr_for_each (a, m, sizeof(struct nfgenmsg)) {
			if (mnl_attr_get_type(a) == NFTA_RULE_EXPRESSIONS)
				a->nla_type = NFTA_RULE_MAX + 1;
		}
		if (survives(m, parse))
			return;
	}
	m->nlmsg_type = NLMSG_NOOP;
}

void fake_kernel_guard(uint8_t *buf, size_t len, enum fake_kernel_parse parse)
{
	size_t pos = 0;

	if (parse == FAKE_KERNEL_PARSE_NONE)
		return;
	while (len - pos >= sizeof(struct nlmsghdr)) {
		struct nlmsghdr *m = (void *)(buf + pos);

		if (m->nlmsg_len < sizeof(*m) || m->nlmsg_len > len - pos)
			return;
		guard_message(m, parse);
		if (NLMSG_ALIGN(m->nlmsg_len) >= len - pos)
			return;
		pos += NLMSG_ALIGN(m->nlmsg_len);
	}
}

/* Give the messages of buf sequence numbers of s's request and our port id. */
static void fix_seq(const struct mnl_socket *s, uint8_t *buf, size_t len)
{
	uint32_t span = s->seq_last - s->seq_first + 1;
	struct nlmsghdr *m;
	size_t off = 0;

	while ((m = next_msg(buf, len, &off))) {
		m->nlmsg_seq = s->seq_first + (span ? m->nlmsg_seq % span : m->nlmsg_seq);
		if (m->nlmsg_pid)
			m->nlmsg_pid = s->portid;
	}
}

/* Append a received datagram to the recording, sequence numbers relative to the request. */
static void record(const struct mnl_socket *s, const uint8_t *buf, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);
	uint8_t hdr[2] = {(uint8_t)(len & 0xff), (uint8_t)(len >> 8)};
	struct nlmsghdr *m;
	size_t off = 0;

	if (!copy || len > 0xffff) {
		free(copy);
		return;
	}
	memcpy(copy, buf, len);
	while ((m = next_msg(copy, len, &off))) {
		if (m->nlmsg_seq - s->seq_first <= s->seq_last - s->seq_first)
			m->nlmsg_seq -= s->seq_first;
		m->nlmsg_pid = m->nlmsg_pid ? 1 : 0;
	}
	fwrite(hdr, 1, 2, record_out);
	fwrite(copy, 1, len, record_out);
	free(copy);
}

static ssize_t recv_real(struct mnl_socket *s, void *buf, size_t bufsiz)
{
	struct pollfd pfd = {.fd = s->fd, .events = POLLIN};
	ssize_t n;

	if (poll(&pfd, 1, 2000) != 1) {
		errno = ETIMEDOUT;
		return -1;
	}
	n = recv(s->fd, buf, bufsiz, MSG_TRUNC);
	if (n > (ssize_t)bufsiz) {
		errno = ENOSPC;
		return -1;
	}
	if (n > 0)
		record(s, buf, (size_t)n);
	return n;
}

/* The automatic answer completing s's request, as much as fits into bufsiz. */
static ssize_t auto_end(struct mnl_socket *s, uint8_t *buf, size_t bufsiz)
{
	size_t len = 0;

	if (s->dump) {
		struct nlmsghdr *m = (void *)buf;
		int status = 0;

		m->nlmsg_len = NLMSG_LENGTH(sizeof(status));
		m->nlmsg_type = NLMSG_DONE;
		m->nlmsg_flags = NLM_F_MULTI;
		m->nlmsg_seq = s->seq_first;
		m->nlmsg_pid = s->portid;
		memcpy(NLMSG_DATA(m), &status, sizeof(status));
		s->pending_end = false;
		return (ssize_t)m->nlmsg_len;
	}
	while (s->acks_sent < s->n_acked && len + NLMSG_SPACE(sizeof(struct nlmsgerr)) <= bufsiz) {
		struct nlmsghdr *m = (void *)(buf + len);
		struct nlmsgerr *e = NLMSG_DATA(m);

		m->nlmsg_len = NLMSG_LENGTH(sizeof(*e));
		m->nlmsg_type = NLMSG_ERROR;
		m->nlmsg_flags = NLM_F_CAPPED;
		m->nlmsg_seq = s->acked[s->acks_sent].nlmsg_seq;
		m->nlmsg_pid = s->portid;
		e->error = 0;
		e->msg = s->acked[s->acks_sent];
		len += NLMSG_SPACE(sizeof(*e));
		s->acks_sent++;
	}
	if (s->acks_sent >= s->n_acked)
		s->pending_end = false;
	return (ssize_t)len;
}

ssize_t mnl_socket_recvfrom(const struct mnl_socket *nl, void *buf, size_t bufsiz)
{
	struct mnl_socket *s = (struct mnl_socket *)nl;
	ssize_t n = -1;

	if (s->real)
		return recv_real(s, buf, bufsiz);
	if (++n_recv > FAKE_KERNEL_MAX_RECV) {
		errno = EIO;
		return -1;
	}
	if (script_more()) {
		size_t len = script[script_pos] | (size_t)script[script_pos + 1] << 8;

		script_pos += 2;
		if (len > script_len - script_pos)
			len = script_len - script_pos;
		if (len > bufsiz) {
			script_pos += len;
			errno = ENOSPC;
		} else {
			memcpy(buf, script + script_pos, len);
			script_pos += len;
			fake_kernel_guard(buf, len, s->parse);
			if (script_flags & FAKE_KERNEL_FIX_SEQ)
				fix_seq(s, buf, len);
			n = (ssize_t)len;
		}
	} else if ((script_flags & FAKE_KERNEL_AUTO_END) && s->pending_end) {
		n = auto_end(s, buf, bufsiz);
	} else if (s->pending_end) {
		/* No answer: the receive fails once, then the socket is empty. */
		s->pending_end = false;
		errno = EAGAIN;
	} else {
		errno = EAGAIN;
	}
	sync_readable(s);
	return n;
}
