/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The dhcp IPAM plugin's config reader (dhcp_plugin_conf_parse, full as for ADD and
 * without request/provide as for DEL), CNI_ARGS after FUZZ_ARGS_SEP: what reads in full
 * reads for DEL too, with the same socket, switches and bounds.
 */
#include <stdlib.h>
#include <string.h>

#include "dhcp/plugin.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dhcp_plugin_conf full, del;
	struct cni_err err = {0};
	char *text = NULL, *args = NULL;
	size_t len = 0;

	if (!fuzz_split(data, size, &text, &len, &args))
		return 0;
	if (dhcp_plugin_conf_parse(text, len, args, true, &full, &err) == 0) {
		FUZZ_ASSERT(full.socket_path && full.socket_path[0]);
		FUZZ_ASSERT(full.timeout_s >= 1 && full.timeout_s <= 3600);
		FUZZ_ASSERT(dhcp_plugin_conf_parse(text, len, args, false, &del, &err) == 0);
		FUZZ_ASSERT(strcmp(full.socket_path, del.socket_path) == 0);
		FUZZ_ASSERT(full.autostart == del.autostart && full.timeout_s == del.timeout_s &&
			    full.priority == del.priority &&
			    full.suppress_gateway == del.suppress_gateway);
		dhcp_plugin_conf_clear(&del);
		dhcp_plugin_conf_clear(&full);
	}
	free(text);
	free(args);
	return 0;
}
