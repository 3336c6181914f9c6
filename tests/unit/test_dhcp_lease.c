/* SPDX-License-Identifier: Apache-2.0 */
/* dhcp: the lease state machine driven by a synthetic clock and a scripted server: DORA, NAK,
 * no offer (the retry schedule and "no more tries"), renewing at T1, rebinding at T2,
 * expiry, INIT-REBOOT of a saved lease (ACK, NAK, silence), release, the journal record. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"
#define LIVE_LOCAL_ERR
#include "live.h"

#include "cleanup.h"
#include "cni/json.h"
#include "dhcp/dhcp4.h"
#include "dhcp/lease.h"
#include "dhcp/pktsock.h"
#include "dhcp_srv.h"

static const uint8_t mac[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};

/* A random source: a fixed value (jitter 0 when it is 1000 mod 2001), or an LCG. */
struct rnd {
	bool fixed;
	uint32_t v;
};

static uint32_t rnd_next(void *ctx)
{
	struct rnd *r = ctx;

	if (r->fixed)
		return r->v;
	r->v = r->v * 1103515245u + 12345u;
	return r->v >> 1;
}

static struct rnd rnd_zero = {.fixed = true, .v = 1000};

/* A lease for client ctr1/net1/eth0 with the reference's timing and no jitter. */
static void setup(struct lease *l, struct rnd *r)
{
	struct lease_params p = LEASE_PARAMS_DEFAULT;
	struct dhcp4_client_cfg cfg;
	struct cni_err err = {0};

	p.random = rnd_next;
	p.random_ctx = r;
	if (dhcp4_client_cfg_init(&cfg, NULL, "ctr1", "net1", "eth0", mac, NULL, &err) < 0 ||
	    lease_init(l, &cfg, &p, "eth0", "/run/netns/t", &err) < 0)
		abort();
}

/* The parsed message of an action. */
static void sent(const struct lease_action *a, struct dhcp4_msg *m)
{
	struct cni_err err = {0};

	memset(m, 0, sizeof(*m));
	if (a->pkt_len == 0 || dhcp4_parse(a->pkt, a->pkt_len, m, &err) < 0)
		m->type = 0;
}

/* Option code's presence in an action's message. */
static bool has_opt(const struct lease_action *a, uint8_t code)
{
	size_t i = 240;

	while (i + 1 < a->pkt_len && a->pkt[i] != 255) {
		if (a->pkt[i] == 0) {
			i++;
			continue;
		}
		if (a->pkt[i] == code)
			return true;
		i += 2 + (size_t)a->pkt[i + 1];
	}
	return false;
}

static int step(struct lease *l, enum lease_event ev, int64_t now, const struct srv_msg *s,
		struct lease_action *a)
{
	return lease_step(l, ev, now, s ? s->buf : NULL, s ? s->len : 0, a);
}

/* DISCOVER, OFFER, REQUEST, ACK (lease 1000 s) at time t0; the lease ends up BOUND. */
static void dora(struct lease *l, int64_t t0, struct lease_action *a)
{
	struct srv_msg s;
	struct dhcp4_msg m;

	CHECK(step(l, LEASE_EV_START, t0, NULL, a) == 0);
	sent(a, &m);
	CHECK_INT(m.type, DHCP4_DISCOVER);
	srv_usual(&s, DHCP4_OFFER, l->xid, mac, "10.9.0.5", 1000);
	CHECK(step(l, LEASE_EV_PACKET, t0 + 5, &s, a) == 0);
	sent(a, &m);
	CHECK_INT(m.type, DHCP4_REQUEST);
	srv_usual(&s, DHCP4_ACK, l->xid, mac, "10.9.0.5", 1000);
	CHECK(step(l, LEASE_EV_PACKET, t0 + 10, &s, a) == 0);
	CHECK_INT(a->outcome, LEASE_OUT_ACQUIRED);
	CHECK_INT(l->state, LEASE_BOUND);
}

