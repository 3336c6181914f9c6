/* SPDX-License-Identifier: Apache-2.0 */
/* The DHCPv4 lease state machine and its journal record. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "cleanup.h"
#include "hex.h"
#include "hwaddr.h"
#include "ipnet.h"
#include "cni/json.h"
#include "dhcp/lease.h"

#define FAST_RETRIES 4	  /* sends followed by the short delay */
#define FAST_DELAY   2000 /* ms */
#define SLOW_DELAY   8000 /* the first long delay, ms */
#define JITTER	     1000 /* +- ms */

int lease_init(struct lease *l, const struct dhcp4_client_cfg *cfg, const struct lease_params *p,
	       const char *ifname, const char *netns, struct cni_err *err)
{
	memset(l, 0, sizeof(*l));
	if (!p->random)
		return cni_err_set(err, CNI_ERR_INTERNAL, "lease without a random source");
	if (strlen(ifname) >= sizeof(l->ifname) || strlen(netns) >= sizeof(l->netns))
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
				   "interface name or namespace too long");
	l->cfg = *cfg;
	l->params = *p;
	strcpy(l->ifname, ifname);
	strcpy(l->netns, netns);
	l->state = LEASE_INIT;
	return 0;
}

const char *lease_state_name(enum lease_state s)
{
	static const char *const names[] = {
		[LEASE_INIT] = "init",
		[LEASE_SELECTING] = "selecting",
		[LEASE_REQUESTING] = "requesting",
		[LEASE_BOUND] = "bound",
		[LEASE_RENEWING] = "renewing",
		[LEASE_REBINDING] = "rebinding",
		[LEASE_INIT_REBOOT] = "init-reboot",
		[LEASE_EXPIRED] = "expired",
		[LEASE_RELEASED] = "released",
		[LEASE_FAILED] = "failed",
	};

	if ((unsigned)s < sizeof(names) / sizeof(names[0]) && names[s])
		return names[s];
	return "unknown";
}

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

/* The deadline for the current state. */
static int64_t deadline(const struct lease *l)
{
	switch (l->state) {
	case LEASE_SELECTING:
	case LEASE_REQUESTING:
	case LEASE_INIT_REBOOT:
		return min64(l->next_send, l->cycle_start + l->params.resend_timeout_ms);
	case LEASE_BOUND:
		return l->t1_at;
	case LEASE_RENEWING:
		return min64(l->next_send, l->t2_at);
	case LEASE_REBINDING:
		return min64(l->next_send, l->expiry_at);
	default:
		return -1;
	}
}

/* Build and queue the message of the current state, and schedule the retransmission. */
static int send_current(struct lease *l, int64_t now, struct lease_action *a)
{
	struct dhcp4_build b = {.type = DHCP4_REQUEST, .xid = l->xid};
	int64_t secs = (now - l->cycle_start) / 1000, jitter;
	int r;

	b.secs = (uint16_t)(secs < 0 ? 0 : secs > 65535 ? 65535 : secs);
	switch (l->state) {
	case LEASE_SELECTING:
		b.type = DHCP4_DISCOVER;
		break;
	case LEASE_REQUESTING:
		memcpy(b.requested, l->offer_ip, 4);
		memcpy(b.server_id, l->offer_server, 4);
		break;
	case LEASE_INIT_REBOOT:
		memcpy(b.requested, l->yiaddr, 4);
		break;
	case LEASE_RENEWING:
		/* RFC 2131 4.3.6: ciaddr, no requested address, no server ID; to the server */
		memcpy(b.ciaddr, l->yiaddr, 4);
		a->unicast = true;
		memcpy(a->dst, l->server_id, 4);
		break;
	case LEASE_REBINDING:
		memcpy(b.ciaddr, l->yiaddr, 4);
		break;
	default:
		return 0;
	}
	r = dhcp4_build(&l->cfg, &b, a->pkt, sizeof(a->pkt), &a->pkt_len, &a->err);
	if (r < 0)
		return r;

	l->attempt++;
	if (l->attempt <= FAST_RETRIES)
		l->delay_ms = FAST_DELAY;
	else if (l->attempt == FAST_RETRIES + 1)
		l->delay_ms = SLOW_DELAY;
	else if (l->delay_ms < l->params.resend_max_ms)
		l->delay_ms *= 2;
	jitter = (int64_t)(l->params.random(l->params.random_ctx) % (2 * JITTER + 1)) - JITTER;
	l->next_send = now + l->params.timeout_ms + l->delay_ms + jitter;
	return 0;
}

