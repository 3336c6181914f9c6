/* SPDX-License-Identifier: Apache-2.0 */
/* The loopback verbs: bring `lo` up (ADD) or down (DEL) in the container's netns. */
#ifndef LOOPBACK_LOOPBACK_H
#define LOOPBACK_LOOPBACK_H

#include <stdbool.h>

#include "cni/cni.h"
#include "cni/result.h"
#include "err.h"
#include "ipnet.h"

/* The plugin as cni_main() runs it. */
extern const struct cni_plugin loopback_plugin;

/* What ADD takes from the network config. */
struct loopback_conf {
	bool has_version;	 /* cniVersion is given and not empty */
	struct cni_result *prev; /* prevResult, NULL when absent */
};

/* The addresses ADD found on lo: the first of each family, family 0 = none. */
struct loopback_addrs {
	struct ip_net v4; /* first IPv4 address */
	struct ip_net v6; /* first IPv6 address */
};

/*
 * Check the network config the way the reference decodes it (the fields of a
 * plain plugin config must have their types: code 7, "failed to parse network
 * config: ...") and parse its prevResult for version (the config's version,
 * "0.1.0" when absent). Fills *ret; free it with loopback_conf_clear().
 */
int loopback_conf_load(const char *data, size_t len, const char *version, struct loopback_conf *ret,
		       struct cni_err *err) CNI_MUST_USE;

/* Free what loopback_conf_load() filled in. */
void loopback_conf_clear(struct loopback_conf *c);

/*
 * The ADD result text. With a prevResult: that result in version. Otherwise
 * the reference's: interface lo (MAC all zero, sandbox netns) and the
 * addresses, in the 1.x layout labelled with version whatever it is, or the
 * 0.1.0 layout when the config has no cniVersion.
 */
int loopback_result(const struct loopback_conf *c, const char *version, const char *netns,
		    const struct loopback_addrs *addrs, char **ret_out,
		    struct cni_err *err) CNI_MUST_USE;

/* True when a is a loopback address as Go's IP.IsLoopback() says (127/8, ::1). */
bool loopback_is_loopback(const struct ip_addr *a);

/* ADD: set lo up and report it with its addresses. */
int loopback_add(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err);

/* DEL: set lo down; an empty, missing or stale CNI_NETNS is success. */
int loopback_del(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err);

/* CHECK: lo must be up ("loopback interface is down"). */
int loopback_check(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err);

#endif
