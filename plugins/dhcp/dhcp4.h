/* SPDX-License-Identifier: Apache-2.0 */
/*
 * DHCPv4 messages (RFC 2131, options RFC 2132, 3396, 3397, 3442): the client's options from
 * the network config, building DISCOVER, REQUEST and RELEASE, parsing OFFER, ACK and NAK,
 * and the CNI result of a lease. Pure functions over caller buffers: nothing here touches a
 * socket or a clock.
 */
#ifndef CNI_DHCP4_H
#define CNI_DHCP4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "err.h"
#include "cni/result.h"

#define DHCP4_SERVER_PORT 67
#define DHCP4_CLIENT_PORT 68
#define DHCP4_FIXED_LEN	  236	/* op .. file, before the magic cookie */
#define DHCP4_MIN_LEN	  240	/* fixed part and cookie */
#define DHCP4_BOOTP_LEN	  300	/* messages we build are padded to this size */
#define DHCP4_MAX_SIZE	  1500	/* option 57 we send; also the largest message we build */
#define DHCP4_MAX_PARSE	  65507 /* largest message the parser accepts (UDP payload) */

#define DHCP4_MAX_ADDRS	  16  /* routers, DNS servers kept from one message */
#define DHCP4_MAX_SEARCH  16  /* domain search entries kept */
#define DHCP4_MAX_ROUTES  64  /* classless or static routes kept */
#define DHCP4_MAX_PROVIDE 32  /* provided options */
#define DHCP4_NAME_MAX	  256 /* a domain name with its NUL */

/* Message types (option 53). */
enum dhcp4_type {
	DHCP4_DISCOVER = 1,
	DHCP4_OFFER = 2,
	DHCP4_REQUEST = 3,
	DHCP4_DECLINE = 4,
	DHCP4_ACK = 5,
	DHCP4_NAK = 6,
	DHCP4_RELEASE = 7,
	DHCP4_INFORM = 8,
};

/* Option codes used here. */
enum dhcp4_opt_code {
	DHCP4_OPT_PAD = 0,
	DHCP4_OPT_SUBNET_MASK = 1,
	DHCP4_OPT_ROUTER = 3,
	DHCP4_OPT_DNS = 6,
	DHCP4_OPT_HOST_NAME = 12,
	DHCP4_OPT_DOMAIN_NAME = 15,
	DHCP4_OPT_STATIC_ROUTE = 33,
	DHCP4_OPT_REQUESTED_IP = 50,
	DHCP4_OPT_LEASE_TIME = 51,
	DHCP4_OPT_OVERLOAD = 52,
	DHCP4_OPT_MSG_TYPE = 53,
	DHCP4_OPT_SERVER_ID = 54,
	DHCP4_OPT_PARAM_REQ = 55,
	DHCP4_OPT_MESSAGE = 56,
	DHCP4_OPT_MAX_SIZE = 57,
	DHCP4_OPT_RENEWAL_TIME = 58,
	DHCP4_OPT_REBINDING_TIME = 59,
	DHCP4_OPT_VENDOR_CLASS = 60,
	DHCP4_OPT_CLIENT_ID = 61,
	DHCP4_OPT_USER_CLASS = 77,
	DHCP4_OPT_DOMAIN_SEARCH = 119,
	DHCP4_OPT_CLASSLESS_ROUTE = 121,
	DHCP4_OPT_END = 255,
};

/* One option the client sends as given (a `provide` entry, the host name). */
struct dhcp4_opt {
	uint8_t code;	   /* option code */
	uint8_t len;	   /* bytes in data */
	uint8_t data[255]; /* value */
};

/* What every message of one lease carries. */
struct dhcp4_client_cfg {
	uint8_t chaddr[6];	/* interface MAC */
	uint8_t client_id[255]; /* option 61 value: 0x00 and "<container>/<net>/<if>" */
	uint8_t client_id_len;	/* its length */
	uint8_t prl[255];	/* option 55 value */
	uint8_t prl_len;	/* its length (0 = option not sent) */
	struct dhcp4_opt provide[DHCP4_MAX_PROVIDE]; /* provided options, one per code */
	size_t n_provide;			     /* how many */
	bool broadcast;				     /* set the BOOTP broadcast flag */
};

/*
 * An option name of a `request` or `provide` entry as the reference reads it: the names
 * dhcp-client-identifier, subnet-mask, routers, host-name, user-class,
 * vendor-class-identifier, or a decimal 0..255. Otherwise code 7 `Can not parse option
 * "<name>": Can not parse option: strconv.ParseUint: parsing "<name>": invalid syntax` (or
 * `value out of range`).
 */
int dhcp4_opt_parse(const char *name, uint8_t *ret_code, struct cni_err *err) CNI_MUST_USE;

/*
 * Fill *cfg from the `ipam` object of a network config (its `request` and `provide` lists),
 * the lease key (container ID, network name, interface name), the interface MAC and the raw
 * CNI_ARGS (may be NULL). Option 61 is 0x00 and "<containerID>/<network>/<ifname>" cut to 254
 * bytes; option 55 holds the requested options and, unless an entry has skipDefault, routers,
 * subnet mask, DNS servers, domain name, domain search, classless and static routes and the
 * three lease times; a provided option is a literal `value` or the CNI_ARGS value named by
 * `fromArg` (which wins), at most 255 bytes; option 12 is K8S_POD_NAME from CNI_ARGS when no
 * host-name is provided. Config errors are code 7 with the reference's texts.
 */
