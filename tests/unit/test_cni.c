/* SPDX-License-Identifier: Apache-2.0 */
/* The skel: env validation, stdin, version negotiation, dispatch and printing. */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "cni/cni.h"
#include "cni/conf.h"
#include "fileio.h"

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
	.name = "test",
	.add = t_add,
	.del = t_del,
	.gc = t_gc,
};

/* A verb that reports on stderr that it ran, with the netns it was given. */
static int rec_verb(const struct cni_cmd_args *a, char **ret_out, struct cni_err *err)
{
	const char *env = getenv("CNI_NETNS");

	fprintf(stderr, "%s ran: netns '%s', env '%s'\n", a->command, a->netns,
		env ? env : "(unset)");
	return 0;
}

/* GC that reports the attachments it was asked to keep. */
static int rec_gc(const struct cni_cmd_args *a, char **ret_out, struct cni_err *err)
{
	_cleanup_(cjson_freep) cJSON *root = NULL;
	struct cni_attachment *v = NULL;
	size_t n = 0;

	if (conf_parse_object(a->stdin_data, a->stdin_len, "conf", &root, err) < 0 ||
	    cni_gc_attachments(root, &v, &n, err) < 0)
		return cni_err_ret(err);
	fprintf(stderr, "GC ran: keep %zu", n);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, " %s/%s", v[i].container_id, v[i].ifname);
	fprintf(stderr, "\n");
	cni_attachments_free(v, n);
	return 0;
}

static const struct cni_plugin rec_plugin = {
	.name = "recording",
	.add = rec_verb,
	.del = rec_verb,
	.check = rec_verb,
	.status = rec_verb,
	.gc = rec_gc,
};

/* Outcome of one run of cni_main in a child process. */
struct run {
	int status;	/* exit status */
	char out[8192]; /* stdout */
	char err[8192]; /* stderr */
};

/*
 * Run cni_main(pl) in a child with len bytes of input on stdin. env: "K=V"
 * strings, NULL-terminated; every CNI_* not listed is unset.
 */
