/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The vrf plugin's config reader in its full (ADD/CHECK: every key, prevResult) and DEL
 * (vrfname only) modes, on the same text: whatever full mode loads, DEL loads too, with the
 * same VRF name, and a loaded name is never empty.
 */
#include <stdlib.h>
#include <string.h>

#include "vrf/netconf.h"
#include "fuzz_cni.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vrf_conf *c = NULL, *d = NULL;
	struct cni_err err = {0};
	char *text = NULL, *args = NULL;
	struct fuzz_cmd f;
	size_t len = 0;
	bool full;

	if (!fuzz_split(data, size, &text, &len, &args))
		return 0;
	fuzz_quiet(true);
	fuzz_cmd_init(&f, "ADD", text, len, args);
	full = vrf_conf_load(&f.a, VRF_LOAD_FULL, &c, &err) == 0;
	if (full)
		FUZZ_ASSERT(c->vrf_name && c->vrf_name[0] && strlen(c->vrf_name) <= 15);
	else
		FUZZ_ASSERT(err.code != 0 && err.msg[0]);
	fuzz_cmd_init(&f, "DEL", text, len, args);
	if (vrf_conf_load(&f.a, VRF_LOAD_DEL, &d, &err) == 0) {
		FUZZ_ASSERT(d->vrf_name && d->vrf_name[0]);
		FUZZ_ASSERT(!full || strcmp(c->vrf_name, d->vrf_name) == 0);
		vrf_conf_free(d);
	} else {
		FUZZ_ASSERT(!full);
	}
	vrf_conf_free(c);
	fuzz_quiet(false);
	free(text);
	free(args);
	return 0;
}
