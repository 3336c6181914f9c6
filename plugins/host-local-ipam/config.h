/* SPDX-License-Identifier: Apache-2.0 */
/* host-local configuration: the netconf's ipam section and runtime inputs, validated. */
#ifndef HOSTLOCAL_CONFIG_H
#define HOSTLOCAL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "ipnet.h"
#include "cni/result.h"
#include "host-local-ipam/range.h"

/* Everything host-local needs from a request, parsed and validated. */
struct ipam_conf {
	char *name;		     /* network name (store subdirectory) */
	char *cni_version;	     /* cniVersion as written ("" when absent) */
	char *data_dir;		     /* store root; NULL = default */
	char *resolv_conf;	     /* resolv.conf to report as dns; NULL = none */
	bool reclaim_on_reboot;	     /* release reservations of earlier boots (default true) */
	struct ipam_range_set *sets; /* range sets: runtime ipRanges, legacy range, ranges */
	size_t n_sets;		     /* number of range sets */
	size_t cap_sets;	     /* room in sets */
	struct cni_route *routes;    /* routes copied into the result */
	size_t n_routes;	     /* number of routes */
	struct ip_addr *requested; /* requested IPs: CNI_ARGS IP, args.cni.ips, runtimeConfig.ips */
	size_t n_requested;	   /* number of requested IPs (duplicates removed) */
	size_t cap_requested;	   /* room in requested */
};

/*
 * Parse and validate a request: data is the whole netconf (stdin), env_args
 * the CNI_ARGS string (may be NULL). Validation errors carry the reference's
 * messages with code 7; CNI_ARGS problems are code 999 like the reference's.
 */
int ipam_conf_load(const char *data, size_t len, const char *env_args, struct ipam_conf **ret,
		   struct cni_err *err) CNI_MUST_USE;

/* Free a configuration (accepts NULL). */
void ipam_conf_free(struct ipam_conf *c);

/* For _cleanup_(ipam_conf_freep). */
static inline void ipam_conf_freep(struct ipam_conf **c)
{
	ipam_conf_free(*c);
}

#endif