/* Begin an exchange in state s with a fresh transaction. */
static int begin(struct lease *l, enum lease_state s, int64_t now, struct lease_action *a)
{
	l->state = s;
	l->xid = l->params.random(l->params.random_ctx);
	l->cycle_start = now;
	l->attempt = 0;
	l->delay_ms = 0;
	return send_current(l, now, a);
}

/* Record outcome o with the message why (no format). */
static void set_outcome(struct lease_action *a, enum lease_outcome o, const char *why)
{
	a->outcome = o;
	cni_err_set(&a->err, CNI_ERR_TRY_AGAIN, "%s", why);
}

/* Record that the server refused with a NAK. */
static void set_nak(struct lease_action *a, enum lease_outcome o, const struct dhcp4_msg *m)
{
	a->outcome = o;
	cni_err_set(&a->err, CNI_ERR_TRY_AGAIN, "server rejected request with Nak (msg: %s)",
		    m->message);
}

/* Take an ACK as the lease. */
static int bind_ack(struct lease *l, int64_t now, const struct dhcp4_msg *m, const uint8_t *buf,
		    size_t len)
{
	uint32_t t, t1, t2;

	dhcp4_lease_times(m, &t, &t1, &t2);
	l->have_lease = true;
	memcpy(l->yiaddr, m->yiaddr, 4);
	if (m->has_server_id)
		memcpy(l->server_id, m->server_id, 4);
	memcpy(l->ack, buf, len);
	l->ack_len = len;
	l->bound_at = now;
	l->t1_at = now + (int64_t)t1 * 1000;
	l->t2_at = now + (int64_t)t2 * 1000;
	l->expiry_at = now + (int64_t)t * 1000;
	l->state = LEASE_BOUND;
	return 0;
}

/* Queue a RELEASE of the current lease and forget it. */
static int send_release(struct lease *l, struct lease_action *a)
{
	struct dhcp4_build b = {.type = DHCP4_RELEASE};
	int r;

	b.xid = l->params.random(l->params.random_ctx);
	memcpy(b.ciaddr, l->yiaddr, 4);
	memcpy(b.server_id, l->server_id, 4);
	r = dhcp4_build(&l->cfg, &b, a->pkt, sizeof(a->pkt), &a->pkt_len, &a->err);
	if (r < 0)
		return r;
	a->unicast = true;
	memcpy(a->dst, l->server_id, 4);
	l->have_lease = false;
	return 0;
}

static int on_packet(struct lease *l, int64_t now, const uint8_t *buf, size_t len,
		     struct lease_action *a)
{
	struct cni_err perr = {0};
	_cleanup_free_ struct dhcp4_msg *m = malloc(sizeof(*m));
	int r;

	if (!m)
		return cni_err_nomem(&a->err);
	/* a message we cannot parse is not for us: drop it */
	if (len > sizeof(l->ack) || dhcp4_parse(buf, len, m, &perr) < 0)
		return 0;
	if (m->op != 2 || m->xid != l->xid || memcmp(m->chaddr, l->cfg.chaddr, 6) != 0)
		return 0;

	switch (l->state) {
	case LEASE_SELECTING:
		if (m->type != DHCP4_OFFER || !m->has_server_id ||
		    !(m->yiaddr[0] | m->yiaddr[1] | m->yiaddr[2] | m->yiaddr[3]))
			return 0;
		memcpy(l->offer_ip, m->yiaddr, 4);
		memcpy(l->offer_server, m->server_id, 4);
		l->state = LEASE_REQUESTING;
		l->attempt = 0;
		return send_current(l, now, a);
	case LEASE_REQUESTING:
		if (!m->has_server_id || memcmp(m->server_id, l->offer_server, 4) != 0)
			return 0;
		break;
	case LEASE_INIT_REBOOT:
	case LEASE_RENEWING:
	case LEASE_REBINDING:
		break;
	default:
		return 0;
	}