static void run_n(const struct cni_plugin *pl, const char *const *env, const char *input,
		  size_t len, struct run *r)
{
	int in[2], out[2], errp[2];
	pid_t pid;
	ssize_t n;
	size_t used = 0;

	memset(r, 0, sizeof(*r));
	if (pipe(in) < 0 || pipe(out) < 0 || pipe(errp) < 0)
		abort();
	signal(SIGPIPE, SIG_IGN);
	pid = fork();
	if (pid == 0) {
		static const char *vars[] = {"CNI_COMMAND",	  "CNI_CONTAINERID", "CNI_NETNS",
					     "CNI_IFNAME",	  "CNI_ARGS",	     "CNI_PATH",
					     "CNI_NETNS_OVERRIDE"};
		for (size_t i = 0; i < ARRAY_SIZE(vars); i++)
			unsetenv(vars[i]);
		for (; *env; env++)
			putenv((char *)*env);
		signal(SIGPIPE, SIG_DFL);
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(errp[1], 2);
		close(in[1]);
		close(out[0]);
		close(errp[0]);
		_exit(cni_main(pl));
	}
	close(in[0]);
	close(out[1]);
	close(errp[1]);
	/* The child may exit without reading stdin (cni_main refuses a bad environment
	 * first): then the write fails with EPIPE, which is one of the outcomes under test,
	 * not a failure of the harness. */
	while (input && used < len) {
		n = write(in[1], input + used, len - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EPIPE)
			break;
		if (n <= 0)
			abort();
		used += (size_t)n;
	}
	used = 0;
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

/* Run the test plugin with a NUL-terminated input. */
static void run(const char *const *env, const char *input, struct run *r)
{
	run_n(&plugin, env, input, input ? strlen(input) : 0, r);
}

/* Run the recording plugin with a NUL-terminated input. */
static void run_rec(const char *const *env, const char *input, struct run *r)
{
	run_n(&rec_plugin, env, input, strlen(input), r);
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

	_cleanup_free_ char *about = NULL;

	run(no_cmd, "", &r);
	CHECK_INT(r.status, 0);
	/* The reference's shape: the name and the suite's version, then the versions spoken. */
	CHECK(asprintf(&about,
		       "CNI test plugin v%s\nCNI protocol versions supported: 0.1.0, 0.2.0, 0.3.0, "
		       "0.3.1, 0.4.0, 1.0.0, 1.1.0\n",
		       cni_suite_version) > 0);
	CHECK_STR(r.err, about);
	CHECK(cni_suite_version[0] >= '0' && cni_suite_version[0] <= '9');
	CHECK_STR(r.out, "");
	/* VERSION does not read stdin: garbage there is fine. */
	run(version, "not json", &r);
	CHECK_INT(r.status, 0);
	CHECK_STR(r.out, "{\"cniVersion\":\"1.1.0\",\"supportedVersions\":[\"0.1.0\",\"0.2.0\",\"0."
			 "3.0\",\"0.3.1\",\"0.4.0\",\"1.0.0\",\"1.1.0\"]}\n");
}

/* A plugin that speaks only some versions. */
static const char *const few_versions[] = {"0.4.0", "1.0.0", NULL};
static const struct cni_plugin few_plugin = {
	.name = "picky",
	.versions = few_versions,
	.add = t_add,
};

static void test_plugin_versions(void)
{
	const char *version[] = {"CNI_COMMAND=VERSION", NULL};
	const char *none[] = {NULL};
	const char *add[] = {"CNI_COMMAND=ADD", "CNI_CONTAINERID=c1", "CNI_NETNS=/nonexistent/ns",
			     "CNI_IFNAME=eth0", "CNI_PATH=/x",	      NULL};
	const char *old = "{\"cniVersion\":\"0.3.1\",\"name\":\"net1\",\"type\":\"t\"}";
	char msg[4096];
	struct run r;

	run_n(&few_plugin, version, "", 0, &r);
	CHECK_STR(r.out,
		  "{\"cniVersion\":\"1.1.0\",\"supportedVersions\":[\"0.4.0\",\"1.0.0\"]}\n");
	run_n(&few_plugin, none, "", 0, &r);
	CHECK(strstr(r.err, "CNI protocol versions supported: 0.4.0, 1.0.0\n") != NULL);
	run_n(&few_plugin, add, old, strlen(old), &r);
	CHECK_INT(r.status, 1);
	CHECK_INT(err_code(&r, msg, sizeof(msg)), 1);
	CHECK_STR(msg, "incompatible CNI versions | config is \"0.3.1\", plugin supports "
		       "[\"0.4.0\" \"1.0.0\"]");
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
	run(gc, "{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"cni.dev/valid-attachments\":[]}", &r);
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

#define SELF "CNI_CONTAINERID=c1", "CNI_NETNS=/proc/self/ns/net", "CNI_IFNAME=eth0", "CNI_PATH=/x"

/* CNI_NETNS naming the plugin's own namespace is handled before the verb runs. */
static void test_self_netns(void)
{
	const char *add[] = {"CNI_COMMAND=ADD", SELF, NULL};
	const char *check[] = {"CNI_COMMAND=CHECK", SELF, NULL};
	const char *del[] = {"CNI_COMMAND=DEL", SELF, NULL};
	const char *add_override[] = {"CNI_COMMAND=ADD", SELF, "CNI_NETNS_OVERRIDE=1", NULL};
	const char *del_override[] = {"CNI_COMMAND=DEL", SELF, "CNI_NETNS_OVERRIDE=TRUE", NULL};
	const char *del_other[] = {"CNI_COMMAND=DEL", BASE, NULL};
	char msg[4096];
	struct run r;

	/* ADD and CHECK: code 8 and the verb never ran (nothing to undo). */
	run_rec(add, conf_ok, &r);
	CHECK_INT(err_code(&r, msg, sizeof(msg)), 8);
	CHECK_STR(msg, "plugin's netns and netns from CNI_NETNS should not be the same");
	CHECK(strstr(r.err, "ran") == NULL);
	run_rec(check, conf_ok, &r);
	CHECK_INT(err_code(&r, msg, sizeof(msg)), 8);
	CHECK(strstr(r.err, "ran") == NULL);
	/* DEL succeeds, run as if the netns were gone: empty for the verb and its delegates. */
	run_rec(del, conf_ok, &r);
	CHECK_INT(r.status, 0);
	CHECK_STR(r.out, "");
	CHECK(strstr(r.err, "DEL ran: netns '', env ''\n") != NULL);
	CHECK(strstr(r.err, "CNI_NETNS '/proc/self/ns/net' is the plugin's own network namespace: "
			    "deleting as if the container's namespace were gone\n") != NULL);
	/* CNI_NETNS_OVERRIDE skips the check: the verb gets the namespace as given. */
	run_rec(add_override, conf_ok, &r);
	CHECK_INT(r.status, 0);
	CHECK(strstr(r.err, "ADD ran: netns '/proc/self/ns/net'") != NULL);
	run_rec(del_override, conf_ok, &r);
	CHECK_INT(r.status, 0);
	CHECK(strstr(r.err, "DEL ran: netns '/proc/self/ns/net', env '/proc/self/ns/net'") != NULL);
	CHECK(strstr(r.err, "own network namespace") == NULL);
	/* Another (here missing) namespace is left to the plugin. */
	run_rec(del_other, conf_ok, &r);
	CHECK_INT(r.status, 0);
	CHECK(strstr(r.err, "DEL ran: netns '/nonexistent/ns', env '/nonexistent/ns'") != NULL);
}

/* GC runs only with a list of attachments to keep. */
static void test_gc_dispatch(void)
{
	static const struct {
		const char *conf; /* the GC config */
		const char *err;  /* what stderr must hold */
	} cases[] = {
		/* No list: nothing is released, the verb does not run. */
		{"{\"cniVersion\":\"1.1.0\",\"name\":\"n\"}",
		 "GC without 'cni.dev/valid-attachments' (or 'cni.dev/attachments'): nothing is "
		 "released\n"},
		{"{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"cni.dev/valid-attachments\":[]}",
		 "GC ran: keep 0\n"},
		/* null is an empty list (libcni sends it for a runtime with no attachment). */
		{"{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"cni.dev/valid-attachments\":null}",
		 "GC ran: keep 0\n"},
		/* The legacy key alone, as the spec first named it. */
		{"{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"cni.dev/attachments\":"
		 "[{\"containerID\":\"a\",\"ifname\":\"eth0\"}]}",
		 "GC ran: keep 1 a/eth0\n"},
		/* Both: the spec's key wins. */
		{"{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"cni.dev/attachments\":[],"
		 "\"CNI.dev/Valid-Attachments\":[{\"containerID\":\"b\",\"ifname\":\"net1\"}]}",
		 "GC ran: keep 1 b/net1\n"},
	};
	const char *gc[] = {"CNI_COMMAND=GC", "CNI_PATH=/x", NULL};
	char msg[4096];
	struct run r;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		run_rec(gc, cases[i].conf, &r);
		CHECK_INT(r.status, 0);
		CHECK(strstr(r.err, cases[i].err) != NULL);
		if (i == 0)
			CHECK(strstr(r.err, "GC ran") == NULL);
	}
	run_rec(gc, "{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"cni.dev/valid-attachments\":{}}",
		&r);
	CHECK_INT(err_code(&r, msg, sizeof(msg)), 7);
	CHECK_STR(
		msg,
		"invalid network config: 'cni.dev/valid-attachments' must be an array, not object");
}

/*
 * The standard top-level keys are type-checked before any verb: code 7 like
 * every wrong-typed plugin key (the reference plugins fail their unmarshal
 * with 999), while "name" and "cniVersion", which the reference skel decodes
 * itself, stay code 6 as there.
 */
static void test_std_key_types(void)
{
	static const struct {
		const char *keys; /* members added to a 1.1.0 config */
		const char *msg;  /* the code-7 message; NULL: accepted */
	} cases[] = {
		{"\"type\":1", "invalid network config: 'type' must be a string, not number"},
		{"\"TYPE\":[]", "invalid network config: 'type' must be a string, not array"},
		{"\"capabilities\":1",
		 "invalid network config: 'capabilities' must be an object, not number"},
		{"\"capabilities\":{\"portMappings\":\"yes\"}",
		 "invalid network config: capability 'portMappings' must be a bool, not string"},
		{"\"runtimeConfig\":\"x\"",
		 "invalid network config: 'runtimeConfig' must be an object, not string"},
		{"\"args\":[]", "invalid network config: 'args' must be an object, not array"},
		{"\"prevResult\":true",
		 "invalid network config: 'prevResult' must be an object, not bool"},
		/* the last duplicate decides, as in Go */
		{"\"type\":1,\"type\":\"t\"", NULL},
		{"\"type\":\"t\",\"prevResult\":null,\"args\":null,\"runtimeConfig\":{},"
		 "\"capabilities\":{\"a\":true,\"b\":null}",
		 NULL},
		/* a string holding a NUL is still a string for Go */
		{"\"type\":\"t\\u0000\"", NULL},
	};
	const char *add[] = {"CNI_COMMAND=ADD", BASE, NULL};
	const char *del[] = {"CNI_COMMAND=DEL", BASE, NULL};
	const char *gc[] = {"CNI_COMMAND=GC", "CNI_PATH=/x", NULL};
	char conf[512], msg[4096];
	struct run r;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		snprintf(conf, sizeof(conf), "{\"cniVersion\":\"1.1.0\",\"name\":\"n\",%s}",
			 cases[i].keys);
		run_rec(add, conf, &r);
		if (!cases[i].msg) {
			CHECK_INT(r.status, 0);
			CHECK(strstr(r.err, "ADD ran") != NULL);
			continue;
		}
		CHECK_INT(err_code(&r, msg, sizeof(msg)), 7);
		CHECK_STR(msg, cases[i].msg);
		CHECK(strstr(r.err, "ran") == NULL);
	}
	/* The skel's own keys keep the reference skel's decode error. */
	run_rec(add, "{\"cniVersion\":\"1.1.0\",\"name\":1}", &r);
	CHECK_INT(err_code(&r, msg, sizeof(msg)), 6);
	CHECK_STR(msg, "error unmarshall network config: 'name' must be a string");
	run_rec(add, "{\"cniVersion\":[],\"name\":\"n\"}", &r);
	CHECK_INT(err_code(&r, msg, sizeof(msg)), 6);
	/* GC too; DEL warns and goes on, so cleanup never depends on such a key. */
	run_rec(gc,
		"{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"cni.dev/valid-attachments\":[],"
		"\"runtimeConfig\":7}",
		&r);
	CHECK_INT(err_code(&r, msg, sizeof(msg)), 7);
	CHECK(strstr(r.err, "GC ran") == NULL);
	snprintf(conf, sizeof(conf), "{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"prevResult\":7}");
	run_rec(del, conf, &r);
	CHECK_INT(r.status, 0);
	CHECK(strstr(r.err, "DEL ran") != NULL);
	CHECK(strstr(r.err, "ignoring config error: invalid network config: 'prevResult' "
			    "must be an object, not number\n") != NULL);
}

