/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The tap plugin's config reader in its full (ADD/CHECK: every key, CNI_ARGS MAC after
 * FUZZ_ARGS_SEP, runtimeConfig.mac, dns, prevResult) and DEL modes, on the same text. A
 * loaded MAC prints as six bytes; DEL loads whatever full mode loads.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_cni.h"
#include "fuzz_util.h"
#include "hwaddr.h"
#include "tap/netconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tap_conf *c = NULL, *d = NULL;
	struct cni_err err = {0};
	char *text = NULL, *args = NULL;
	char mac[HWADDR_TEXT_MAX];
	struct fuzz_cmd f;
	size_t len = 0;
	bool full;

	if (!fuzz_split(data, size, &text, &len, &args))
		return 0;
	fuzz_quiet(true);
	fuzz_cmd_init(&f, "ADD", text, len, args);
	full = tap_conf_load(&f.a, TAP_LOAD_FULL, &c, &err) == 0;
	if (full) {
		FUZZ_ASSERT(c->mtu <= 65535);
		if (c->has_mac)
			FUZZ_ASSERT(strlen(hwaddr_format(c->mac, 6, mac)) == 17);
		FUZZ_ASSERT(!c->ipam_type || c->ipam_type[0]);
		FUZZ_ASSERT(!c->bridge || c->bridge[0]);
	}
	fuzz_cmd_init(&f, "DEL", text, len, args);
	if (tap_conf_load(&f.a, TAP_LOAD_DEL, &d, &err) == 0) {
		FUZZ_ASSERT(!full || !c->ipam_type == !d->ipam_type);
		tap_conf_free(d);
	} else {
		FUZZ_ASSERT(!full);
	}
	tap_conf_free(c);
	fuzz_quiet(false);
	free(text);
	free(args);
	return 0;
}