	if (m->type == DHCP4_NAK) {
		enum lease_state was = l->state;

		if (was == LEASE_REQUESTING) {
			l->state = LEASE_FAILED;
			set_nak(a, LEASE_OUT_FAILED, m);
			return 0;
		}
		/* the address is no longer ours: start over (RFC 2131 3.2, 4.4.5) */
		l->have_lease = false;
		set_nak(a, LEASE_OUT_LOST, m);
		return begin(l, LEASE_SELECTING, now, a);
	}
	if (m->type != DHCP4_ACK || !(m->yiaddr[0] | m->yiaddr[1] | m->yiaddr[2] | m->yiaddr[3]))
		return 0;

	if (l->state == LEASE_REQUESTING || l->state == LEASE_INIT_REBOOT) {
		_cleanup_(cni_result_freep) struct cni_result *res = NULL;
		struct cni_err rerr = {0};

		if (dhcp4_result_build(m, 0, &res, &rerr) < 0) {
			/* an ACK we cannot use: give the address back */
			bind_ack(l, now, m, buf, len);
			r = send_release(l, a);
			if (r < 0)
				return r;
			l->state = LEASE_FAILED;
			a->outcome = LEASE_OUT_FAILED;
			a->err = rerr;
			return 0;
		}
		bind_ack(l, now, m, buf, len);
		a->outcome = LEASE_OUT_ACQUIRED;
		return 0;
	}
	bind_ack(l, now, m, buf, len);
	a->outcome = LEASE_OUT_RENEWED;
	return 0;
}

/* The lease ran out. */
static void expire(struct lease *l, struct lease_action *a)
{
	l->have_lease = false;
	l->state = LEASE_EXPIRED;
	set_outcome(a, LEASE_OUT_LOST, "lease expired");
}

static int on_timer(struct lease *l, int64_t now, struct lease_action *a)
{
	switch (l->state) {
	case LEASE_SELECTING:
	case LEASE_REQUESTING:
	case LEASE_INIT_REBOOT:
		if (now >= l->cycle_start + l->params.resend_timeout_ms) {
			if (l->state == LEASE_INIT_REBOOT && l->have_lease) {
				/* RFC 2131 3.2: no answer, keep the unexpired lease */
				if (now >= l->expiry_at) {
					expire(l, a);
					return 0;
				}
				l->state = LEASE_BOUND;
				a->outcome = LEASE_OUT_ACQUIRED;
				return on_timer(l, now, a);
			}
			l->state = LEASE_FAILED;
			set_outcome(a, LEASE_OUT_FAILED, "no more tries");
			return 0;
		}
		if (now >= l->next_send)
			return send_current(l, now, a);
		return 0;
	case LEASE_BOUND:
		if (now >= l->expiry_at) {
			expire(l, a);
			return 0;
		}
		if (now >= l->t2_at)
			return begin(l, LEASE_REBINDING, now, a);
		if (now >= l->t1_at)
			return begin(l, LEASE_RENEWING, now, a);
		return 0;
	case LEASE_RENEWING:
		if (now >= l->expiry_at) {
			expire(l, a);
			return 0;
		}
		if (now >= l->t2_at)
			return begin(l, LEASE_REBINDING, now, a);
		if (now >= l->next_send)
			return send_current(l, now, a);
		return 0;
	case LEASE_REBINDING:
		if (now >= l->expiry_at) {
			expire(l, a);
			return 0;
		}
		if (now >= l->next_send)
			return send_current(l, now, a);
		return 0;
	default:
		return 0;
	}
}

int lease_step(struct lease *l, enum lease_event ev, int64_t now, const uint8_t *buf, size_t len,
	       struct lease_action *a)
{
	int r = 0;

	a->pkt_len = 0;
	a->unicast = false;
	memset(a->dst, 0, sizeof(a->dst));
	a->outcome = LEASE_OUT_NONE;
	memset(&a->err, 0, sizeof(a->err));

