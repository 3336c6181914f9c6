/* SPDX-License-Identifier: Apache-2.0 */
/* The static IPAM verbs: ADD and CHECK (DEL, STATUS and GC have nothing to do). */
#ifndef STATIC_IPAM_STATIC_H
#define STATIC_IPAM_STATIC_H

#include "cni/cni.h"
#include "err.h"

/* The plugin as cni_main() runs it. */
extern const struct cni_plugin static_ipam_plugin;

/* ADD: print the configured addresses, routes and DNS as the IPAM result. */
int static_ipam_add(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err);

/* CHECK: the config must be valid and prevResult must agree with its addresses. */
int static_ipam_check(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err);

#endif
