/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The static IPAM plugin's reader (ipam.addresses, routes, dns, CNI_ARGS IP/GATEWAY after
 * FUZZ_ARGS_SEP, args.cni.ips, runtimeConfig.ips), the result ADD prints in the config's
 * version, and CHECK's comparison of the config with the prevResult of the same text
 * and with its own result, which must match.
 */
#include <stdlib.h>

#include "cni/conf.h"
#include "cni/result.h"
#include "fuzz_cni.h"
#include "fuzz_util.h"
#include "static-ipam/config.h"

/* Whether two of the configured addresses are the same address. */
static bool has_dup(const struct static_conf *c)
{
	for (size_t i = 0; i < c->n_addrs; i++) {
		for (size_t j = i + 1; j < c->n_addrs; j++) {
			if (ip_equal(&c->addrs[i].address.ip, &c->addrs[j].address.ip))
				return true;
		}
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct static_conf *c = NULL;
	struct cni_err err = {0};
	char *text = NULL, *args = NULL;
	struct fuzz_cmd f;
	size_t len = 0;

	if (!fuzz_split(data, size, &text, &len, &args))
		return 0;
	fuzz_quiet(true);
	fuzz_cmd_init(&f, "ADD", text, len, args);
	if (static_conf_load(text, len, args, &c, &err) == 0) {
		struct cni_result *r = NULL, *prev = NULL;
		cJSON *root = NULL;
		char *out = NULL;

		if (static_conf_result(c, &r, &err) == 0) {
			if (cni_result_print(r, f.version, &out, &err) == 0)
				free(out);
			/* A config matches the result made from it (unless it names an
			 * address twice: the first entry of it decides, as in the reference). */
			FUZZ_ASSERT(static_conf_match(c, r, "eth0", &err) == 0 || has_dup(c));
			cni_result_free(r);
		}
		if (conf_parse_object(text, len, "fuzz", &root, &err) == 0) {
			if (cni_prev_result(root, f.version, &prev, &err) == 0 && prev) {
				(void)static_conf_match(c, prev, "eth0", &err);
				cni_result_free(prev);
			}
			cJSON_Delete(root);
		}
		static_conf_free(c);
	}
	fuzz_quiet(false);
	free(text);
	free(args);
	return 0;
}
