/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The tuning plugin's readers: its config in full (ADD/CHECK: sysctls with the duplicate
 * check, link attributes, CNI_ARGS MAC after FUZZ_ARGS_SEP, runtimeConfig and args.cni
 * overrides, prevResult) and DEL modes, the sysctl key rule of each configured key, the
 * state file it writes on ADD and reads on DEL, and its Go regexp and MAC translations, all
 * on the same text. A parsed state file must format and parse back to the same file.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_cni.h"
#include "fuzz_util.h"
#include "hwaddr.h"
#include "tuning/backup.h"
#include "tuning/netconf.h"

/* A state file's text, parsed; formatting and parsing it again must give the same text. */
static void backup_round_trip(const char *text, size_t len)
{
	struct tuning_backup b, b2;
	struct cni_err err = {0};
	char *out, *out2;

	tuning_backup_init(&b);
	if (tuning_backup_parse(text, len, &b, &err) == 0) {
		out = tuning_backup_format(&b);
		if (out) {
			tuning_backup_init(&b2);
			FUZZ_ASSERT(tuning_backup_parse(out, strlen(out), &b2, &err) == 0);
			out2 = tuning_backup_format(&b2);
			FUZZ_ASSERT(out2 && strcmp(out, out2) == 0);
			free(out2);
			tuning_backup_clear(&b2);
			free(out);
		}
	}
	tuning_backup_clear(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tuning_conf *c = NULL;
	struct cni_err err = {0};
	char *text = NULL, *args = NULL;
	uint8_t mac[HWADDR_MAX];
	char mac_text[HWADDR_TEXT_MAX];
	struct fuzz_cmd f;
	size_t len = 0, mac_len = 0;
	bool icase = false;

	if (!fuzz_split(data, size, &text, &len, &args))
		return 0;
	fuzz_quiet(true);
	fuzz_cmd_init(&f, "ADD", text, len, args);
	if (tuning_conf_load(&f.a, TUNING_LOAD_FULL, &c, &err) == 0) {
		for (size_t i = 0; i < c->n_sysctls; i++) {
			char *path = NULL;

			if (tuning_sysctl_path(c->sysctls[i].key, "eth0", &path, &err) == 0)
				free(path);
		}
		(void)tuning_conf_changes_link(c);
		tuning_conf_free(c);
	}
	c = NULL;
	fuzz_cmd_init(&f, "DEL", text, len, args);
	if (tuning_conf_load(&f.a, TUNING_LOAD_DEL, &c, &err) == 0)
		tuning_conf_free(c);
	backup_round_trip(text, len);
	free(tuning_regex_from_go(text, &icase));
	if (hwaddr_parse(text, mac, &mac_len) == 0)
		hwaddr_format(mac, mac_len, mac_text);
	fuzz_quiet(false);
	free(text);
	free(args);
	return 0;
}
