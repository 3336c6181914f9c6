/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What a DHCP server (or anything on the container's link) can send the client, and what the
 * daemon reads back from its journal. The first byte picks:
 *   0: dhcp4_parse() of the rest, then the lease times and the CNI result of what parsed
 *      (printed in 1.0.0; every route and address as the message said);
 *   1: the same behind pktsock_unframe() (the rest is an IPv4 datagram);
 *   2: the rest as a server's answers to a lease: its xid and chaddr patched in, fed while
 *      selecting, requesting, renewing and rebinding, with timers and a release; the
 *      machine must stay consistent (deadlines, have_lease, result);
 *   3: lease_from_json() of the rest; a record that loads must save and load identically;
 *   4: the daemon's files: the rest as its lease record (one that parses is written again
 *      from its parts and parses to the same parts) and as a release request, and as a
 *      key for a record's file name and a Go duration of its flags.
 */
#include <stdlib.h>
#include <string.h>

#include "cni/result.h"
#include "dhcp/daemon_int.h"
#include "dhcp/dhcp4.h"
#include "dhcp/journal.h"
#include "dhcp/lease.h"
#include "dhcp/pktsock.h"
#include "fuzz_util.h"

static const uint8_t mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};

static uint32_t rnd(void *ctx)
{
	uint32_t *s = ctx;

	*s = *s * 1103515245u + 12345u;
	return *s >> 1;
}

static void check_msg(const uint8_t *buf, size_t len)
{
	struct dhcp4_msg *m = malloc(sizeof(*m));
	struct cni_err err = {0};
	struct cni_result *r = NULL;
	uint32_t t, t1, t2;
	char *out = NULL;

	if (!m)
		return;
	if (dhcp4_parse(buf, len, m, &err) == 0) {
		FUZZ_ASSERT(m->n_routers <= DHCP4_MAX_ADDRS && m->n_dns <= DHCP4_MAX_ADDRS);
		FUZZ_ASSERT(m->n_search <= DHCP4_MAX_SEARCH);
		FUZZ_ASSERT(m->n_classless <= DHCP4_MAX_ROUTES && m->n_static <= DHCP4_MAX_ROUTES);
		FUZZ_ASSERT(strlen(m->domain) < DHCP4_NAME_MAX);
		for (size_t i = 0; i < m->n_classless; i++)
			FUZZ_ASSERT(m->classless[i].prefix <= 32);
		dhcp4_lease_times(m, &t, &t1, &t2);
		FUZZ_ASSERT(t1 <= t2 && t2 <= t);
		if (dhcp4_result_build(m, 3, &r, &err) == 0) {
			FUZZ_ASSERT(r->n_ips == 1);
			FUZZ_ASSERT(r->n_routes ==
				    (m->has_classless ? m->n_classless
						      : m->n_static + (m->n_routers ? 1 : 0)));
			FUZZ_ASSERT(cni_result_print(r, "1.0.0", &out, &err) == 0);
			free(out);
			cni_result_free(r);
		} else {
			FUZZ_ASSERT(err.code != 0);
		}
	} else {
		FUZZ_ASSERT(err.code == CNI_ERR_DECODE);
	}
	free(m);
}

/* A lease set up for the fuzzer's client. */
static int lease_new(struct lease *l, uint32_t *seed)
{
	struct lease_params p = LEASE_PARAMS_DEFAULT;
	struct dhcp4_client_cfg cfg;
	struct cni_err err = {0};

	p.random = rnd;
	p.random_ctx = seed;
	if (dhcp4_client_cfg_init(&cfg, NULL, "fuzz", "net", "eth0", mac, NULL, &err) < 0)
		return -1;
	return lease_init(l, &cfg, &p, "eth0", "ns", &err);
}

/* The lease's invariants after a step; after a timer the next deadline lies ahead (a
 * deadline at or before now would spin the daemon's loop). */
static void check_lease(const struct lease *l, const struct lease_action *a, int64_t now,
			bool timer)
{
	struct cni_err err = {0};
	struct cni_result *r = NULL;

	if (timer)
		FUZZ_ASSERT(a->deadline == -1 || a->deadline > now);
	FUZZ_ASSERT(a->pkt_len <= sizeof(a->pkt));
	if (a->outcome == LEASE_OUT_ACQUIRED || a->outcome == LEASE_OUT_RENEWED) {
		FUZZ_ASSERT(l->have_lease && l->state == LEASE_BOUND);
		FUZZ_ASSERT(l->bound_at <= l->t1_at && l->t1_at <= l->t2_at &&
			    l->t2_at <= l->expiry_at);
		if (a->outcome == LEASE_OUT_ACQUIRED) {
			FUZZ_ASSERT(lease_result(l, 0, &r, &err) == 0);
			cni_result_free(r);
		}
	}
	if (a->outcome == LEASE_OUT_FAILED || a->outcome == LEASE_OUT_LOST)
		FUZZ_ASSERT(a->err.msg[0] != '\0');
}

