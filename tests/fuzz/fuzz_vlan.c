/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The vlan plugin's reader: its config for ADD (master or prevResult required), in full
 * (CHECK, STATUS) and in DEL mode, on the same text. What loads for ADD loads in full, what
 * loads in full loads for DEL, and a loaded VLAN id is within 0..4094.
 */
#include <stdlib.h>

#include "cleanup.h"
#include "fuzz_cni.h"
#include "fuzz_util.h"
#include "vlan/netconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vlan_conf *c = NULL;
	struct cni_err err = {0};
	char *text = NULL, *args = NULL;
	struct fuzz_cmd f;
	size_t len = 0;
	bool add, full;

	if (!fuzz_split(data, size, &text, &len, &args))
		return 0;
	fuzz_quiet(true);
	fuzz_cmd_init(&f, "ADD", text, len, args);
	add = vlan_conf_load(&f.a, VLAN_LOAD_ADD, &c, &err) == 0;
	if (add) {
		FUZZ_ASSERT(c->vlan_id >= 0 && c->vlan_id <= VLAN_ID_MAX);
		FUZZ_ASSERT(c->master[0] || c->prev);
		vlan_conf_free(TAKE_PTR(c));
	}
	cni_err_clear(&err);
	fuzz_cmd_init(&f, "CHECK", text, len, args);
	full = vlan_conf_load(&f.a, VLAN_LOAD_FULL, &c, &err) == 0;
	FUZZ_ASSERT(full || !add);
	vlan_conf_free(TAKE_PTR(c));
	cni_err_clear(&err);
	fuzz_cmd_init(&f, "DEL", text, len, args);
	if (vlan_conf_load(&f.a, VLAN_LOAD_DEL, &c, &err) == 0)
		vlan_conf_free(c);
	else
		FUZZ_ASSERT(!full);
	fuzz_quiet(false);
	free(text);
	free(args);
	return 0;
}
