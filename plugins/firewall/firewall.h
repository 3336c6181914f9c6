/* SPDX-License-Identifier: Apache-2.0 */
/* The firewall plugin: the reference's iptables backend (CNI-FORWARD, the admin chain,
 * per-address accept rules, the ingressPolicy isolation chains) on the iptables-nft layer
 * (net/xt.h). */
#ifndef FIREWALL_FIREWALL_H
#define FIREWALL_FIREWALL_H

#include <stdbool.h>
#include <stddef.h>

#include "cni/cni.h"
#include "cni/result.h"
#include "cleanup.h"
#include "err.h"

/* Chains and comments of the reference's layout. */
#define FW_CHAIN_FORWARD      "CNI-FORWARD"
#define FW_CHAIN_ADMIN	      "CNI-ADMIN"
#define FW_CHAIN_ISO1	      "CNI-ISOLATION-STAGE-1"
#define FW_CHAIN_ISO2	      "CNI-ISOLATION-STAGE-2"
#define FW_COMMENT_FORWARD    "CNI firewall plugin rules"
#define FW_COMMENT_ADMIN      "CNI firewall plugin admin overrides"
#define FW_COMMENT_ISO_SHARED "CNI firewall plugin rules (ingressPolicy: same-bridge|isolated)"

/* The plugin as cni_main() runs it. */
extern const struct cni_plugin firewall_plugin;

/* The versions the reference speaks (0.4.0 and later). */
extern const char *const fw_supported_versions[];

/* ingressPolicy. */
enum fw_ingress {
	FW_INGRESS_OPEN,	/* "" or "open": no isolation */
	FW_INGRESS_SAME_BRIDGE, /* "same-bridge": no traffic from other bridges */
	FW_INGRESS_ISOLATED,	/* "isolated": not even within the bridge */
};

/* The parsed network config. */
struct fw_conf {
	char *cni_version;	 /* cniVersion */
	char *admin_chain;	 /* iptablesAdminChainName, CNI-ADMIN by default */
	enum fw_ingress ingress; /* ingressPolicy */
	struct cni_result *prev; /* prevResult, NULL when absent */
};

/* Free a config. Accepts NULL. */
void fw_conf_free(struct fw_conf *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct fw_conf *, fw_conf_free)

/* Parse and check the config the way the reference does: "backend" "iptables" or a value
 * other than "firewalld" selects this iptables backend (a running firewalld is only
 * warned about), "firewalld" is refused with code 2; "firewalldZone" is accepted and
 * unused; an unknown "ingressPolicy" is an error (unknown ingress policy: "x"); a bad
 * admin chain name is code 7. */
int fw_conf_load(const struct cni_cmd_args *args, struct fw_conf **ret,
		 struct cni_err *err) CNI_MUST_USE;

#endif
