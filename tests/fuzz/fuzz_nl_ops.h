/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The library calls the netlink fuzz targets make, shared with the seed generator that
 * records the real kernel's answers to them (gen_nl_corpus.c). An input of fuzz_rtnl or
 * fuzz_nfnl is "op, flags, param" followed by the reply script of fake_kernel.h; flags
 * are FAKE_KERNEL_* bits; param is an ifindex or a port, as each op says.
 */
#ifndef FUZZ_NL_OPS_H
#define FUZZ_NL_OPS_H

#include <stddef.h>
#include <stdint.h>

/* One call: op's index, its parameter, and (for the direct parser op) the script. */
struct fuzz_nl_call {
	uint8_t op;	       /* index into the target's table */
	uint8_t param;	       /* ifindex, port or selector */
	const uint8_t *script; /* the reply script (op 0 of fuzz_rtnl parses it directly) */
	size_t script_len;     /* its length */
};

/* An op: runs the library call; what it returns is not checked. */
struct fuzz_nl_op {
	const char *name;			      /* for seed file names */
	void (*run)(const struct fuzz_nl_call *call); /* the call */
};

/* The rtnetlink ops: links, addresses, routes, VLANs, tc, and the receive parser itself. */
extern const struct fuzz_nl_op fuzz_rtnl_ops[];
/* Their number. */
extern const size_t fuzz_rtnl_n_ops;

/* The netfilter ops: nftables listing and batches, conntrack, and what bridge and portmap
 * build on them. */
extern const struct fuzz_nl_op fuzz_nfnl_ops[];
/* Their number. */
extern const size_t fuzz_nfnl_n_ops;

/* One fuzz input of a netlink target: "op, flags, param" picks an op of ops (n_ops of
 * them), the rest is the reply script the scripted kernel answers it with. */
void fuzz_nl_run(const struct fuzz_nl_op *ops, size_t n_ops, const uint8_t *data, size_t size);

/* Names the ops use, which the generator creates in its private namespace. */
#define FUZZ_NL_LINK	"veth0"
#define FUZZ_NL_TABLE	"t"
#define FUZZ_NL_CHAIN	"c"
#define FUZZ_NL_CID	"fuzzcid"
#define FUZZ_NL_NETWORK "fuzznet"

#endif
