/* SPDX-License-Identifier: Apache-2.0 */
/* dhcp: the lease state machine driven by a synthetic clock and a scripted server: DORA, NAK,
 * no offer (the retry schedule and "no more tries"), renewing at T1, rebinding at T2,
 * expiry, INIT-REBOOT of a saved lease (ACK, NAK, silence), release, the journal record. */
#include <arpa/inet.h>
#include <stdint.h>

#include "unit.h"

#include "cleanup.h"
#include "dhcp/dhcp4.h"
#include "dhcp/lease.h"
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

int main(void)
{
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
	UNIT_DONE();
}
