/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Go types the dhcp plugin and daemon exchange over net/rpc, as C structs
 * with their gob schemas: rpc.Request, rpc.Response, skel.CmdArgs,
 * current.Result (types/100, the newest shape; the 1.1.1 shape is a subset
 * and decodes the same) and the empty struct Release replies with. Strings
 * are malloc'd (NULL reads as ""), byte slices and *int as in gob.h. Free a
 * decoded value with gob_free(&<type>_schema, &value).
 */
#ifndef CNI_DHCP_RPC_TYPES_H
#define CNI_DHCP_RPC_TYPES_H

#include <stdint.h>

#include "cni/result.h"
#include "dhcp/gob.h"

/* Go's rpc.Request. */
struct rpc_request {
	char *service_method; /* "Service.Method" */
	uint64_t seq;	      /* sequence number chosen by the client */
};

/* Go's rpc.Response. */
struct rpc_response {
	char *service_method; /* echoed from the request */
	uint64_t seq;	      /* echoed from the request */
	char *error;	      /* error text; NULL or "" = success */
};

/* Go's skel.CmdArgs (NetnsOverride: newest releases only). */
struct rpc_cmd_args {
	char *container_id;	     /* CNI_CONTAINERID */
	char *netns;		     /* CNI_NETNS, made absolute by the plugin */
	char *ifname;		     /* CNI_IFNAME */
	char *args;		     /* CNI_ARGS, raw */
	char *path;		     /* CNI_PATH */
	char *netns_override;	     /* CNI_NETNS_OVERRIDE */
	struct gob_bytes stdin_data; /* the whole network config */
};

/* Go's net.IPNet: raw 4- or 16-byte address and mask. */
struct rpc_ipnet {
	struct gob_bytes ip;   /* address */
	struct gob_bytes mask; /* mask */
};

/* Go's current.Interface. */
struct rpc_iface {
	char *name;	   /* interface name */
	char *mac;	   /* MAC text */
	int64_t mtu;	   /* MTU (newest only) */
	char *sandbox;	   /* netns path */
	char *socket_path; /* vhost-user socket (newest only) */
	char *pci_id;	   /* PCI ID (newest only) */
};

/* Go's current.IPConfig. */
struct rpc_ipconfig {
	struct gob_opt_int iface; /* Interface *int */
	struct rpc_ipnet address; /* Address net.IPNet */
	struct gob_bytes gateway; /* Gateway net.IP */
};

/* Go's types.Route (MTU and after: newest only). */
struct rpc_route {
	struct rpc_ipnet dst;	  /* Dst */
	struct gob_bytes gw;	  /* GW */
	int64_t mtu;		  /* MTU */
	int64_t advmss;		  /* AdvMSS */
	int64_t priority;	  /* Priority (metric) */
	struct gob_opt_int table; /* Table *int */
	struct gob_opt_int scope; /* Scope *int */
};

/* Go's types.DNS. */
struct rpc_dns {
	char **nameservers;   /* Nameservers */
	size_t n_nameservers; /* their number */
	char *domain;	      /* Domain */
	char **search;	      /* Search */
	size_t n_search;      /* their number */
	char **options;	      /* Options */
	size_t n_options;     /* their number */
};

/* Go's current.Result. */
struct rpc_result {
	char *cni_version;	  /* CNIVersion */
	struct rpc_iface *ifaces; /* Interfaces */
	size_t n_ifaces;	  /* their number */
	struct rpc_ipconfig *ips; /* IPs */
	size_t n_ips;		  /* their number */
	struct rpc_route *routes; /* Routes */
	size_t n_routes;	  /* their number */
	struct rpc_dns dns;	  /* DNS */
};

/* The empty struct (Release's reply, and the body of every error response). */
struct rpc_empty {
	char unused; /* C needs a member */
};

extern const struct gob_schema rpc_request_schema;  /* rpc.Request */
extern const struct gob_schema rpc_response_schema; /* rpc.Response */
extern const struct gob_schema rpc_cmd_args_schema; /* skel.CmdArgs */
extern const struct gob_schema rpc_result_schema;   /* current.Result */
extern const struct gob_schema rpc_empty_schema;    /* struct {} */

/*
 * Convert a decoded Result to the suite's result form (*ret, version set from
 * CNIVersion when it fits): addresses of 4 or 16 bytes, masks of the address
 * family's length in prefix form (a non-contiguous mask is an error), a missing
 * Interface as -1. Code 6, -EBADMSG, for what Go could not have printed.
 */
int rpc_result_to_cni(const struct rpc_result *in, struct cni_result **ret,
		      struct cni_err *err) CNI_MUST_USE;

/*
 * Fill *out (zeroed first; free with gob_free) from a result of the suite:
 * IPv4 as 4 bytes, IPv6 as 16, masks of the same length. 0 or -ENOMEM.
 */
int rpc_result_from_cni(const struct cni_result *in, struct rpc_result *out,
			struct cni_err *err) CNI_MUST_USE;

#endif
