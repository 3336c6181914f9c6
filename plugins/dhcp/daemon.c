/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The dhcp daemon: one epoll loop over the listening socket, a signalfd, one timerfd armed
 * at the earliest deadline of every lease and connection, the client connections (Go's
 * net/rpc, fed incrementally) and each lease's packet socket in its container.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>

#include "cleanup.h"
#include "fileio.h"
#include "hwaddr.h"
#include "ifname.h"
#include "cni/json.h"
#include "net/netns.h"
#include "dhcp/daemon.h"
#include "dhcp/daemon_int.h"
#include "dhcp/journal.h"
#include "dhcp/lease.h"
#include "dhcp/pktsock.h"
#include "dhcp/rpc.h"
#include "dhcp/rpc_types.h"

#define MAX_CONNS      1024	    /* connections at once; more are closed at accept */
#define MAX_LEASES     65536	    /* leases at once */
#define CONN_IDLE_MS   60000	    /* a connection with no call in progress lives this long */
#define CONN_MAX_MSG   (256 * 1024) /* one RPC message */
#define CONN_MAX_OUT   (64 * 1024)  /* unsent answers above which a client is not read */
#define MAX_CONF       (128 * 1024) /* a network config */
#define EPOLL_BATCH    64
#define RESULT_VERSION "1.0.0" /* the reference daemon's result version */

enum src_type { SRC_LISTEN, SRC_SIGNAL, SRC_TIMER, SRC_CONN, SRC_PKT, SRC_UDP };

/* What an epoll event points at. */
struct src {
	enum src_type type;
	void *obj;
};

struct dlease;

/* One client connection. */
struct conn {
	struct src src;
	int fd;
	struct rpc_srv_conn rpc;
	int64_t idle_at;	  /* close at this time; -1 while a call waits on a lease */
	bool closing;		  /* close once the output is sent */
	bool dead;		  /* closed, freed at the end of the batch */
	bool kick;		  /* answered: parse what else it sent after the batch */
	struct dlease *wait;	  /* the lease its call waits on */
	struct rpc_srv_call call; /* that call */
	struct conn *next;	  /* all connections */
	struct conn *wnext;	  /* the lease's waiters */
	uint32_t events;	  /* registered epoll events */
};

/* One lease and what it holds in its container. */
struct dlease {
	struct src pkt_src, udp_src;
	char *key;	    /* "<containerID>/<network>/<ifname>" */
	char *network;	    /* network name */
	char *cid;	    /* container ID */
	char *netns;	    /* CNI_NETNS as received (without -hostprefix) */
	char *args;	    /* CNI_ARGS */
	char *conf;	    /* the network config (for the journal) */
	int priority;	    /* ipam.priority: route metric */
	int netns_fd;	    /* keeps the namespace alive */
	int pkt_fd, udp_fd; /* packet socket; UDP socket on the leased address (-1 until used) */
	uint8_t udp_addr[4];
	int ifindex;
	int64_t deadline; /* next LEASE_EV_TIMER, -1 = none */
	bool dead;
	struct conn *waiters; /* Allocate calls waiting for the outcome */
	struct dlease *next;
	struct lease l;
};

/* The daemon. */
struct daemon {
	struct daemon_opts o;
	char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	bool activated;	  /* the listener came from systemd */
	bool own_socket;  /* we bound sock_path: remove it at exit */
	bool own_pidfile; /* we wrote the pid file: remove it at exit */
	int epfd, lfd, sigfd, tfd;
	int lockfd; /* flock of "<socket>.daemon.lock", held while running */
	struct src lsrc, sigsrc, tsrc;
	struct conn *conns;
	size_t n_conns;
	struct dlease *leases;
	size_t n_leases;
	struct conn *dead_conns;
	struct dlease *dead_leases;
	int64_t armed;		 /* the timerfd's expiry, -1 = disarmed */
	int64_t accept_retry_at; /* accept paused (out of fds) until then, -1 = not paused */
	bool stop;
	struct lease_action act; /* scratch (large) */
};

static void logf_(const char *fmt, ...) CNI_PRINTF(1, 2);

static void logf_(const char *fmt, ...)
{
	char ts[32];
	time_t t = time(NULL);
	struct tm tm;
	va_list ap;

	strftime(ts, sizeof(ts), "%Y/%m/%d %H:%M:%S", localtime_r(&t, &tm));
	fprintf(stderr, "%s ", ts);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Milliseconds of the boot-time clock (it runs through suspend and survives a restart). */
static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint32_t rand32(void *ctx)
{
	uint32_t v;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != sizeof(v))
		v = (uint32_t)rand() ^ (uint32_t)now_ms();
	return v;
}

static char *xstrdup(const char *s)
{
	return strdup(s ? s : "");
}

/* ---- epoll -------------------------------------------------------------------------- */

