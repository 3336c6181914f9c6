/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Results of every version, as a plugin reads them from a delegated IPAM
 * plugin's output or a config's prevResult: cni_result_parse_text() with each
 * default version, printing in every version, and cni_prev_result() on the
 * input taken as a network config. A printed result must parse again and
 * print the same text (what a chain does with a result it passes on).
 */
#include <stdlib.h>
#include <string.h>

#include "cni/cni.h"
#include "cni/conf.h"
#include "cni/json.h"
#include "cni/result.h"
#include "fuzz_util.h"

/* Print r in version; the printed text must parse and print identically. */
static void print_round_trip(const struct cni_result *r, const char *version)
{
	struct cni_err err = {0};
	struct cni_result *again = NULL;
	char *out = NULL, *out2 = NULL;

	if (cni_result_print(r, version, &out, &err) < 0)
		return;
	FUZZ_ASSERT(cni_result_parse_text(out, version, &again, &err) == 0);
	FUZZ_ASSERT(cni_result_print(again, version, &out2, &err) == 0);
	FUZZ_ASSERT(strcmp(out, out2) == 0);
	free(out2);
	cni_result_free(again);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t nver = 0;
	struct cni_err err = {0};
	struct cni_result *r = NULL;
	const char *def;
	cJSON *root = NULL;
	char *text;

	while (cni_supported_versions[nver])
		nver++;
	def = cni_supported_versions[size % nver];
	text = fuzz_strndup(data, size);
	if (!text)
		return 0;

	fuzz_quiet(true);
	if (cni_result_parse_text(text, def, &r, &err) == 0) {
		for (size_t i = 0; i < nver; i++)
			print_round_trip(r, cni_supported_versions[i]);
		cni_result_free(r);
		r = NULL;
	}

	/* The same text as a network config holding a prevResult. */
	if (conf_parse_object(text, size, "fuzz", &root, &err) == 0) {
		if (cni_prev_result(root, def, &r, &err) == 0 && r) {
			print_round_trip(r, def);
			cni_result_free(r);
		}
		cJSON_Delete(root);
	}
	fuzz_quiet(false);
	free(text);
	return 0;
}
