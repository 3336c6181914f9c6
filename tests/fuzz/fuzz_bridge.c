/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The bridge plugin's config as ADD/CHECK and DEL read it (bridge_conf_load,
 * bridge_conf_load_for_del), with CNI_ARGS after FUZZ_ARGS_SEP, and the MAC
 * parser on the same text.
 */
#include <stdlib.h>

#include "bridge/netconf.h"
#include "fuzz_cni.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bridge_conf *bc = NULL;
	struct cni_err err = {0};
	char *text = NULL, *args = NULL;
	struct fuzz_cmd f;
	uint8_t mac[6];
	size_t len = 0;

	if (!fuzz_split(data, size, &text, &len, &args))
		return 0;
	fuzz_quiet(true);
	fuzz_cmd_init(&f, "ADD", text, len, args);
	if (bridge_conf_load(&f.a, &bc, &err) == 0)
		bridge_conf_free(bc);
	bc = NULL;
	fuzz_cmd_init(&f, "DEL", text, len, args);
	if (bridge_conf_load_for_del(&f.a, &bc, &err) == 0)
		bridge_conf_free(bc);
	(void)bridge_parse_mac(text, mac);
	fuzz_quiet(false);
	free(text);
	free(args);
	return 0;
}