static int ep_add(struct daemon *d, int fd, uint32_t events, struct src *s)
{
	struct epoll_event ev = {.events = events, .data.ptr = s};

	return epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static void ep_del(struct daemon *d, int fd)
{
	if (fd >= 0)
		epoll_ctl(d->epfd, EPOLL_CTL_DEL, fd, NULL);
}

/* ---- connections -------------------------------------------------------------------- */

static void conn_close(struct daemon *d, struct conn *c);
static void conn_process(struct daemon *d, struct conn *c, const void *data, size_t len);

/* Does the client leave too many answers unread (so that it is not read either)? */
static bool conn_backlogged(const struct conn *c)
{
	return c->rpc.out.len - c->rpc.out_off > CONN_MAX_OUT;
}

/* Register the events the connection's state calls for. */
static void conn_update(struct daemon *d, struct conn *c)
{
	uint32_t ev = EPOLLRDHUP;
	struct epoll_event e;

	if (!c->wait && !c->closing && !conn_backlogged(c))
		ev |= EPOLLIN;
	if (rpc_srv_has_output(&c->rpc))
		ev |= EPOLLOUT;
	if (ev == c->events)
		return;
	e.events = ev;
	e.data.ptr = &c->src;
	if (epoll_ctl(d->epfd, EPOLL_CTL_MOD, c->fd, &e) == 0)
		c->events = ev;
}

/* Send what is queued; close when done and closing, or on failure. */
static void conn_flush(struct daemon *d, struct conn *c)
{
	struct cni_err err = {0};
	bool was_backlogged = conn_backlogged(c);
	int r = rpc_srv_flush(&c->rpc, c->fd, &err);

	if (r < 0) {
		conn_close(d, c);
		return;
	}
	/* the calls it sent meanwhile are parsed after this batch */
	if (was_backlogged && !conn_backlogged(c))
		c->kick = true;
	if (r == 1 && c->closing) {
		conn_close(d, c);
		return;
	}
	conn_update(d, c);
}

/* Queue the answer to the connection's current call (reply of schema, or error). */
static void conn_answer(struct daemon *d, struct conn *c, struct rpc_srv_call *call,
			const struct gob_schema *schema, const void *reply, const char *error)
{
	struct cni_err err = {0};
	int r = rpc_srv_reply(&c->rpc, call, schema, reply, error, &err);

	rpc_srv_call_free(call);
	memset(call, 0, sizeof(*call));
	if (r < 0) {
		conn_close(d, c);
		return;
	}
	c->idle_at = now_ms() + CONN_IDLE_MS;
}

/* Take the connection off the waiters of its lease. */
static void conn_unwait(struct conn *c)
{
	struct conn **pp;

	if (!c->wait)
		return;
	for (pp = &c->wait->waiters; *pp; pp = &(*pp)->wnext) {
		if (*pp == c) {
			*pp = c->wnext;
			break;
		}
	}
	c->wait = NULL;
	c->wnext = NULL;
}

static void conn_close(struct daemon *d, struct conn *c)
{
	struct conn **pp;

	if (c->dead)
		return;
	conn_unwait(c);
	rpc_srv_call_free(&c->call);
	memset(&c->call, 0, sizeof(c->call));
	ep_del(d, c->fd);
	close(c->fd);
	c->fd = -1;
	c->dead = true;
	for (pp = &d->conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	d->n_conns--;
	c->next = d->dead_conns;
	d->dead_conns = c;
}

/* The lease's outcome for a waiting connection: answer, then go on with what it sent. */
static void conn_resume(struct daemon *d, struct conn *c, const struct rpc_result *res,
			const char *error)
{
	struct rpc_srv_call call = c->call;

	memset(&c->call, 0, sizeof(c->call));
	conn_unwait(c);
	if (error)
		conn_answer(d, c, &call, NULL, NULL, error);
	else
		conn_answer(d, c, &call, &rpc_result_schema, res, NULL);
	if (c->dead)
		return;
	/* what else it sent is parsed after this batch of events, not in this call chain */
	c->kick = true;
	conn_flush(d, c);
}

/* ---- leases --------------------------------------------------------------------------- */

static struct dlease *lease_find(struct daemon *d, const char *key)
{
	for (struct dlease *x = d->leases; x; x = x->next)
		if (!strcmp(x->key, key))
			return x;
	return NULL;
}

/* Answer every waiter of x with its result or the error. */
static void lease_answer(struct daemon *d, struct dlease *x, const char *error)
{
	_cleanup_(cni_result_freep) struct cni_result *cres = NULL;
	struct rpc_result res = {0};
	struct cni_err err = {0};
	char buf[CNI_ERR_MSG_MAX];

	if (!x->waiters)
		return;
	if (!error) {
		int r = lease_result(&x->l, x->priority, &cres, &err);

		if (r == 0) {
			strcpy(cres->cni_version, RESULT_VERSION);
			r = rpc_result_from_cni(cres, &res, &err);
		}
		if (r < 0) {
			snprintf(buf, sizeof(buf), "%s", err.msg);
			error = buf;
		}
	}
	while (x->waiters)
		conn_resume(d, x->waiters, &res, error);
	gob_free(&rpc_result_schema, &res);
}

/* Close what x holds, forget its record, answer its waiters with error. */
static void lease_drop(struct daemon *d, struct dlease *x, const char *error, bool forget)
{
	struct dlease **pp;
	struct cni_err err = {0};

	if (x->dead)
		return;
	ep_del(d, x->pkt_fd);
	ep_del(d, x->udp_fd);
	/* The packet socket stays open, out of the loop, until reap(), after this turn's
	 * answers are sent: closing one waits for an RCU grace period (synchronize_net(), about
	 * 10 ms) that a DEL should not wait for. A new lease on the interface may bind its own
	 * meanwhile; the UDP socket, which would hold port 68, goes now. */
	if (x->udp_fd >= 0)
		close(x->udp_fd);
	if (x->netns_fd >= 0)
		close(x->netns_fd);
	x->udp_fd = x->netns_fd = -1;
	/* the record goes and the waiters are answered once nothing of the lease is held */
	if (forget && journal_del(d->o.statedir, x->key, &err) < 0)
		logf_("%s: %s", x->key, err.msg);
	lease_answer(d, x, error ? error : "lease dropped");
	x->dead = true;
	for (pp = &d->leases; *pp; pp = &(*pp)->next) {
		if (*pp == x) {
			*pp = x->next;
			break;
		}
	}
	d->n_leases--;
	x->next = d->dead_leases;
	d->dead_leases = x;
}

static void lease_free(struct dlease *x)
{
	if (x->pkt_fd >= 0)
		close(x->pkt_fd);
	free(x->key);
	free(x->network);
	free(x->cid);
	free(x->netns);
	free(x->args);
	free(x->conf);
	free(x);
}

/* Write x's journal record of lease l (x's own, or the one it is requesting). */
static void lease_save_as(struct daemon *d, struct dlease *x, const struct lease *l)
{
	_cleanup_free_ char *lj = NULL, *text = NULL;
	struct cni_err err = {0};

	if (lease_to_json(l, &lj, &err) < 0 ||
	    journal_record_text(x->key, x->cid, x->netns, x->l.ifname, x->args, x->conf, lj, &text,
				&err) < 0 ||
	    journal_put(d->o.statedir, x->key, text, strlen(text), &err) < 0)
		logf_("%s: failed to journal the lease: %s", x->key, err.msg);
}

/* Write x's journal record. */
static void lease_save(struct daemon *d, struct dlease *x)
{
	lease_save_as(d, x, &x->l);
}

/*
 * x took the offer (of len bytes) and is about to request it: record the offered lease
 * first, so that a daemon killed once the server has granted it, before the ACK is
 * recorded, leaves a record a restart re-adopts or releases (a restart that finds the
 * request was never granted drops it: INIT-REBOOT gets no ACK).
 */
static void lease_save_offer(struct daemon *d, struct dlease *x, const uint8_t *offer, size_t len,
			     int64_t now)
{
	_cleanup_free_ struct lease *l = malloc(sizeof(*l));
	_cleanup_free_ struct dhcp4_msg *m = malloc(sizeof(*m));
	struct cni_err err = {0};
	uint32_t t, t1, t2;

	if (!l || !m || len > sizeof(l->ack) || dhcp4_parse(offer, len, m, &err) < 0) {
		logf_("%s: failed to journal the offer: %s", x->key,
		      err.msg[0] ? err.msg : "out of memory");
		return;
	}
	*l = x->l;
	dhcp4_lease_times(m, &t, &t1, &t2);
	l->have_lease = true;
	memcpy(l->yiaddr, x->l.offer_ip, 4);
	memcpy(l->server_id, x->l.offer_server, 4);
	memcpy(l->ack, offer, len);
	l->ack_len = len;
	l->bound_at = now;
	l->t1_at = l->t2_at = l->expiry_at = now + (int64_t)t * 1000;
	lease_save_as(d, x, l);
}

/* Is x's interface still there? */
static bool lease_iface_gone(struct dlease *x)
{
	struct cni_err err = {0};
	uint8_t mac[6];
	int idx = -1;

	return pktsock_iface(x->netns_fd, x->l.ifname, 0, &idx, mac, &err) == -ENODEV ||
	       idx != x->ifindex;
}

/* Set the lease's link down (its address may now belong to someone else). */
static void lease_link_down(struct dlease *x)
{
	_cleanup_(netns_restorep) int saved = -1;
	_cleanup_close_ int fd = -1;
	struct cni_err err = {0};
	struct ifreq ifr = {0};

	if (netns_enter(x->netns_fd, &saved, &err) < 0)
		return;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", x->l.ifname);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return;
	ifr.ifr_flags &= ~IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		logf_("%s: failed to set %s down: %s", x->key, x->l.ifname, strerror(errno));
}

/* Send the action's message: unicast from the leased address, else (or when that fails)
 * broadcast on the packet socket. */
static int lease_send(struct daemon *d, struct dlease *x, const struct lease_action *a,
		      struct cni_err *err)
{
	if (a->unicast) {
		struct cni_err uerr = {0};
		int r = 0;

		if (x->udp_fd >= 0 && memcmp(x->udp_addr, x->l.yiaddr, 4) != 0) {
			ep_del(d, x->udp_fd);
			close(x->udp_fd);
			x->udp_fd = -1;
		}
		if (x->udp_fd < 0) {
			r = pktsock_udp_open(x->netns_fd, x->l.ifname, x->l.yiaddr, &x->udp_fd,
					     &uerr);
			if (r == 0) {
				memcpy(x->udp_addr, x->l.yiaddr, 4);
				/* its datagrams are also seen by the packet socket: drained */
				if (ep_add(d, x->udp_fd, EPOLLIN, &x->udp_src) < 0) {
					close(x->udp_fd);
					x->udp_fd = -1;
				}
			}
		}
		if (x->udp_fd >= 0 &&
		    pktsock_udp_send(x->udp_fd, a->dst, a->pkt, a->pkt_len, &uerr) == 0)
			return 0;
		logf_("%s: unicast to the server failed (%s), broadcasting", x->key, uerr.msg);
	}
	return pktsock_send(x->pkt_fd, x->ifindex, a->pkt, a->pkt_len, err);
}

/* Why an acquisition failed, in words naming the cause. */
static void fail_text(const struct dlease *x, enum lease_state before, const struct cni_err *e,
		      char *buf, size_t cap)
{
	if (strstr(e->msg, "Nak") || strcmp(e->msg, "no more tries") != 0)
		snprintf(buf, cap, "%s", e->msg);
	else if (before == LEASE_SELECTING)
		snprintf(buf, cap, "no DHCP offer received on %s within %llds: no more tries",
			 x->l.ifname, (long long)(x->l.params.resend_timeout_ms / 1000));
	else
		snprintf(buf, cap, "no DHCP answer (ACK or NAK) on %s within %llds: no more tries",
			 x->l.ifname, (long long)(x->l.params.resend_timeout_ms / 1000));
}

/*
 * Send a's message (a RELEASE) from the daemon's own namespace: by UDP from yiaddr
 * (IP_TRANSPARENT: an address this namespace does not have) to a's destination, routed as
 * this namespace routes it.
 */
static int send_here(const uint8_t yiaddr[4], const struct lease_action *a, struct cni_err *err)
{
	struct sockaddr_in src = {.sin_family = AF_INET, .sin_port = htons(68)};
	struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons(67)};
	_cleanup_close_ int fd = -1;
	int one = 1;

	memcpy(&src.sin_addr, yiaddr, 4);
	memcpy(&dst.sin_addr, a->dst, 4);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || setsockopt(fd, IPPROTO_IP, IP_TRANSPARENT, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0 ||
	    sendto(fd, a->pkt, a->pkt_len, 0, (struct sockaddr *)&dst, sizeof(dst)) < 0)
		return cni_err_syscall(err, CNI_ERR_IO, errno, "failed to send DHCPRELEASE");
	return 0;
}

/*
 * The interface went away: stop, give back at the server what was bound or requested (from
 * the daemon's own namespace, the container's has no way there now), answer the waiters,
 * forget the lease.
 */
static void lease_gone(struct daemon *d, struct dlease *x)
{
	struct lease_action *a = &d->act;
	struct cni_err err = {0};
	char buf[256];

	snprintf(buf, sizeof(buf), "interface \"%s\" is gone from %s", x->l.ifname, x->netns);
	logf_("%s: %s; lease dropped", x->key, buf);
	if (lease_step(&x->l, LEASE_EV_RELEASE, now_ms(), NULL, 0, a) == 0 && a->pkt_len) {
		if (send_here(x->l.yiaddr, a, &err) < 0)
			logf_("%s: could not release the lease of a gone interface: %s", x->key,
			      err.msg);
		else
			logf_("%s: lease %u.%u.%u.%u released from the daemon's namespace", x->key,
			      x->l.yiaddr[0], x->l.yiaddr[1], x->l.yiaddr[2], x->l.yiaddr[3]);
	}
	lease_drop(d, x, buf, true);
}

/* Feed x one event and carry out what it asks. */
static void lease_run(struct daemon *d, struct dlease *x, enum lease_event ev, const uint8_t *buf,
		      size_t len)
{
	struct lease_action *a = &d->act;
	enum lease_state before = x->l.state;
	struct cni_err err = {0};
	char text[CNI_ERR_MSG_MAX + 128];
	int64_t now = now_ms();
	int r;

	r = lease_step(&x->l, ev, now, buf, len, a);
	if (r < 0) {
		logf_("%s: %s", x->key, a->err.msg);
		lease_drop(d, x, a->err.msg, true);
		return;
	}
	x->deadline = a->deadline;
	if (before == LEASE_SELECTING && x->l.state == LEASE_REQUESTING)
		lease_save_offer(d, x, buf, len, now);
	if (a->pkt_len && lease_send(d, x, a, &err) < 0) {
		if (err.sys_errno == ENODEV || err.sys_errno == ENXIO ||
		    err.sys_errno == ENETDOWN) {
			if (lease_iface_gone(x)) {
				lease_gone(d, x);
				return;
			}
		}
		logf_("%s: %s", x->key, err.msg);
	}
	switch (a->outcome) {
	case LEASE_OUT_NONE:
	case LEASE_OUT_RELEASED:
		break;
	case LEASE_OUT_ACQUIRED:
		logf_("%s: lease %u.%u.%u.%u acquired (%s)", x->key, x->l.yiaddr[0], x->l.yiaddr[1],
		      x->l.yiaddr[2], x->l.yiaddr[3], lease_state_name(before));
		lease_save(d, x);
		lease_answer(d, x, NULL);
		break;
	case LEASE_OUT_RENEWED:
		logf_("%s: lease %u.%u.%u.%u renewed (%s)", x->key, x->l.yiaddr[0], x->l.yiaddr[1],
		      x->l.yiaddr[2], x->l.yiaddr[3], lease_state_name(before));
		lease_save(d, x);
		break;
	case LEASE_OUT_LOST:
		logf_("%s: lease lost: %s", x->key, a->err.msg);
		if (x->l.state == LEASE_EXPIRED) {
			lease_link_down(x);
			lease_drop(d, x, a->err.msg, true);
		} else {
			/* NAK: the address is not ours; the lease is acquired again */
			if (journal_del(d->o.statedir, x->key, &err) < 0)
				logf_("%s: %s", x->key, err.msg);
		}
		break;
	case LEASE_OUT_FAILED:
		fail_text(x, before, &a->err, text, sizeof(text));
		logf_("%s: %s", x->key, text);
		lease_drop(d, x, text, true);
		break;
	}
}

/* Give x back to its server and forget it. */
static void lease_release(struct daemon *d, struct dlease *x, const char *why)
{
	struct lease_action *a = &d->act;
	struct cni_err err = {0};

	if (lease_step(&x->l, LEASE_EV_RELEASE, now_ms(), NULL, 0, a) == 0 && a->pkt_len) {
		if (lease_send(d, x, a, &err) < 0)
			logf_("%s: failed to send DHCPRELEASE: %s", x->key, err.msg);
		else
			logf_("%s: lease %u.%u.%u.%u released", x->key, x->l.yiaddr[0],
			      x->l.yiaddr[1], x->l.yiaddr[2], x->l.yiaddr[3]);
	}
	lease_drop(d, x, why, true);
}

/* What a config says that the daemon uses. */
struct net_conf {
	cJSON *root;	   /* the whole config */
	const cJSON *ipam; /* its ipam object */
	const char *name;  /* network name */
	int priority;	   /* ipam.priority */
	char *text;	   /* the config as text (NUL-terminated) */
};

static void net_conf_clear(struct net_conf *c)
{
	cJSON_Delete(c->root);
	free(c->text);
	memset(c, 0, sizeof(*c));
}

/* Parse StdinData: "error parsing netconf: ..." as the reference says. */
static int net_conf_parse(const struct gob_bytes *b, bool need_ipam, struct net_conf *c,
			  struct cni_err *err)
{
	const cJSON *v;
	int r;

	memset(c, 0, sizeof(*c));
	if (b->len > MAX_CONF)
		return cni_err_set(err, CNI_ERR_DECODE, "error parsing netconf: config too long");
	r = cni_json_parse(b->len ? (const char *)b->data : "", b->len, &c->root, err);
	if (r < 0)
		return cni_err_prefix(err, "error parsing netconf");
	if (!cJSON_IsObject(c->root))
		return cni_err_set(err, CNI_ERR_DECODE, "error parsing netconf: not a JSON object");
	v = cJSON_GetObjectItemCaseSensitive(c->root, "name");
	c->name = cJSON_IsString(v) ? v->valuestring : "";
	c->ipam = cJSON_GetObjectItemCaseSensitive(c->root, "ipam");
	if (need_ipam && !cJSON_IsObject(c->ipam))
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
				   "error parsing netconf: missing \"ipam\" object");
	if (c->ipam) {
		v = cJSON_GetObjectItemCaseSensitive(c->ipam, "priority");
		if (cJSON_IsNumber(v))
			c->priority = v->valueint;
	}
	c->text = malloc(b->len + 1);
	if (!c->text)
		return cni_err_nomem(err);
	if (b->len)
		memcpy(c->text, b->data, b->len);
	c->text[b->len] = '\0';
	return 0;
}