/* Input Go's encoding/json refuses is refused before the verb, with Go's message. */
static void test_strict_json(void)
{
	static const struct {
		const char *in;	 /* stdin */
		size_t len;	 /* its length (NULs inside) */
		int code;	 /* the error code */
		const char *msg; /* msg | details */
	} cases[] = {
#define IN(s) s, sizeof(s) - 1
/* The skeleton's prefix of a JSON syntax error. */
#define UNMARSHAL "error unmarshall network config: "
		{IN("\0{\"name\":\"n\"}"), 6,
		 UNMARSHAL "invalid character '\\x00' looking for beginning of value"},
		{IN("{\"name\":\"n\"}\0"), 6,
		 UNMARSHAL "invalid character '\\x00' after top-level value"},
		{IN("{\"name\":\"n\"}\n\0\n"), 6,
		 UNMARSHAL "invalid character '\\x00' after top-level value"},
		{IN("\xef\xbb\xbf{\"name\":\"n\"}"), 6,
		 UNMARSHAL "invalid character '\xc3\xaf' looking for beginning of value"},
		{IN("{\x01\"name\":\"n\"}"), 6,
		 UNMARSHAL "invalid character '\\x01' looking for beginning of object key string"},
		{IN("{\"name\":\"n\"\f}"), 6,
		 UNMARSHAL "invalid character '\\f' after object key:value pair"},
		{IN("{\"name\":\"n\"}\x7f"), 6,
		 UNMARSHAL "invalid character '\\x7f' after top-level value"},
		{IN("{\"name\":\"n\0x\"}"), 6,
		 UNMARSHAL "invalid character '\\x00' in string literal"},
		{IN("{\"name\":\"n\",\"cniVersion\":\"1.0.0\0\"}"), 6,
		 UNMARSHAL "invalid character '\\x00' in string literal"},
		{IN("{\"name\":\"n\",\"cniVer\0sion\":\"1.0.0\"}"), 6,
		 UNMARSHAL "invalid character '\\x00' in string literal"},
		{IN("{\"name\":\"n\\u0000x\"}"), 7,
		 "invalid characters found in network name | n\\u0000x"},
		{IN("{\"name\":\"hnet\\u0000/../../x\"}"), 7,
		 "invalid characters found in network name | hnet\\u0000/../../x"},
		{IN("{\"name\":\"n\",\"cniVersion\":\"1.0.0\\u0000\"}"), 1,
		 "incompatible CNI versions | config is \"1.0.0\\u0000\", plugin supports "
		 "[\"0.1.0\" "
		 "\"0.2.0\" \"0.3.0\" \"0.3.1\" \"0.4.0\" \"1.0.0\" \"1.1.0\"]"},
		{IN("{\"name\":\"n\",\"cniVersion\":\"1.0.0\",\"logFile\":\"/tmp/l\\u0000x\"}"), 7,
		 "invalid network config: 'logFile' must not contain a NUL character"},
#undef IN
#undef UNMARSHAL
	};
	const char *add[] = {"CNI_COMMAND=ADD", BASE, NULL};
	char msg[4096];
	struct run r;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		run_n(&rec_plugin, add, cases[i].in, cases[i].len, &r);
		CHECK_INT(err_code(&r, msg, sizeof(msg)), cases[i].code);
		CHECK_STR(msg, cases[i].msg);
		CHECK(strstr(r.err, "ran") == NULL);
	}
	/* A key holding a NUL is a key of its own: it never stands in for "name". */
	run_rec(add, "{\"name\":\"n\",\"name\\u0000\":\"a/b\"}", &r);
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
	/* Without a list nothing may be taken for stale: an error, never an empty list. */
	c = cJSON_Parse("{\"name\":\"n\"}");
	CHECK(cni_gc_attachments(c, &a, &n, &err) < 0 && err.code == 7);
	CHECK_STR(err.msg, "invalid network config: GC needs 'cni.dev/valid-attachments'");
	CHECK(a == NULL && n == 0);
	cJSON_Delete(c);
	c = cJSON_Parse("{\"cni.dev/valid-attachments\":null}");
	CHECK(cni_gc_attachments(c, &a, &n, &err) == 0 && n == 0 && a == NULL);
	cJSON_Delete(c);
	c = cJSON_Parse("{\"cni.dev/attachments\":[{\"containerID\":\"a\",\"ifname\":\"eth0\"}]}");
	CHECK(cni_gc_attachments(c, &a, &n, &err) == 0 && n == 1);
	CHECK(cni_attachment_valid(a, n, "a", "eth0"));
	cni_attachments_free(a, n);
	cJSON_Delete(c);
	c = cJSON_Parse("{\"cni.dev/attachments\":[7]}");
	CHECK(cni_gc_attachments(c, &a, &n, &err) < 0 && err.code == 7);
	CHECK_STR(err.msg,
		  "invalid network config: 'cni.dev/attachments' must be a list of objects");
	cJSON_Delete(c);
}

