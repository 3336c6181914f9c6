/* SPDX-License-Identifier: Apache-2.0 */
/* The bandwidth plugin's configuration, the reference's validation, its derived names and
 * the token bucket parameters it computes. */
#ifndef BANDWIDTH_NETCONF_H
#define BANDWIDTH_NETCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cni/cni.h"
#include "cni/result.h"
#include "err.h"
#include "net/rtnl.h"
#include "net/tc.h"

/* One set of limits (CONVENTIONS.md "bandwidth"): rates in bits per second, bursts in
 * bits, 0 = no limit. */
struct bw_entry {
	uint64_t ingress_rate;	/* ingressRate: traffic into the container */
	uint64_t ingress_burst; /* ingressBurst */
	uint64_t egress_rate;	/* egressRate: traffic out of the container */
	uint64_t egress_burst;	/* egressBurst */
};

/* Everything the plugin reads from its config. */
struct bw_conf {
	char *cni_version;	 /* config cniVersion ("0.1.0" if absent) */
	bool has_bw;		 /* a set of limits applies (top level or runtimeConfig) */
	bool from_runtime;	 /* it is runtimeConfig.bandwidth */
	struct bw_entry bw;	 /* the limits, all 0 unless has_bw */
	struct cni_result *prev; /* prevResult, NULL if absent */
};

/* Prefix of the ifb device name, and its length (the reference's). */
#define BW_IFB_PREFIX	"bwp"
#define BW_IFB_NAME_LEN 15

/* Latency the reference derives the tbf queue limit from, in milliseconds. */
#define BW_LATENCY_MS 25

/* The versions the plugin speaks (the reference's VersionsStartingFrom("0.3.0")),
 * NULL-terminated: the skel lists them in VERSION and refuses others with code 1. */
extern const char *const bw_supported_versions[];

/*
 * Parse args->stdin_data: the four keys at the top level and in runtimeConfig.bandwidth
 * (each a JSON integer 0..2^64-1, else code 7 naming the key), which set applies (the top
 * level as soon as any of its four keys is present, even as null, as the reference's
 * embedded pointer decides), the reference's checks of that set (code 7, its texts: "if
 * rate is set, burst must also be set", "if burst is set, rate must also be set", "burst
 * cannot be more than 4GB"; ingress first), then prevResult (its parser's codes). Keys the
 * reference no longer reads (unshapedSubnets, shapedSubnets) are warned about through log.
 */
int bw_conf_load(const struct cni_cmd_args *args, struct bw_conf **ret,
		 struct cni_err *err) CNI_MUST_USE;

/* Free a config (accepts NULL). */
void bw_conf_free(struct bw_conf *c);

/* For _cleanup_(bw_conf_freep). */
static inline void bw_conf_freep(struct bw_conf **c)
{
	bw_conf_free(*c);
}

/* Whether ingress (resp. egress) shaping is on: rate and burst both non-zero. */
bool bw_ingress_on(const struct bw_entry *e);
bool bw_egress_on(const struct bw_entry *e);

/* The ifb device of a container: "bwp" + lower-case hex SHA-512 of network name followed by
 * container ID, cut to 15 characters, into out (NL_IFNAMSIZ bytes). -ENOMEM. */
int bw_ifb_name(const char *network, const char *container_id, char *out,
		struct cni_err *err) CNI_MUST_USE;

/* Go's uint32(f) for a float64 on the build architecture: amd64 (and others) convert to
 * int64 and keep the low 32 bits, an out-of-range value or NaN giving 0; arm64 saturates
 * (NaN and negatives 0, too large 2^32-1). */
uint32_t bw_go_f64_to_u32(double f);

/* The tbf parameters the reference computes for rate (bits/s, > 0) and burst (bits) with
 * tick_usec microseconds per scheduler tick: rate/8 bytes/s, buffer = ticks of
 * (burst/8 * 1e6 / (rate/8)) microseconds, limit = rate/8 * 25 ms + burst/8 bytes, with
 * Go's float and integer conversions (wrapping included). */
void bw_tbf_params(uint64_t rate_bits, uint64_t burst_bits, double tick_usec, struct tc_tbf *ret);

/* The alias an ifb created for (network, container_id) carries, so that GC can tell whose
 * it is: "cni-bandwidth <network> <containerID>". -ENAMETOOLONG when it does not fit
 * NL_ALIAS_MAX (no alias is set then). */
int bw_ifb_alias(const char *network, const char *container_id, char *out, size_t len);

/* Split an alias made by bw_ifb_alias(): pointers into buf (modified). false when alias is
 * not one of ours. */
bool bw_ifb_alias_parse(char *buf, const char **ret_network, const char **ret_container_id);

#endif
