/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A stand-in for the kernel's netlink side, so that fuzz targets drive the library's real
 * exchanges (nl.c, nft.c, nft_read.c, conntrack.c, tc.c and the plugins above them) with replies
 * taken from the fuzzer's input.
 *
 * fake_kernel.c defines libmnl's socket functions (mnl_socket_open2, _bind, _recvfrom,
 * ...) and sendmsg(), which take precedence over libmnl's and libc's (and ASan's weak
 * interceptor) in a program linking it. A netlink socket the library opens is then an
 * eventfd: sendmsg() on it records the request (its sequence numbers, whether it is a
 * dump, a batch and which messages want an ACK), and mnl_socket_recvfrom() returns the
 * next reply of the script. The eventfd is readable exactly when a reply is waiting, as
 * a netlink socket would be.
 *
 * A script is a sequence of datagrams, each a 16-bit little-endian length and that many
 * bytes. With FAKE_KERNEL_FIX_SEQ, every message of a datagram gets a sequence number of
 * the request it answers (seq_first + its own sequence number modulo the request's span)
 * and our port id unless its own was 0, so the fuzzer needs not guess them. With
 * FAKE_KERNEL_AUTO_END, once the script is used up each request gets the answer that
 * completes it (NLMSG_DONE for a dump, an ACK for each message that asked for one).
 * After FAKE_KERNEL_MAX_RECV replies every receive fails, so no exchange loops forever.
 *
 * Record mode (fake_kernel_record()) talks to the real kernel instead, through real
 * netlink sockets, and writes what it receives as a script with sequence numbers made
 * relative to each request and port ids 0 or 1: the seed corpora of the netlink targets
 * are such recordings (tests/fuzz/gen_nl_corpus.c).
 */
#ifndef FUZZ_FAKE_KERNEL_H
#define FUZZ_FAKE_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Rewrite sequence numbers and port ids of scripted replies (see above). */
#define FAKE_KERNEL_FIX_SEQ 0x1
/* Complete each request once the script is used up. */
#define FAKE_KERNEL_AUTO_END 0x2
/* Receives per script before every further one fails. */
#define FAKE_KERNEL_MAX_RECV 512

/* Start a script: the replies are data[0..size) (copied), flags FAKE_KERNEL_*. */
void fake_kernel_script(const uint8_t *data, size_t size, unsigned flags);

/* Record real replies from now on, appending them as a script to out (NULL: stop). */
void fake_kernel_record(FILE *out);

/* What libnftnl parses the data messages of a reply as. */
enum fake_kernel_parse {
	FAKE_KERNEL_PARSE_NONE,	 /* nothing: libnftnl never sees them */
	FAKE_KERNEL_PARSE_RULE,	 /* rules (the answer to a rule dump) */
	FAKE_KERNEL_PARSE_CHAIN, /* chains (the answer to a chain request, dump or not) */
};

/*
 * Keep the answer to an nftables rule dump or chain request away from the bugs of libnftnl
 * 1.2.4, so that the fuzzer goes on looking for ours: its nftnl_rule_nlmsg_parse()
 * dereferences a missing NFTA_EXPR_NAME, reads past a string attribute without a NUL, and
 * it and nftnl_chain_nlmsg_parse() call exit() ("nf_tables kernel ABI is broken") on an
 * attribute of an unexpected size. A data message of such a reply (nft_read.c takes each
 * for a rule or a chain, whatever its type) that libnftnl does not survive, as tried by the
 * helper program nftnl_check (which dies instead), loses its expression list (a rule: the
 * attribute gets a type libnftnl skips), or becomes a NLMSG_NOOP when that is not enough.
 * Every scripted reply passes through this.
 */
void fake_kernel_guard(uint8_t *buf, size_t len, enum fake_kernel_parse parse);

/* Number of requests sent since the last fake_kernel_script(). */
size_t fake_kernel_requests(void);

#endif