static void test_dora(void)
{
	struct lease l;
	struct lease_action a;
	struct srv_msg s;
	struct dhcp4_msg m;
	struct cni_err err = {0};
	struct rnd r = rnd_zero;
	_cleanup_(cni_result_freep) struct cni_result *res = NULL;
	uint32_t xid;

	setup(&l, &r);
	CHECK(step(&l, LEASE_EV_START, 1000, NULL, &a) == 0);
	sent(&a, &m);
	CHECK_INT(m.type, DHCP4_DISCOVER);
	CHECK(!a.unicast);
	CHECK_INT(l.state, LEASE_SELECTING);
	CHECK_INT(a.deadline, 1000 + 10000 + 2000);
	xid = l.xid;
	CHECK(m.xid == xid);

	/* not for us: another xid, another MAC, a BOOTREQUEST, no server id, garbage, an ACK */
	srv_usual(&s, DHCP4_OFFER, xid + 1, mac, "10.9.0.5", 1000);
	CHECK(step(&l, LEASE_EV_PACKET, 1100, &s, &a) == 0);
	CHECK(a.pkt_len == 0 && l.state == LEASE_SELECTING);
	srv_usual(&s, DHCP4_OFFER, xid, (const uint8_t[6]){2, 0, 0, 0, 0, 1}, "10.9.0.5", 1000);
	CHECK(step(&l, LEASE_EV_PACKET, 1100, &s, &a) == 0);
	CHECK(a.pkt_len == 0 && l.state == LEASE_SELECTING);
	srv_usual(&s, DHCP4_OFFER, xid, mac, "10.9.0.5", 1000);
	s.buf[0] = 1;
	CHECK(step(&l, LEASE_EV_PACKET, 1100, &s, &a) == 0);
	CHECK(a.pkt_len == 0 && l.state == LEASE_SELECTING);
	srv_begin(&s, DHCP4_OFFER, xid, mac, "10.9.0.5");
	srv_end(&s);
	CHECK(step(&l, LEASE_EV_PACKET, 1100, &s, &a) == 0);
	CHECK(a.pkt_len == 0 && l.state == LEASE_SELECTING);
	CHECK(lease_step(&l, LEASE_EV_PACKET, 1100, (const uint8_t *)"junk", 4, &a) == 0);
	CHECK(a.pkt_len == 0 && l.state == LEASE_SELECTING);
	srv_usual(&s, DHCP4_ACK, xid, mac, "10.9.0.5", 1000);
	CHECK(step(&l, LEASE_EV_PACKET, 1100, &s, &a) == 0);
	CHECK(a.pkt_len == 0 && l.state == LEASE_SELECTING);
	/* the deadline stays */
	CHECK_INT(a.deadline, 13000);

	srv_usual(&s, DHCP4_OFFER, xid, mac, "10.9.0.5", 1000);
	CHECK(step(&l, LEASE_EV_PACKET, 1200, &s, &a) == 0);
	sent(&a, &m);
	CHECK_INT(m.type, DHCP4_REQUEST);
	CHECK(m.xid == xid);
	CHECK(has_opt(&a, 50) && has_opt(&a, 54));
	CHECK(!(m.ciaddr[0] | m.ciaddr[3]));
	CHECK_INT(l.state, LEASE_REQUESTING);
	CHECK_INT(a.deadline, 1200 + 12000);

	/* an ACK from another server is not the answer */
	srv_begin(&s, DHCP4_ACK, xid, mac, "10.9.0.5");
	srv_ip(&s, 54, "10.9.0.2");
	srv_ip(&s, 1, "255.255.255.0");
	srv_end(&s);
	CHECK(step(&l, LEASE_EV_PACKET, 1300, &s, &a) == 0);
	CHECK(a.outcome == LEASE_OUT_NONE && l.state == LEASE_REQUESTING);

	srv_usual(&s, DHCP4_ACK, xid, mac, "10.9.0.5", 1000);
	CHECK(step(&l, LEASE_EV_PACKET, 1400, &s, &a) == 0);
	CHECK_INT(a.outcome, LEASE_OUT_ACQUIRED);
	CHECK_INT(a.pkt_len, 0);
	CHECK_INT(l.state, LEASE_BOUND);
	CHECK_INT(a.deadline, 1400 + 500000);
	CHECK_INT(l.t2_at, 1400 + 850000);
	CHECK_INT(l.expiry_at, 1400 + 1000000);
	CHECK(lease_result(&l, 0, &res, &err) == 0);
	CHECK(res && res->n_ips == 1 && res->ips[0].address.prefix == 24 && res->n_routes == 1);

	/* a second START while bound changes nothing */
	CHECK(step(&l, LEASE_EV_START, 2000, NULL, &a) == 0);
	CHECK(a.pkt_len == 0 && l.state == LEASE_BOUND);
}

static void test_nak_while_requesting(void)
{
	struct lease l;
	struct lease_action a;
	struct srv_msg s;
	struct rnd r = rnd_zero;
	struct cni_err err = {0};
	struct cni_result *res = NULL;

	setup(&l, &r);
	CHECK(step(&l, LEASE_EV_START, 0, NULL, &a) == 0);
	srv_usual(&s, DHCP4_OFFER, l.xid, mac, "10.9.0.5", 1000);
	CHECK(step(&l, LEASE_EV_PACKET, 1, &s, &a) == 0);
	srv_begin(&s, DHCP4_NAK, l.xid, mac, NULL);
	srv_ip(&s, 54, "10.9.0.1");
	srv_opt(&s, 56, "address in use", 14);
	srv_end(&s);
	CHECK(step(&l, LEASE_EV_PACKET, 2, &s, &a) == 0);
	CHECK_INT(a.outcome, LEASE_OUT_FAILED);
	CHECK_STR(a.err.msg, "server rejected request with Nak (msg: address in use)");
	CHECK_INT(l.state, LEASE_FAILED);
	CHECK_INT(a.deadline, -1);
	CHECK(lease_result(&l, 0, &res, &err) < 0);
	/* START again begins a new exchange */
	CHECK(step(&l, LEASE_EV_START, 3, NULL, &a) == 0);
	CHECK_INT(l.state, LEASE_SELECTING);
	CHECK(a.pkt_len > 0);
}

/* No server: sends at 0, 12, 24, 36, 48, 66, 92, 134 s, then "no more tries" at 208 s. */
static void test_no_offer(void)
{
	static const int64_t want[] = {0, 12000, 24000, 36000, 48000, 66000, 92000, 134000};
	struct lease l;
	struct lease_action a;
	struct rnd r = rnd_zero;
	int64_t now = 0, sends[16];
	size_t n = 0;
	int steps = 0;

	setup(&l, &r);
	CHECK(step(&l, LEASE_EV_START, now, NULL, &a) == 0);
	sends[n++] = now;
	while (a.deadline >= 0 && steps++ < 100) {
		/* a timer that fires early changes nothing */
		now = a.deadline - 1;
		CHECK(step(&l, LEASE_EV_TIMER, now, NULL, &a) == 0);
		CHECK_INT(a.pkt_len, 0);
		now = a.deadline;
		CHECK(step(&l, LEASE_EV_TIMER, now, NULL, &a) == 0);
		if (a.pkt_len && n < ARRAY_SIZE(sends))
			sends[n++] = now;
		if (a.outcome != LEASE_OUT_NONE)
			break;
	}
	CHECK_INT(n, ARRAY_SIZE(want));
	for (size_t i = 0; i < n && i < ARRAY_SIZE(want); i++)
		CHECK_INT(sends[i], want[i]);
	CHECK_INT(a.outcome, LEASE_OUT_FAILED);
	CHECK_STR(a.err.msg, "no more tries");
	CHECK_INT(now, 208000);
	CHECK_INT(l.state, LEASE_FAILED);
	CHECK_INT(a.deadline, -1);
}

