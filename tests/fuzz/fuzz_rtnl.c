/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The library's rtnetlink side (links, addresses, routes, VLANs, tc, and nl_rx_feed with every
 * attribute parser on each message) answering the scripted kernel of
 * fake_kernel.c. Input: op, flags, param, then the reply script (fuzz_nl_ops.h).
 */
#include "fake_kernel.h"
#include "fuzz_nl_ops.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	struct fuzz_nl_call call;
	uint8_t flags;

	call.op = fuzz_byte(&in);
	flags = fuzz_byte(&in);
	call.param = fuzz_byte(&in);
	call.script = in.p;
	call.script_len = in.left;
	fake_kernel_script(in.p, in.left, flags);
	fuzz_quiet(true);
	fuzz_rtnl_ops[call.op % fuzz_rtnl_n_ops].run(&call);
	fuzz_quiet(false);
	return 0;
}