/* "<containerID>/<network>/<ifname>" (malloc'd). */
static char *lease_key(const char *cid, const char *net, const char *ifname)
{
	char *k = NULL;

	if (asprintf(&k, "%s/%s/%s", cid ? cid : "", net, ifname ? ifname : "") < 0)
		return NULL;
	return k;
}

/* The netns path with -hostprefix, checked to be a network namespace; its fd. */
static int open_netns(struct daemon *d, const char *netns, int *ret_fd, struct cni_err *err)
{
	char path[4096];
	int n = snprintf(path, sizeof(path), "%s%s", d->o.hostprefix, netns ? netns : "");

	if (n < 0 || (size_t)n >= sizeof(path))
		return cni_err_set_errno(err, CNI_ERR_INVALID_NETNS, ENAMETOOLONG,
					 "netns path too long");
	if (!netns || !*netns)
		return cni_err_set_errno(err, CNI_ERR_INVALID_NETNS, EINVAL,
					 "failed to open netns \"\": no netns path given");
	return netns_open_container(path, 0, ret_fd, NULL, err);
}

/*
 * A new lease for the call's arguments, set up in its namespace (link up, packet socket),
 * in INIT; record is a journal record to load (re-adoption) or NULL, mac_text the MAC it
 * was taken with: when the interface has another one now, the lease is set up with the
 * record's MAC (only to be released) and *ret_other_mac set.
 */
