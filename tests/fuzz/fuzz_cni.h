/* SPDX-License-Identifier: Apache-2.0 */
/* Building the struct cni_cmd_args cni_main() would hand a plugin's verb, for targets that
 * call a plugin's config reader directly. */
#ifndef FUZZ_CNI_H
#define FUZZ_CNI_H

#include <stdio.h>
#include <string.h>

#include "cni/cni.h"
#include "cni/conf.h"

/* What a target keeps for one run. */
struct fuzz_cmd {
	struct cni_cmd_args a; /* the arguments */
	struct cni_log log;    /* an opt-in log that is off */
	char version[32];      /* the config's cniVersion, as cni_main() takes it */
};

/*
 * Fill f for command on the config text (len bytes) and CNI_ARGS args (may be NULL):
 * cniVersion from the config when it is a supported one (else "1.0.0", since cni_main()
 * would refuse the config), name "fuzz", container ID "cid", ifname "eth0".
 */
static inline void fuzz_cmd_init(struct fuzz_cmd *f, const char *command, char *text, size_t len,
				 const char *args)
{
	struct cni_err err = {0};
	cJSON *root = NULL;
	const char *v = NULL;

	snprintf(f->version, sizeof(f->version), "1.0.0");
	if (conf_parse_object(text, len, "fuzz", &root, &err) == 0) {
		const cJSON *jv = conf_get(root, "cniVersion");

		if (jv && cJSON_IsString(jv))
			v = jv->valuestring;
		if (v && !*v)
			v = "0.1.0";
		if (v && cni_version_supported(v))
			snprintf(f->version, sizeof(f->version), "%s", v);
		cJSON_Delete(root);
	}
	f->log = (struct cni_log){.fd = -1, .command = command, .container_id = "cid"};
	f->a = (struct cni_cmd_args){.command = command,
				     .container_id = "cid",
				     .netns = "/var/run/netns/none",
				     .ifname = "eth0",
				     .args = args ? args : "",
				     .path = "/nonexistent",
				     .netns_override = "",
				     .stdin_data = text,
				     .stdin_len = len,
				     .cni_version = f->version,
				     .name = "fuzz",
				     .log = &f->log};
}

#endif
