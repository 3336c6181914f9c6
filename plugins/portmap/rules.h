/* SPDX-License-Identifier: Apache-2.0 */
/* The reference portmap's nftables layout (tables, chains, rules tagged by container ID),
 * queued into one transaction per command. */
#ifndef PORTMAP_RULES_H
#define PORTMAP_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cni/cni.h"
#include "err.h"
#include "net/nft.h"
#include "portmap/netconf.h"
#include "portmap/nftset.h"

/* Names shared with the Go plugin's nftables backend: a node can switch between the two. */
#define PM_TABLE	    "cni_hostport"
#define PM_TABLE_COMMENT    "CNI portmap plugin"
#define PM_CHAIN_HOSTPORTS  "hostports"
#define PM_CHAIN_HOSTIP	    "hostip_hostports"
#define PM_CHAIN_ALL	    "hostports_all"
#define PM_CHAIN_PREROUTING "prerouting"
#define PM_CHAIN_OUTPUT	    "output"
#define PM_CHAIN_MASQ	    "masquerading"

/* Longest container ID the rules can carry: it is their whole comment. */
#define PM_ID_MAX NFT_COMMENT_MAX

/* Would ADD write rules tagged with the container ID (a DNAT rule for a mapping of a
 * family the container has, or a masquerade rule)? */
bool pm_conf_tags_rules(const struct portmap_conf *c);

/* One rule the layout wants, with its nft text for messages and tests. */
struct pm_rule {
	int family;	       /* NFPROTO_IPV4 or NFPROTO_IPV6 */
	const char *chain;     /* PM_CHAIN_* */
	char text[256];	       /* the rule in nft syntax, without the comment */
	struct nft_rule *rule; /* the built rule (comment included) */
};

/* A list of wanted rules. */
struct pm_rule_set {
	struct pm_rule *v; /* rules */
	size_t n;	   /* number of rules */
	size_t cap;	   /* allocated entries of v */
};

/* Free the rules of a set (the set struct itself is the caller's); usable as
 * _cleanup_(pm_rule_set_clear). */
void pm_rule_set_clear(struct pm_rule_set *s);

/*
 * The per-container rules for one family (NFPROTO_IPV4/IPV6) whose container
 * address is cont: DNAT rules in hostports for every mapping of that family,
 * then, with snat, the masquerade rule(s). Appended to *set.
 */
int pm_build_container_rules(const struct portmap_conf *c, const char *container_id, int family,
			     const struct ip_addr *cont, struct pm_rule_set *set,
			     struct cni_err *err) CNI_MUST_USE;

/* UDP host ports whose conntrack entries are to be flushed. */
struct pm_ports {
	uint16_t *v; /* ports, without duplicates */
	size_t n;    /* number of ports */
	size_t cap;  /* allocated entries of v */
};

/* Add a port unless present: 0, or -ENOMEM leaving the set unchanged. */
int pm_ports_add(struct pm_ports *p, uint16_t port) CNI_MUST_USE;

/* Free the ports (the struct itself is the caller's); usable as _cleanup_(pm_ports_clear). */
void pm_ports_clear(struct pm_ports *p);

/* Add the UDP host ports of the config's mappings that apply to address family af
 * (AF_INET/AF_INET6), or with af 0 of every mapping whatever its hostIP (ADD flushes those
 * of every family the container has, as the reference does). */
int pm_conf_udp_ports(const struct portmap_conf *c, int af, struct pm_ports *ports,
		      struct cni_err *err) CNI_MUST_USE;

/* The UDP destination port a rule matches ("meta l4proto udp" then "udp dport P"), or 0. */
uint16_t pm_rule_udp_dport(const struct nftnl_rule *nlr);

/* The anonymous sets the dispatch rules of an ADD look up (conditions with "{ ... }"),
 * queued into the batch just before each rule (nftset.h). */
struct pm_dispatch {
	struct pm_sets sets; /* the sets of every dispatch rule */
};

/* Free the sets (the struct itself is the caller's); usable as
 * _cleanup_(pm_dispatch_clear). */
void pm_dispatch_clear(struct pm_dispatch *d);

/*
 * ADD: queue what is missing of the skeleton of every family the container has an
 * address of (tables, chains, and the dispatch chains' rules, rewritten only when they
 * differ), the deletion of every rule already tagged with container_id in both families,
 * and the container's new rules, as one batch for nft_txn_commit(); the sets the dispatch
 * rules look up are queued before them and kept in *d (empty on entry). Nothing is sent.
 * *ret_n_rules (may be NULL) gets the number of container rules queued.
 */
int pm_queue_add(struct nft_txn *txn, const struct portmap_conf *c, const char *container_id,
		 size_t *ret_n_rules, struct pm_dispatch *d, struct cni_err *err) CNI_MUST_USE;

/* pm_queue_add(), except that without replace the container's earlier rules are neither
 * looked for nor deleted (a walk of every container's rules): for an ADD that knows there
 * are none, so that its batch is only appends when the skeleton exists. */
int pm_queue_attach(struct nft_txn *txn, const struct portmap_conf *c, const char *container_id,
		    bool replace, size_t *ret_n_rules, struct pm_dispatch *d,
		    struct cni_err *err) CNI_MUST_USE;

/*
 * Predicate for rule deletion: which container IDs are to be removed, either
 * one (DEL) or a list (GC). Deleted UDP ports are collected into udp4/udp6
 * (may be NULL).
 */
struct pm_del_filter {
	const char *container_id; /* DEL: remove rules with this comment */
	char *const *ids;	  /* GC: remove rules whose comment is one of these */
	size_t n_ids;		  /* number of ids */
	struct pm_ports *udp4;	  /* UDP host ports of deleted IPv4 rules, or NULL */
	struct pm_ports *udp6;	  /* same for IPv6 */
	size_t deleted;		  /* rules queued for deletion */
};

/* DEL/GC: queue the deletion of every selected rule in hostports, hostip_hostports and
 * masquerading of both families. Missing tables and chains are skipped. f->deleted is
 * increased by the number of deletes queued. */
int pm_queue_delete(struct nft_txn *txn, struct pm_del_filter *f, struct cni_err *err) CNI_MUST_USE;

/*
 * CHECK: every rule the config implies for this container must exist in its
 * chain (compared expression by expression, comment included). The error
 * names the chain and the first missing rule:
 * missing hostport rules in "hostports" chain: tcp dport 8080 dnat to 10.1.0.2:80
 */
int pm_check(struct nft_txn *txn, const struct portmap_conf *c, const char *container_id,
	     struct cni_err *err) CNI_MUST_USE;

#endif