/* resendmax stops the doubling; jitter stays within a second; the xid changes per exchange. */
static void test_retry_cap_and_jitter(void)
{
	struct lease l;
	struct lease_action a;
	struct rnd r = rnd_zero;
	int64_t now = 0, last = 0;
	int i;
	static const int64_t delays[] = {2000, 2000, 2000, 2000, 8000, 16000, 16000, 16000};

	setup(&l, &r);
	l.params.timeout_ms = 1000;
	l.params.resend_max_ms = 10000;
	l.params.resend_timeout_ms = 1000000;
	CHECK(step(&l, LEASE_EV_START, now, NULL, &a) == 0);
	for (i = 0; i < (int)ARRAY_SIZE(delays); i++) {
		CHECK_INT(a.deadline - last, 1000 + delays[i]);
		now = last = a.deadline;
		CHECK(step(&l, LEASE_EV_TIMER, now, NULL, &a) == 0);
		CHECK(a.pkt_len > 0);
	}

	r = (struct rnd){.v = 42};
	setup(&l, &r);
	now = 0;
	CHECK(step(&l, LEASE_EV_START, now, NULL, &a) == 0);
	for (i = 0; i < 8; i++) {
		int64_t d = a.deadline - now - 10000;
		int64_t base = i < 4 ? 2000 : 8000 << (i - 4);

		if (base > 64000)
			base = 64000;
		if (d < base - 1000 || d > base + 1000)
			UNIT_FAILED("send %d: delay %lld not %lld +- 1000", i, (long long)d,
				    (long long)base);
		now = a.deadline;
		CHECK(step(&l, LEASE_EV_TIMER, now, NULL, &a) == 0);
		if (a.outcome == LEASE_OUT_FAILED)
			break;
	}
}

static void test_renew_at_t1(void)
{
	struct lease l;
	struct lease_action a;
	struct srv_msg s;
	struct dhcp4_msg m;
	struct rnd r = rnd_zero;
	int64_t t1;

	setup(&l, &r);
	dora(&l, 0, &a);
	t1 = a.deadline;
	CHECK_INT(t1, 10 + 500000);
	CHECK(step(&l, LEASE_EV_TIMER, t1, NULL, &a) == 0);
	CHECK_INT(l.state, LEASE_RENEWING);
	sent(&a, &m);
	CHECK_INT(m.type, DHCP4_REQUEST);
	CHECK(m.ciaddr[0] == 10 && m.ciaddr[3] == 5);
	CHECK(!has_opt(&a, 50) && !has_opt(&a, 54) && has_opt(&a, 61));
	CHECK(a.unicast);
	CHECK(a.dst[0] == 10 && a.dst[3] == 1);
	CHECK_INT(a.deadline, t1 + 12000);
	/* a retransmission is unicast too */
	CHECK(step(&l, LEASE_EV_TIMER, t1 + 12000, NULL, &a) == 0);
	CHECK(a.pkt_len > 0 && a.unicast);
	srv_usual(&s, DHCP4_ACK, l.xid, mac, "10.9.0.5", 2000);
	CHECK(step(&l, LEASE_EV_PACKET, t1 + 13000, &s, &a) == 0);
	CHECK_INT(a.outcome, LEASE_OUT_RENEWED);
	CHECK_INT(l.state, LEASE_BOUND);
	CHECK_INT(l.expiry_at, t1 + 13000 + 2000000);
	CHECK_INT(a.deadline, t1 + 13000 + 1000000);
}

static void test_rebind_at_t2_and_expiry(void)
{
	struct lease l;
	struct lease_action a;
	struct srv_msg s;
	struct dhcp4_msg m;
	struct rnd r = rnd_zero;
	int64_t now, t2, exp;
	int steps = 0;

	setup(&l, &r);
	dora(&l, 0, &a);
	t2 = l.t2_at;
	exp = l.expiry_at;
	/* renewing gets no answer; the last deadline before T2 is T2 itself */
	now = a.deadline;
	CHECK(step(&l, LEASE_EV_TIMER, now, NULL, &a) == 0);
	while (l.state == LEASE_RENEWING && steps++ < 100) {
		CHECK(a.deadline <= t2);
		now = a.deadline;
		CHECK(step(&l, LEASE_EV_TIMER, now, NULL, &a) == 0);
	}
	CHECK_INT(now, t2);
	CHECK_INT(l.state, LEASE_REBINDING);
	sent(&a, &m);
	CHECK_INT(m.type, DHCP4_REQUEST);
	CHECK(m.ciaddr[3] == 5 && !has_opt(&a, 50) && !has_opt(&a, 54));
	CHECK(!a.unicast);

	/* rebinding answered */
	{
		struct lease l2 = l;
		struct lease_action a2;

		srv_usual(&s, DHCP4_ACK, l2.xid, mac, "10.9.0.5", 1000);
		CHECK(step(&l2, LEASE_EV_PACKET, now + 1, &s, &a2) == 0);
		CHECK_INT(a2.outcome, LEASE_OUT_RENEWED);
		CHECK_INT(l2.state, LEASE_BOUND);
	}

	/* rebinding unanswered: the lease expires */
	steps = 0;
	while (l.state == LEASE_REBINDING && steps++ < 100) {
		CHECK(a.deadline <= exp);
		now = a.deadline;
		CHECK(step(&l, LEASE_EV_TIMER, now, NULL, &a) == 0);
	}
	CHECK_INT(now, exp);
	CHECK_INT(a.outcome, LEASE_OUT_LOST);
	CHECK_STR(a.err.msg, "lease expired");
	CHECK_INT(l.state, LEASE_EXPIRED);
	CHECK_INT(a.deadline, -1);
	CHECK(!l.have_lease);
}

static void test_nak_while_renewing(void)
{
	struct lease l;
	struct lease_action a;
	struct srv_msg s;
	struct dhcp4_msg m;
	struct rnd r = rnd_zero;

	setup(&l, &r);
	dora(&l, 0, &a);
	CHECK(step(&l, LEASE_EV_TIMER, a.deadline, NULL, &a) == 0);
	srv_begin(&s, DHCP4_NAK, l.xid, mac, NULL);
	srv_end(&s);
	CHECK(step(&l, LEASE_EV_PACKET, l.t1_at + 1, &s, &a) == 0);
	CHECK_INT(a.outcome, LEASE_OUT_LOST);
	CHECK_STR(a.err.msg, "server rejected request with Nak (msg: )");
	CHECK_INT(l.state, LEASE_SELECTING);
	sent(&a, &m);
	CHECK_INT(m.type, DHCP4_DISCOVER);
}

