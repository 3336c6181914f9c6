/* SPDX-License-Identifier: Apache-2.0 */
/* The portmap plugin's configuration, parsed once into typed fields. */
#ifndef PORTMAP_NETCONF_H
#define PORTMAP_NETCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cni/cni.h"
#include "err.h"
#include "ipnet.h"
#include "cni/result.h"

/* Which firewall implementation installs the rules. */
enum portmap_backend {
	PORTMAP_BACKEND_NFTABLES, /* "nftables" (also the default here) */
	PORTMAP_BACKEND_IPTABLES, /* "iptables": the reference's iptables layout (iptables.h) */
};

/* One entry of runtimeConfig.portMappings, validated. */
struct portmap_mapping {
	uint16_t host_port;	 /* hostPort, 1..65535 */
	uint16_t container_port; /* containerPort, 1..65535 */
	uint8_t proto;		 /* IPPROTO_TCP, IPPROTO_UDP or IPPROTO_SCTP */
	const char *proto_name;	 /* "tcp", "udp" or "sctp" (static string) */
	bool has_host_ip;	 /* hostIP given and not empty */
	struct ip_addr host_ip;	 /* hostIP; may be unspecified (0.0.0.0 / ::) */
};

/* Everything the portmap plugin reads from its config. */
struct portmap_conf {
	char *cni_version;		  /* config cniVersion ("0.1.0" if absent) */
	enum portmap_backend backend;	  /* backend, explicit or implied */
	bool backend_default;		  /* no backend given, none implied by the options:
					     ADD may pick iptables for a node holding the
					     reference's iptables state */
	bool snat;			  /* snat, default true */
	bool masq_all;			  /* masqAll, default false */
	int mark_masq_bit;		  /* markMasqBit (iptables only), default 13 */
	char *external_set_mark_chain;	  /* externalSetMarkChain (iptables only), or NULL */
	char **conditions_v4;		  /* conditionsV4, NULL-terminated, or NULL */
	char **conditions_v6;		  /* conditionsV6, NULL-terminated, or NULL */
	struct portmap_mapping *mappings; /* runtimeConfig.portMappings */
	size_t n_mappings;		  /* number of mappings */
	struct cni_result *prev;	  /* prevResult, NULL if absent */
	bool has_v4;			  /* a container IPv4 address was chosen */
	struct ip_net cont_v4;		  /* the container IPv4 address (with prefix) */
	bool has_v6;			  /* a container IPv6 address was chosen */
	struct ip_net cont_v6;		  /* the container IPv6 address (with prefix) */
};

/* How strictly portmap_conf_load() validates. */
enum portmap_load_mode {
	PORTMAP_LOAD_STRICT,  /* ADD/CHECK: every error is fatal */
	PORTMAP_LOAD_LENIENT, /* DEL/GC: mapping, condition, backend and prevResult errors are
				 logged and the offending part ignored, so a node can always be
				 cleaned */
};

/* Default markMasqBit of the reference (mark 0x2000). */
#define PORTMAP_DEFAULT_MARK_BIT 13

/*
 * Parse args->stdin_data. Config errors are code 7 naming the key or the
 * mapping ("invalid port mapping {hostPort: 70000, containerPort: 80,
 * protocol: tcp}: hostPort must be between 1 and 65535"); a malformed
 * prevResult keeps the code of the result parser. The container addresses
 * are chosen from prevResult as the reference does (first IPv4 and first
 * IPv6 of an interface named args->ifname with a sandbox, or without an
 * interface index).
 */
int portmap_conf_load(const struct cni_cmd_args *args, enum portmap_load_mode mode,
		      struct portmap_conf **ret, struct cni_err *err) CNI_MUST_USE;

/* Free a config (accepts NULL). */
void portmap_conf_free(struct portmap_conf *c);

/* For _cleanup_(portmap_conf_freep). */
static inline void portmap_conf_freep(struct portmap_conf **c)
{
	portmap_conf_free(*c);
}

/* Whether mapping m applies to container address family af (AF_INET/AF_INET6): always
 * without hostIP, else only when hostIP has that family. A mapping whose hostIP is of a
 * family the container has no address of maps nothing, and is skipped silently by ADD,
 * CHECK and DEL alike, as in the reference. */
bool portmap_mapping_applies(const struct portmap_mapping *m, int af);

/* Whether mapping m maps anything for the container of c (a container address of the
 * family its hostIP needs, if any). */
bool portmap_mapping_usable(const struct portmap_conf *c, const struct portmap_mapping *m);

/* Format "{hostPort: H, containerPort: C, protocol: P[, hostIP: A]}" into buf. */
char *portmap_mapping_format(const struct portmap_mapping *m, char *buf, size_t len);

#endif
