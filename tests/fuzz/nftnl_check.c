/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The helper of fake_kernel.c's guard: reads nftables messages (a byte saying whether to
 * parse it as a rule or a chain, enum fake_kernel_parse, a 32-bit length in host order,
 * then the message) from stdin and parses each with libnftnl, answering one byte on stdout
 * for each it survived. libnftnl 1.2.4 crashes, reads past the message or
 * exit()s on some malformed messages; this process (built with ASan, so that reads past
 * the message are caught) then dies instead of the fuzzer, which takes that for the answer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <libnftnl/chain.h>
#include <libnftnl/rule.h>

#include "fake_kernel.h"

/* Read exactly n bytes; 0 at the end of the input or on an error. */
static int read_all(void *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(STDIN_FILENO, (char *)buf + got, n - got);

		if (r <= 0)
			return 0;
		got += (size_t)r;
	}
	return 1;
}

int main(void)
{
	uint8_t kind;
	uint32_t len;

	while (read_all(&kind, sizeof(kind)) && read_all(&len, sizeof(len))) {
		/* Exactly as long as the message, as nft_read.c's copy of a rule. */
		uint32_t *msg = malloc(len ? len : 1);

		if (!msg || !read_all(msg, len))
			return 1;
		if (kind == FAKE_KERNEL_PARSE_CHAIN) {
			struct nftnl_chain *c = nftnl_chain_alloc();

			if (!c)
				return 1;
			(void)nftnl_chain_nlmsg_parse((const void *)msg, c);
			nftnl_chain_free(c);
		} else {
			struct nftnl_rule *r = nftnl_rule_alloc();

			if (!r)
				return 1;
			(void)nftnl_rule_nlmsg_parse((const void *)msg, r);
			nftnl_rule_free(r);
		}
		free(msg);
		if (write(STDOUT_FILENO, "y", 1) != 1)
			return 1;
	}
	return 0;
}
