/* SPDX-License-Identifier: Apache-2.0 */
/* Delegation: finding a plugin in CNI_PATH, exec with env and stdin, error passthrough. */
#include <errno.h>

#include "unit.h"

#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "cni/delegate.h"

static char dir[] = "/tmp/cni-delegate-XXXXXX";

/* An executable shell script named name in dir. */
static void write_script(const char *name, const char *body)
{
	_cleanup_free_ char *text = NULL;

	if (asprintf(&text, "#!/bin/sh\n%s\n", body) < 0)
		abort();
	unit_write_file(dir, name, text, 0755);
}

static void test_find(void)
{
	_cleanup_free_ char *p = NULL;
	struct cni_err err = {0};
	char path[512];

	snprintf(path, sizeof(path), "/nonexistent:%s", dir);
	CHECK(delegate_find("echo-ipam", path, &p, &err) == 0);
	CHECK(p && strstr(p, "/echo-ipam") != NULL);
	CHECK(delegate_find("", path, &p, &err) < 0);
	CHECK_STR(err.msg, "no plugin name provided");
	CHECK(delegate_find("missing", "/a:/b", &p, &err) < 0);
	CHECK_STR(err.msg, "failed to find plugin \"missing\" in path [/a /b]");
	CHECK(delegate_find("../x", path, &p, &err) < 0);
}

static void test_exec(void)
{
	struct cni_cmd_args a = {.path = dir, .cni_version = "1.0.0"};
	_cleanup_free_ char *out = NULL;
	_cleanup_(cni_result_freep) struct cni_result *r = NULL;
	struct cni_err err = {0};
	const char *in = "{\"name\":\"n\"}";
	char big[200000];

	setenv("CNI_COMMAND", "ADD", 1);
	CHECK(delegate_exec("echo-ipam", "DEL", &a, in, strlen(in), &out, &err) == 0);
	CHECK_STR(out, "DEL {\"name\":\"n\"}");
	free(out);
	out = NULL;

	/* A large stdin and stdout must not deadlock. */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK(delegate_exec("cat-ipam", "ADD", &a, big, strlen(big), &out, &err) == 0);
	CHECK(out && strlen(out) == strlen(big));

	/* a CNI error is the delegate's own word; anything else leaves its work unknown */
	{
		int r2 = delegate_exec("fail-ipam", "ADD", &a, in, strlen(in), NULL, &err);

		CHECK(r2 < 0 && r2 != -ECHILD);
	}
	CHECK_INT(err.code, 11);
	CHECK_STR(err.msg, "try later");
	CHECK_STR(err.details, "busy");
	CHECK(delegate_exec("garbage-ipam", "ADD", &a, in, strlen(in), NULL, &err) == -ECHILD);
	CHECK_INT(err.code, 999);
	CHECK_STR(err.msg, "netplugin failed: \"oops\"");
	CHECK(delegate_exec("silent-ipam", "ADD", &a, in, strlen(in), NULL, &err) == -ECHILD);
	CHECK(strstr(err.msg, "exit status 3") != NULL);

	a.stdin_data = (char *)in;
	a.stdin_len = strlen(in);
	CHECK(delegate_add("result-ipam", &a, &r, &err) == 0);
	CHECK(r && r->n_ips == 1);
	CHECK_STR(r->cni_version, "1.0.0");
}

/* The child's environment comes from the arguments; ours stays as it was. */
static void test_exec_env(void)
{
	struct cni_cmd_args a = {.path = dir,
				 .container_id = "c1",
				 .netns = "/run/netns/x",
				 .ifname = "eth1",
				 .args = "K=V",
				 .cni_version = "1.0.0"};
	_cleanup_free_ char *out = NULL, *want = NULL;
	struct cni_err err = {0};

	setenv("CNI_COMMAND", "ADD", 1);
	setenv("CNI_CONTAINERID", "ours", 1);
	setenv("CNI_NETNS", "/run/netns/ours", 1);
	unsetenv("CNI_ARGS");
	setenv("CNI_NETNS_OVERRIDE", "1", 1);
	setenv("CNI_TEST_OTHER", "kept", 1);
	CHECK(delegate_exec("env-ipam", "CHECK", &a, "", 0, &out, &err) == 0);
	CHECK(asprintf(&want,
		       "CNI_ARGS=K=V|CNI_COMMAND=CHECK|CNI_CONTAINERID=c1|CNI_IFNAME=eth1|"
		       "CNI_NETNS=/run/netns/x|CNI_NETNS_OVERRIDE=1|CNI_PATH=%s|"
		       "CNI_TEST_OTHER=kept|",
		       dir) > 0);
	CHECK_STR(out, want);
	CHECK_STR(getenv("CNI_COMMAND"), "ADD");
	CHECK_STR(getenv("CNI_CONTAINERID"), "ours");
	CHECK(getenv("CNI_ARGS") == NULL);
	free(TAKE_PTR(out));

	/* NULL fields are passed as empty values, never the caller's. */
	a.container_id = a.netns = a.ifname = a.args = NULL;
	CHECK(delegate_exec("env-ipam", "DEL", &a, "", 0, &out, &err) == 0);
	free(TAKE_PTR(want));
	CHECK(asprintf(&want,
		       "CNI_ARGS=|CNI_COMMAND=DEL|CNI_CONTAINERID=|CNI_IFNAME=|CNI_NETNS=|"
		       "CNI_NETNS_OVERRIDE=1|CNI_PATH=%s|CNI_TEST_OTHER=kept|",
		       dir) > 0);
	CHECK_STR(out, want);
	unsetenv("CNI_NETNS_OVERRIDE");
	unsetenv("CNI_TEST_OTHER");
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	write_script("echo-ipam", "printf '%s ' \"$CNI_COMMAND\"; cat");
	write_script("cat-ipam", "cat");
	write_script(
		"fail-ipam",
		"echo '{\"code\": 11, \"msg\": \"try later\", \"details\": \"busy\"}'; exit 1");
	write_script("garbage-ipam", "printf oops; exit 1");
	write_script("silent-ipam", "exit 3");
	write_script("env-ipam", "env | grep '^CNI_' | LC_ALL=C sort | tr '\\n' '|'");
	write_script("result-ipam",
		     "cat >/dev/null; echo '{\"ips\":[{\"address\":\"10.0.0.2/24\"}]}'");
	RUN(test_find);
	RUN(test_exec);
	RUN(test_exec_env);
	{
		char cmd[300];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cleanup failed\n");
	}
	UNIT_DONE();
}
