/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The macvlan plugin's config reader in its three modes (ADD/CHECK: every key, CNI_ARGS
 * MAC after FUZZ_ARGS_SEP, runtimeConfig, prevResult; DEL: ipam.type only; STATUS), then
 * the MTU bound and the mode names on what loaded: a loaded mode has a name that parses
 * back to it, and DEL loads whatever the full load accepts.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_cni.h"
#include "fuzz_util.h"
#include "macvlan/netconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct macvlan_conf *c = NULL, *d = NULL;
	struct cni_err err = {0};
	char *text = NULL, *args = NULL;
	struct fuzz_cmd f;
	size_t len = 0;
	uint32_t mode = 0;
	bool full_ok;

	if (!fuzz_split(data, size, &text, &len, &args))
		return 0;
	fuzz_quiet(true);
	fuzz_cmd_init(&f, "ADD", text, len, args);
	full_ok = macvlan_conf_load(&f.a, MACVLAN_LOAD_FULL, &c, &err) == 0;
	if (full_ok) {
		const char *name = macvlan_mode_name(c->mode);

		FUZZ_ASSERT(name != NULL);
		FUZZ_ASSERT(macvlan_mode_parse(name, &mode, &err) == 0 && mode == c->mode);
		FUZZ_ASSERT(!c->mac || c->mac[0]);
		FUZZ_ASSERT(!c->master || c->master[0]);
		(void)macvlan_check_mtu(c, 1500, &err);
		(void)macvlan_check_mtu(c, 65536, &err);
		macvlan_conf_free(c);
	}
	fuzz_cmd_init(&f, "DEL", text, len, args);
	if (macvlan_conf_load(&f.a, MACVLAN_LOAD_DEL, &d, &err) == 0)
		macvlan_conf_free(d);
	else
		FUZZ_ASSERT(!full_ok);
	d = NULL;
	fuzz_cmd_init(&f, "STATUS", text, len, NULL);
	if (macvlan_conf_load(&f.a, MACVLAN_LOAD_STATUS, &d, &err) == 0)
		macvlan_conf_free(d);
	(void)macvlan_mode_parse(text, &mode, &err);
	fuzz_quiet(false);
	free(text);
	free(args);
	return 0;
}