/* cni_warn_err(): "<program>: <what>: <msg>[: <details>]" on stderr. */
static void test_warn_err(void)
{
	char path[] = "/tmp/test_cni_warn_XXXXXX";
	_cleanup_free_ char *text = NULL;
	struct cni_err e = {0};
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	size_t len = 0;

	CHECK(fd >= 0 && saved >= 0);
	if (fd < 0 || saved < 0)
		return;
	fflush(stderr);
	dup2(fd, STDERR_FILENO);
	cni_err_set(&e, CNI_ERR_INTERNAL, "no such device");
	cni_warn_err(NULL, &e, "could not remove '%s'", "veth1");
	cni_err_details(&e, "ifindex %d", 7);
	cni_warn_err(NULL, &e, "failed to restore MTU");
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fd);
	CHECK_INT(fileio_read_path(path, 4096, &text, &len), 0);
	CHECK_STR(text, "test_cni: could not remove 'veth1': no such device\n"
			"test_cni: failed to restore MTU: no such device: ifindex 7\n");
	unlink(path);
}

int main(void)
{
	RUN(test_about_and_version);
	RUN(test_plugin_versions);
	RUN(test_env_errors);
	RUN(test_config_errors);
	RUN(test_dispatch);
	RUN(test_self_netns);
	RUN(test_gc_dispatch);
	RUN(test_std_key_types);
	RUN(test_strict_json);
	RUN(test_gc_attachments);
	RUN(test_warn_err);
	UNIT_DONE();
}
