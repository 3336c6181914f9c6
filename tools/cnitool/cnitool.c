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
#include "cni/cni.h"
#include "cni/conf.h"
#include "cni/json.h"
#include "cnitool/conflist.h"
#include "cnitool/runtime.h"
#include "gostr.h"
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
		"  %s --version   (this is cni-c v%s)\n"
		"environment: NETCONFPATH (default " DEFAULT_NET_DIR "), CNI_PATH, CNI_ARGS,\n"
		"  CAP_ARGS (JSON object of capability args), CNI_IFNAME (default eth0),\n"
		"  CNI_CONTAINERID (default cnitool-<sha512(netns)[:20]>),\n"
		"  CNI_CACHE_DIR (default " CNITOOL_DEFAULT_CACHE_DIR "),\n"
		"  CNITOOL_GC_VALID (gc: JSON list of {\"containerID\",\"ifname\"} to keep)\n",
		exe, exe, exe, exe, exe, exe, exe, cni_suite_version);
}

char *cnitool_abs_path(const char *path)
{
	char cwd[PATH_MAX];
	char *joined = NULL;

	if (path[0] == '/') {
		joined = malloc(strlen(path) + 2);
		if (joined)
			strcpy(joined, path);
	} else {
		if (!getcwd(cwd, sizeof(cwd)))
			return NULL;
		if (asprintf(&joined, "%s/%s", cwd, path) < 0)
			joined = NULL;
	}
	/* Rooted, so never longer than it is. */
	return joined ? go_path_clean(joined, joined) : NULL;
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

/* What a command runs with: the arguments and the environment, resolved. */
struct cnitool_run {
	struct cnitool_ctx ctx; /* CNI_PATH and the cache dir */
	struct cnitool_list *l; /* the network's configuration list */
	struct cnitool_rt rt;	/* the attachment (netns, container ID, ifname, args) */
	cJSON *cap_args;	/* CAP_ARGS, or NULL */
	cJSON *cni_args;	/* CNI_ARGS as [[key, value], ...], or NULL */
	char *netns;		/* the netns argument made absolute, or NULL */
	char cid[32];		/* the container ID derived from netns */
};

static void cnitool_run_clear(struct cnitool_run *run)
{
	cnitool_list_free(run->l);
	cJSON_Delete(run->cap_args);
	cJSON_Delete(run->cni_args);
	free(run->netns);
}

/* The variable's value, or def when it is unset or empty. */
static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v && *v ? v : def;
}

/*
 * Load network net and resolve the runtime parameters: netns_arg (NULL when
 * not given) and ifname (NULL: CNI_IFNAME or eth0) from the command line,
 * the rest from the environment.
 */
static int cnitool_run_init(struct cnitool_run *run, const char *net, const char *netns_arg,
			    const char *ifname, struct cni_err *err)
{
	const char *env;
	int r;

	r = cnitool_list_load(env_or("NETCONFPATH", DEFAULT_NET_DIR), net, &run->l, err);
	if (r < 0)
		return r;
	env = getenv("CAP_ARGS");
	if (env && *env) {
		r = cni_json_parse(env, strlen(env), &run->cap_args, err);
		if (r < 0)
			return cni_err_prefix(err, "CAP_ARGS");
		if (!cJSON_IsObject(run->cap_args))
			return cni_err_set(err, CNI_ERR_DECODE, "CAP_ARGS: not a JSON object");
		cnitool_json_dedupe(run->cap_args);
	}
	env = getenv("CNI_ARGS");
	if (env && *env) {
		r = cnitool_args_parse(env, &run->cni_args, err);
		if (r < 0)
			return r;
	}
	if (netns_arg) {
		run->netns = cnitool_abs_path(netns_arg);
		if (!run->netns)
			return cni_err_set(err, CNI_ERR_INTERNAL, "cannot make '%s' absolute",
					   netns_arg);
		cnitool_container_id(run->netns, run->cid);
	}
	run->rt.container_id = env_or("CNI_CONTAINERID", run->cid);
	run->rt.netns = run->netns ? run->netns : "";
	run->rt.ifname = ifname ? ifname : env_or("CNI_IFNAME", "eth0");
	run->rt.cni_args = run->cni_args;
	run->rt.cap_args = run->cap_args;
	run->ctx.cni_path = env_or("CNI_PATH", "");
	run->ctx.cache_dir = env_or("CNI_CACHE_DIR", CNITOOL_DEFAULT_CACHE_DIR);
	return 0;
}

