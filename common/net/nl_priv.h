/* SPDX-License-Identifier: Apache-2.0 */
/* Test hooks of the netlink transport: nothing in the plugins or in common/ uses them. They
 * let a unit test act at a chosen point of an exchange, so that a race with the kernel
 * (e.g. a commit landing in the middle of a dump) is shown every time instead of when the
 * machine happens to be fast or slow enough. */
#ifndef CNI_NL_PRIV_H
#define CNI_NL_PRIV_H

#include "net/nl.h"

/* Called by nl_exchange() once per dump exchange, after the first datagram of the dump was
 * parsed when it did not complete the dump (the kernel fills the rest on later reads). It
 * must not use sock; it may use other sockets, whose dumps call it too. */
typedef void (*nl_dump_hook_fn)(struct nl_sock *sock, void *data);

/* Install fn (with its argument data) as the dump hook of this process; NULL removes it.
 * With no hook the transport pays one pointer test per datagram. Not thread-safe. */
void nl_test_set_dump_hook(nl_dump_hook_fn fn, void *data);

#endif
