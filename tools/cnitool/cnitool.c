/* SPDX-License-Identifier: Apache-2.0 */
/* cnitool's command line (Go cnitool/cmd): environment, container ID, printing. */
#include "cnitool/cnitool.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cnitool/cache.h"
#include "cleanup.h"
#include "cni/conf.h"
#include "cnitool/conflist.h"
#include "cnitool/runtime.h"
#include "sha512.h"

#define DEFAULT_NET_DIR "/etc/cni/net.d"

static void usage(FILE *f, const char *exe)
{
	fprintf(f,
		"%s: Add, check, remove, gc or status network interfaces from a network namespace\n"
		"  %s [-i IFNAME] add    <net> <netns>\n"
		"  %s [-i IFNAME] check  <net> <netns>\n"
		"  %s [-i IFNAME] del    <net> <netns>\n"
		"  %s gc     <net> [<netns>]\n"
		"  %s status <net> [<netns>]\n"
		"environment: NETCONFPATH (default " DEFAULT_NET_DIR "), CNI_PATH, CNI_ARGS,\n"
		"  CAP_ARGS (JSON object of capability args), CNI_IFNAME (default eth0),\n"
		"  CNI_CONTAINERID (default cnitool-<sha512(netns)[:20]>),\n"
		"  CNI_CACHE_DIR (default " CNITOOL_DEFAULT_CACHE_DIR "),\n"
		"  CNITOOL_GC_VALID (gc: JSON list of {\"containerID\",\"ifname\"} to keep)\n",
		exe, exe, exe, exe, exe, exe);
}

char *cnitool_abs_path(const char *path)
{
	_cleanup_free_ char *joined = NULL;
	char cwd[PATH_MAX];
	char *out, **parts;
	size_t n = 0, len;

	if (path[0] == '/') {
		joined = strdup(path);
	} else {
		if (!getcwd(cwd, sizeof(cwd)))
			return NULL;
		if (asprintf(&joined, "%s/%s", cwd, path) < 0)
			joined = NULL;
	}
	if (!joined)
		return NULL;
	len = strlen(joined);
	parts = calloc(len + 1, sizeof(char *));
	out = malloc(len + 2);
	if (!parts || !out) {
		free(parts);
		free(out);
		return NULL;
	}
	/* Lexical clean: drop empty and "." elements, ".." pops (never above /). */
	for (char *save = NULL, *t = strtok_r(joined, "/", &save); t;
	     t = strtok_r(NULL, "/", &save)) {
		if (strcmp(t, ".") == 0)
			continue;
		if (strcmp(t, "..") == 0) {
			if (n)
				n--;
			continue;
		}
		parts[n++] = t;
	}
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		strcat(out, "/");
		strcat(out, parts[i]);
	}
	if (!n)
		strcpy(out, "/");
	free(parts);
	return out;
}

void cnitool_container_id(const char *abs_netns, char out[32])
{
	char hex[21];

	sha512_hex(abs_netns, strlen(abs_netns), 20, hex);
	snprintf(out, 32, "cnitool-%s", hex);
}

/* Report a failure: libcni's text on stderr, the CNI error JSON on stdout. */
static int fail(const struct cnitool_ctx *ctx, const struct cnitool_list *l,
		const struct cni_err *err)
{
	_cleanup_(cjson_freep) cJSON *o = cJSON_CreateObject();
	_cleanup_free_ char *text = NULL;

	fprintf(stderr, "%s%s%s%s%s\n", ctx && ctx->where[0] ? ctx->where : "",
		ctx && ctx->where[0] ? ": " : "", err->msg, err->details[0] ? "; " : "",
		err->details);
	if (o) {
		if (l && *l->cni_version)
			cJSON_AddStringToObject(o, "cniVersion", l->cni_version);
		cJSON_AddNumberToObject(o, "code", err->code ? err->code : CNI_ERR_INTERNAL);
		cJSON_AddStringToObject(o, "msg", err->msg);
		if (err->details[0])
			cJSON_AddStringToObject(o, "details", err->details);
		text = cni_json_print(o, true);
		if (text)
			printf("%s\n", text);
	}
	fflush(stdout);
	return 1;
}