static void test_bad_ack(void)
{
	struct lease l;
	struct lease_action a;
	struct srv_msg s;
	struct dhcp4_msg m;
	struct rnd r = rnd_zero;

	setup(&l, &r);
	CHECK(step(&l, LEASE_EV_START, 0, NULL, &a) == 0);
	srv_usual(&s, DHCP4_OFFER, l.xid, mac, "10.9.0.5", 1000);
	CHECK(step(&l, LEASE_EV_PACKET, 1, &s, &a) == 0);
	srv_begin(&s, DHCP4_ACK, l.xid, mac, "10.9.0.5");
	srv_ip(&s, 54, "10.9.0.1");
	srv_end(&s);
	CHECK(step(&l, LEASE_EV_PACKET, 2, &s, &a) == 0);
	CHECK_INT(a.outcome, LEASE_OUT_FAILED);
	CHECK_STR(a.err.msg, "DHCP option Subnet Mask not found in DHCPACK");
	/* the address goes back */
	sent(&a, &m);
	CHECK_INT(m.type, DHCP4_RELEASE);
	CHECK(a.unicast && a.dst[3] == 1);
	CHECK(!l.have_lease);
}

static void test_release(void)
{
	struct lease l;
	struct lease_action a;
	struct dhcp4_msg m;
	struct rnd r = rnd_zero;

	setup(&l, &r);
	dora(&l, 0, &a);
	CHECK(step(&l, LEASE_EV_RELEASE, 100, NULL, &a) == 0);
	CHECK_INT(a.outcome, LEASE_OUT_RELEASED);
	sent(&a, &m);
	CHECK_INT(m.type, DHCP4_RELEASE);
	CHECK(m.ciaddr[3] == 5);
	CHECK(has_opt(&a, 54) && has_opt(&a, 61) && !has_opt(&a, 50));
	CHECK(a.unicast && a.dst[0] == 10 && a.dst[3] == 1);
	CHECK_INT(l.state, LEASE_RELEASED);
	CHECK_INT(a.deadline, -1);
	CHECK(!l.have_lease);

	/* nothing to give back while selecting */
	setup(&l, &r);
	CHECK(step(&l, LEASE_EV_START, 0, NULL, &a) == 0);
	CHECK(step(&l, LEASE_EV_RELEASE, 1, NULL, &a) == 0);
	CHECK_INT(a.pkt_len, 0);
	CHECK_INT(a.outcome, LEASE_OUT_RELEASED);
	CHECK_INT(l.state, LEASE_RELEASED);

	/* released while requesting: the address requested goes back to the server offering
	 * it (its ACK may be on the way) */
	setup(&l, &r);
	CHECK(step(&l, LEASE_EV_START, 0, NULL, &a) == 0);
	{
		struct srv_msg s;

		srv_usual(&s, DHCP4_OFFER, l.xid, mac, "10.9.0.5", 1000);
		CHECK(step(&l, LEASE_EV_PACKET, 10, &s, &a) == 0);
	}
	CHECK_INT(l.state, LEASE_REQUESTING);
	CHECK(step(&l, LEASE_EV_RELEASE, 20, NULL, &a) == 0);
	CHECK_INT(a.outcome, LEASE_OUT_RELEASED);
	sent(&a, &m);
	CHECK_INT(m.type, DHCP4_RELEASE);
	CHECK(m.ciaddr[0] == 10 && m.ciaddr[3] == 5);
	CHECK(has_opt(&a, 54) && !has_opt(&a, 50));
	CHECK(a.unicast && a.dst[0] == 10 && a.dst[3] == 1);
	CHECK_INT(l.state, LEASE_RELEASED);
	CHECK(!l.have_lease);
}

/* A bound lease saved and loaded into a fresh machine. */
static void saved(struct lease *l2, struct rnd *r, int64_t t0)
{
	struct lease l;
	struct lease_action a;
	struct cni_err err = {0};
	_cleanup_free_ char *rec = NULL;

	setup(&l, r);
	dora(&l, t0, &a);
	CHECK(lease_to_json(&l, &rec, &err) == 0);
	setup(l2, r);
	if (lease_from_json(l2, rec, strlen(rec), &err) < 0)
		UNIT_FAILED("load: %s", err.msg);
	CHECK(l2->have_lease && l2->state == LEASE_INIT);
	CHECK_INT(l2->expiry_at, l.expiry_at);
	CHECK_INT(l2->t1_at, l.t1_at);
	CHECK(memcmp(l2->yiaddr, l.yiaddr, 4) == 0 && memcmp(l2->server_id, l.server_id, 4) == 0);
}

