/* SPDX-License-Identifier: Apache-2.0 */
/*
 * host-local's config reader (ipam_conf_load: ranges, legacy range, routes,
 * requested IPs from CNI_ARGS after FUZZ_ARGS_SEP, args and runtimeConfig),
 * then what ADD does with a valid config before it touches the store: the
 * allocator's walk over each range set, from its start and from each
 * requested address. Every candidate must lie in the range it is reported
 * for and in the set, and never be that range's gateway.
 */
#include <stdlib.h>

#include "fuzz_util.h"
#include "host-local-ipam/config.h"
#include "host-local-ipam/range.h"

/* Walk up to 64 candidates of set s starting after last (may be NULL). */
static void walk(const struct ipam_range_set *s, const struct ip_addr *last)
{
	struct ipam_range_iter it;
	const struct ipam_range *r;
	struct ip_addr ip;

	ipam_range_iter_init(&it, s, last);
	for (int i = 0; i < 64 && ipam_range_iter_next(&it, &ip, &r); i++) {
		FUZZ_ASSERT(ipam_range_contains(r, &ip));
		FUZZ_ASSERT(ipam_range_set_find(s, &ip) != NULL);
		FUZZ_ASSERT(!r->has_gateway || ip_cmp(&ip, &r->gateway) != 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipam_conf *c = NULL;
	struct cni_err err = {0};
	char *text = NULL, *args = NULL;
	size_t len = 0;

	if (!fuzz_split(data, size, &text, &len, &args))
		return 0;
	fuzz_quiet(true);
	if (ipam_conf_load(text, len, args, &c, &err) == 0) {
		for (size_t i = 0; i < c->n_sets; i++) {
			char *fmt = ipam_range_set_format(&c->sets[i]);

			free(fmt);
			walk(&c->sets[i], NULL);
			for (size_t j = 0; j < c->n_requested && j < 4; j++)
				walk(&c->sets[i], &c->requested[j]);
		}
		ipam_conf_free(c);
	}
	fuzz_quiet(false);
	free(text);
	free(args);
	return 0;
}
