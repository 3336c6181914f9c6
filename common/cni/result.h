/* SPDX-License-Identifier: Apache-2.0 */
/* CNI results: one internal form, JSON in and out for every version 0.1.0 .. 1.1.0. */
#ifndef CNI_RESULT_H
#define CNI_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

#include "err.h"
#include "ipnet.h"

/* An interface of a result. */
struct cni_iface {
	char *name;	   /* interface name */
	char *mac;	   /* MAC address text, NULL if unknown */
	char *sandbox;	   /* netns path for container interfaces, NULL on the host */
	int mtu;	   /* MTU, 0 = not reported (1.x only) */
	char *socket_path; /* vhost-user socket (1.x only), NULL if none */
	char *pci_id;	   /* PCI ID (1.x only), NULL if none */
};

/* An address of a result. */
struct cni_ip {
	struct ip_net address;	/* address with prefix length (host bits kept) */
	struct ip_addr gateway; /* gateway; family 0 = none */
	int iface;		/* index into ifaces, -1 = not given */
};

/* A route of a result. */
struct cni_route {
	struct ip_net dst; /* destination prefix */
	struct ip_addr gw; /* gateway; family 0 = none */
	int mtu;	   /* route MTU, 0 = none (1.x) */
	int advmss;	   /* advertised MSS, 0 = none (1.x) */
	int priority;	   /* metric, 0 = none (1.x) */
	bool has_table;	   /* table given (1.x) */
	int table;	   /* routing table */
	bool has_scope;	   /* scope given (1.x) */
	int scope;	   /* route scope */
};

/* DNS settings of a result. */
struct cni_dns {
	char **nameservers; /* NULL-terminated list or NULL */
	char *domain;	    /* local domain or NULL */
	char **search;	    /* NULL-terminated list or NULL */
	char **options;	    /* NULL-terminated list or NULL */
};

/* A result, version-independent. */
struct cni_result {
	char cni_version[16];	  /* version it was parsed from / is meant for */
	struct cni_iface *ifaces; /* interfaces */
	size_t n_ifaces;	  /* number of interfaces */
	size_t cap_ifaces;	  /* room in ifaces */
	struct cni_ip *ips;	  /* addresses */
	size_t n_ips;		  /* number of addresses */
	size_t cap_ips;		  /* room in ips */
	struct cni_route *routes; /* routes */
	size_t n_routes;	  /* number of routes */
	size_t cap_routes;	  /* room in routes */
	struct cni_dns dns;	  /* DNS */
};

/* A new empty result (version 1.1.0), or NULL on allocation failure. */
struct cni_result *cni_result_new(void);

/* Free a result (accepts NULL). */
void cni_result_free(struct cni_result *r);

/* For _cleanup_(cni_result_freep). */
static inline void cni_result_freep(struct cni_result **r)
{
	cni_result_free(*r);
}

/* Append an interface (strings copied, may be NULL); returns its index or -ENOMEM. */
int cni_result_add_iface(struct cni_result *r, const char *name, const char *mac,
			 const char *sandbox);

/* Append an address; returns 0 or -ENOMEM. */
int cni_result_add_ip(struct cni_result *r, const struct cni_ip *ip);

/* Append a route; returns 0 or -ENOMEM. */
int cni_result_add_route(struct cni_result *r, const struct cni_route *rt);

/* Replace r's DNS with a deep copy of dns. Returns 0 or -ENOMEM. */
int cni_dns_copy(struct cni_dns *dst, const struct cni_dns *src);

/* Free the contents of a DNS struct. */
void cni_dns_clear(struct cni_dns *d);

/* True when no DNS field is set. */
bool cni_dns_empty(const struct cni_dns *d);

/* Parse a "dns" JSON object (nameservers, domain, search, options). Code 7 on bad types. */
int cni_dns_parse(const cJSON *obj, struct cni_dns *ret, struct cni_err *err) CNI_MUST_USE;

/* Parse one route object of a config's list (index counts from 0) into *ret (zeroed). */
typedef int (*cni_route_conf_fn)(const cJSON *entry, size_t index, struct cni_route *ret,
				 struct cni_err *err);

/*
 * The "routes" list of an IPAM config section (obj) into a malloc'd array (NULL and 0 when
 * the list is absent or empty): every entry must be an object ("invalid network config:
 * 'routes' must be a list of objects", code 7) and is parsed by parse_entry, in order; the
 * first failure is returned and nothing is kept.
 */
int cni_routes_conf_parse(const cJSON *obj, cni_route_conf_fn parse_entry,
			  struct cni_route **ret_routes, size_t *ret_n,
			  struct cni_err *err) CNI_MUST_USE;

/*
 * The spec's limit for IPAM results of config version version: below 0.3.0 (or when the
 * version does not parse) a result holds one address per family, so num_v4 or num_v6 above
 * 1 is code 7 ("CNI version <v> does not support more than 1 address per family").
 */
int cni_result_check_ip_count(const char *version, size_t num_v4, size_t num_v6,
			      struct cni_err *err) CNI_MUST_USE;

/*
 * Parse a result object of any supported version. When it has no
 * cniVersion, default_version is assumed. Malformed content: code 6
 * (decode) naming the field.
 */
int cni_result_parse(const cJSON *obj, const char *default_version, struct cni_result **ret,
		     struct cni_err *err) CNI_MUST_USE;

/* Same from text. */
int cni_result_parse_text(const char *text, const char *default_version, struct cni_result **ret,
			  struct cni_err *err) CNI_MUST_USE;

/*
 * The config's prevResult with the reference's rules: absent gives *ret =
 * NULL; without cniVersion the config version is assumed; a version from
 * another family than the config's is an error.
 */
int cni_prev_result(const cJSON *conf, const char *conf_version, struct cni_result **ret,
		    struct cni_err *err) CNI_MUST_USE;

/*
 * Render r as the JSON of `version` (conversion included): 0.1.0/0.2.0 need
 * at least one IP ("cannot convert: no valid IP addresses"). Returns a tree.
 */
int cni_result_to_json(const struct cni_result *r, const char *version, cJSON **ret,
		       struct cni_err *err) CNI_MUST_USE;

/* Render r as printable text in `version` (Go's 4-space indented form). */
int cni_result_print(const struct cni_result *r, const char *version, char **ret,
		     struct cni_err *err) CNI_MUST_USE;

#endif