static void test_init_reboot(void)
{
	struct lease l;
	struct lease_action a;
	struct srv_msg s;
	struct dhcp4_msg m;
	struct rnd r = rnd_zero;
	struct cni_err err = {0};
	_cleanup_(cni_result_freep) struct cni_result *res = NULL;
	int steps = 0;

	/* ACK */
	saved(&l, &r, 0);
	CHECK(lease_result(&l, 7, &res, &err) == 0);
	CHECK(res && res->n_routes == 1 && res->routes[0].priority == 7);
	CHECK(step(&l, LEASE_EV_START, 100000, NULL, &a) == 0);
	CHECK_INT(l.state, LEASE_INIT_REBOOT);
	sent(&a, &m);
	CHECK_INT(m.type, DHCP4_REQUEST);
	CHECK(has_opt(&a, 50) && !has_opt(&a, 54));
	CHECK(!(m.ciaddr[0] | m.ciaddr[3]) && !a.unicast);
	srv_usual(&s, DHCP4_ACK, l.xid, mac, "10.9.0.5", 1000);
	CHECK(step(&l, LEASE_EV_PACKET, 100001, &s, &a) == 0);
	CHECK_INT(a.outcome, LEASE_OUT_ACQUIRED);
	CHECK_INT(l.state, LEASE_BOUND);
	CHECK_INT(l.expiry_at, 100001 + 1000000);

	/* NAK: start over */
	saved(&l, &r, 0);
	CHECK(step(&l, LEASE_EV_START, 100000, NULL, &a) == 0);
	srv_begin(&s, DHCP4_NAK, l.xid, mac, NULL);
	srv_opt(&s, 56, "wrong network", 13);
	srv_end(&s);
	CHECK(step(&l, LEASE_EV_PACKET, 100001, &s, &a) == 0);
	CHECK_INT(a.outcome, LEASE_OUT_LOST);
	CHECK_STR(a.err.msg, "server rejected request with Nak (msg: wrong network)");
	CHECK_INT(l.state, LEASE_SELECTING);
	sent(&a, &m);
	CHECK_INT(m.type, DHCP4_DISCOVER);
	CHECK(!l.have_lease);

	/* silence: keep the unexpired lease with its old times */
	saved(&l, &r, 0);
	CHECK(step(&l, LEASE_EV_START, 100000, NULL, &a) == 0);
	while (l.state == LEASE_INIT_REBOOT && steps++ < 100)
		CHECK(step(&l, LEASE_EV_TIMER, a.deadline, NULL, &a) == 0);
	CHECK_INT(a.outcome, LEASE_OUT_ACQUIRED);
	CHECK_INT(l.state, LEASE_BOUND);
	CHECK_INT(l.expiry_at, 10 + 1000000);
	CHECK_INT(a.deadline, 10 + 500000);

	/* a saved lease released before it was confirmed: RELEASE all the same */
	saved(&l, &r, 0);
	CHECK(step(&l, LEASE_EV_RELEASE, 100000, NULL, &a) == 0);
	sent(&a, &m);
	CHECK_INT(m.type, DHCP4_RELEASE);
	CHECK(a.unicast && m.ciaddr[3] == 5);
	CHECK_INT(l.state, LEASE_RELEASED);

	/* a record whose lease ran out: a fresh DISCOVER */
	saved(&l, &r, 0);
	CHECK(step(&l, LEASE_EV_START, 2000000, NULL, &a) == 0);
	CHECK_INT(l.state, LEASE_SELECTING);
	CHECK(!l.have_lease);
}

static void test_record_errors(void)
{
	struct lease l, other;
	struct lease_action a;
	struct rnd r = rnd_zero;
	struct cni_err err = {0};
	struct dhcp4_client_cfg cfg;
	char *rec = NULL, *bad;
	static const char *const garbage[] = {
		"", "[]", "{}", "{\"clientId\":1}", "not json",
	};

	setup(&l, &r);
	CHECK(lease_to_json(&l, &rec, &err) < 0);
	CHECK_INT(err.code, 3);
	dora(&l, 0, &a);
	CHECK(lease_to_json(&l, &rec, &err) == 0);

	/* another client's record */
	CHECK(dhcp4_client_cfg_init(&cfg, NULL, "ctr2", "net1", "eth0", mac, NULL, &err) == 0);
	CHECK(lease_init(&other, &cfg, &l.params, "eth0", "/run/netns/t", &err) == 0);
	CHECK(lease_from_json(&other, rec, strlen(rec), &err) < 0);
	CHECK_INT(err.code, 7);
	CHECK(lease_init(&other, &l.cfg, &l.params, "eth1", "/run/netns/t", &err) == 0);
	CHECK(lease_from_json(&other, rec, strlen(rec), &err) < 0);

	for (size_t i = 0; i < ARRAY_SIZE(garbage); i++) {
		setup(&other, &r);
		CHECK(lease_from_json(&other, garbage[i], strlen(garbage[i]), &err) < 0);
		CHECK(!other.have_lease);
	}
	/* a changed address no longer matches its ACK; times out of order; bad hex */
	bad = strdup(rec);
	*strstr(bad, "10.9.0.5") = '9';
	setup(&other, &r);
	CHECK(lease_from_json(&other, bad, strlen(bad), &err) < 0);
	CHECK_INT(err.code, 6);
	free(bad);
	bad = strdup(rec);
	memcpy(strstr(bad, "\"renewAt\":") + 10, "9", 1);
	setup(&other, &r);
	CHECK(lease_from_json(&other, bad, strlen(bad), &err) < 0);
	free(bad);
	bad = strdup(rec);
	memcpy(strstr(bad, "\"ack\":\"") + 7, "zz", 2);
	setup(&other, &r);
	CHECK(lease_from_json(&other, bad, strlen(bad), &err) < 0);
	free(bad);
	free(rec);
}

/* ---- live: the state machine over the sockets against a real server ----------------- */

