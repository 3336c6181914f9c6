/* SPDX-License-Identifier: Apache-2.0 */
/* The skel: env validation, stdin, version negotiation, dispatch and printing. */
#include "unit.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "cni/cni.h"
#include "cni/conf.h"

/* Verb implementations of a test plugin. */
static int t_add(const struct cni_cmd_args *a, char **ret_out, struct cni_err *err)
{
	if (asprintf(ret_out, "{\"added\":\"%s/%s/%s\"}", a->name, a->cni_version, a->ifname) < 0)
		return cni_err_set(err, CNI_ERR_INTERNAL, "oom");
	return 0;
}

static int t_del(const struct cni_cmd_args *a, char **ret_out, struct cni_err *err)
{
	return cni_err_set(err, 0, "del failed for '%s'", a->container_id);
}

static int t_gc(const struct cni_cmd_args *a, char **ret_out, struct cni_err *err)
{
	return cni_err_set(err, CNI_ERR_TRY_AGAIN, "gc busy");
}

static const struct cni_plugin plugin = {
	.about = "CNI test plugin",
	.add = t_add,
	.del = t_del,
	.gc = t_gc,
};

/* Outcome of one run of cni_main in a child process. */
struct run {
	int status;	/* exit status */
	char out[8192]; /* stdout */
	char err[8192]; /* stderr */
};

/* env: "K=V" strings, NULL-terminated; every CNI_* not listed is unset. */
static void run(const char *const *env, const char *input, struct run *r)
{
	int in[2], out[2], errp[2];
	pid_t pid;
	ssize_t n;
	size_t used = 0;

	memset(r, 0, sizeof(*r));
	if (pipe(in) < 0 || pipe(out) < 0 || pipe(errp) < 0)
		abort();
	pid = fork();
	if (pid == 0) {
		static const char *vars[] = {"CNI_COMMAND",	  "CNI_CONTAINERID", "CNI_NETNS",
					     "CNI_IFNAME",	  "CNI_ARGS",	     "CNI_PATH",
					     "CNI_NETNS_OVERRIDE"};
		for (size_t i = 0; i < ARRAY_SIZE(vars); i++)
			unsetenv(vars[i]);
		for (; *env; env++)
			putenv((char *)*env);
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(errp[1], 2);
		close(in[1]);
		close(out[0]);
		close(errp[0]);
		_exit(cni_main(&plugin));
	}
	close(in[0]);
	close(out[1]);
	close(errp[1]);
	if (input && write(in[1], input, strlen(input)) < 0)
		abort();
	close(in[1]);
	while ((n = read(out[0], r->out + used, sizeof(r->out) - 1 - used)) > 0)
		used += (size_t)n;
	used = 0;
	while ((n = read(errp[0], r->err + used, sizeof(r->err) - 1 - used)) > 0)
		used += (size_t)n;
	close(out[0]);
	close(errp[0]);
	waitpid(pid, &r->status, 0);
	r->status = WEXITSTATUS(r->status);
}

/* The error printed by the run, parsed. */
static int err_code(const struct run *r, char *msg, size_t len)
{
	_cleanup_(cjson_freep) cJSON *o = cJSON_Parse(r->out);
	const cJSON *c = cJSON_GetObjectItem(o, "code"), *m = cJSON_GetObjectItem(o, "msg");
	const cJSON *d = cJSON_GetObjectItem(o, "details");

	if (!cJSON_IsNumber(c))
		return -1;
	snprintf(msg, len, "%s%s%s", cJSON_IsString(m) ? m->valuestring : "",
		 cJSON_IsString(d) ? " | " : "", cJSON_IsString(d) ? d->valuestring : "");
	return (int)c->valuedouble;
}

#define BASE "CNI_CONTAINERID=c1", "CNI_NETNS=/nonexistent/ns", "CNI_IFNAME=eth0", "CNI_PATH=/x"
static const char *conf_ok = "{\"cniVersion\":\"1.0.0\",\"name\":\"net1\",\"type\":\"t\"}";

