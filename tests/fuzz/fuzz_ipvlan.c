/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ipvlan plugin's reader: its config in full (ADD, CHECK, STATUS: master, mode, mtu,
 * linkInContainer, acceptRA, dns, ipam.type, prevResult) and in DEL mode, on the same text.
 * A config that loads in full loads for DEL too (DEL reads less), and its mode has a name.
 */
#include <stdlib.h>

#include "fuzz_cni.h"
#include "fuzz_util.h"
#include "ipvlan/netconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipvlan_conf *c = NULL, *d = NULL;
	struct cni_err err = {0};
	char *text = NULL, *args = NULL;
	struct fuzz_cmd f;
	size_t len = 0;
	bool full;

	if (!fuzz_split(data, size, &text, &len, &args))
		return 0;
	fuzz_quiet(true);
	fuzz_cmd_init(&f, "ADD", text, len, args);
	full = ipvlan_conf_load(&f.a, IPVLAN_LOAD_FULL, &c, &err) == 0;
	if (full) {
		FUZZ_ASSERT(ipvlan_mode_name(c->mode) != NULL);
		FUZZ_ASSERT(c->master && c->ipam_type);
		ipvlan_conf_free(c);
	}
	fuzz_cmd_init(&f, "DEL", text, len, args);
	cni_err_clear(&err);
	if (ipvlan_conf_load(&f.a, IPVLAN_LOAD_DEL, &d, &err) == 0)
		ipvlan_conf_free(d);
	else
		FUZZ_ASSERT(!full);
	fuzz_quiet(false);
	free(text);
	free(args);
	return 0;
}