int dhcp4_client_cfg_init(struct dhcp4_client_cfg *cfg, const cJSON *ipam, const char *container_id,
			  const char *network, const char *ifname, const uint8_t mac[6],
			  const char *cni_args, struct cni_err *err) CNI_MUST_USE;

/* What changes between the messages a client builds. */
struct dhcp4_build {
	uint8_t type;	      /* DHCP4_DISCOVER, DHCP4_REQUEST or DHCP4_RELEASE */
	uint32_t xid;	      /* transaction ID */
	uint16_t secs;	      /* seconds since the exchange began */
	uint8_t ciaddr[4];    /* client address (renewing, rebinding, release), else 0 */
	uint8_t requested[4]; /* option 50 when not 0.0.0.0 */
	uint8_t server_id[4]; /* option 54 when not 0.0.0.0 */
};

/*
 * Build one client message into buf (cap bytes, at least DHCP4_MAX_SIZE): BOOTREQUEST,
 * chaddr, the broadcast flag when configured (never on RELEASE), options 53, 61 (a provided
 * option 61 replaces the lease key, in RELEASE too, unlike the reference, so that the server
 * finds the lease it gave under that identifier), 57, 50, 54, 55 and the provided
 * options (RELEASE: 53, 54, 61 only), end, padded to 300 bytes. Returns 0 with the length in
 * *ret_len, or -EMSGSIZE (code 999) when it does not fit.
 */
int dhcp4_build(const struct dhcp4_client_cfg *cfg, const struct dhcp4_build *b, uint8_t *buf,
		size_t cap, size_t *ret_len, struct cni_err *err) CNI_MUST_USE;

/* A route of option 121 or 33. */
struct dhcp4_route {
	uint8_t dst[4]; /* destination (network bits only for 121; as sent for 33) */
	uint8_t prefix; /* prefix length */
	uint8_t gw[4];	/* router, 0.0.0.0 = on-link (121) */
};

/* What a server's message says, as far as this client uses it. */
struct dhcp4_msg {
	uint8_t op;		      /* BOOTREPLY = 2 */
	uint32_t xid;		      /* transaction ID */
	uint16_t flags;		      /* BOOTP flags */
	uint8_t chaddr[6];	      /* client hardware address (first 6 bytes) */
	uint8_t ciaddr[4], yiaddr[4]; /* client address, offered address */
	uint8_t type;		      /* option 53, 0 = absent */
	bool has_server_id;	      /* option 54 */
	uint8_t server_id[4];
	bool has_mask; /* option 1 */
	uint8_t mask[4];
	size_t n_routers; /* option 3 */
	uint8_t routers[DHCP4_MAX_ADDRS][4];
	size_t n_dns; /* option 6 */
	uint8_t dns[DHCP4_MAX_ADDRS][4];
	char domain[DHCP4_NAME_MAX]; /* option 15, "" = absent */
	size_t n_search;	     /* option 119 */
	char search[DHCP4_MAX_SEARCH][DHCP4_NAME_MAX];
	bool has_classless; /* option 121 present (even empty) */
	size_t n_classless;
	struct dhcp4_route classless[DHCP4_MAX_ROUTES];
	size_t n_static; /* option 33 */
	struct dhcp4_route statics[DHCP4_MAX_ROUTES];
	bool has_lease, has_t1, has_t2; /* options 51, 58, 59 */
	uint32_t lease, t1, t2;		/* seconds */
	char message[256];		/* option 56, "" = absent */
};

/*
 * Parse a server message (a BOOTP payload, len bytes): fixed part, cookie, options in the
 * options field and, per option 52, the file and sname fields; split options concatenated
 * (RFC 3396). Malformed, truncated or oversized input is code 6 (-EBADMSG); entries beyond
 * the DHCP4_MAX_* limits are dropped. Does not check op, xid or type: the caller does.
 */
int dhcp4_parse(const uint8_t *buf, size_t len, struct dhcp4_msg *ret,
		struct cni_err *err) CNI_MUST_USE;

/* Lease times of an ACK in seconds: T (option 51, 3600 when absent), T1, T2 as §4.4.5. */
void dhcp4_lease_times(const struct dhcp4_msg *m, uint32_t *ret_lease, uint32_t *ret_t1,
		       uint32_t *ret_t2);

/*
 * The CNI result of an ACK: the address yiaddr/<option 1> with the first router as gateway
 * (no interface index); routes from option 121 (an on-link router gives scope 253), else
 * option 33 and a default route via the first router; `priority` (when not 0) as every
 * route's metric; DNS servers, domain and search list. No subnet mask: code 999 "DHCP
 * option Subnet Mask not found in DHCPACK"; a non-contiguous mask: code 6.
 */
int dhcp4_result_build(const struct dhcp4_msg *ack, int priority, struct cni_result **ret,
		       struct cni_err *err) CNI_MUST_USE;

/* The name of a message type ("DHCPACK"), "unknown" for others. */
const char *dhcp4_type_name(uint8_t type);

#endif