static void test_about_and_version(void)
{
	struct run r;
	const char *no_cmd[] = {NULL};
	const char *version[] = {"CNI_COMMAND=VERSION", NULL};

	run(no_cmd, "", &r);
	CHECK_INT(r.status, 0);
	CHECK(strstr(r.err, "CNI test plugin\nCNI protocol versions supported: 0.1.0, 0.2.0, "
			    "0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0\n") != NULL);
	CHECK_STR(r.out, "");
	/* VERSION does not read stdin: garbage there is fine. */
	run(version, "not json", &r);
	CHECK_INT(r.status, 0);
	CHECK_STR(r.out, "{\"cniVersion\":\"1.1.0\",\"supportedVersions\":[\"0.1.0\",\"0.2.0\",\"0."
			 "3.0\",\"0.3.1\",\"0.4.0\",\"1.0.0\",\"1.1.0\"]}\n");
}

static void test_env_errors(void)
{
	static const struct {
		const char *env[7]; /* the environment, NULL-terminated */
		const char *msg;    /* msg | details of the code-4 error */
	} cases[] = {
		{{"CNI_COMMAND=ADD"},
		 "required env variables [CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME,CNI_PATH] missing"},
		{{"CNI_COMMAND=DEL", "CNI_CONTAINERID=c", "CNI_IFNAME=eth0"},
		 "required env variables [CNI_PATH] missing"},
		{{"CNI_COMMAND=BOGUS"}, "unknown CNI_COMMAND: BOGUS"},
		{{"CNI_COMMAND=GC"}, "required env variables [CNI_PATH] missing"},
		{{"CNI_COMMAND=ADD", "CNI_CONTAINERID=a b", "CNI_NETNS=/x", "CNI_IFNAME=eth0",
		  "CNI_PATH=/x"},
		 "invalid characters in containerID | a b"},
		{{"CNI_COMMAND=ADD", "CNI_CONTAINERID=a", "CNI_NETNS=/x", "CNI_IFNAME=a:b",
		  "CNI_PATH=/x"},
		 "interface name contains / or : or whitespace characters"},
		{{"CNI_COMMAND=ADD", "CNI_CONTAINERID=a", "CNI_NETNS=/x",
		  "CNI_IFNAME=abcdefghijklmnop", "CNI_PATH=/x"},
		 "interface name is too long | interface name should be less than 16 characters"},
		{{"CNI_COMMAND=ADD", "CNI_CONTAINERID=a", "CNI_NETNS=/x", "CNI_IFNAME=..",
		  "CNI_PATH=/x"},
		 "interface name is . or .."},
	};
	char msg[4096];
	struct run r;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		run(cases[i].env, conf_ok, &r);
		CHECK_INT(r.status, 1);
		CHECK_INT(err_code(&r, msg, sizeof(msg)), 4);
		CHECK_STR(msg, cases[i].msg);
	}
}

static void test_config_errors(void)
{
	char msg[4096];
	struct run r;
	const char *add[] = {"CNI_COMMAND=ADD", BASE, NULL};

	run(add, "{", &r);
	CHECK_INT(err_code(&r, msg, sizeof(msg)), 6);
	CHECK(strncmp(msg, "error unmarshall network config", 31) == 0);
	run(add, "", &r);
	CHECK_INT(err_code(&r, msg, sizeof(msg)), 6);
	run(add, "{\"cniVersion\":\"1.0.0\"}", &r);
	CHECK_INT(err_code(&r, msg, sizeof(msg)), 7);
	CHECK_STR(msg, "missing network name");
	run(add, "{\"cniVersion\":\"1.0.0\",\"name\":\"a/b\"}", &r);
	CHECK_INT(err_code(&r, msg, sizeof(msg)), 7);
	CHECK_STR(msg, "invalid characters found in network name | a/b");
	run(add, "{\"cniVersion\":\"1.0.0\",\"name\":5}", &r);
	CHECK_INT(err_code(&r, msg, sizeof(msg)), 6);
	run(add, "{\"cniVersion\":\"9.9.9\",\"name\":\"n\"}", &r);
	CHECK_INT(err_code(&r, msg, sizeof(msg)), 1);
	CHECK_STR(msg, "incompatible CNI versions | config is \"9.9.9\", plugin supports "
		       "[\"0.1.0\" \"0.2.0\" \"0.3.0\" \"0.3.1\" \"0.4.0\" \"1.0.0\" \"1.1.0\"]");
	run(add, "{\"cniVersion\":5,\"name\":\"n\"}", &r);
	CHECK_INT(err_code(&r, msg, sizeof(msg)), 6);
}

