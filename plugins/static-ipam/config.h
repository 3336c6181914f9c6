/* SPDX-License-Identifier: Apache-2.0 */
/* static IPAM configuration: addresses, routes and DNS from the config and the runtime. */
#ifndef STATIC_IPAM_CONFIG_H
#define STATIC_IPAM_CONFIG_H

#include <stddef.h>

#include "err.h"
#include "ipnet.h"
#include "cni/result.h"

/* One address to hand out. */
struct static_addr {
	struct ip_net address;	/* host bits kept; IPv4-mapped IPv6 stored as IPv4 */
	struct ip_addr gateway; /* family 0 = none */
};

/* Everything static needs from a request, parsed and validated. */
struct static_conf {
	char *cni_version;	   /* cniVersion as written ("" when absent) */
	struct static_addr *addrs; /* the addresses, in result order */
	size_t n_addrs;		   /* number of addresses */
	size_t cap_addrs;	   /* room in addrs */
	struct cni_route *routes;  /* ipam.routes, copied into the result */
	size_t n_routes;	   /* number of routes */
	struct cni_dns dns;	   /* ipam.dns */
};

/*
 * Parse and validate a request the way the reference does: data is the whole
 * netconf (stdin), env_args the CNI_ARGS string (may be NULL). Addresses come
 * from ipam.addresses, then CNI_ARGS IP= is appended and GATEWAY= set on the
 * CNI_ARGS addresses that contain it; a non-empty args.cni.ips replaces them
 * all, and a non-empty runtimeConfig.ips replaces that. Config errors are code
 * 7 and CNI_ARGS errors code 999, with the reference's messages.
 */
int static_conf_load(const char *data, size_t len, const char *env_args, struct static_conf **ret,
		     struct cni_err *err) CNI_MUST_USE;

/* Free a configuration (accepts NULL). */
void static_conf_free(struct static_conf *c);

/* For _cleanup_(static_conf_freep). */
static inline void static_conf_freep(struct static_conf **c)
{
	static_conf_free(*c);
}

/* The ADD result of c (a version-independent result; print it in the config's version). */
int static_conf_result(const struct static_conf *c, struct cni_result **ret,
		       struct cni_err *err) CNI_MUST_USE;

/*
 * CHECK's comparison, as the reference makes it: every configured address that
 * prev holds must carry the configured gateway there, when one is configured
 * ("static: Failed to match addr <ip> on interface <ifname>"). Addresses prev
 * does not hold are not an error.
 */
int static_conf_match(const struct static_conf *c, const struct cni_result *prev,
		      const char *ifname, struct cni_err *err) CNI_MUST_USE;

#endif
