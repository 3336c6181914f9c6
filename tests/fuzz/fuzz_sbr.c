/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The sbr plugin's config reader in its full (ADD/CHECK: table, gateways, addSourceHints,
 * prevResult) and DEL (table only) modes, on the same text: whatever full mode loads, DEL
 * loads too, with the same table; gateways are one per family.
 */
#include <stdlib.h>
#include <string.h>

#include "sbr/netconf.h"
#include "fuzz_cni.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbr_conf *c = NULL, *d = NULL;
	struct cni_err err = {0};
	char *text = NULL, *args = NULL;
	struct fuzz_cmd f;
	size_t len = 0;
	bool full;

	if (!fuzz_split(data, size, &text, &len, &args))
		return 0;
	fuzz_quiet(true);
	fuzz_cmd_init(&f, "ADD", text, len, args);
	full = sbr_conf_load(&f.a, SBR_LOAD_FULL, &c, &err) == 0;
	if (full) {
		FUZZ_ASSERT(!c->has_table || c->table > 0);
		FUZZ_ASSERT(c->gw4.family == 0 || c->gw4.family == AF_INET);
		FUZZ_ASSERT(c->gw6.family == 0 || c->gw6.family == AF_INET6);
		FUZZ_ASSERT(!c->has_table || (!c->gw4.family && !c->gw6.family));
	} else {
		FUZZ_ASSERT(err.code != 0 && err.msg[0]);
	}
	fuzz_cmd_init(&f, "DEL", text, len, args);
	if (sbr_conf_load(&f.a, SBR_LOAD_DEL, &d, &err) == 0) {
		FUZZ_ASSERT(!full || (c->has_table == d->has_table && c->table == d->table));
		FUZZ_ASSERT(d->prev == NULL);
		sbr_conf_free(d);
	} else {
		FUZZ_ASSERT(!full);
	}
	sbr_conf_free(c);
	fuzz_quiet(false);
	free(text);
	free(args);
	return 0;
}
