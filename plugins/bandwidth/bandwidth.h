/* SPDX-License-Identifier: Apache-2.0 */
/* The bandwidth plugin's verbs. */
#ifndef BANDWIDTH_BANDWIDTH_H
#define BANDWIDTH_BANDWIDTH_H

#include "cni/cni.h"

/* ADD: shape the container's host veth (found from prevResult) with a root tbf for
 * ingress, and for egress redirect its ingress to a new ifb device shaped by a tbf; print
 * prevResult plus the ifb. A failed ADD removes what it added. */
int bandwidth_add(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err);

/* DEL: delete the container's ifb device. Idempotent; needs neither the netns nor
 * prevResult, and a config it cannot use does not stop it. */
int bandwidth_del(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err);

/* CHECK: the tbf qdiscs (and for egress the ifb, the ingress qdisc and the redirect
 * filter) are there with the configured parameters. */
int bandwidth_check(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err);

/* GC: delete the ifb devices this plugin created for the network whose container is not
 * among cni.dev/valid-attachments. */
int bandwidth_gc(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err);

/* The plugin as cni_main() runs it (STATUS: always ready). */
extern const struct cni_plugin bandwidth_plugin;

#endif
