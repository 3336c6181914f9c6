/* SPDX-License-Identifier: Apache-2.0 */
/* The host-local verbs: ADD, DEL, CHECK, STATUS, GC. */
#ifndef HOSTLOCAL_HOSTLOCAL_H
#define HOSTLOCAL_HOSTLOCAL_H

#include "cni/cni.h"
#include "err.h"

/*
 * Environment variable that disables the store index when set to "0" (every
 * session then reads all reservation files, as the reference does); for
 * benchmarks and as an escape hatch.
 */
#define HOSTLOCAL_INDEX_ENV "HOSTLOCAL_INDEX"

/* The plugin as cni_main() runs it. */
extern const struct cni_plugin hostlocal_plugin;

/* ADD: reserve one address per range set and print the IPAM result. */
int hostlocal_add(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err);

/* DEL: release the attachment's reservations; unknown attachments succeed. */
int hostlocal_del(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err);

/* CHECK: the attachment must own at least one reservation. */
int hostlocal_check(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err);

/* STATUS: the store directory must be creatable and writable (else code 50). */
int hostlocal_status(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err);

/* GC: release reservations of attachments not in cni.dev/valid-attachments. */
int hostlocal_gc(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err);

#endif