/* What a live test set up: the two namespaces, the server, its files, the client's sockets. */
struct live {
	int srv_ns, ctr_ns; /* namespace fds: the server's (this process's), the container's */
	char dir[64];	    /* temporary directory of the server's files */
	pid_t server;	    /* the server process, 0 = none */
	int pkt, udp, ino;  /* packet socket, UDP socket, inotify on dir (-1 = none) */
	int ifindex;	    /* c0 in the container */
	uint8_t mac[6];	    /* its MAC */
	int64_t skew;	    /* the lease's clock minus the monotonic clock */
	struct lease l;	    /* the lease */
	struct lease_action a;
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Run a shell command; its exit status (-1 when it could not run). */
static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int sh(const char *fmt, ...)
{
	_cleanup_free_ char *cmd = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&cmd, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -1;
	r = system(cmd);
	if (r != 0)
		fprintf(stderr, "  command failed (%d): %s\n", r, cmd);
	return r == -1 ? -1 : WEXITSTATUS(r);
}

/* Take everything down, whatever the test got to. */
static void live_teardown(struct live *v)
{
	if (v->server > 0) {
		kill(v->server, SIGTERM);
		waitpid(v->server, NULL, 0);
		v->server = 0;
	}
	if (v->pkt >= 0)
		close(v->pkt);
	if (v->udp >= 0)
		close(v->udp);
	if (v->ino >= 0)
		close(v->ino);
	if (v->ctr_ns >= 0)
		close(v->ctr_ns);
	if (v->srv_ns >= 0)
		close(v->srv_ns);
	v->pkt = v->udp = v->ino = v->ctr_ns = v->srv_ns = -1;
	if (v->dir[0])
		sh("rm -rf %s", v->dir);
	v->dir[0] = '\0';
}

/* In this process's fresh namespace: veth s0 (10.77.0.1/24, here) and c0 (in a new container
 * namespace), a temporary directory watched by inotify. 0, or -1 with a failed check. */
static int live_setup(struct live *v)
{
	struct cni_err err = {0};

	memset(v, 0, sizeof(*v));
	v->srv_ns = v->ctr_ns = v->pkt = v->udp = v->ino = -1;
	snprintf(v->dir, sizeof(v->dir), "/tmp/cni-dhcp-live.XXXXXX");
	if (!mkdtemp(v->dir)) {
		v->dir[0] = '\0';
		return -1;
	}
	v->ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (v->ino < 0 ||
	    inotify_add_watch(v->ino, v->dir,
			      IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO) < 0)
		return -1;
	v->srv_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (v->srv_ns < 0 || sh("ip link set lo up && ip link add s0 type veth peer name c0 && "
				"ip addr add 10.77.0.1/24 dev s0 && ip link set s0 up") != 0)
		return -1;
	if (unshare(CLONE_NEWNET) < 0)
		return -1;
	v->ctr_ns = open("/proc/self/ns/net", O_RDONLY);
	if (v->ctr_ns < 0 || setns(v->srv_ns, CLONE_NEWNET) < 0)
		return -1;
	if (sh("ip link set c0 netns /proc/%d/fd/%d", (int)getpid(), v->ctr_ns) != 0)
		return -1;
	if (pktsock_iface(v->ctr_ns, "c0", 1, &v->ifindex, v->mac, &err) < 0 ||
	    pktsock_open(v->ctr_ns, v->ifindex, &v->pkt, &err) < 0) {
		fprintf(stderr, "  %s\n", err.msg);
		return -1;
	}
	return 0;
}

/* Start argv as the server in a private mount namespace with an empty /run. */
static int live_server(struct live *v, const char *cmd)
{
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		execlp("unshare", "unshare", "-m", "--propagation", "private", "sh", "-c", cmd,
		       (char *)NULL);
		_exit(127);
	}
	v->server = pid;
	return 0;
}

/* Wait (bounded, on inotify) until file in the server's directory holds (want) or lacks
 * (!want) text. */
static bool live_wait_file(struct live *v, const char *file, const char *text, bool want,
			   int limit_ms)
{
	char path[128];
	int64_t end = mono_ms() + limit_ms;

	snprintf(path, sizeof(path), "%s/%s", v->dir, file);
	for (;;) {
		_cleanup_free_ char *data = NULL;
		size_t len;
		struct pollfd p = {.fd = v->ino, .events = POLLIN};
		char ev[4096];
		int64_t left;

		if (fileio_read_path(path, 1 << 20, &data, &len) == 0 &&
		    (strstr(data, text) != NULL) == want)
			return true;
		left = end - mono_ms();
		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return false;
		while (read(v->ino, ev, sizeof(ev)) > 0)
			;
	}
}

/* Carry out the lease's action: send its message on the packet or the UDP socket. */
static int live_act(struct live *v)
{
	struct cni_err err = {0};
	int r = 0;

	if (!v->a.pkt_len)
		return 0;
	if (v->a.unicast)
		r = v->udp < 0 ? -EBADF
			       : pktsock_udp_send(v->udp, v->a.dst, v->a.pkt, v->a.pkt_len, &err);
	else
		r = pktsock_send(v->pkt, v->ifindex, v->a.pkt, v->a.pkt_len, &err);
	if (r < 0)
		fprintf(stderr, "  send: %d %s\n", r, err.msg);
	return r;
}

/* Feed ev at the lease's clock, then drive the lease with the packet socket and its timers
 * until an outcome (returned) or limit_ms of real time. */
static enum lease_outcome live_run(struct live *v, enum lease_event ev, int limit_ms)
{
	int64_t end = mono_ms() + limit_ms;

	if (lease_step(&v->l, ev, mono_ms() + v->skew, NULL, 0, &v->a) < 0 || live_act(v) < 0)
		return LEASE_OUT_NONE;
	while (v->a.outcome == LEASE_OUT_NONE) {
		int64_t now = mono_ms(), wait = end - now;
		struct pollfd p[2] = {{.fd = v->pkt, .events = POLLIN},
				      {.fd = v->udp, .events = POLLIN}};
		uint8_t buf[DHCP4_MAX_SIZE];
		struct cni_err err = {0};
		size_t len;
		int r;

		if (wait <= 0)
			return LEASE_OUT_NONE;
		if (v->a.deadline >= 0 && v->a.deadline - v->skew - now < wait)
			wait = v->a.deadline - v->skew - now;
		if (wait < 0)
			wait = 0;
		r = poll(p, v->udp >= 0 ? 2 : 1, (int)wait);
		if (r < 0)
			return LEASE_OUT_NONE;
		if (v->udp >= 0 && (p[1].revents & POLLIN))
			while (recv(v->udp, buf, sizeof(buf), MSG_DONTWAIT) > 0)
				; /* the packet socket sees these too */
		if (p[0].revents & POLLIN) {
			r = pktsock_recv(v->pkt, buf, sizeof(buf), &len, &err);
			if (r < 0 && r != -EAGAIN)
				return LEASE_OUT_NONE;
			if (r == 0 && (lease_step(&v->l, LEASE_EV_PACKET, mono_ms() + v->skew, buf,
						  len, &v->a) < 0 ||
				       live_act(v) < 0))
				return LEASE_OUT_NONE;
			continue;
		}
		if (v->a.deadline >= 0 && mono_ms() + v->skew >= v->a.deadline &&
		    (lease_step(&v->l, LEASE_EV_TIMER, mono_ms() + v->skew, NULL, 0, &v->a) < 0 ||
		     live_act(v) < 0))
			return LEASE_OUT_NONE;
	}
	return v->a.outcome;
}