static int cmd_add(struct cnitool_run *run, struct cni_err *err)
{
	_cleanup_free_ char *out = NULL;
	int r;

	r = cnitool_add(&run->ctx, run->l, &run->rt, &out, err);
	if (r < 0)
		return r;
	fputs(out, stdout);
	fflush(stdout);
	return 0;
}

static int cmd_check(struct cnitool_run *run, struct cni_err *err)
{
	return cnitool_check(&run->ctx, run->l, &run->rt, err);
}

static int cmd_del(struct cnitool_run *run, struct cni_err *err)
{
	return cnitool_del(&run->ctx, run->l, &run->rt, err);
}

static int cmd_gc(struct cnitool_run *run, struct cni_err *err)
{
	_cleanup_(cjson_freep) cJSON *valid = NULL;
	const char *env = getenv("CNITOOL_GC_VALID");

	if (env && *env) {
		int r = cni_json_parse(env, strlen(env), &valid, err);

		if (r < 0)
			return cni_err_prefix(err, "CNITOOL_GC_VALID");
		if (!cJSON_IsArray(valid))
			return cni_err_set(err, CNI_ERR_DECODE,
					   "CNITOOL_GC_VALID: not a JSON list of "
					   "{\"containerID\",\"ifname\"}");
	}
	return cnitool_gc(&run->ctx, run->l, valid, err);
}

static int cmd_status(struct cnitool_run *run, struct cni_err *err)
{
	return cnitool_status(&run->ctx, run->l, err);
}

/* A command of the command line. */
struct cnitool_cmd {
	const char *name; /* as typed */
	bool needs_netns; /* <netns> is required (else optional) */
	int (*fn)(struct cnitool_run *run, struct cni_err *err);
};

static const struct cnitool_cmd cnitool_cmds[] = {
	{.name = "add", .needs_netns = true, .fn = cmd_add},
	{.name = "check", .needs_netns = true, .fn = cmd_check},
	{.name = "del", .needs_netns = true, .fn = cmd_del},
	{.name = "gc", .needs_netns = false, .fn = cmd_gc},
	{.name = "status", .needs_netns = false, .fn = cmd_status},
};

static const struct cnitool_cmd *find_cmd(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(cnitool_cmds); i++)
		if (strcmp(cnitool_cmds[i].name, name) == 0)
			return &cnitool_cmds[i];
	return NULL;
}

/*
 * Global flags before the command: -i/--ifname IFNAME, -h/--help, --version.
 * Returns the index of the first argument after them, or -1 when the run ends
 * here with exit status *ret_status (help or version printed, or an unknown flag).
 */
static int parse_flags(int argc, char **argv, const char *exe, const char **ret_ifname,
		       int *ret_status)
{
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout, exe);
			*ret_status = 0;
			return -1;
		}
		if (strcmp(argv[i], "--version") == 0) {
			printf("cnitool v%s\n", cni_suite_version);
			*ret_status = 0;
			return -1;
		}
		if ((strcmp(argv[i], "-i") == 0 || strcmp(argv[i], "--ifname") == 0) &&
		    i + 1 < argc) {
			*ret_ifname = argv[++i];
		} else if (strncmp(argv[i], "--ifname=", 9) == 0) {
			*ret_ifname = argv[i] + 9;
		} else {
			fprintf(stderr, "%s: unknown flag '%s'\n", exe, argv[i]);
			usage(stderr, exe);
			*ret_status = 1;
			return -1;
		}
	}
	return i;
}

int cnitool_main(int argc, char **argv)
{
	_cleanup_(cnitool_run_clear) struct cnitool_run run = {0};
	const char *exe = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	const struct cnitool_cmd *cmd;
	const char *ifname = NULL, *netns;
	struct cni_err err = {0};
	int i, status;

	i = parse_flags(argc, argv, exe, &ifname, &status);
	if (i < 0)
		return status;
	if (argc - i < 2) {
		usage(stderr, exe);
		return 1;
	}
	cmd = find_cmd(argv[i]);
	if (!cmd) {
		fprintf(stderr, "%s: unknown command '%s'\n", exe, argv[i]);
		usage(stderr, exe);
		return 1;
	}
	if (cmd->needs_netns && argc - i < 3) {
		fprintf(stderr, "%s: network name and namespace are required\n", exe);
		usage(stderr, exe);
		return 1;
	}
	netns = argc - i >= 3 ? argv[i + 2] : NULL;
	/* Failures before the command ran have no "where" (ctx->where is empty). */
	if (cnitool_run_init(&run, argv[i + 1], netns, ifname, &err) < 0 || cmd->fn(&run, &err) < 0)
		return fail(&run.ctx, run.l, &err);
	return 0;
}
