/* SPDX-License-Identifier: Apache-2.0 */
/* The portmap plugin's verbs. */
#ifndef PORTMAP_PORTMAP_H
#define PORTMAP_PORTMAP_H

#include "cni/cni.h"

/* ADD: forward the mapped host ports to the container addresses of prevResult, then
 * print prevResult unchanged (in the config's version). */
int portmap_add(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err);

/* DEL: remove every rule tagged with the container ID (both families), flush UDP
 * conntrack entries of the removed host ports. Idempotent; needs no prevResult. */
int portmap_del(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err);

/* CHECK: every rule the config implies for the container must exist. */
int portmap_check(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err);

/* GC: remove rules whose container ID is not in cni.dev/valid-attachments. */
int portmap_gc(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err);

/* The plugin as cni_main() runs it (STATUS: always ready). */
extern const struct cni_plugin portmap_plugin;

#endif