	switch (ev) {
	case LEASE_EV_START:
		if (l->state != LEASE_INIT && l->state != LEASE_EXPIRED &&
		    l->state != LEASE_RELEASED && l->state != LEASE_FAILED)
			break;
		if (l->have_lease && now < l->expiry_at)
			r = begin(l, LEASE_INIT_REBOOT, now, a);
		else {
			l->have_lease = false;
			r = begin(l, LEASE_SELECTING, now, a);
		}
		break;
	case LEASE_EV_PACKET:
		r = on_packet(l, now, buf, len, a);
		break;
	case LEASE_EV_TIMER:
		r = on_timer(l, now, a);
		break;
	case LEASE_EV_RELEASE:
		/* also a saved lease not confirmed yet: the address is still ours */
		if (l->have_lease && now < l->expiry_at) {
			r = send_release(l, a);
		} else if (l->state == LEASE_REQUESTING) {
			/* the server may have bound the address requested: give it back too */
			memcpy(l->yiaddr, l->offer_ip, 4);
			memcpy(l->server_id, l->offer_server, 4);
			r = send_release(l, a);
		}
		l->have_lease = false;
		l->state = LEASE_RELEASED;
		a->outcome = LEASE_OUT_RELEASED;
		break;
	}
	a->deadline = deadline(l);
	return r;
}

int lease_result(const struct lease *l, int priority, struct cni_result **ret, struct cni_err *err)
{
	_cleanup_free_ struct dhcp4_msg *m = NULL;
	int r;

	if (!l->have_lease)
		return cni_err_set(err, CNI_ERR_UNKNOWN_CONTAINER, "no DHCP lease");
	m = malloc(sizeof(*m));
	if (!m)
		return cni_err_nomem(err);
	r = dhcp4_parse(l->ack, l->ack_len, m, err);
	if (r < 0)
		return r;
	return dhcp4_result_build(m, priority, ret, err);
}

/* ---- journal record --------------------------------------------------------- */

static char *hex_dup(const uint8_t *p, size_t n)
{
	char *s = malloc(2 * n + 1);

	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		s[2 * i] = hex_lower(p[i] >> 4);
		s[2 * i + 1] = hex_lower(p[i] & 15);
	}
	s[2 * n] = '\0';
	return s;
}

static int hex_parse(const char *s, uint8_t *out, size_t cap, size_t *ret_len)
{
	size_t n = strlen(s);

	if (n % 2 || n / 2 > cap)
		return -EINVAL;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*ret_len = n / 2;
	return 0;
}

static bool add_str(cJSON *o, const char *k, const char *v)
{
	return v && cJSON_AddStringToObject(o, k, v);
}

static bool add_ip(cJSON *o, const char *k, const uint8_t a[4])
{
	struct ip_addr ip = {.family = AF_INET};
	char buf[IP_STRLEN];

	memcpy(ip.a, a, 4);
	return add_str(o, k, ip_format(&ip, buf, sizeof(buf)));
}

int lease_to_json(const struct lease *l, char **ret, struct cni_err *err)
{
	_cleanup_(cjson_freep) cJSON *o = NULL;
	_cleanup_free_ char *cid = NULL, *ack = NULL;
	char mac[HWADDR_TEXT_MAX];
	char *s;

	if (!l->have_lease)
		return cni_err_set(err, CNI_ERR_UNKNOWN_CONTAINER, "no DHCP lease");
	o = cJSON_CreateObject();
	cid = hex_dup(l->cfg.client_id, l->cfg.client_id_len);
	ack = hex_dup(l->ack, l->ack_len);
	if (!o || !cid || !ack)
		return cni_err_nomem(err);
	hwaddr_format(l->cfg.chaddr, 6, mac);
	if (!add_str(o, "clientId", cid) || !add_str(o, "mac", mac) ||
	    !add_str(o, "ifname", l->ifname) || !add_str(o, "netns", l->netns) ||
	    !add_str(o, "state", lease_state_name(l->state)) || !add_ip(o, "address", l->yiaddr) ||
	    !add_ip(o, "serverId", l->server_id) ||
	    !cJSON_AddNumberToObject(o, "boundAt", (double)l->bound_at) ||
	    !cJSON_AddNumberToObject(o, "renewAt", (double)l->t1_at) ||
	    !cJSON_AddNumberToObject(o, "rebindAt", (double)l->t2_at) ||
	    !cJSON_AddNumberToObject(o, "expiresAt", (double)l->expiry_at) ||
	    !add_str(o, "ack", ack))
		return cni_err_nomem(err);
	s = cJSON_PrintUnformatted(o);
	if (!s)
		return cni_err_nomem(err);
	*ret = s;
	return 0;
}

static int rec_bad(struct cni_err *err, const char *what)
{
	return cni_err_set_errno(err, CNI_ERR_DECODE, EBADMSG, "invalid lease record: %s", what);
}

