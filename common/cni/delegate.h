/* SPDX-License-Identifier: Apache-2.0 */
/* Finding and executing a delegated plugin (IPAM) from CNI_PATH. */
#ifndef CNI_DELEGATE_H
#define CNI_DELEGATE_H

#include <stddef.h>

#include "cni/cni.h"
#include "err.h"
#include "cni/result.h"

/*
 * Find plugin `type` in the ':'-separated `path`. Empty type: "no plugin name
 * provided"; not found: "failed to find plugin \"x\" in path [a b]". The path
 * returned is malloc'd.
 */
int delegate_find(const char *type, const char *path, char **ret, struct cni_err *err) CNI_MUST_USE;

/*
 * Execute plugin `type` (found in args->path) with `stdin_data` on its stdin and the
 * environment libcni gives a plugin: the caller's, with CNI_COMMAND set to `command` and
 * CNI_CONTAINERID, CNI_NETNS, CNI_ARGS, CNI_IFNAME and CNI_PATH set from args (NULL
 * fields as ""); the caller's own environment is not changed. On exit status 0, *ret_out (if
 * non-NULL) gets its stdout. Otherwise its JSON error is passed through into
 * err (code, msg, details); non-JSON output becomes a code-999 error
 * carrying it.
 */
int delegate_exec(const char *type, const char *command, const struct cni_cmd_args *args,
		  const char *stdin_data, size_t stdin_len, char **ret_out,
		  struct cni_err *err) CNI_MUST_USE;

/*
 * Undo a delegate's ADD after the command failed later: DEL through it with the same input.
 * A failure is only a warning through args->log: the ADD's own error is what the runtime
 * needs to see.
 */
void delegate_undo_add(const char *type, const struct cni_cmd_args *args);

/*
 * ADD through a delegate and parse its result (version defaults to the config's).
 * -ECHILD when the delegate failed without reporting a CNI error (killed, crashed, or
 * printing something else): what it allocated is unknown, so the caller should DEL through
 * it (delegate_undo_add) before it removes what that DEL may need (the link a dhcp
 * release goes out on).
 */
int delegate_add(const char *type, const struct cni_cmd_args *args, struct cni_result **ret,
		 struct cni_err *err) CNI_MUST_USE;

#endif
