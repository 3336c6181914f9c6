/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The host-device plugin's config reader in full (ADD/CHECK: the selection keys, deviceID
 * through a sysfs root that does not exist, DPDKMode, dns, prevResult) and DEL mode (the
 * keys that find the device again, lenient), the configured hwaddr as bytes and the marker
 * name built from the device name, all on the same text.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_cni.h"
#include "fuzz_util.h"
#include "host-device/move.h"
#include "host-device/netconf.h"

/* Nothing is found under it: every deviceID is on neither bus, every PCI address lacks
 * its driver link, and the run does not depend on the machine's devices. */
#define FUZZ_SYSFS "/nonexistent-fuzz-sysfs"

/* What a loaded config must satisfy. */
static void check_conf(const struct hostdev_conf *c, bool full)
{
	uint8_t mac[HWADDR_MAX];
	char marker[NL_ALTNAME_MAX];
	size_t len = hostdev_conf_mac(c, mac);

	FUZZ_ASSERT(len <= HWADDR_MAX);
	FUZZ_ASSERT(!c->device || c->device[0]);
	if (full)
		FUZZ_ASSERT(c->device || c->hwaddr || c->kernelpath || c->pci_addr || c->aux_dev);
	if (c->device) {
		hostdev_marker(c->device, marker);
		FUZZ_ASSERT(strlen(marker) < NL_ALTNAME_MAX);
		FUZZ_ASSERT(strncmp(marker, HOSTDEV_ALTNAME_PREFIX,
				    strlen(HOSTDEV_ALTNAME_PREFIX)) == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hostdev_conf *c = NULL;
	struct cni_err err = {0};
	char *text = NULL, *args = NULL;
	struct fuzz_cmd f;
	size_t len = 0;

	if (!fuzz_split(data, size, &text, &len, &args))
		return 0;
	fuzz_quiet(true);
	fuzz_cmd_init(&f, "ADD", text, len, args);
	if (hostdev_conf_load(&f.a, FUZZ_SYSFS, HOSTDEV_LOAD_FULL, &c, &err) == 0) {
		check_conf(c, true);
		hostdev_conf_free(c);
	} else {
		FUZZ_ASSERT(c == NULL && err.code != 0);
	}
	c = NULL;
	fuzz_cmd_init(&f, "DEL", text, len, args);
	if (hostdev_conf_load(&f.a, FUZZ_SYSFS, HOSTDEV_LOAD_DEL, &c, &err) == 0) {
		check_conf(c, false);
		hostdev_conf_free(c);
	}
	fuzz_quiet(false);
	free(text);
	free(args);
	return 0;
}