static int lease_new(struct daemon *d, const struct rpc_cmd_args *a, const struct net_conf *nc,
		     const char *key, const cJSON *record, const char *mac_text,
		     bool *ret_other_mac, struct dlease **ret, struct cni_err *err)
{
	struct dlease *x;
	struct dhcp4_client_cfg *cfg = NULL;
	struct lease_params p = {
		.timeout_ms = d->o.timeout_ms,
		.resend_max_ms = d->o.resend_max_ms,
		.resend_timeout_ms = d->o.resend_timeout_ms,
		.random = rand32,
	};
	uint8_t mac[6];
	int r;

	if (d->n_leases >= MAX_LEASES)
		return cni_err_set_errno(err, CNI_ERR_TRY_AGAIN, ENOSPC, "too many leases");
	x = calloc(1, sizeof(*x));
	cfg = malloc(sizeof(*cfg));
	if (!x || !cfg) {
		free(x);
		free(cfg);
		return cni_err_nomem(err);
	}
	x->netns_fd = x->pkt_fd = x->udp_fd = -1;
	x->deadline = -1;
	x->pkt_src.type = SRC_PKT;
	x->pkt_src.obj = x;
	x->udp_src.type = SRC_UDP;
	x->udp_src.obj = x;
	x->key = xstrdup(key);
	x->network = xstrdup(nc->name);
	x->cid = xstrdup(a->container_id);
	x->netns = xstrdup(a->netns);
	x->args = xstrdup(a->args);
	x->conf = xstrdup(nc->text);
	x->priority = nc->priority;
	if (!x->key || !x->network || !x->cid || !x->netns || !x->args || !x->conf) {
		r = cni_err_nomem(err);
		goto fail;
	}
	r = open_netns(d, a->netns, &x->netns_fd, err);
	if (r < 0)
		goto fail;
	/* a re-adopted lease's link is as the container left it; a new one is set up */
	r = pktsock_iface(x->netns_fd, a->ifname, record == NULL, &x->ifindex, mac, err);
	if (r < 0)
		goto fail;
	if (mac_text) {
		char cur[HWADDR_TEXT_MAX];

		hwaddr_format(mac, 6, cur);
		if (strcasecmp(cur, mac_text) != 0) {
			uint8_t old[HWADDR_MAX];
			size_t n = 0;

			if (hwaddr_parse(mac_text, old, &n) < 0 || n != 6) {
				r = cni_err_set(err, CNI_ERR_DECODE, "invalid MAC %s", mac_text);
				goto fail;
			}
			memcpy(mac, old, 6);
			*ret_other_mac = true;
		}
	}
	r = dhcp4_client_cfg_init(cfg, nc->ipam, a->container_id ? a->container_id : "", nc->name,
				  a->ifname, mac, a->args, err);
	if (r < 0)
		goto fail;
	cfg->broadcast = d->o.broadcast;
	r = lease_init(&x->l, cfg, &p, a->ifname, x->netns, err);
	if (r < 0)
		goto fail;
	if (record) {
		_cleanup_free_ char *lt = cJSON_PrintUnformatted(record);

		if (!lt) {
			r = cni_err_nomem(err);
			goto fail;
		}
		r = lease_from_json(&x->l, lt, strlen(lt), err);
		if (r < 0)
			goto fail;
	}
	r = pktsock_open(x->netns_fd, x->ifindex, &x->pkt_fd, err);
	if (r < 0)
		goto fail;
	r = ep_add(d, x->pkt_fd, EPOLLIN, &x->pkt_src);
	if (r < 0) {
		cni_err_syscall(err, CNI_ERR_INTERNAL, r, "epoll");
		goto fail;
	}
	free(cfg);
	x->next = d->leases;
	d->leases = x;
	d->n_leases++;
	*ret = x;
	return 0;
fail:
	free(cfg);
	if (x->netns_fd >= 0)
		close(x->netns_fd);
	lease_free(x); /* closes pkt_fd */
	return r;
}

