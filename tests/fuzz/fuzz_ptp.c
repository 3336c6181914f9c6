/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ptp plugin's config reader in its full (ADD/CHECK: every key, prevResult) and DEL
 * (DEL/STATUS/GC: name, ipMasq, ipam.type) modes, on the same text: whatever full mode
 * loads, DEL loads too, with the same IPAM type and ipMasq.
 */
#include <stdlib.h>
#include <string.h>

#include "ptp/netconf.h"
#include "fuzz_cni.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ptp_conf *c = NULL, *d = NULL;
	struct cni_err err = {0};
	char *text = NULL, *args = NULL;
	struct fuzz_cmd f;
	size_t len = 0;
	bool full;

	if (!fuzz_split(data, size, &text, &len, &args))
		return 0;
	fuzz_quiet(true);
	fuzz_cmd_init(&f, "ADD", text, len, args);
	full = ptp_conf_load(&f.a, PTP_LOAD_FULL, &c, &err) == 0;
	if (full)
		FUZZ_ASSERT(c->mtu <= 65535 && (!c->ipam_type || c->ipam_type[0]));
	else
		FUZZ_ASSERT(err.code != 0 && err.msg[0]);
	fuzz_cmd_init(&f, "DEL", text, len, args);
	if (ptp_conf_load(&f.a, PTP_LOAD_DEL, &d, &err) == 0) {
		FUZZ_ASSERT(!full || (!c->ipam_type == !d->ipam_type &&
				      (!c->ipam_type || strcmp(c->ipam_type, d->ipam_type) == 0) &&
				      c->ip_masq == d->ip_masq));
		ptp_conf_free(d);
	} else {
		FUZZ_ASSERT(!full);
	}
	ptp_conf_free(c);
	fuzz_quiet(false);
	free(text);
	free(args);
	return 0;
}
