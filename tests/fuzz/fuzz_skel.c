/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The skeleton as a runtime drives it: cni_main() in-process with CNI_*
 * variables chosen by the first three input bytes and the rest on stdin
 * (what follows FUZZ_ARGS_SEP becomes CNI_ARGS). The plugin it runs reads
 * what real plugins read through the common helpers: prevResult, CNI_ARGS,
 * the GC attachment list. Configs naming a "logFile" are skipped, so a run
 * never writes outside the fuzzer's own files.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cni/cni.h"
#include "cni/conf.h"
#include "cni/result.h"
#include "fuzz_util.h"

static const char *const commands[] = {"ADD", "DEL", "CHECK", "GC", "STATUS", "VERSION", "", "add"};
static const char *const container_ids[] = {"cid-1", "", "bad/id", NULL};
static const char *const ifnames[] = {"eth0", "", "a/b", "abcdefghijklmnop"};
static const char *const netnses[] = {"/var/run/netns/none", "", "/proc/self/ns/net", "/dev/null"};
static const char *const old_versions[] = {"0.3.0", "0.3.1", "0.4.0", "1.0.0", NULL};
static char long_id[400];

/* The stdin text of the run, for the verbs to parse again. */
static const char *cur_stdin;
static size_t cur_len;

/* Parse the config again as a plugin does. */
static cJSON *reparse(struct cni_err *err)
{
	cJSON *root = NULL;

	if (conf_parse_object(cur_stdin, cur_len, "fuzz", &root, err) < 0)
		return NULL;
	return root;
}

/* ADD and CHECK: prevResult in the config's version, CNI_ARGS with the usual fields. */
static int verb_add(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	struct cni_arg fields[] = {{.key = "IP"}, {.key = "MAC"}, {.key = "K8S_POD_NAME"}};
	struct cni_result *prev = NULL;
	cJSON *root = reparse(err);
	int r;

	if (!root)
		return cni_err_ret(err);
	r = cni_prev_result(root, args->cni_version, &prev, err);
	cJSON_Delete(root);
	if (r < 0)
		return r;
	r = cni_args_load(args->args, fields, 3, err);
	if (r == 0)
		cni_args_free(fields, 3);
	if (!prev)
		prev = cni_result_new();
	if (!prev)
		return cni_err_nomem(err);
	if (ret_out && r == 0)
		r = cni_result_print(prev, args->cni_version, ret_out, err);
	cni_result_free(prev);
	return r;
}

/* CHECK: like ADD without output. */
static int verb_check(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	return verb_add(args, NULL, err);
}

/* GC: the attachments to keep. */
static int verb_gc(const struct cni_cmd_args *args, char **ret_out, struct cni_err *err)
{
	struct cni_attachment *a = NULL;
	cJSON *root = reparse(err);
	size_t n = 0;
	int r;

	if (!root)
		return cni_err_ret(err);
	r = cni_gc_attachments(root, &a, &n, err);
	cJSON_Delete(root);
	if (r < 0)
		return r;
	if (n)
		(void)cni_attachment_valid(a, n, a[0].container_id, a[n - 1].ifname);
	cni_attachments_free(a, n);
	return 0;
}

static const struct cni_plugin plugin_all = {
	.name = "fuzz", .add = verb_add, .check = verb_check, .gc = verb_gc};
static const struct cni_plugin plugin_old = {
	.name = "fuzz", .versions = old_versions, .add = verb_add, .check = verb_check};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

	memset(long_id, 'x', sizeof(long_id) - 1);
	if (null_fd >= 0) {
		dup2(null_fd, STDOUT_FILENO);
		close(null_fd);
	}
	fuzz_quiet_init();
	return 0;
}

/* Set or (value NULL) unset an environment variable. */
static void env(const char *name, const char *value)
{
	if (value)
		setenv(name, value, 1);
	else
		unsetenv(name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	uint8_t b0 = fuzz_byte(&in), b1 = fuzz_byte(&in), b2 = fuzz_byte(&in);
	struct cni_err err = {0};
	char *text = NULL, *args = NULL;
	cJSON *root = NULL;
	size_t len = 0;
	int fd;

	if (!fuzz_split(in.p, in.left, &text, &len, &args))
		return 0;
	/* A config that turns the log on would append to a file it names: not here. */
	if (conf_parse_object(text, len, "fuzz", &root, &err) == 0) {
		const cJSON *lf = conf_get(root, "logFile");
		bool skip = lf && !cJSON_IsNull(lf);

		cJSON_Delete(root);
		if (skip)
			goto out;
	}
	fd = memfd_create("stdin", MFD_CLOEXEC);
	if (fd < 0)
		goto out;
	if (write(fd, text, len) != (ssize_t)len || lseek(fd, 0, SEEK_SET) != 0 ||
	    dup2(fd, STDIN_FILENO) < 0) {
		close(fd);
		goto out;
	}
	close(fd);

	env("CNI_COMMAND", commands[b0 % 8]);
	env("CNI_CONTAINERID", container_ids[b1 & 3] ? container_ids[b1 & 3] : long_id);
	env("CNI_IFNAME", ifnames[(b1 >> 2) & 3]);
	env("CNI_NETNS", netnses[(b1 >> 4) & 3]);
	env("CNI_PATH", b1 & 0x40 ? NULL : "/nonexistent");
	env("CNI_ARGS", args);
	env("CNI_NETNS_OVERRIDE", b2 & 1 ? "true" : NULL);
	cur_stdin = text;
	cur_len = len;

	fuzz_quiet(true);
	(void)cni_main(b2 & 2 ? &plugin_old : &plugin_all);
	fuzz_quiet(false);
out:
	free(text);
	free(args);
	return 0;
}
