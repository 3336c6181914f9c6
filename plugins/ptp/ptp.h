/* SPDX-License-Identifier: Apache-2.0 */
/* The ptp plugin's verbs: a veth pair whose container end is routed through the node. */
#ifndef PTP_PTP_H
#define PTP_PTP_H

#include "cni/cni.h"
#include "cni/result.h"
#include "ptp/netconf.h"

struct nl_link;

/* Index of the container interface in the result (every IP points at it). */
#define PTP_RESULT_CONTAINER_IFACE 1

/*
 * ADD's result: the host end (name, MAC) and the container end (ifname, MAC, sandbox), IPAM's
 * addresses (all on the container end, index 1), routes, and DNS: the config's when it has
 * any field set, else IPAM's. NULL when out of memory.
 */
struct cni_result *ptp_result(const struct ptp_conf *conf, const struct nl_link *host,
			      const char *ifname, const struct nl_link *cont, const char *sandbox,
			      const struct cni_result *ipam);

/*
 * ADD: IPAM first; forwarding for the families it returned; a veth pair made from the
 * container (its end CNI_IFNAME, the node's end a random "veth%08x"); the addresses and
 * routes inside (every address's subnet through its gateway, which is on-link); the
 * gateways and a host route to each address on the node's end; ipMasq. A failure leaves no
 * link, address, route, rule or reservation.
 */
int ptp_add(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err);

/* DEL: the masquerade rules (both layouts, by name: no netns needed), the link, IPAM DEL.
 * A missing netns, link or rule is success. */
int ptp_del(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err);

/* CHECK: IPAM CHECK, the container end as the reference checks it, its addresses and routes,
 * the node's end (the peer, with the gateways and the host routes), the masquerade rules. */
int ptp_check(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err);

/* STATUS: IPAM STATUS. */
int ptp_status(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err);

/* GC: IPAM GC, then the masquerade rules of attachments not in the valid list. */
int ptp_gc(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err);

/* The plugin as cni_main() runs it. */
extern const struct cni_plugin ptp_plugin;

#endif
