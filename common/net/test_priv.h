/* SPDX-License-Identifier: Apache-2.0 */
/* Test hooks: functions of common/net that only the tests call, to look inside a batch
 * before it is sent, to set up and tear down kernel state, or to check what a command
 * left behind. No plugin or tool uses them; nothing outside tests/ but their own
 * definitions includes this header. */
#ifndef CNI_NET_TEST_PRIV_H
#define CNI_NET_TEST_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "net/nft.h"
#include "net/nl.h"

/* ---- nl.c -------------------------------------------------------------------------- */

/* Called by nl_exchange() once per dump exchange, after the first datagram of the dump was
 * parsed when it did not complete the dump (the kernel fills the rest on later reads). It
 * must not use sock; it may use other sockets, whose dumps call it too. It lets a test act
 * at a chosen point of an exchange (e.g. commit to nftables in the middle of a dump), so
 * that a race with the kernel is shown every time, not when the machine happens to be fast
 * or slow enough. */
typedef void (*nl_dump_hook_fn)(struct nl_sock *sock, void *data);

/* Install fn (with its argument data) as the dump hook of this process; NULL removes it.
 * With no hook the transport pays one pointer test per datagram. Not thread-safe. */
void nl_test_set_dump_hook(nl_dump_hook_fn fn, void *data);

/* ---- nft.c, nft_read.c, nft_expr.c ------------------------------------------------------------- */

/* Number of messages queued and not yet committed. */
size_t nft_txn_pending(const struct nft_txn *txn);

/* Queue "delete table <family> <name>" (fails at commit when it does not exist). */
int nft_txn_delete_table(struct nft_txn *txn, int family, const char *name,
			 struct cni_err *err) CNI_MUST_USE;

/* A copy of the queued batch as it would be sent, without the final BATCH_END: the
 * NFNL_MSG_BATCH_BEGIN message (with the generation when the batch is bound to it)
 * followed by the queued messages. Empty (NULL, 0) when nothing is queued. Free *ret_buf
 * with free(). */
int nft_txn_copy_batch(const struct nft_txn *txn, void **ret_buf, size_t *ret_len,
		       struct cni_err *err) CNI_MUST_USE;

/* Number of expressions in the rule so far. */
size_t nft_rule_expr_count(const struct nft_rule *rule);

/* ---- xt_txn.c, xt_cni.c ------------------------------------------------------------ */

/* The chain's rules as `iptables -S <chain>` prints its -A lines, each ending in "\n"
 * ("" for none or a missing chain). Free *ret_text. */
int xt_format_chain(struct nft_txn *txn, int family, const char *table, const char *chain,
		    char **ret_text, struct cni_err *err) CNI_MUST_USE;

/* Is any of the container's ipMasq state there (its chain or a POSTROUTING jump to it, in
 * either family)? */
int xt_cni_masq_present(struct nft_txn *txn, const char *network, const char *container_id,
			bool *ret_present, struct cni_err *err) CNI_MUST_USE;

/* ---- conntrack.c ------------------------------------------------------------------- */

/* Delete every conntrack entry of family (AF_INET or AF_INET6) in the current network
 * namespace whose original tuple has L4 protocol proto and original destination port
 * port, in any zone and for any address. Entries that vanish meanwhile are not an error.
 * *ret_deleted (may be NULL) gets the number deleted. -EINVAL ("conntrack: unsupported
 * address family N"), the errors of ct_open(), and those of ct_delete_by_dports() but
 * for the message of a failed delete ("failed to delete conntrack entry for udp port N"). */
int ct_delete_by_dport(int family, uint8_t proto, uint16_t port, unsigned int *ret_deleted,
		       struct cni_err *err) CNI_MUST_USE;

/* Count the entries ct_delete_by_dport() would delete. Errors as ct_delete_by_dport(). */
int ct_count_by_dport(int family, uint8_t proto, uint16_t port, unsigned int *ret_count,
		      struct cni_err *err) CNI_MUST_USE;

/* ---- netns.c ----------------------------------------------------------------------- */

/* Whether fd refers to the calling thread's own network namespace (same st_dev/st_ino as
 * /proc/thread-self/ns/net). -errno of fstat()/stat(). */
int netns_is_current(int fd, bool *ret_is_current, struct cni_err *err);

#endif