/* Packets (or an error) on x's packet socket. */
static void lease_readable(struct daemon *d, struct dlease *x, uint32_t events)
{
	uint8_t buf[DHCP4_MAX_PARSE];
	struct cni_err err = {0};

	if (events & EPOLLERR) {
		int soerr = 0;
		socklen_t sl = sizeof(soerr);

		getsockopt(x->pkt_fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
		if (lease_iface_gone(x)) {
			lease_gone(d, x);
			return;
		}
	}
	/* a bounded batch per wakeup, so one busy lease does not starve the rest */
	for (int i = 0; i < 32 && !x->dead; i++) {
		size_t len = 0;
		int r = pktsock_recv(x->pkt_fd, buf, sizeof(buf), &len, &err);

		if (r == -EAGAIN)
			return;
		if (r < 0) {
			if (lease_iface_gone(x))
				lease_gone(d, x);
			return;
		}
		if (r == 0)
			lease_run(d, x, LEASE_EV_PACKET, buf, len);
	}
}

/* Discard what arrives on the UDP socket (the packet socket has seen it too). */
static void lease_udp_drain(struct dlease *x)
{
	uint8_t buf[2048];

	for (int i = 0; i < 32; i++)
		if (recv(x->udp_fd, buf, sizeof(buf), MSG_DONTWAIT) < 0)
			return;
}

/* ---- the RPC methods -------------------------------------------------------------- */

static const struct gob_schema *args_schema(const char *method)
{
	if (!strcmp(method, "DHCP.Allocate") || !strcmp(method, "DHCP.Release") ||
	    !strcmp(method, "DHCP.GC"))
		return &rpc_cmd_args_schema;
	return NULL;
}

/* Check what Allocate and Release are given; the lease key. */
static int check_args(const struct rpc_cmd_args *a, const struct net_conf *nc, char **ret_key,
		      struct cni_err *err)
{
	enum ifname_problem p = ifname_check(a->ifname);

	if (p != IFNAME_OK)
		return cni_err_set(err, CNI_ERR_INVALID_ENV, "invalid interface name \"%s\": %s",
				   a->ifname ? a->ifname : "", ifname_problem_text(p));
	*ret_key = lease_key(a->container_id, nc->name, a->ifname);
	if (!*ret_key)
		return cni_err_nomem(err);
	return 0;
}

/*
 * Does an Allocate for x name another place: a namespace (opened through its path) other
 * than the one x holds, or an interface other than x's? A path that cannot be opened says
 * nothing (the lease is answered as it is).
 */
static bool lease_moved(struct daemon *d, struct dlease *x, const struct rpc_cmd_args *a)
{
	_cleanup_close_ int fd = -1;
	struct cni_err err = {0};
	struct stat s1, s2;

	if (open_netns(d, a->netns, &fd, &err) < 0)
		return false;
	if (fstat(fd, &s1) < 0 || fstat(x->netns_fd, &s2) < 0)
		return false;
	if (s1.st_dev != s2.st_dev || s1.st_ino != s2.st_ino)
		return true;
	return lease_iface_gone(x);
}

static void do_allocate(struct daemon *d, struct conn *c, struct rpc_srv_call *call)
{
	const struct rpc_cmd_args *a = call->args;
	struct net_conf nc = {0};
	_cleanup_free_ char *key = NULL;
	struct cni_err err = {0};
	struct dlease *x;
	int r;

	r = net_conf_parse(&a->stdin_data, true, &nc, &err);
	if (r == 0)
		r = check_args(a, &nc, &key, &err);
	if (r < 0)
		goto fail;
	x = lease_find(d, key);
	if (x && lease_moved(d, x, a)) {
		/* the same key in another namespace or on another interface: a new attachment */
		logf_("%s: the container's namespace or interface changed", key);
		lease_release(d, x, "lease replaced");
		x = NULL;
	}
	if (x) {
		switch (x->l.state) {
		case LEASE_BOUND:
		case LEASE_RENEWING:
		case LEASE_REBINDING:
			/* a maintained lease: its data, no new exchange */
			c->call = *call;
			memset(call, 0, sizeof(*call));
			c->wait = x;
			c->wnext = x->waiters;
			x->waiters = c;
			lease_answer(d, x, NULL);
			net_conf_clear(&nc);
			return;
		case LEASE_SELECTING:
		case LEASE_REQUESTING:
		case LEASE_INIT_REBOOT:
			goto wait;
		default:
			/* maintenance stopped: acquire again */
			lease_drop(d, x, "lease restarted", false);
			break;
		}
	}
	r = lease_new(d, a, &nc, key, NULL, NULL, NULL, &x, &err);
	if (r < 0)
		goto fail;
	logf_("%s: acquiring a lease on %s in %s", key, a->ifname, a->netns);
wait:
	c->call = *call;
	memset(call, 0, sizeof(*call));
	c->wait = x;
	c->wnext = x->waiters;
	x->waiters = c;
	c->idle_at = -1;
	net_conf_clear(&nc);
	if (x->l.state == LEASE_INIT)
		lease_run(d, x, LEASE_EV_START, NULL, 0);
	return;
fail:
	net_conf_clear(&nc);
	conn_answer(d, c, call, NULL, NULL, err.msg);
}

static void do_release(struct daemon *d, struct conn *c, struct rpc_srv_call *call)
{
	const struct rpc_cmd_args *a = call->args;
	struct net_conf nc = {0};
	_cleanup_free_ char *key = NULL;
	struct cni_err err = {0};
	struct dlease *x;
	int r;

	r = net_conf_parse(&a->stdin_data, false, &nc, &err);
	if (r == 0)
		r = check_args(a, &nc, &key, &err);
	net_conf_clear(&nc);
	if (r < 0) {
		conn_answer(d, c, call, NULL, NULL, err.msg);
		return;
	}
	x = lease_find(d, key);
	if (x)
		lease_release(d, x, "lease released");
	else if (journal_del(d->o.statedir, key, &err) < 0)
		logf_("%s: %s", key, err.msg);
	conn_answer(d, c, call, &rpc_empty_schema, NULL, NULL);
}

/* Is (cid, ifname) in the valid-attachments list? */
static bool attachment_valid(const cJSON *list, const char *cid, const char *ifname)
{
	const cJSON *e;

	cJSON_ArrayForEach (e, list) {
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(e, "containerID");
		const cJSON *i = cJSON_GetObjectItemCaseSensitive(e, "ifname");

		if (cJSON_IsString(c) && cJSON_IsString(i) && !strcmp(c->valuestring, cid) &&
		    !strcmp(i->valuestring, ifname))
			return true;
	}
	return false;
}

static void do_gc(struct daemon *d, struct conn *c, struct rpc_srv_call *call)
{
	const struct rpc_cmd_args *a = call->args;
	struct net_conf nc = {0};
	struct cni_err err = {0};
	const cJSON *list;
	struct dlease *x, *next;

	if (net_conf_parse(&a->stdin_data, false, &nc, &err) < 0) {
		net_conf_clear(&nc);
		conn_answer(d, c, call, NULL, NULL, err.msg);
		return;
	}
	list = cJSON_GetObjectItemCaseSensitive(nc.root, "cni.dev/valid-attachments");
	for (x = d->leases; x; x = next) {
		next = x->next;
		if (strcmp(x->network, nc.name) != 0 || attachment_valid(list, x->cid, x->l.ifname))
			continue;
		logf_("%s: not a valid attachment of %s: releasing", x->key, nc.name);
		lease_release(d, x, "lease released by GC");
	}
	net_conf_clear(&nc);
	conn_answer(d, c, call, &rpc_empty_schema, NULL, NULL);
}

/* Feed bytes and answer every complete call, until one has to wait. */
static void conn_process(struct daemon *d, struct conn *c, const void *data, size_t len)
{
	struct rpc_srv_call call = {0};
	struct cni_err err = {0};
	int r;

	for (;;) {
		r = rpc_srv_feed(&c->rpc, data, len, &call, &err);
		data = NULL;
		len = 0;
		if (r < 0) {
			logf_("closing a client connection: %s", err.msg);
			conn_close(d, c);
			return;
		}
		if (r == RPC_SRV_CLOSE) {
			c->closing = true;
			break;
		}
		if (r == RPC_SRV_NEED_MORE)
			break;
		if (!call.schema)
			conn_answer(d, c, &call, NULL, NULL,
				    call.error ? call.error : "rpc: can't find method");
		else if (!strcmp(call.req.service_method, "DHCP.Allocate"))
			do_allocate(d, c, &call);
		else if (!strcmp(call.req.service_method, "DHCP.Release"))
			do_release(d, c, &call);
		else
			do_gc(d, c, &call);
		rpc_srv_call_free(&call);
		memset(&call, 0, sizeof(call));
		if (c->dead || c->wait || conn_backlogged(c))
			break;
	}
	if (!c->dead)
		conn_flush(d, c);
}

static void conn_readable(struct daemon *d, struct conn *c, uint32_t events)
{
	uint8_t buf[16384];

	if (c->wait) {
		/* a waiting client that hangs up is not answered */
		if (events & (EPOLLHUP | EPOLLERR | EPOLLRDHUP))
			conn_close(d, c);
		return;
	}
	/* a bounded number of reads per wakeup: one fast client does not starve others */
	for (int i = 0; i < 16 && !c->dead && !c->wait && !c->closing && !conn_backlogged(c); i++) {
		ssize_t n = read(c->fd, buf, sizeof(buf));

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			conn_close(d, c);
			return;
		}
		if (n == 0) {
			conn_close(d, c);
			return;
		}
		conn_process(d, c, buf, (size_t)n);
	}
}