int cnitool_main(int argc, char **argv)
{
	_cleanup_(cnitool_list_freep) struct cnitool_list *l = NULL;
	_cleanup_(cjson_freep) cJSON *cap_args = NULL, *cni_args = NULL, *valid = NULL;
	_cleanup_free_ char *netns = NULL, *out = NULL;
	struct cnitool_ctx ctx = {0};
	struct cni_err err = {0};
	struct cnitool_rt rt = {0};
	const char *exe = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	const char *ifname = NULL, *cmd, *net, *netdir, *env;
	char cid[32] = "";
	bool needs_netns;
	int i = 1, rc;

	/* Global flags before the command: -i/--ifname IFNAME, -h/--help. */
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout, exe);
			return 0;
		}
		if ((strcmp(argv[i], "-i") == 0 || strcmp(argv[i], "--ifname") == 0) &&
		    i + 1 < argc) {
			ifname = argv[++i];
		} else if (strncmp(argv[i], "--ifname=", 9) == 0) {
			ifname = argv[i] + 9;
		} else {
			fprintf(stderr, "%s: unknown flag '%s'\n", exe, argv[i]);
			usage(stderr, exe);
			return 1;
		}
	}
	if (argc - i < 2) {
		usage(stderr, exe);
		return 1;
	}
	cmd = argv[i];
	net = argv[i + 1];
	needs_netns =
		strcmp(cmd, "add") == 0 || strcmp(cmd, "check") == 0 || strcmp(cmd, "del") == 0;
	if (!needs_netns && strcmp(cmd, "gc") != 0 && strcmp(cmd, "status") != 0) {
		fprintf(stderr, "%s: unknown command '%s'\n", exe, cmd);
		usage(stderr, exe);
		return 1;
	}
	if (needs_netns && argc - i < 3) {
		fprintf(stderr, "%s: network name and namespace are required\n", exe);
		usage(stderr, exe);
		return 1;
	}

	netdir = getenv("NETCONFPATH");
	if (!netdir || !*netdir)
		netdir = DEFAULT_NET_DIR;
	if (cnitool_list_load(netdir, net, &l, &err) < 0)
		return fail(NULL, NULL, &err);

	env = getenv("CAP_ARGS");
	if (env && *env) {
		cap_args = cJSON_Parse(env);
		if (!cap_args || !cJSON_IsObject(cap_args)) {
			cni_err_set(&err, CNI_ERR_DECODE, "CAP_ARGS: not a JSON object");
			return fail(NULL, l, &err);
		}
		cnitool_json_dedupe(cap_args);
	}
	env = getenv("CNI_ARGS");
	if (env && *env && cnitool_args_parse(env, &cni_args, &err) < 0)
		return fail(NULL, l, &err);
	if (!ifname) {
		ifname = getenv("CNI_IFNAME");
		if (!ifname || !*ifname)
			ifname = "eth0";
	}
	if (argc - i >= 3) {
		netns = cnitool_abs_path(argv[i + 2]);
		if (!netns) {
			cni_err_set(&err, CNI_ERR_INTERNAL, "cannot make '%s' absolute",
				    argv[i + 2]);
			return fail(NULL, l, &err);
		}
		cnitool_container_id(netns, cid);
	}
	env = getenv("CNI_CONTAINERID");
	if (env && *env)
		snprintf(cid, sizeof(cid), "%s", env);
	if (env && strlen(env) >= sizeof(cid)) {
		/* Long runtime IDs (64 hex) do not fit the buffer: use the variable itself. */
		rt.container_id = env;
	} else {
		rt.container_id = cid;
	}
	rt.netns = netns ? netns : "";
	rt.ifname = ifname;
	rt.cni_args = cni_args;
	rt.cap_args = cap_args;

	ctx.cni_path = getenv("CNI_PATH") ? getenv("CNI_PATH") : "";
	ctx.cache_dir = getenv("CNI_CACHE_DIR");
	if (!ctx.cache_dir || !*ctx.cache_dir)
		ctx.cache_dir = CNITOOL_DEFAULT_CACHE_DIR;

	if (strcmp(cmd, "add") == 0) {
		rc = cnitool_add(&ctx, l, &rt, &out, &err);
		if (rc == 0) {
			fputs(out, stdout);
			fflush(stdout);
		}
	} else if (strcmp(cmd, "check") == 0) {
		rc = cnitool_check(&ctx, l, &rt, &err);
	} else if (strcmp(cmd, "del") == 0) {
		rc = cnitool_del(&ctx, l, &rt, &err);
	} else if (strcmp(cmd, "status") == 0) {
		rc = cnitool_status(&ctx, l, &err);
	} else {
		env = getenv("CNITOOL_GC_VALID");
		if (env && *env) {
			valid = cJSON_Parse(env);
			if (!valid || !cJSON_IsArray(valid)) {
				cni_err_set(&err, CNI_ERR_DECODE,
					    "CNITOOL_GC_VALID: not a JSON list of "
					    "{\"containerID\",\"ifname\"}");
				return fail(NULL, l, &err);
			}
		}
		rc = cnitool_gc(&ctx, l, valid, &err);
	}
	return rc < 0 ? fail(&ctx, l, &err) : 0;
}
