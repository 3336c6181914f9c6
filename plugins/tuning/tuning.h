/* SPDX-License-Identifier: Apache-2.0 */
/* The tuning plugin's verbs: sysctls and link attributes of the container interface. */
#ifndef TUNING_TUNING_H
#define TUNING_TUNING_H

#include "cni/cni.h"

/*
 * ADD: write the sysctls inside the container netns, save the original link
 * attributes under dataDir, set MAC, promiscuous mode, MTU, allmulti and
 * txqueuelen of CNI_IFNAME, then print prevResult (interface MAC updated) in
 * the config's version. A failure puts back everything changed so far.
 */
int tuning_add(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err);

/* DEL: restore the saved link attributes and remove the file. Idempotent; a missing
 * netns, link or file is success (the file is removed). Sysctls are not restored. */
int tuning_del(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err);

/* CHECK: every configured sysctl and link attribute must have its configured value. */
int tuning_check(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err);

/* The plugin as cni_main() runs it (STATUS and GC: nothing to do, success). */
extern const struct cni_plugin tuning_plugin;

#endif