static void drive(const uint8_t *data, size_t size)
{
	struct lease *l = malloc(sizeof(*l));
	struct lease_action *a = malloc(sizeof(*a));
	uint8_t *pkt = malloc(size);
	uint32_t seed = 1;
	int64_t now = 1000;

	if (!l || !a || !pkt || lease_new(l, &seed) < 0)
		goto out;
	FUZZ_ASSERT(lease_step(l, LEASE_EV_START, now, NULL, 0, a) == 0);
	for (int round = 0; round < 6; round++) {
		memcpy(pkt, data, size);
		if (size >= 34) {
			pkt[4] = (uint8_t)(l->xid >> 24);
			pkt[5] = (uint8_t)(l->xid >> 16);
			pkt[6] = (uint8_t)(l->xid >> 8);
			pkt[7] = (uint8_t)l->xid;
			memcpy(pkt + 28, mac, 6);
		}
		now += 10;
		FUZZ_ASSERT(lease_step(l, LEASE_EV_PACKET, now, pkt, size, a) == 0);
		check_lease(l, a, now, false);
		if (a->deadline >= 0) {
			now = a->deadline;
			FUZZ_ASSERT(lease_step(l, LEASE_EV_TIMER, now, NULL, 0, a) == 0);
			check_lease(l, a, now, true);
		}
		if (l->state == LEASE_FAILED || l->state == LEASE_EXPIRED)
			FUZZ_ASSERT(lease_step(l, LEASE_EV_START, now, NULL, 0, a) == 0);
	}
	FUZZ_ASSERT(lease_step(l, LEASE_EV_RELEASE, now, NULL, 0, a) == 0);
	FUZZ_ASSERT(l->state == LEASE_RELEASED && !l->have_lease && a->deadline == -1);
out:
	free(pkt);
	free(a);
	free(l);
}

static void record(const uint8_t *data, size_t size)
{
	struct lease *l = malloc(sizeof(*l)), *l2 = malloc(sizeof(*l2));
	struct cni_err err = {0};
	uint32_t seed = 1;
	char *text = NULL, *again = NULL;

	if (!l || !l2 || lease_new(l, &seed) < 0 || lease_new(l2, &seed) < 0)
		goto out;
	if (lease_from_json(l, (const char *)data, size, &err) < 0)
		goto out;
	FUZZ_ASSERT(l->have_lease);
	FUZZ_ASSERT(lease_to_json(l, &text, &err) == 0);
	FUZZ_ASSERT(lease_from_json(l2, text, strlen(text), &err) == 0);
	FUZZ_ASSERT(lease_to_json(l2, &again, &err) == 0);
	FUZZ_ASSERT(strcmp(text, again) == 0);
out:
	free(again);
	free(text);
	free(l2);
	free(l);
}

static void daemon_files(const uint8_t *data, size_t size)
{
	struct journal_record rec, rec2;
	struct journal_release rel;
	struct cni_err err = {0};
	char name[JOURNAL_NAME_MAX + 16], *text = NULL, *lease = NULL, *str;
	int64_t ms;

	if (journal_record_parse((const char *)data, size, &rec, &err) == 0) {
		lease = cJSON_PrintUnformatted(rec.lease);
		if (lease && journal_record_text(rec.key, rec.container_id, rec.netns, rec.ifname,
						 rec.args, rec.config, lease, &text, &err) == 0) {
			FUZZ_ASSERT(journal_record_parse(text, strlen(text), &rec2, &err) == 0);
			FUZZ_ASSERT(strcmp(rec.key, rec2.key) == 0);
			FUZZ_ASSERT(strcmp(rec.config, rec2.config) == 0);
			FUZZ_ASSERT(strcmp(rec.mac, rec2.mac) == 0);
			journal_record_clear(&rec2);
		}
	}
	journal_record_clear(&rec);
	if (journal_release_parse((const char *)data, size, &rel, &err) == 0)
		FUZZ_ASSERT(rel.config && rel.container_id && rel.ifname && rel.netns);
	journal_release_clear(&rel);
	str = malloc(size + 1);
	if (str) {
		memcpy(str, data, size);
		str[size] = '\0';
		journal_name(str, name, sizeof(name));
		FUZZ_ASSERT(strlen(name) <= JOURNAL_NAME_MAX + 5);
		FUZZ_ASSERT(strchr(name, '/') == NULL && name[0] != '.');
		daemon_parse_duration(str, &ms);
		free(str);
	}
	free(text);
	free(lease);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *payload;
	size_t plen;

	if (size < 1)
		return 0;
	switch (data[0] & 7) {
	case 0:
		check_msg(data + 1, size - 1);
		break;
	case 1:
		if (pktsock_unframe(data + 1, size - 1, 1, &payload, &plen) == 0) {
			FUZZ_ASSERT(payload >= data + 1 && payload + plen <= data + size);
			check_msg(payload, plen);
		}
		break;
	case 2:
		drive(data + 1, size - 1);
		break;
	case 3:
		record(data + 1, size - 1);
		break;
	case 4:
		daemon_files(data + 1, size - 1);
		break;
	}
	return 0;
}
