/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The library's netfilter side (nftables listings and batches, conntrack, and the rules
 * bridge and portmap list, add, check and delete) answering the scripted kernel of
 * fake_kernel.c. Input: op, flags, param, then the reply script (fuzz_nl_ops.h).
 */
#include "fuzz_nl_ops.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_nl_run(fuzz_nfnl_ops, fuzz_nfnl_n_ops, data, size);
	return 0;
}