static int rec_str(const cJSON *o, const char *key, const char **ret, struct cni_err *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsString(v))
		return cni_err_set_errno(err, CNI_ERR_DECODE, EBADMSG,
					 "invalid lease record: %s missing", key);
	*ret = v->valuestring;
	return 0;
}

static int rec_time(const cJSON *o, const char *key, int64_t *ret, struct cni_err *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 9007199254740992.0 ||
	    v->valuedouble != (double)(int64_t)v->valuedouble)
		return cni_err_set_errno(err, CNI_ERR_DECODE, EBADMSG,
					 "invalid lease record: %s not a time", key);
	*ret = (int64_t)v->valuedouble;
	return 0;
}

int lease_from_json(struct lease *l, const char *text, size_t len, struct cni_err *err)
{
	_cleanup_(cjson_freep) cJSON *o = NULL;
	_cleanup_free_ struct dhcp4_msg *m = NULL;
	const char *cid = NULL, *mac = NULL, *ifname = NULL, *netns = NULL, *addr = NULL,
		   *server = NULL, *ack = NULL;
	uint8_t cidb[255], macb[HWADDR_MAX], ackb[DHCP4_MAX_SIZE];
	size_t cidn, macn, ackn;
	struct ip_addr ip, sip;
	int64_t bound = 0, t1 = 0, t2 = 0, exp = 0;
	int r;

	if (len > 64 * 1024)
		return rec_bad(err, "too long");
	r = cni_json_parse(text, len, &o, err);
	if (r < 0)
		return r;
	if (!cJSON_IsObject(o))
		return rec_bad(err, "not an object");
	if ((r = rec_str(o, "clientId", &cid, err)) < 0 || (r = rec_str(o, "mac", &mac, err)) < 0 ||
	    (r = rec_str(o, "ifname", &ifname, err)) < 0 ||
	    (r = rec_str(o, "netns", &netns, err)) < 0 ||
	    (r = rec_str(o, "address", &addr, err)) < 0 ||
	    (r = rec_str(o, "serverId", &server, err)) < 0 ||
	    (r = rec_str(o, "ack", &ack, err)) < 0 ||
	    (r = rec_time(o, "boundAt", &bound, err)) < 0 ||
	    (r = rec_time(o, "renewAt", &t1, err)) < 0 ||
	    (r = rec_time(o, "rebindAt", &t2, err)) < 0 ||
	    (r = rec_time(o, "expiresAt", &exp, err)) < 0)
		return r;
	if (hex_parse(cid, cidb, sizeof(cidb), &cidn) < 0 ||
	    hex_parse(ack, ackb, sizeof(ackb), &ackn) < 0)
		return rec_bad(err, "bad hex");
	if (hwaddr_parse(mac, macb, &macn) < 0 || macn != 6)
		return rec_bad(err, "bad mac");
	if (ip_parse(addr, &ip) < 0 || ip.family != AF_INET || ip_parse(server, &sip) < 0 ||
	    sip.family != AF_INET)
		return rec_bad(err, "bad address");
	if (!(bound <= t1 && t1 <= t2 && t2 <= exp))
		return rec_bad(err, "times out of order");
	if (cidn != l->cfg.client_id_len || memcmp(cidb, l->cfg.client_id, cidn) != 0 ||
	    memcmp(macb, l->cfg.chaddr, 6) != 0 || strcmp(ifname, l->ifname) != 0 ||
	    strcmp(netns, l->netns) != 0)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
				   "lease record belongs to another client");
	m = malloc(sizeof(*m));
	if (!m)
		return cni_err_nomem(err);
	r = dhcp4_parse(ackb, ackn, m, err);
	if (r < 0)
		return cni_err_prefix(err, "invalid lease record");
	if (memcmp(m->yiaddr, ip.a, 4) != 0)
		return rec_bad(err, "address differs from the ACK's");

	memcpy(l->yiaddr, ip.a, 4);
	memcpy(l->server_id, sip.a, 4);
	memcpy(l->ack, ackb, ackn);
	l->ack_len = ackn;
	l->bound_at = bound;
	l->t1_at = t1;
	l->t2_at = t2;
	l->expiry_at = exp;
	l->have_lease = true;
	l->state = LEASE_INIT;
	return 0;
}
