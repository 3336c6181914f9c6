/* SPDX-License-Identifier: Apache-2.0 */
/* Parsing the firewall plugin's configuration. */
#include "firewall/firewall.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cni/conf.h"
#include "cni/json.h"
#include "net/xt.h"

const char *const fw_supported_versions[] = {"0.4.0", "1.0.0", "1.1.0", NULL};

/* Where firewalld records its pid (FIREWALLD_PIDFILE). */
#define FW_FIREWALLD_PIDFILE "/var/run/firewalld.pid"

void fw_conf_free(struct fw_conf *c)
{
	if (!c)
		return;
	free(c->cni_version);
	free(c->admin_chain);
	cni_result_free(c->prev);
	free(c);
}

/* Is firewalld running (its pid file names a live firewalld process)? The reference asks
 * D-Bus; the pid file says the same without a D-Bus client. */
static bool firewalld_running(void)
{
	char path[64], comm[64] = {0};
	FILE *f = fopen(FW_FIREWALLD_PIDFILE, "r");
	long pid = 0;
	int n;

	if (!f)
		return false;
	n = fscanf(f, "%ld", &pid);
	fclose(f);
	if (n != 1 || pid <= 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	return strncmp(comm, "firewalld", 9) == 0;
}

int fw_conf_load(const struct cni_cmd_args *args, struct fw_conf **ret, struct cni_err *err)
{
	_cleanup_(fw_conf_freep) struct fw_conf *c = NULL;
	_cleanup_(cjson_freep) cJSON *root = NULL;
	const char *backend = NULL, *zone = NULL, *policy = NULL, *admin = NULL;
	int r;

	c = calloc(1, sizeof(*c));
	if (!c)
		return cni_err_nomem(err);
	r = conf_parse_stdin(args, "failed to load netconf", &root, &c->cni_version, err);
	if (r < 0)
		return r;
	r = conf_string(root, "backend", &backend, err);
	if (r == 0)
		r = conf_string(root, "iptablesAdminChainName", &admin, err);
	if (r == 0)
		r = conf_string(root, "firewalldZone", &zone, err);
	if (r == 0)
		r = conf_string(root, "ingressPolicy", &policy, err);
	if (r < 0)
		return cni_err_prefix(err, "failed to load netconf");

	if (backend && !strcmp(backend, "firewalld"))
		return cni_err_set(err, CNI_ERR_UNSUPPORTED_FIELD,
				   "the firewalld backend is not supported: this firewall plugin "
				   "writes iptables rules only (set \"backend\": \"iptables\")");
	if ((!backend || strcmp(backend, "iptables")) && firewalld_running())
		cni_warn(args->log,
			 "firewalld is running, but the firewalld backend is not supported: "
			 "using iptables");
	if (zone && *zone)
		cni_log(args->log, CNI_LOG_DEBUG,
			"firewalldZone '%s' is not used by the "
			"iptables backend",
			zone);

	if (!policy || !*policy || !strcmp(policy, "open"))
		c->ingress = FW_INGRESS_OPEN;
	else if (!strcmp(policy, "same-bridge"))
		c->ingress = FW_INGRESS_SAME_BRIDGE;
	else if (!strcmp(policy, "isolated"))
		c->ingress = FW_INGRESS_ISOLATED;
	else
		return cni_err_set(err, CNI_ERR_INTERNAL, "unknown ingress policy: \"%s\"", policy);

	if (!admin || !*admin)
		admin = FW_CHAIN_ADMIN;
	if (strlen(admin) > XT_CHAIN_MAX || strpbrk(admin, " \t\n!"))
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG,
				   "invalid iptablesAdminChainName '%s': at most %d characters, no "
				   "blanks",
				   admin, XT_CHAIN_MAX);
	c->admin_chain = strdup(admin);
	if (!c->admin_chain)
		return cni_err_nomem(err);

	r = cni_prev_result(root, c->cni_version, &c->prev, err);
	if (r < 0)
		return cni_err_prefix(err, "could not parse prevResult");
	*ret = TAKE_PTR(c);
	return 0;
}