static void test_dispatch(void)
{
	char msg[4096];
	struct run r;
	const char *add[] = {"CNI_COMMAND=ADD", BASE, NULL};
	const char *del[] = {"CNI_COMMAND=DEL", BASE, NULL};
	const char *check[] = {"CNI_COMMAND=CHECK", BASE, NULL};
	const char *gc[] = {"CNI_COMMAND=GC", "CNI_PATH=/x", NULL};
	const char *status[] = {"CNI_COMMAND=STATUS", "CNI_PATH=/x", NULL};
	const char *self_ns[] = {
		"CNI_COMMAND=ADD", "CNI_CONTAINERID=c1", "CNI_NETNS=/proc/self/ns/net",
		"CNI_IFNAME=eth0", "CNI_PATH=/x",	 NULL};
	const char *self_ns_ok[] = {"CNI_COMMAND=ADD",
				    "CNI_CONTAINERID=c1",
				    "CNI_NETNS=/proc/self/ns/net",
				    "CNI_IFNAME=eth0",
				    "CNI_PATH=/x",
				    "CNI_NETNS_OVERRIDE=true",
				    NULL};

	run(add, conf_ok, &r);
	CHECK_INT(r.status, 0);
	CHECK_STR(r.out, "{\"added\":\"net1/1.0.0/eth0\"}");
	/* missing cniVersion means 0.1.0 */
	run(add, "{\"name\":\"n\"}", &r);
	CHECK_STR(r.out, "{\"added\":\"n/0.1.0/eth0\"}");
	run(del, conf_ok, &r);
	CHECK_INT(r.status, 1);
	CHECK_INT(err_code(&r, msg, sizeof(msg)), 999);
	CHECK_STR(msg, "del failed for 'c1'");
	CHECK(strstr(r.out, "\"cniVersion\": \"1.0.0\"") != NULL);
	run(check, "{\"cniVersion\":\"0.3.1\",\"name\":\"n\"}", &r);
	CHECK_INT(err_code(&r, msg, sizeof(msg)), 1);
	CHECK_STR(msg, "config version does not allow CHECK");
	run(check, "{\"cniVersion\":\"0.4.0\",\"name\":\"n\"}", &r);
	CHECK_INT(r.status, 0); /* NULL verb: success */
	run(gc, conf_ok, &r);
	CHECK_INT(err_code(&r, msg, sizeof(msg)), 1);
	CHECK_STR(msg, "config version does not allow GC");
	run(gc, "{\"cniVersion\":\"1.1.0\",\"name\":\"n\"}", &r);
	CHECK_INT(err_code(&r, msg, sizeof(msg)), 11);
	run(status, "{\"cniVersion\":\"1.0.0\",\"name\":\"n\"}", &r);
	CHECK_INT(err_code(&r, msg, sizeof(msg)), 1);
	CHECK_STR(msg, "config version does not allow STATUS");
	run(status, "{\"cniVersion\":\"1.1.0\",\"name\":\"n\"}", &r);
	CHECK_INT(r.status, 0);
	run(self_ns, conf_ok, &r);
	CHECK_INT(err_code(&r, msg, sizeof(msg)), 8);
	run(self_ns_ok, conf_ok, &r);
	CHECK_INT(r.status, 0);
}

static void test_gc_attachments(void)
{
	cJSON *c = cJSON_Parse(
		"{\"cni.dev/valid-attachments\":[{\"containerID\":\"a\",\"ifname\":\"eth0\"},"
		"{\"containerID\":\"b\",\"ifname\":\"net1\"}]}");
	struct cni_attachment *a = NULL;
	struct cni_err err = {0};
	size_t n = 0;

	CHECK(cni_gc_attachments(c, &a, &n, &err) == 0 && n == 2);
	CHECK(cni_attachment_valid(a, n, "b", "net1"));
	CHECK(!cni_attachment_valid(a, n, "b", "eth0"));
	cni_attachments_free(a, n);
	cJSON_Delete(c);
	c = cJSON_Parse("{\"cni.dev/valid-attachments\":[5]}");
	CHECK(cni_gc_attachments(c, &a, &n, &err) < 0 && err.code == 7);
	cJSON_Delete(c);
}

int main(void)
{
	RUN(test_about_and_version);
	RUN(test_env_errors);
	RUN(test_config_errors);
	RUN(test_dispatch);
	RUN(test_gc_attachments);
	UNIT_DONE();
}
