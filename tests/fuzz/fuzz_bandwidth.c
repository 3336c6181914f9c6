/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The bandwidth plugin's readers: its config (the four limits at the top level or in
 * runtimeConfig.bandwidth, the reference's checks, prevResult), the tbf parameters it
 * derives from the limits, and the ifb alias GC reads back, on the same text.
 */
#include <stdlib.h>
#include <string.h>

#include "bandwidth/netconf.h"
#include "fuzz_cni.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bw_conf *c = NULL;
	struct cni_err err = {0};
	char *text = NULL, *args = NULL;
	const char *net = NULL, *cid = NULL;
	char alias[NL_ALIAS_MAX], name[NL_IFNAMSIZ];
	struct fuzz_cmd f;
	size_t len = 0;

	if (!fuzz_split(data, size, &text, &len, &args))
		return 0;
	fuzz_quiet(true);
	fuzz_cmd_init(&f, "ADD", text, len, args);
	if (bw_conf_load(&f.a, &c, &err) == 0) {
		struct tc_tbf tbf;

		if (bw_ingress_on(&c->bw))
			bw_tbf_params(c->bw.ingress_rate, c->bw.ingress_burst, 15.625, &tbf);
		if (bw_egress_on(&c->bw))
			bw_tbf_params(c->bw.egress_rate, c->bw.egress_burst, 15.625, &tbf);
		bw_conf_free(c);
	}
	/* The alias of an ifb, as GC reads it back; what is made from it must read back. */
	if (bw_ifb_alias_parse(text, &net, &cid) &&
	    bw_ifb_alias(net, cid, alias, sizeof(alias)) == 0) {
		const char *net2 = NULL, *cid2 = NULL;

		FUZZ_ASSERT(bw_ifb_alias_parse(alias, &net2, &cid2));
		FUZZ_ASSERT(strcmp(net, net2) == 0 && strcmp(cid, cid2) == 0);
		(void)bw_ifb_name(net, cid, name, &err);
	}
	fuzz_quiet(false);
	free(text);
	free(args);
	return 0;
}
