/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The library's rtnetlink side (links, addresses, routes, VLANs, tc, and nl_rx_feed with every
 * attribute parser on each message) answering the scripted kernel of
 * fake_kernel.c. Input: op, flags, param, then the reply script (fuzz_nl_ops.h).
 */
#include "fuzz_nl_ops.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_nl_run(fuzz_rtnl_ops, fuzz_rtnl_n_ops, data, size);
	return 0;
}
