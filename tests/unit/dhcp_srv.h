/* SPDX-License-Identifier: Apache-2.0 */
/* A DHCP server's messages written by hand for the dhcp tests: fixed part, cookie, options. */
#ifndef CNI_TEST_DHCP_SRV_H
#define CNI_TEST_DHCP_SRV_H

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

/* A message being written. */
struct srv_msg {
	uint8_t buf[2048];
	size_t len;
};

/* Start a BOOTREPLY of type (0 = no option 53) for xid and chaddr offering yiaddr. */
static inline void srv_begin(struct srv_msg *m, uint8_t type, uint32_t xid, const uint8_t chaddr[6],
			     const char *yiaddr)
{
	memset(m, 0, sizeof(*m));
	m->buf[0] = 2;
	m->buf[1] = 1;
	m->buf[2] = 6;
	m->buf[4] = (uint8_t)(xid >> 24);
	m->buf[5] = (uint8_t)(xid >> 16);
	m->buf[6] = (uint8_t)(xid >> 8);
	m->buf[7] = (uint8_t)xid;
	if (yiaddr)
		inet_pton(AF_INET, yiaddr, m->buf + 16);
	memcpy(m->buf + 28, chaddr, 6);
	m->buf[236] = 99;
	m->buf[237] = 130;
	m->buf[238] = 83;
	m->buf[239] = 99;
	m->len = 240;
	if (type) {
		m->buf[m->len++] = 53;
		m->buf[m->len++] = 1;
		m->buf[m->len++] = type;
	}
}

/* Append an option with raw data. */
static inline void srv_opt(struct srv_msg *m, uint8_t code, const void *data, size_t len)
{
	m->buf[m->len++] = code;
	m->buf[m->len++] = (uint8_t)len;
	memcpy(m->buf + m->len, data, len);
	m->len += len;
}

/* Append an option holding one address. */
static inline void srv_ip(struct srv_msg *m, uint8_t code, const char *ip)
{
	uint8_t a[4];

	inet_pton(AF_INET, ip, a);
	srv_opt(m, code, a, 4);
}

/* Append an option holding a 32-bit number. */
static inline void srv_u32(struct srv_msg *m, uint8_t code, uint32_t v)
{
	uint8_t a[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};

	srv_opt(m, code, a, 4);
}

/* Append raw bytes. */
static inline void srv_raw(struct srv_msg *m, const void *data, size_t len)
{
	memcpy(m->buf + m->len, data, len);
	m->len += len;
}

/* End the options. */
static inline void srv_end(struct srv_msg *m)
{
	m->buf[m->len++] = 255;
}

/* A usual ACK or OFFER: server 10.9.0.1, mask /24, router, lease times. */
static inline void srv_usual(struct srv_msg *m, uint8_t type, uint32_t xid, const uint8_t chaddr[6],
			     const char *yiaddr, uint32_t lease)
{
	srv_begin(m, type, xid, chaddr, yiaddr);
	srv_ip(m, 54, "10.9.0.1");
	srv_ip(m, 1, "255.255.255.0");
	srv_ip(m, 3, "10.9.0.1");
	srv_u32(m, 51, lease);
	srv_end(m);
}

#endif
