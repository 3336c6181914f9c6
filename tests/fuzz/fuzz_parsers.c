/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for everything that parses untrusted runtime input: results of
 * every version (prevResult, delegate output), the bridge config and CNI_ARGS.
 * Built with libFuzzer (`make fuzz`); `make fuzz-smoke` replays the seed corpus
 * plus a bounded random run.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cni/cni.h"
#include "cni/conf.h"
#include "cni/result.h"
#include "bridge/netconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct cni_err err = {0};
	struct cni_result *r = NULL;
	struct bridge_conf *bc = NULL;
	struct cni_arg fields[] = {{.key = "IP"}, {.key = "MAC"}};

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	if (cni_result_parse_text(text, "1.0.0", &r, &err) == 0) {
		for (int i = 0; cni_supported_versions[i]; i++) {
			char *out = NULL;
			if (cni_result_print(r, cni_supported_versions[i], &out, &err) == 0)
				free(out);
		}
		cni_result_free(r);
	}

	struct cni_cmd_args a = {.stdin_data = text,
				 .stdin_len = size,
				 .name = "fuzz",
				 .cni_version = "1.0.0",
				 .args = ""};
	if (bridge_conf_load(&a, &bc, &err) == 0)
		bridge_conf_free(bc);

	if (cni_args_load(text, fields, 2, &err) == 0)
		cni_args_free(fields, 2);

	free(text);
	return 0;
}