/* A packet socket on the server's s0 that sees what reaches the server (port 67). */
static int live_sniffer(void)
{
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP)};
	int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ETH_P_IP));

	sll.sll_ifindex = (int)if_nametoindex("s0");
	if (fd < 0 || bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Wait (bounded poll) for a DHCP message of type on the sniffer; its IP source and
 * destination. */
static bool live_sniff(int fd, uint8_t type, uint8_t src[4], uint8_t dst[4], int limit_ms)
{
	int64_t end = mono_ms() + limit_ms;
	uint8_t pkt[2048];

	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int64_t left = end - mono_ms();
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return false;
		while ((n = recv(fd, pkt, sizeof(pkt), MSG_DONTWAIT)) > 0) {
			size_t ihl = (size_t)(pkt[0] & 15) * 4, i;

			if (n < 300 || pkt[9] != IPPROTO_UDP || pkt[ihl + 3] != 67)
				continue;
			/* options of the BOOTP payload: find 53 */
			for (i = ihl + 8 + 240; i + 2 < (size_t)n && pkt[i] != 255;
			     i += pkt[i] ? 2 + (size_t)pkt[i + 1] : 1) {
				if (pkt[i] == 53 && pkt[i + 2] == type) {
					memcpy(src, pkt + 12, 4);
					memcpy(dst, pkt + 16, 4);
					return true;
				}
			}
		}
	}
}

/* A lease for ctr/net/c0 with short retransmissions. */
static int live_lease(struct live *v, const char *ipam)
{
	struct lease_params p = {
		.timeout_ms = 1000, .resend_max_ms = 4000, .resend_timeout_ms = 15000};
	static struct rnd r = {.v = 7};
	_cleanup_(cjson_freep) cJSON *o = cJSON_Parse(ipam);
	struct dhcp4_client_cfg cfg;
	struct cni_err err = {0};

	p.random = rnd_next;
	p.random_ctx = &r;
	r.v = (uint32_t)getpid() ^ (uint32_t)mono_ms();
	if (dhcp4_client_cfg_init(&cfg, o, "live-ctr", "livenet", "c0", v->mac,
				  "K8S_POD_NAME=live-pod", &err) < 0 ||
	    lease_init(&v->l, &cfg, &p, "c0", "live", &err) < 0) {
		fprintf(stderr, "  %s\n", err.msg);
		return -1;
	}
	return 0;
}

/* After the ACK: the address on c0 (as the plugin would put it) and the UDP socket on it. */
static int live_configure(struct live *v)
{
	struct cni_err err = {0};
	char ip[IP_STRLEN];

	inet_ntop(AF_INET, v->l.yiaddr, ip, sizeof(ip));
	if (sh("nsenter --net=/proc/%d/fd/%d ip addr add %s/24 dev c0", (int)getpid(), v->ctr_ns,
	       ip) != 0)
		return -1;
	if (pktsock_udp_open(v->ctr_ns, "c0", v->l.yiaddr, &v->udp, &err) < 0) {
		fprintf(stderr, "  %s\n", err.msg);
		return -1;
	}
	return 0;
}

/* The result's JSON (cniVersion 1.0.0). */
static char *live_result(struct live *v)
{
	_cleanup_(cni_result_freep) struct cni_result *res = NULL;
	_cleanup_(cjson_freep) cJSON *j = NULL;
	struct cni_err err = {0};

	if (lease_result(&v->l, 0, &res, &err) < 0 ||
	    cni_result_to_json(res, "1.0.0", &j, &err) < 0)
		return NULL;
	return cJSON_PrintUnformatted(j);
}

static void test_live_dnsmasq(void)
{
	struct live v;
	_cleanup_free_ char *cmd = NULL, *res = NULL;
	char ip[IP_STRLEN];
	int64_t old_expiry;
	uint8_t src[4], dst[4];
	_cleanup_close_ int sniff = -1;

	LIVE_FRESH();
	if (system("command -v dnsmasq >/dev/null 2>&1") != 0)
		UNIT_SKIP("dnsmasq is not installed (make deps)");
	if (live_setup(&v) < 0) {
		UNIT_FAILED("live setup failed");
		goto out;
	}
	if (asprintf(&cmd,
		     "mount -t tmpfs tmpfs /run && exec dnsmasq -k --conf-file=/dev/null --port=0 "
		     "--user=root --interface=s0 --bind-interfaces "
		     "--dhcp-range=10.77.0.100,10.77.0.150,255.255.255.0,10m "
		     "--dhcp-option=option:router,10.77.0.1 "
		     "--dhcp-option=option:dns-server,10.77.0.53,10.77.0.54 "
		     "--dhcp-option=option:domain-name,example.test "
		     "--dhcp-option=option:domain-search,a.example.test,b.example.test "
		     "--dhcp-leasefile=%s/leases --pid-file=%s/pid --log-dhcp --no-ping "
		     "--log-facility=%s/log",
		     v.dir, v.dir, v.dir) < 0 ||
	    live_server(&v, cmd) < 0) {
		UNIT_FAILED("cannot start dnsmasq");
		goto out;
	}
	/* dnsmasq writes its pid file once its sockets are open */
	CHECK(live_wait_file(&v, "pid", "", true, 10000));
	if (live_lease(&v, "{}") < 0)
		goto out;

	CHECK_INT(live_run(&v, LEASE_EV_START, 20000), LEASE_OUT_ACQUIRED);
	if (v.l.state != LEASE_BOUND)
		goto out;
	inet_ntop(AF_INET, v.l.yiaddr, ip, sizeof(ip));
	CHECK(v.l.yiaddr[0] == 10 && v.l.yiaddr[1] == 77 && v.l.yiaddr[3] >= 100 &&
	      v.l.yiaddr[3] <= 150);
	res = live_result(&v);
	{
		char want[512];

		snprintf(want, sizeof(want),
			 "{\"cniVersion\":\"1.0.0\",\"dns\":{\"domain\":\"example.test\","
			 "\"nameservers\":[\"10.77.0.53\",\"10.77.0.54\"],\"search\":"
			 "[\"a.example.test\",\"b.example.test\"]},\"ips\":[{\"address\":"
			 "\"%s/24\",\"gateway\":\"10.77.0.1\"}],\"routes\":[{\"dst\":"
			 "\"0.0.0.0/0\",\"gw\":\"10.77.0.1\"}]}",
			 ip);
		CHECK_STR(res, want);
	}
	/* the lease is in dnsmasq's file, with our host name */
	CHECK(live_wait_file(&v, "leases", ip, true, 5000));
	CHECK(live_wait_file(&v, "leases", "live-pod", true, 5000));
	if (live_configure(&v) < 0) {
		UNIT_FAILED("cannot configure the leased address");
		goto out;
	}

	/* renew: the lease's clock jumps to T1; the REQUEST goes from the leased address */
	sniff = live_sniffer();
	CHECK(sniff >= 0);
	old_expiry = v.l.expiry_at;
	v.skew = v.l.t1_at - mono_ms();
	CHECK_INT(live_run(&v, LEASE_EV_TIMER, 20000), LEASE_OUT_RENEWED);
	CHECK_INT(v.l.state, LEASE_BOUND);
	CHECK(v.l.expiry_at > old_expiry);
	CHECK(live_sniff(sniff, DHCP4_REQUEST, src, dst, 5000));
	CHECK(memcmp(src, v.l.yiaddr, 4) == 0);
	CHECK(memcmp(dst, (uint8_t[]){10, 77, 0, 1}, 4) == 0);

	/* release, from the leased address: dnsmasq frees the lease */
	CHECK_INT(live_run(&v, LEASE_EV_RELEASE, 1000), LEASE_OUT_RELEASED);
	CHECK(live_sniff(sniff, DHCP4_RELEASE, src, dst, 5000));
	CHECK(memcmp(src, v.l.yiaddr, 4) == 0);
	CHECK(memcmp(dst, (uint8_t[]){10, 77, 0, 1}, 4) == 0);
	CHECK(live_wait_file(&v, "log", "DHCPRELEASE(s0) ", true, 5000));
	CHECK(live_wait_file(&v, "leases", ip, false, 5000));
out:
	if (unit_failures)
		sh("cat %s/log >&2", v.dir);
	live_teardown(&v);
}