static void conn_accept(struct daemon *d)
{
	for (int i = 0; i < 64; i++) {
		int fd = accept4(d->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct conn *c;

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				/* out of fds: not taken again until one is closed, or a second */
				struct epoll_event e = {.events = 0, .data.ptr = &d->lsrc};

				logf_("accept: %s: pausing", strerror(errno));
				if (epoll_ctl(d->epfd, EPOLL_CTL_MOD, d->lfd, &e) == 0)
					d->accept_retry_at = now_ms() + 1000;
			} else if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED) {
				logf_("accept: %s", strerror(errno));
			}
			return;
		}
		if (d->n_conns >= MAX_CONNS) {
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->src.type = SRC_CONN;
		c->src.obj = c;
		c->fd = fd;
		c->idle_at = now_ms() + CONN_IDLE_MS;
		c->events = EPOLLIN | EPOLLRDHUP;
		rpc_srv_init(&c->rpc, CONN_MAX_MSG, args_schema);
		if (ep_add(d, fd, c->events, &c->src) < 0) {
			rpc_srv_clear(&c->rpc);
			free(c);
			close(fd);
			continue;
		}
		c->next = d->conns;
		d->conns = c;
		d->n_conns++;
	}
}

/* Take connections again after accept ran out of fds. */
static void accept_resume(struct daemon *d)
{
	struct epoll_event e = {.events = EPOLLIN, .data.ptr = &d->lsrc};

	if (d->accept_retry_at >= 0 && epoll_ctl(d->epfd, EPOLL_CTL_MOD, d->lfd, &e) == 0)
		d->accept_retry_at = -1;
}

/* ---- timers ------------------------------------------------------------------------- */

/* Arm the timerfd at the earliest deadline. */
static void timer_arm(struct daemon *d)
{
	int64_t t = -1;
	struct itimerspec its = {0};

	for (struct dlease *x = d->leases; x; x = x->next)
		if (x->deadline >= 0 && (t < 0 || x->deadline < t))
			t = x->deadline;
	for (struct conn *c = d->conns; c; c = c->next)
		if (c->idle_at >= 0 && (t < 0 || c->idle_at < t))
			t = c->idle_at;
	if (d->accept_retry_at >= 0 && (t < 0 || d->accept_retry_at < t))
		t = d->accept_retry_at;
	if (t == d->armed)
		return;
	if (t >= 0) {
		if (t < 1)
			t = 1;
		its.it_value.tv_sec = t / 1000;
		its.it_value.tv_nsec = (t % 1000) * 1000000;
	}
	if (timerfd_settime(d->tfd, TFD_TIMER_ABSTIME, &its, NULL) == 0)
		d->armed = t;
}

