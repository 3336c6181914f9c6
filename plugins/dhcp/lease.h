/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One DHCPv4 lease as a pure state machine (RFC 2131 4.4): the caller feeds it events with
 * the current time and carries out what it asks for (send a message, wake it at a
 * deadline), so no socket and no clock is read here. Times are milliseconds of one clock
 * the caller picks; it must survive a daemon restart when leases are saved (the boot-time
 * clock does).
 *
 *   INIT -> SELECTING (DISCOVER) -> REQUESTING (REQUEST 50+54) -> BOUND
 *   BOUND -- T1 --> RENEWING (REQUEST with ciaddr, to the server) -> BOUND
 *   RENEWING -- T2 --> REBINDING (REQUEST with ciaddr, broadcast) -> BOUND
 *   REBINDING -- lease end --> EXPIRED
 *   INIT with a saved lease -> INIT_REBOOT (REQUEST 50, no 54) -> BOUND; NAK -> SELECTING
 *
 * Retransmission as the reference's: after a send, wait the per-send timeout for an answer,
 * then 2, 2, 2, 2, 8, 16, 32, 64 ... seconds (+-1 s of jitter from the injected random
 * source; the delay stops doubling once it reaches resend_max); an acquisition that gets
 * nowhere within resend_timeout fails with "no more tries".
 */
#ifndef CNI_DHCP_LEASE_H
#define CNI_DHCP_LEASE_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "cni/result.h"
#include "dhcp/dhcp4.h"

/* Where a lease is. */
enum lease_state {
	LEASE_INIT,
	LEASE_SELECTING,
	LEASE_REQUESTING,
	LEASE_BOUND,
	LEASE_RENEWING,
	LEASE_REBINDING,
	LEASE_INIT_REBOOT,
	LEASE_EXPIRED,	/* the lease ran out; start again with LEASE_EV_START */
	LEASE_RELEASED, /* released on request */
	LEASE_FAILED,	/* acquisition failed (no answer, NAK, unusable ACK) */
};

/* Retransmission settings (the daemon's -timeout, -resendmax, -resendtimeout) and randomness. */
struct lease_params {
	int64_t timeout_ms;	       /* wait for an answer to one send */
	int64_t resend_max_ms;	       /* the retry delay stops doubling at this */
	int64_t resend_timeout_ms;     /* bound of one acquisition */
	uint32_t (*random)(void *ctx); /* transaction IDs and jitter */
	void *random_ctx;	       /* its argument */
};

/* The reference's defaults: 10 s, 62 s, 208 s (random must still be set). */
#define LEASE_PARAMS_DEFAULT                                                             \
	{                                                                                \
		.timeout_ms = 10000, .resend_max_ms = 62000, .resend_timeout_ms = 208000 \
	}

/* What happens to a lease. */
enum lease_event {
	LEASE_EV_START,	  /* acquire (or re-adopt a saved lease) */
	LEASE_EV_PACKET,  /* a DHCP message arrived */
	LEASE_EV_TIMER,	  /* the last deadline passed */
	LEASE_EV_RELEASE, /* give the lease back (a RELEASE while it has not run out) */
};

/* What an event led to. */
enum lease_outcome {
	LEASE_OUT_NONE,
	LEASE_OUT_ACQUIRED, /* a new lease (or a saved one confirmed): lease_result() */
	LEASE_OUT_RENEWED,  /* extended (the address may differ: compare lease.yiaddr) */
	LEASE_OUT_LOST,	    /* the lease is gone (NAK, expiry); why in err */
	LEASE_OUT_FAILED,   /* acquisition failed; why in err */
	LEASE_OUT_RELEASED, /* released */
};

/* What the caller must do after an event. */
struct lease_action {
	size_t pkt_len;		     /* a message to send (0 = none) */
	uint8_t pkt[DHCP4_MAX_SIZE]; /* its BOOTP payload */
	bool unicast;		     /* send by UDP from the leased address to dst:67 */
	uint8_t dst[4];		     /* the server, when unicast */
	int64_t deadline;	     /* feed LEASE_EV_TIMER at this time; -1 = no timer */
	enum lease_outcome outcome;  /* what changed */
	struct cni_err err;	     /* why, for LOST and FAILED */
};

/* A lease. Read its fields; change them only through the functions below. */
struct lease {
	struct dhcp4_client_cfg cfg; /* what every message carries */
	struct lease_params params;  /* retransmission */
	char ifname[16];	     /* the container interface */
	char netns[512];	     /* identity of its namespace (the caller's choice) */
	enum lease_state state;
	/* the current exchange */
	uint32_t xid;
	int64_t cycle_start; /* when the exchange began */
	int64_t next_send;   /* when to send again */
	int attempt;	     /* sends so far in this exchange */
	int64_t delay_ms;    /* the last retry delay, before jitter */
	uint8_t offer_ip[4], offer_server[4];
	/* the lease, when have_lease */
	bool have_lease;
	uint8_t yiaddr[4], server_id[4];
	int64_t bound_at, t1_at, t2_at, expiry_at;
	size_t ack_len; /* the last ACK, from which the result is built */
	uint8_t ack[DHCP4_MAX_SIZE];
};

/*
 * Set up l (state INIT) for the given client options, retransmission settings (params->random
 * is required), interface name and namespace identity (copied; too long is code 7).
 */
int lease_init(struct lease *l, const struct dhcp4_client_cfg *cfg, const struct lease_params *p,
	       const char *ifname, const char *netns, struct cni_err *err) CNI_MUST_USE;

/*
 * Feed one event at time now (for LEASE_EV_PACKET, the BOOTP payload buf of len bytes;
 * messages that are malformed or not for this lease are ignored) and fill *a with what to
 * do. Returns 0, or a negative errno when a message could not be built (an internal error).
 */
int lease_step(struct lease *l, enum lease_event ev, int64_t now, const uint8_t *buf, size_t len,
	       struct lease_action *a) CNI_MUST_USE;

/* The CNI result of the lease's ACK (see dhcp4_result_build); code 3 when there is no lease. */
int lease_result(const struct lease *l, int priority, struct cni_result **ret,
		 struct cni_err *err) CNI_MUST_USE;

/* The name of a state ("bound"). */
const char *lease_state_name(enum lease_state s);

/*
 * The lease as a small JSON record (malloc'd text) for the daemon's journal: client ID, MAC,
 * interface, namespace identity, address, server, the lease's times and the ACK it came
 * with. Code 3 when there is no lease.
 */
int lease_to_json(const struct lease *l, char **ret, struct cni_err *err) CNI_MUST_USE;

/*
 * Load a record written by lease_to_json into l, set up by lease_init with the same client
 * options: its client ID and MAC must match (code 7 otherwise), malformed records are code 6.
 * The lease is left in INIT with have_lease set, so LEASE_EV_START confirms it (INIT-REBOOT).
 */
int lease_from_json(struct lease *l, const char *text, size_t len,
		    struct cni_err *err) CNI_MUST_USE;

#endif