static void test_live_udhcpd(void)
{
	struct live v;
	_cleanup_free_ char *cmd = NULL, *res = NULL, *conf = NULL;
	char ip[IP_STRLEN];

	LIVE_FRESH();
	if (system("busybox udhcpd --help >/dev/null 2>&1") > 256)
		UNIT_SKIP("busybox udhcpd is not available");
	if (live_setup(&v) < 0) {
		UNIT_FAILED("live setup failed");
		goto out;
	}
	if (asprintf(&conf,
		     "start 10.77.0.20\nend 10.77.0.30\ninterface s0\nlease_file %s/leases\n"
		     "pidfile %s/pid\noption subnet 255.255.255.0\noption router 10.77.0.1\n"
		     "option dns 10.77.0.53\noption domain corp.test\noption lease 120\n"
		     "option staticroutes 10.0.0.0/8 10.77.0.254\n",
		     v.dir, v.dir) < 0)
		goto out;
	unit_write_file(v.dir, "udhcpd.conf", conf, 0644);
	if (asprintf(&cmd,
		     "mount -t tmpfs tmpfs /run && exec busybox udhcpd -f -a 100 %s/udhcpd.conf "
		     "2>%s/log",
		     v.dir, v.dir) < 0 ||
	    live_server(&v, cmd) < 0) {
		UNIT_FAILED("cannot start udhcpd");
		goto out;
	}
	CHECK(live_wait_file(&v, "pid", "", true, 10000));
	if (live_lease(&v, "{\"priority\": 5}") < 0)
		goto out;
	/* udhcpd may open its socket just after the pid file: a retransmission covers that */
	CHECK_INT(live_run(&v, LEASE_EV_START, 20000), LEASE_OUT_ACQUIRED);
	if (v.l.state != LEASE_BOUND)
		goto out;
	inet_ntop(AF_INET, v.l.yiaddr, ip, sizeof(ip));
	res = live_result(&v);
	{
		char want[512];

		/* option 121 (udhcpd's staticroutes): only its routes, no default synthesised */
		snprintf(want, sizeof(want),
			 "{\"cniVersion\":\"1.0.0\",\"dns\":{\"domain\":\"corp.test\","
			 "\"nameservers\":[\"10.77.0.53\"]},\"ips\":[{\"address\":\"%s/24\","
			 "\"gateway\":\"10.77.0.1\"}],\"routes\":[{\"dst\":\"10.0.0.0/8\","
			 "\"gw\":\"10.77.0.254\"}]}",
			 ip);
		CHECK_STR(res, want);
	}
	CHECK_INT(v.l.expiry_at - v.l.bound_at, 120000);
	if (live_configure(&v) < 0) {
		UNIT_FAILED("cannot configure the leased address");
		goto out;
	}
	v.skew = v.l.t1_at - mono_ms();
	CHECK_INT(live_run(&v, LEASE_EV_TIMER, 20000), LEASE_OUT_RENEWED);
	CHECK(memcmp(v.l.yiaddr, (uint8_t[]){10, 77, 0, 0}, 3) == 0);
	CHECK_INT(live_run(&v, LEASE_EV_RELEASE, 1000), LEASE_OUT_RELEASED);
out:
	live_teardown(&v);
}

int main(void)
{
	live_enter(0);
	RUN(test_dora);
	RUN(test_nak_while_requesting);
	RUN(test_no_offer);
	RUN(test_retry_cap_and_jitter);
	RUN(test_renew_at_t1);
	RUN(test_rebind_at_t2_and_expiry);
	RUN(test_nak_while_renewing);
	RUN(test_bad_ack);
	RUN(test_release);
	RUN(test_init_reboot);
	RUN(test_record_errors);
	RUN(test_live_dnsmasq);
	RUN(test_live_udhcpd);
	UNIT_DONE();
}