static void timer_fired(struct daemon *d)
{
	uint64_t n;
	int64_t now = now_ms();
	struct dlease *x, *xn;
	struct conn *c, *cn;

	if (read(d->tfd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		logf_("timerfd: %s", strerror(errno));
	d->armed = -1;
	if (d->accept_retry_at >= 0 && d->accept_retry_at <= now)
		accept_resume(d);
	for (x = d->leases; x; x = xn) {
		xn = x->next;
		if (x->deadline >= 0 && x->deadline <= now)
			lease_run(d, x, LEASE_EV_TIMER, NULL, 0);
	}
	for (c = d->conns; c; c = cn) {
		cn = c->next;
		if (c->idle_at >= 0 && c->idle_at <= now)
			conn_close(d, c);
	}
}

/* ---- start: listener, pidfile, journal -------------------------------------------------- */

static int write_pidfile(const char *path)
{
	char buf[32];
	_cleanup_close_ int fd = -1;
	int n;

	if (path[0] != '/') {
		logf_("Error writing pidfile \"%s\": path not absolute", path);
		return -EINVAL;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	n = snprintf(buf, sizeof(buf), "%d", (int)getpid());
	if (fd < 0 || fileio_write_all(fd, buf, (size_t)n) < 0) {
		logf_("Error writing pidfile \"%s\": %s", path, strerror(errno));
		return -EIO;
	}
	return 0;
}

/* Write the pid file, if one is asked for; when that fails, none is removed at exit. */
static int pidfile(struct daemon *d)
{
	if (!d->o.pidfile[0] || write_pidfile(d->o.pidfile) == 0) {
		d->own_pidfile = d->o.pidfile[0] != '\0';
		return 0;
	}
	return -EIO;
}

/* The listener: systemd's one fd, or our socket (a stale one replaced). */
static int listener(struct daemon *d)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	_cleanup_close_ int fd = -1;
	struct stat st;
	mode_t old;
	int n;

	if (pid && fds && atol(pid) == (long)getpid()) {
		n = atoi(fds);
		unsetenv("LISTEN_PID");
		unsetenv("LISTEN_FDS");
		unsetenv("LISTEN_FDNAMES");
		if (n > 1) {
			logf_("Error getting listener: Too many (%d) FDs passed through socket "
			      "activation",
			      n);
			return -EINVAL;
		}
		if (n == 1) {
			d->activated = true;
			d->lfd = 3;
			fcntl(3, F_SETFD, FD_CLOEXEC);
			fcntl(3, F_SETFL, fcntl(3, F_GETFL) | O_NONBLOCK);
			return pidfile(d);
		}
	}
	n = snprintf(d->sock_path, sizeof(d->sock_path), "%s%s", d->o.hostprefix, d->o.socketpath);
	if (n < 0 || (size_t)n >= sizeof(d->sock_path)) {
		logf_("Error getting listener: socket path too long: %s%s", d->o.hostprefix,
		      d->o.socketpath);
		return -ENAMETOOLONG;
	}
	{
		char dir[sizeof(d->sock_path)], *slash, **created = NULL;
		size_t fl = 0;

		strcpy(dir, d->sock_path);
		slash = strrchr(dir, '/');
		if (slash && slash != dir) {
			*slash = '\0';
			int r = fileio_mkdir_p(dir, 0700, &created, &fl);

			for (size_t i = 0; created && created[i]; i++)
				free(created[i]);
			free(created);
			if (r < 0) {
				logf_("Error getting listener: mkdir %s: %s", dir, strerror(-r));
				return r;
			}
		}
	}
	strcpy(sa.sun_path, d->sock_path);
	/* one daemon at a time checks, replaces and binds the socket: "<socket>.daemon.lock"
	 * (not the plugin's "<socket>.lock", which it holds while it starts a daemon) */
	{
		char lock[sizeof(d->sock_path) + 16];

		snprintf(lock, sizeof(lock), "%s.daemon.lock", d->sock_path);
		d->lockfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (d->lockfd < 0) {
			logf_("Error getting listener: %s: %s", lock, strerror(errno));
			return -errno;
		}
		if (flock(d->lockfd, LOCK_EX | LOCK_NB) < 0) {
			if (errno == EWOULDBLOCK) {
				logf_("another dhcp daemon is listening on %s: not starting",
				      d->sock_path);
				return -EADDRINUSE;
			}
			logf_("Error getting listener: flock %s: %s", lock, strerror(errno));
			return -errno;
		}
	}
	if (lstat(d->sock_path, &st) == 0) {
		_cleanup_close_ int probe = -1;

		if (!S_ISSOCK(st.st_mode)) {
			logf_("Error getting listener: listen unix %s: bind: address already in "
			      "use",
			      d->sock_path);
			return -EADDRINUSE;
		}
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (probe < 0)
			return -errno;
		if (connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0 || errno == EAGAIN ||
		    errno == EINPROGRESS) {
			logf_("another dhcp daemon is listening on %s: not starting", d->sock_path);
			return -EADDRINUSE;
		}
		if (errno != ECONNREFUSED && errno != ENOENT) {
			logf_("Error getting listener: probing %s: %s", d->sock_path,
			      strerror(errno));
			return -errno;
		}
		logf_("removing stale socket %s", d->sock_path);
		if (unlink(d->sock_path) < 0 && errno != ENOENT) {
			logf_("Error getting listener: remove %s: %s", d->sock_path,
			      strerror(errno));
			return -errno;
		}
	}
	/* written before listening, once no other daemon is found (its pid file stays) */
	n = pidfile(d);
	if (n < 0)
		return n;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	old = umask(0177);
	n = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (n < 0 || chmod(d->sock_path, 0600) < 0 || listen(fd, 128) < 0) {
		logf_("Error getting listener: listen unix %s: %s", d->sock_path, strerror(errno));
		return -errno;
	}
	d->lfd = TAKE_FD(fd);
	d->own_socket = true;
	return 0;
}

/*
 * Release the lease of a record whose container interface is gone, from the daemon's own
 * namespace: a RELEASE by UDP from the leased address (IP_TRANSPARENT: an address this
 * namespace does not have) to the server, routed as the daemon's namespace routes it (where the daemon runs on the node of a macvlan or
 * bridge network, that reaches the server). Logs what became of it.
 */
static void release_detached(struct daemon *d, const struct rpc_cmd_args *a,
			     const struct net_conf *nc, const cJSON *record, const char *mac_text,
			     const char *key)
{
	_cleanup_free_ struct lease *l = malloc(sizeof(*l));
	_cleanup_free_ struct dhcp4_client_cfg *cfg = malloc(sizeof(*cfg));
	_cleanup_free_ char *lt = cJSON_PrintUnformatted(record);
	struct lease_params p = {
		.timeout_ms = 1, .resend_max_ms = 1, .resend_timeout_ms = 1, .random = rand32};
	struct lease_action *act = &d->act;
	struct cni_err err = {0};
	uint8_t mac[HWADDR_MAX];
	size_t n = 0;

	if (!l || !cfg || !lt) {
		cni_err_nomem(&err);
		goto fail;
	}
	if (hwaddr_parse(mac_text, mac, &n) < 0 || n != 6) {
		cni_err_set(&err, CNI_ERR_DECODE, "invalid MAC %s", mac_text);
		goto fail;
	}
	if (dhcp4_client_cfg_init(cfg, nc->ipam, a->container_id, nc->name, a->ifname, mac, a->args,
				  &err) < 0 ||
	    lease_init(l, cfg, &p, a->ifname, a->netns, &err) < 0 ||
	    lease_from_json(l, lt, strlen(lt), &err) < 0)
		goto fail;
	if (lease_step(l, LEASE_EV_RELEASE, now_ms(), NULL, 0, act) < 0) {
		err = act->err;
		goto fail;
	}
	if (!act->pkt_len) {
		logf_("%s: the lease has run out: nothing to release", key);
		return;
	}
	if (send_here(l->yiaddr, act, &err) < 0)
		goto fail;
	logf_("%s: lease %u.%u.%u.%u released from the daemon's namespace (its container's "
	      "interface is gone)",
	      key, l->yiaddr[0], l->yiaddr[1], l->yiaddr[2], l->yiaddr[3]);
	return;
fail:
	logf_("%s: could not release the lease of a gone interface: %s", key, err.msg);
}

/* One journal record at start: adopt the lease or drop it. */
static int adopt_one(const char *path, const char *text, size_t len, void *ctx)
{
	struct daemon *d = ctx;
	_cleanup_(journal_record_clear) struct journal_record rec = {0};
	struct rpc_cmd_args a = {0};
	struct net_conf nc = {0};
	struct gob_bytes conf;
	struct cni_err err = {0};
	const char *key;
	struct dlease *x = NULL;
	const cJSON *state;
	bool other_mac = false;
	int r;

	if (!text || journal_record_parse(text, len, &rec, &err) < 0)
		goto drop;
	key = rec.key;
	a.container_id = (char *)rec.container_id;
	a.netns = (char *)rec.netns;
	a.ifname = (char *)rec.ifname;
	a.args = (char *)rec.args;
	if (lease_find(d, key)) {
		cni_err_set(&err, CNI_ERR_DECODE, "a second record of %s", key);
		goto drop;
	}
	conf.data = (uint8_t *)rec.config;
	conf.len = strlen(rec.config);
	if (net_conf_parse(&conf, true, &nc, &err) < 0)
		goto drop;
	r = lease_new(d, &a, &nc, key, rec.lease, rec.mac, &other_mac, &x, &err);
	if (r < 0) {
		logf_("dropping lease record %s: %s", path, err.msg);
		/* the namespace is gone, or no namespace, or the interface is gone */
		if (r == -ENOENT || r == -EINVAL || r == -ENODEV)
			release_detached(d, &a, &nc, rec.lease, rec.mac, key);
		net_conf_clear(&nc);
		if (journal_remove_path(path, &err) < 0)
			logf_("%s", err.msg);
		return 0;
	}
	net_conf_clear(&nc);
	if (other_mac) {
		/* another interface of that name: give the old one's address back */
		logf_("%s: %s in %s has another MAC than %s now: releasing the lease", key,
		      a.ifname, a.netns, rec.mac);
		lease_release(d, x, "interface replaced");
		return 0;
	}
	state = cJSON_GetObjectItemCaseSensitive(rec.lease, "state");
	if (cJSON_IsString(state) && strcmp(state->valuestring, "requesting") == 0) {
		/* an offer whose ACK was never recorded: the server may have granted it, or not */
		logf_("%s: the lease %s was being requested: releasing it", key, path);
		lease_release(d, x, "the daemon stopped while requesting the lease");
		return 0;
	}
	logf_("%s: re-adopting lease from %s", key, path);
	lease_run(d, x, LEASE_EV_START, NULL, 0);
	return 0;
drop:
	net_conf_clear(&nc);
	logf_("dropping lease record %s: %s", path, err.msg[0] ? err.msg : "unreadable");
	if (journal_remove_path(path, &err) < 0)
		logf_("%s", err.msg);
	return 0;
}

/* One release request the plugin left while no daemon answered. */
static int release_one(const char *path, const char *text, size_t len, void *ctx)
{
	struct daemon *d = ctx;
	_cleanup_(journal_release_clear) struct journal_release req = {0};
	_cleanup_free_ char *key = NULL;
	struct net_conf nc = {0};
	struct cni_err err = {0};
	struct gob_bytes b;
	struct dlease *x;

	if (!text || journal_release_parse(text, len, &req, &err) < 0) {
		logf_("dropping release request %s: %s", path, err.msg[0] ? err.msg : "unreadable");
		goto done;
	}
	b.data = (uint8_t *)req.config;
	b.len = strlen(req.config);
	if (net_conf_parse(&b, false, &nc, &err) < 0) {
		logf_("dropping release request %s: %s", path, err.msg);
		goto done;
	}
	key = lease_key(req.container_id, nc.name, req.ifname);
	if (!key)
		goto done;
	x = lease_find(d, key);
	logf_("%s: release requested while no daemon ran%s", key, x ? "" : " (no such lease)");
	if (x)
		lease_release(d, x, "lease released");
	else if (journal_del(d->o.statedir, key, &err) < 0)
		logf_("%s", err.msg);
done:
	net_conf_clear(&nc);
	if (journal_remove_path(path, &err) < 0)
		logf_("%s", err.msg);
	return 0;
}

/* ---- main ------------------------------------------------------------------------------ */

static void reap(struct daemon *d)
{
	if (d->dead_conns || d->dead_leases)
		accept_resume(d);
	while (d->dead_conns) {
		struct conn *c = d->dead_conns;

		d->dead_conns = c->next;
		rpc_srv_clear(&c->rpc);
		free(c);
	}
	while (d->dead_leases) {
		struct dlease *x = d->dead_leases;

		d->dead_leases = x->next;
		lease_free(x);
	}
}

/* Go on parsing the input of the connections whose waiting call was answered. */
static void kick(struct daemon *d)
{
	bool again = true;

	/* a kicked connection's next call may answer (and kick) others: a bounded repeat */
	for (int round = 0; again && round < 8; round++) {
		again = false;
		for (struct conn *c = d->conns, *cn; c; c = cn) {
			cn = c->next;
			if (!c->kick || c->dead)
				continue;
			c->kick = false;
			again = true;
			conn_process(d, c, NULL, 0);
		}
		reap(d);
	}
}

static void dispatch(struct daemon *d, struct src *s, uint32_t events)
{
	switch (s->type) {
	case SRC_LISTEN:
		conn_accept(d);
		break;
	case SRC_SIGNAL: {
		struct signalfd_siginfo si;

		if (read(d->sigfd, &si, sizeof(si)) == sizeof(si)) {
			logf_("received signal %u: shutting down", si.ssi_signo);
			d->stop = true;
		}
		break;
	}
	case SRC_TIMER:
		timer_fired(d);
		break;
	case SRC_CONN: {
		struct conn *c = s->obj;

		if (c->dead)
			break;
		if (events & EPOLLOUT)
			conn_flush(d, c);
		if (!c->dead && (events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP)))
			conn_readable(d, c, events);
		break;
	}
	case SRC_PKT: {
		struct dlease *x = s->obj;

		if (!x->dead)
			lease_readable(d, x, events);
		break;
	}
	case SRC_UDP: {
		struct dlease *x = s->obj;

		if (!x->dead)
			lease_udp_drain(x);
		break;
	}
	}
}

static void shutdown_all(struct daemon *d)
{
	while (d->conns)
		conn_close(d, d->conns);
	/* leases stay in the journal: a restart adopts them */
	while (d->leases) {
		struct dlease *x = d->leases;

		lease_drop(d, x, "daemon shutting down", false);
	}
	reap(d);
	if (d->lfd >= 0)
		close(d->lfd);
	if (d->own_socket)
		unlink(d->sock_path);
	if (d->own_pidfile)
		unlink(d->o.pidfile);
	/* the lock file stays: removing it would race with the next daemon's flock */
	if (d->lockfd >= 0)
		close(d->lockfd);
	if (d->sigfd >= 0)
		close(d->sigfd);
	if (d->tfd >= 0)
		close(d->tfd);
	if (d->epfd >= 0)
		close(d->epfd);
}

/* Every lease holds two or three fds: take the hard limit, as Go's runtime does. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int dhcp_daemon_main(int argc, char **argv)
{
	struct daemon *d;
	struct cni_err err = {0};
	sigset_t mask;
	int r, status = 1;

	d = calloc(1, sizeof(*d));
	if (!d) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}
	r = daemon_parse_opts(argc, argv, &d->o);
	if (r >= 0) {
		free(d);
		return r;
	}
	d->epfd = d->lfd = d->sigfd = d->tfd = d->lockfd = -1;
	d->armed = -1;
	d->accept_retry_at = -1;
	raise_fd_limit();
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);

	if (journal_init(d->o.statedir, &err) < 0) {
		logf_("%s", err.msg);
		goto out;
	}
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	d->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	d->tfd = timerfd_create(CLOCK_BOOTTIME, TFD_NONBLOCK | TFD_CLOEXEC);
	if (d->epfd < 0 || d->sigfd < 0 || d->tfd < 0) {
		logf_("failed to set up the event loop: %s", strerror(errno));
		goto out;
	}
	if (listener(d) < 0)
		goto out;
	d->lsrc.type = SRC_LISTEN;
	d->sigsrc.type = SRC_SIGNAL;
	d->tsrc.type = SRC_TIMER;
	if (ep_add(d, d->lfd, EPOLLIN, &d->lsrc) < 0 ||
	    ep_add(d, d->sigfd, EPOLLIN, &d->sigsrc) < 0 ||
	    ep_add(d, d->tfd, EPOLLIN, &d->tsrc) < 0) {
		logf_("failed to set up the event loop: %s", strerror(errno));
		goto out;
	}
	if (journal_walk(d->o.statedir, "leases", adopt_one, d, &err) < 0 ||
	    journal_walk(d->o.statedir, "release", release_one, d, &err) < 0)
		logf_("%s", err.msg);
	reap(d);
	logf_("listening on %s%s", d->activated ? "the socket systemd passed" : d->sock_path, "");

	while (!d->stop) {
		struct epoll_event evs[EPOLL_BATCH];
		int n;

		timer_arm(d);
		n = epoll_wait(d->epfd, evs, EPOLL_BATCH, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			logf_("epoll_wait: %s", strerror(errno));
			goto out;
		}
		for (int i = 0; i < n; i++)
			dispatch(d, evs[i].data.ptr, evs[i].events);
		kick(d);
		reap(d);
	}
	status = 0;
out:
	shutdown_all(d);
	free(d);
	return status;
}
