/* SPDX-License-Identifier: Apache-2.0 */
/* cnitool: SHA-512 and container IDs, base64, libcni's cache format, conflist
 * loading and version negotiation, request configs (runtimeConfig injection),
 * CNI_ARGS, path cleaning. No privileges, no plugins executed. */
#include "unit.h"

#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "cni/conf.h"
#include "cni/result.h"
#include "cnitool/cache.h"
#include "cnitool/cnitool.h"
#include "cnitool/conflist.h"
#include "cnitool/runtime.h"

static char dir[] = "/tmp/cnitool-unit-XXXXXX";

static void write_file(const char *rel, const char *text)
{
	unit_write_file(dir, rel, text, 0644);
}

static void test_container_id(void)
{
	char id[32];

	/* cnitool's container ID: "cnitool-" + first 10 bytes of sha512(abs netns path) as hex. */
	cnitool_container_id("/var/run/netns/test", id);
	CHECK_STR(id, "cnitool-7b8a61d5d8e94d07cbe4");
	CHECK_INT(strlen(id), 28);
}

static void test_abs_path(void)
{
	_cleanup_free_ char *a = cnitool_abs_path("/run/netns//x/./y/../z/");
	_cleanup_free_ char *b = cnitool_abs_path("/..");
	_cleanup_free_ char *c = NULL;
	char cwd[4096], want[4200];

	CHECK_STR(a, "/run/netns/x/z");
	CHECK_STR(b, "/");
	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	c = cnitool_abs_path("ns1");
	snprintf(want, sizeof(want), "%s/ns1", strcmp(cwd, "/") ? cwd : "");
	CHECK_STR(c, want);
}

static void test_base64(void)
{
	const char *in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
	const char *want[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};

	for (size_t i = 0; i < ARRAY_SIZE(in); i++) {
		_cleanup_free_ char *e = cnitool_base64_encode(in[i], strlen(in[i]));
		_cleanup_free_ char *d = NULL;
		size_t n = 0;
		CHECK_STR(e, want[i]);
		CHECK(cnitool_base64_decode(want[i], &d, &n) == 0);
		CHECK_INT(n, strlen(in[i]));
		CHECK(d && memcmp(d, in[i], n) == 0);
	}
	{
		char *d = NULL;
		size_t n;
		CHECK(cnitool_base64_decode("Zm9", &d, &n) < 0);
		CHECK(cnitool_base64_decode("Z===", &d, &n) < 0);
		CHECK(cnitool_base64_decode("Zg==Zg==", &d, &n) < 0);
		CHECK(cnitool_base64_decode("Zm9v!A==", &d, &n) < 0);
	}
}

/* A cache entry as libcni (Go json.Marshal of cachedInfo) writes it. */
static const char *golden_cache =
	"{\"kind\":\"cniCacheV1\",\"containerId\":\"3f6940ab5ab4\","
	"\"config\":\"eyJjbmlWZXJzaW9uIjoiMC4zLjEiLCJuYW1lIjoiY2JyMCJ9\","
	"\"ifName\":\"eth0\",\"networkName\":\"cbr0\",\"netns\":\"/var/run/netns/abc\","
	"\"cniArgs\":[[\"IgnoreUnknown\",\"1\"],[\"K8S_POD_NAMESPACE\",\"default\"]],"
	"\"capabilityArgs\":{\"portMappings\":[{\"containerPort\":80,\"hostPort\":8080,"
	"\"protocol\":\"tcp\"}]},"
	"\"result\":{\"cniVersion\":\"0.3.1\",\"dns\":{},\"interfaces\":[{\"mac\":"
	"\"ea:19:25:a2:a1:93\",\"name\":\"cni0\"},{\"mac\":\"ba:76:61:2f:8b:ca\",\"name\":"
	"\"vethc42d3d18\"},{\"mac\":\"7e:57:6a:9b:6b:b5\",\"name\":\"eth0\",\"sandbox\":"
	"\"/var/run/netns/abc\"}],\"ips\":[{\"address\":\"10.244.1.4/24\",\"gateway\":"
	"\"10.244.1.1\",\"interface\":2,\"version\":\"4\"}],\"routes\":[{\"dst\":"
	"\"10.244.0.0/16\"},{\"dst\":\"0.0.0.0/0\",\"gw\":\"10.244.1.1\"}]}}";

static void test_cache_format(void)
{
	struct cnitool_cache_entry e = {0};
	struct cni_err err = {0};
	_cleanup_free_ char *text = NULL, *text2 = NULL;
	_cleanup_(cni_result_freep) struct cni_result *r = NULL;
	cJSON *rendered = NULL;

	CHECK(cnitool_cache_decode(golden_cache, strlen(golden_cache), &e, &err) == 0);
	CHECK_STR(e.container_id, "3f6940ab5ab4");
	CHECK_STR(e.ifname, "eth0");
	CHECK_STR(e.network, "cbr0");
	CHECK_STR(e.netns, "/var/run/netns/abc");
	CHECK_STR(e.config, "{\"cniVersion\":\"0.3.1\",\"name\":\"cbr0\"}");
	CHECK_INT(cJSON_GetArraySize(e.cni_args), 2);
	/* Re-encoding reproduces libcni's bytes exactly. */
	CHECK(cnitool_cache_encode(&e, &text, &err) == 0);
	CHECK_STR(text, golden_cache);

	/* The result part as cnitool renders a parsed 0.3.1 result (sorted, "dns": {}). */
	CHECK(cni_result_parse(e.result, "0.3.1", &r, &err) == 0);
	CHECK(r && cni_result_to_json(r, "0.3.1", &rendered, &err) == 0);
	cJSON_Delete(e.result);
	e.result = rendered;
	/* Capability args given in another key order are sorted like a Go map. */
	cJSON_Delete(e.capability_args);
	e.capability_args =
		cJSON_Parse("{\"portMappings\":[{\"protocol\":\"tcp\",\"hostPort\":8080,"
			    "\"containerPort\":80}]}");
	CHECK(cnitool_cache_encode(&e, &text2, &err) == 0);
	CHECK_STR(text2, golden_cache);
	cnitool_cache_entry_clear(&e);
}

/* An entry of borrowed strings with ifname eth0 (never cleared). */
static struct cnitool_cache_entry entry_of(const char *cid, const char *net, const char *netns,
					   const char *config)
{
	struct cnitool_cache_entry e = {
		.container_id = (char *)cid,
		.ifname = (char *)"eth0",
		.network = (char *)net,
		.netns = (char *)netns,
		.config = (char *)config,
		.config_len = strlen(config),
	};

	return e;
}

static void test_cache_omitempty(void)
{
	struct cnitool_cache_entry e = entry_of("c1", "n", "", "{}");
	struct cni_err err = {0};
	_cleanup_free_ char *text = NULL, *text2 = NULL;
	cJSON *empty_obj = cJSON_CreateObject(), *empty_arr = cJSON_CreateArray();

	CHECK(cnitool_cache_encode(&e, &text, &err) == 0);
	CHECK_STR(text, "{\"kind\":\"cniCacheV1\",\"containerId\":\"c1\",\"config\":\"e30=\","
			"\"ifName\":\"eth0\",\"networkName\":\"n\"}");
	/* Empty maps and slices are omitted too (omitempty). */
	e.capability_args = empty_obj;
	e.cni_args = empty_arr;
	CHECK(cnitool_cache_encode(&e, &text2, &err) == 0);
	CHECK_STR(text2, text);
	cJSON_Delete(empty_obj);
	cJSON_Delete(empty_arr);
}

static void test_cache_files(void)
{
	char cdir[512], path[600];
	struct cnitool_cache_entry e =
		entry_of("cid1", "net1", "/run/netns/x", "{\"cniVersion\":\"1.0.0\"}");
	struct cni_err err = {0};
	struct stat st;
	cJSON *res = NULL, *conv = NULL;
	struct cnitool_cache_entry *list = NULL;
	size_t n = 0;
	_cleanup_free_ char *p = NULL;

	snprintf(cdir, sizeof(cdir), "%s/cache", dir);
	e.result = cJSON_Parse("{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"10.1.0.5/24\","
			       "\"gateway\":\"10.1.0.1\"}]}");
	CHECK(cnitool_cache_write(cdir, &e, &err) == 0);
	snprintf(path, sizeof(path), "%s/results/net1-cid1-eth0", cdir);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	snprintf(path, sizeof(path), "%s/results", cdir);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0700);

	/* Read back, converted to the list's version. */
	CHECK(cnitool_cache_result(cdir, "net1", "cid1", "eth0", "0.4.0", &conv, &err) == 0);
	CHECK(conv && cJSON_IsString(cJSON_GetObjectItem(conv, "cniVersion")));
	CHECK_STR(cJSON_GetObjectItem(conv, "cniVersion")->valuestring, "0.4.0");
	CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(conv, "ips"), 0),
				      "version")
			  ->valuestring,
		  "4");
	cJSON_Delete(conv);
	/* Nothing cached: no prevResult, no error. */
	CHECK(cnitool_cache_result(cdir, "net1", "other", "eth0", "1.0.0", &res, &err) == 0);
	CHECK(res == NULL);

	/* Legacy cache files hold a bare result. */
	snprintf(path, sizeof(path), "%s/results/net1-legacy-eth0", cdir);
	write_file("cache/results/net1-legacy-eth0",
		   "{\"cniVersion\":\"0.2.0\",\"ip4\":{\"ip\":\"10.2.0.5/24\"},\"dns\":{}}");
	CHECK(cnitool_cache_result(cdir, "net1", "legacy", "eth0", "1.0.0", &conv, &err) == 0);
	CHECK(conv && cJSON_GetObjectItem(conv, "ips") != NULL);
	cJSON_Delete(conv);

	/* Listing: sorted, foreign kinds and broken files skipped, entries without ifName skipped. */
	write_file("cache/results/aaa-broken-eth0", "{");
	write_file("cache/results/aab-foreign-eth0", "{\"kind\":\"other\",\"containerId\":\"x\"}");
	write_file("cache/results/aac-noif-eth0",
		   "{\"kind\":\"cniCacheV1\",\"containerId\":\"x\",\"networkName\":\"aac\"}");
	write_file("cache/results/net0-cid0-eth1",
		   "{\"kind\":\"cniCacheV1\",\"containerId\":\"cid0\",\"ifName\":\"eth1\","
		   "\"networkName\":\"net0\"}");
	CHECK(cnitool_cache_list(cdir, &list, &n, &err) == 0);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK_STR(list[0].network, "net0");
		CHECK_STR(list[1].container_id, "cid1");
		CHECK_STR(list[1].netns, "/run/netns/x");
	}
	cnitool_cache_list_free(list, n);

	CHECK(cnitool_cache_del(cdir, "net1", "cid1", "eth0") == 0);
	CHECK(cnitool_cache_del(cdir, "net1", "cid1", "eth0") == 0);
	snprintf(path, sizeof(path), "%s/results/net1-cid1-eth0", cdir);
	CHECK(access(path, F_OK) < 0);
	CHECK(cnitool_cache_path(cdir, "net1", "", "eth0", &p, &err) < 0);
	CHECK(strstr(err.msg, "cache file path requires network name") != NULL);
	cJSON_Delete(e.result);
}

/* A cache dir whose file paths cannot fit PATH_MAX: refused, nothing is created. */
static void test_cache_dir_too_long(void)
{
	struct cnitool_cache_entry e = entry_of("cid1", "net1", "", "{}");
	struct cni_err err = {0};
	_cleanup_free_ char *cdir = NULL;
	char top[600];
	cJSON *res = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&cdir, &len);

	if (!f)
		abort();
	fprintf(f, "%s/long", dir);
	for (int i = 0; i < 21; i++)
		fprintf(f, "/%0200d", i);
	fclose(f);
	CHECK(cnitool_cache_write(cdir, &e, &err) < 0);
	CHECK_INT(err.code, CNI_ERR_IO);
	CHECK_INT(err.sys_errno, ENAMETOOLONG);
	CHECK(strncmp(err.msg, "cache file path is too long: '", 30) == 0);
	snprintf(top, sizeof(top), "%s/long", dir);
	CHECK(access(top, F_OK) < 0);
	CHECK(cnitool_cache_result(cdir, "net1", "cid1", "eth0", "1.0.0", &res, &err) < 0);
	CHECK(res == NULL);
	CHECK(strstr(err.msg, "cache file path is too long") != NULL);
	CHECK(cnitool_cache_del(cdir, "net1", "cid1", "eth0") == 0);
}

static void test_versions(void)
{
	struct cni_err err = {0};
	int c = 0, v[3];

	CHECK(cnitool_version_parse("", v, &err) == 0 && v[0] == 0 && v[1] == 1 && v[2] == 0);
	CHECK(cnitool_version_parse("1", v, &err) == 0 && v[0] == 1 && v[1] == 0);
	CHECK(cnitool_version_parse("1.2.3.4", v, &err) < 0);
	CHECK(cnitool_version_parse("1.x", v, &err) < 0);
	CHECK(cnitool_version_cmp("0.4.0", "0.10.0", &c, &err) == 0 && c < 0);
	CHECK(cnitool_version_cmp("1.1.0", "1.1", &c, &err) == 0 && c == 0);
	CHECK(cnitool_version_at_least("1.1.0", "1.1.0"));
	CHECK(!cnitool_version_at_least("1.0.0", "1.1.0"));
	CHECK(!cnitool_version_at_least("bogus", "0.4.0"));
}

static struct cnitool_list *list_of(const char *json, struct cni_err *err)
{
	struct cnitool_list *l = NULL;

	if (cnitool_list_from_bytes(json, strlen(json), &l, err) < 0)
		return NULL;
	return l;
}

static void test_negotiation(void)
{
	struct cni_err err = {0};
	struct cnitool_list *l;

	/* The highest of cniVersion and cniVersions not above 1.1.0 wins. */
	l = list_of("{\"name\":\"n\",\"cniVersion\":\"0.4.0\",\"cniVersions\":[\"1.0.0\",\"0.3.1\","
		    "\"9.9.9\"],\"plugins\":[{\"type\":\"x\"}]}",
		    &err);
	CHECK(l && strcmp(l->cni_version, "1.0.0") == 0);
	cnitool_list_free(l);
	l = list_of("{\"name\":\"n\",\"cniVersion\":\"1.1.0\",\"cniVersions\":[\"1.0.0\"],"
		    "\"plugins\":[{\"type\":\"x\"}]}",
		    &err);
	CHECK(l && strcmp(l->cni_version, "1.1.0") == 0);
	cnitool_list_free(l);
	/* Only cniVersions, all too new: the (absent) cniVersion stays. */
	l = list_of("{\"name\":\"n\",\"cniVersions\":[\"2.0.0\"],\"plugins\":[{\"type\":\"x\"}]}",
		    &err);
	CHECK(l && strcmp(l->cni_version, "") == 0);
	cnitool_list_free(l);
	/* cniVersion alone is taken as written. */
	l = list_of("{\"name\":\"n\",\"cniVersion\":\"0.3.1\",\"plugins\":[{\"type\":\"x\"}]}",
		    &err);
	CHECK(l && strcmp(l->cni_version, "0.3.1") == 0);
	cnitool_list_free(l);
	CHECK(list_of("{\"name\":\"n\",\"cniVersions\":[\"a.b\"],\"plugins\":[{\"type\":\"x\"}]}",
		      &err) == NULL);
	CHECK(strstr(err.msg, "invalid cniVersions entry a.b at index 0") != NULL);
	CHECK(list_of("{\"name\":\"n\",\"cniVersions\":\"1.0.0\",\"plugins\":[{\"type\":\"x\"}]}",
		      &err) == NULL);
	CHECK(list_of("{\"name\":\"n\",\"cniVersion\":1,\"plugins\":[{\"type\":\"x\"}]}", &err) ==
	      NULL);
	CHECK(strstr(err.msg, "invalid cniVersion type") != NULL);
}

static void test_list_parsing(void)
{
	struct cni_err err = {0};
	struct cnitool_list *l;

	l = list_of("{\"name\":\"n\",\"cniVersion\":\"1.0.0\",\"disableCheck\":\"TRUE\","
		    "\"disableGC\":true,\"plugins\":[{\"type\":\"a\",\"k\":1,\"k\":2},{\"Type\":"
		    "\"b\"}]}",
		    &err);
	CHECK(l != NULL);
	if (l) {
		CHECK(l->disable_check && l->disable_gc && !l->load_only_inlined);
		CHECK_INT(l->n_plugins, 2);
		CHECK_STR(l->plugins[0].type, "a");
		CHECK_STR(l->plugins[1].type, "b"); /* PluginConf keys are case-insensitive */
		/* Duplicate keys collapse to the last (Go map decoding). */
		CHECK_INT(cJSON_GetObjectItem(l->plugins[0].conf, "k")->valueint, 2);
		CHECK_INT(cJSON_GetArraySize(l->plugins[0].conf), 2);
	}
	cnitool_list_free(l);
	CHECK(list_of("{\"cniVersion\":\"1.0.0\",\"plugins\":[{\"type\":\"a\"}]}", &err) == NULL);
	CHECK_STR(err.msg, "error parsing configuration list: no name");
	CHECK(list_of("{\"name\":5}", &err) == NULL);
	CHECK(strstr(err.msg, "invalid name type") != NULL);
	CHECK(list_of("{\"name\":\"n\",\"plugins\":[]}", &err) == NULL);
	CHECK_STR(err.msg, "error parsing configuration list: no plugins in list");
	CHECK(list_of("{\"name\":\"n\",\"plugins\":{}}", &err) == NULL);
	CHECK(list_of("{\"name\":\"n\",\"plugins\":[{\"foo\":1}]}", &err) == NULL);
	CHECK(strstr(err.msg, "missing 'type'") != NULL);
	CHECK(list_of("{\"name\":\"n\",\"disableCheck\":\"yes\",\"plugins\":[{\"type\":\"a\"}]}",
		      &err) == NULL);
	CHECK(strstr(err.msg, "invalid value \"yes\" for disableCheck") != NULL);
	CHECK(list_of("{\"name\":\"n\",\"loadOnlyInlinedPlugins\":true}", &err) == NULL);
	CHECK(strstr(err.msg, "loadOnlyInlinedPlugins") != NULL);
	CHECK(list_of("{\"name\":\"n\",\"plugins\":[{\"type\":\"a\",\"capabilities\":{\"x\":1}}]}",
		      &err) == NULL);
	CHECK(list_of("not json", &err) == NULL);
	CHECK_INT(err.code, CNI_ERR_DECODE);
}

static void test_load_dir(void)
{
	char net[512], sub[600];
	struct cni_err err = {0};
	struct cnitool_list *l = NULL;

	snprintf(net, sizeof(net), "%s/net.d", dir);
	mkdir(net, 0755);
	/* Nothing there yet. */
	CHECK(cnitool_list_load(net, "x", &l, &err) < 0);
	CHECK(strstr(err.msg, "no net configurations found in") != NULL);

	write_file(
		"net.d/20-b.conflist",
		"{\"name\":\"dup\",\"cniVersion\":\"1.0.0\",\"plugins\":[{\"type\":\"second\"}]}");
	write_file(
		"net.d/10-a.conflist",
		"{\"name\":\"dup\",\"cniVersion\":\"1.0.0\",\"plugins\":[{\"type\":\"first\"}]}");
	write_file(
		"net.d/30-c.conflist",
		"{\"name\":\"ext\",\"cniVersion\":\"1.0.0\",\"plugins\":[{\"type\":\"inline\"}]}");
	write_file("net.d/40-d.conflist", "{\"name\":\"only\",\"cniVersion\":\"1.0.0\","
					  "\"loadOnlyInlinedPlugins\":true,"
					  "\"plugins\":[{\"type\":\"inline\"}]}");
	write_file("net.d/50-single.conf",
		   "{\"cniVersion\":\"0.4.0\",\"name\":\"single\",\"type\":\"bridge\",\"z\":1,"
		   "\"a\":{\"y\":1,\"b\":2}}");
	write_file("net.d/60-json.json",
		   "{\"cniVersion\":\"0.3.1\",\"name\":\"js\",\"type\":\"j\"}");
	write_file("net.d/70-ignored.txt", "garbage");
	snprintf(sub, sizeof(sub), "%s/ext", net);
	mkdir(sub, 0755);
	snprintf(sub, sizeof(sub), "%s/only", net);
	mkdir(sub, 0755);
	write_file("net.d/ext/b.conf", "{\"type\":\"extra2\"}");
	write_file("net.d/ext/a.conf", "{\"type\":\"extra1\"}");
	write_file("net.d/ext/c.json", "{\"type\":\"not-loaded\"}");
	write_file("net.d/only/a.conf", "{\"type\":\"not-loaded\"}");

	/* First by sorted file name wins. */
	CHECK(cnitool_list_load(net, "dup", &l, &err) == 0);
	CHECK(l && l->n_plugins == 1 && strcmp(l->plugins[0].type, "first") == 0);
	cnitool_list_free(l);
	l = NULL;
	/* Plugins from <dir>/<name>/ *.conf are appended, in order. */
	CHECK(cnitool_list_load(net, "ext", &l, &err) == 0);
	CHECK(l && l->n_plugins == 3);
	if (l && l->n_plugins == 3) {
		CHECK_STR(l->plugins[1].type, "extra1");
		CHECK_STR(l->plugins[2].type, "extra2");
	}
	cnitool_list_free(l);
	l = NULL;
	CHECK(cnitool_list_load(net, "only", &l, &err) == 0);
	CHECK(l && l->n_plugins == 1);
	cnitool_list_free(l);
	l = NULL;
	/* A single-plugin .conf is up-converted: config bytes are Go's sorted compact form. */
	CHECK(cnitool_list_load(net, "single", &l, &err) == 0);
	if (l) {
		CHECK_STR(l->cni_version, "0.4.0");
		CHECK_STR(l->bytes,
			  "{\"cniVersion\":\"0.4.0\",\"name\":\"single\",\"plugins\":[{\"a\":"
			  "{\"b\":2,\"y\":1},\"cniVersion\":\"0.4.0\",\"name\":\"single\","
			  "\"type\":\"bridge\",\"z\":1}]}");
		CHECK_INT(l->n_plugins, 1);
	}
	cnitool_list_free(l);
	l = NULL;
	CHECK(cnitool_list_load(net, "js", &l, &err) == 0);
	CHECK(l && strcmp(l->plugins[0].type, "j") == 0);
	cnitool_list_free(l);
	l = NULL;
	CHECK(cnitool_list_load(net, "nope", &l, &err) < 0);
	CHECK(strstr(err.msg, "no net configuration with name \"nope\" in") != NULL);
	/* A broken conflist earlier in the order breaks loading, as in libcni. */
	write_file("net.d/00-broken.conflist", "{\"name\":\"broken\"}");
	CHECK(cnitool_list_load(net, "dup", &l, &err) < 0);
	CHECK_STR(err.msg, "no plugin configs found");
	snprintf(sub, sizeof(sub), "%s/00-broken.conflist", net);
	unlink(sub);
}

static void test_request_config(void)
{
	struct cni_err err = {0};
	struct cnitool_list *l;
	_cleanup_free_ char *c1 = NULL, *c2 = NULL, *c3 = NULL, *c4 = NULL;
	cJSON *caps = cJSON_Parse("{\"portMappings\":[{\"hostPort\":80}],\"mac\":\"aa\","
				  "\"bandwidth\":{\"ingressRate\":1}}");
	cJSON *prev =
		cJSON_Parse("{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"10.0.0.2/24\"}]}");
	cJSON *extra = cJSON_Parse("{\"cni.dev/valid-attachments\":[],\"cni.dev/attachments\":[]}");
	struct cnitool_rt rt = {
		.container_id = "c", .netns = "/n", .ifname = "eth0", .cap_args = caps};

	l = list_of("{\"name\":\"net\",\"cniVersion\":\"1.0.0\",\"plugins\":["
		    "{\"type\":\"portmap\",\"name\":\"ignored\",\"cniVersion\":\"0.1.0\","
		    "\"capabilities\":{\"portMappings\":true,\"mac\":false,\"ips\":true},"
		    "\"z\":{\"b\":1,\"a\":2}},"
		    "{\"type\":\"plain\",\"runtimeConfig\":{\"old\":1}}]}",
		    &err);
	CHECK(l != NULL);
	if (!l)
		return;
	/* name/cniVersion of the list replace the plugin's; only enabled capabilities
	 * that the runtime supplied reach runtimeConfig; keys sorted as Go prints a map. */
	CHECK(cnitool_request_config(l, &l->plugins[0], prev, &rt, NULL, &c1, &err) == 0);
	CHECK_STR(c1, "{\"capabilities\":{\"ips\":true,\"mac\":false,\"portMappings\":true},"
		      "\"cniVersion\":\"1.0.0\",\"name\":\"net\",\"prevResult\":{\"cniVersion\":"
		      "\"1.0.0\",\"ips\":[{\"address\":\"10.0.0.2/24\"}]},\"runtimeConfig\":{"
		      "\"portMappings\":[{\"hostPort\":80}]},\"type\":\"portmap\",\"z\":{\"a\":2,"
		      "\"b\":1}}");
	/* No capabilities: runtimeConfig not injected, the plugin's own one stays. */
	CHECK(cnitool_request_config(l, &l->plugins[1], NULL, &rt, NULL, &c2, &err) == 0);
	CHECK_STR(c2, "{\"cniVersion\":\"1.0.0\",\"name\":\"net\",\"runtimeConfig\":{\"old\":1},"
		      "\"type\":\"plain\"}");
	/* No runtime (STATUS): nothing but name and version. */
	CHECK(cnitool_request_config(l, &l->plugins[0], NULL, NULL, NULL, &c3, &err) == 0);
	CHECK(strstr(c3, "runtimeConfig") == NULL);
	/* GC: the valid-attachments keys are injected. */
	CHECK(cnitool_request_config(l, &l->plugins[1], NULL, NULL, extra, &c4, &err) == 0);
	CHECK_STR(c4, "{\"cni.dev/attachments\":[],\"cni.dev/valid-attachments\":[],"
		      "\"cniVersion\":\"1.0.0\",\"name\":\"net\",\"runtimeConfig\":{\"old\":1},"
		      "\"type\":\"plain\"}");
	cnitool_list_free(l);
	cJSON_Delete(caps);
	cJSON_Delete(prev);
	cJSON_Delete(extra);
}

static void test_cni_args(void)
{
	struct cni_err err = {0};
	cJSON *a = NULL;
	_cleanup_free_ char *s = NULL;

	CHECK(cnitool_args_parse("IgnoreUnknown=1;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=p", &a, &err) ==
	      0);
	CHECK_INT(cJSON_GetArraySize(a), 3);
	s = cnitool_args_string(a);
	CHECK_STR(s, "IgnoreUnknown=1;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=p");
	cJSON_Delete(a);
	a = NULL;
	CHECK(cnitool_args_parse("A=1;B", &a, &err) < 0);
	CHECK_STR(err.msg, "invalid CNI_ARGS pair \"B\"");
	CHECK(cnitool_args_parse("A=", &a, &err) < 0);
	CHECK(cnitool_args_parse("=1", &a, &err) < 0);
	CHECK(cnitool_args_parse("A=1=2", &a, &err) < 0);
	CHECK(cnitool_args_parse("A=1;", &a, &err) < 0);
}

int main(void)
{
	char cmd[600];

	if (!mkdtemp(dir))
		return 1;
	RUN(test_container_id);
	RUN(test_abs_path);
	RUN(test_base64);
	RUN(test_cache_format);
	RUN(test_cache_omitempty);
	RUN(test_cache_files);
	RUN(test_cache_dir_too_long);
	RUN(test_versions);
	RUN(test_negotiation);
	RUN(test_list_parsing);
	RUN(test_load_dir);
	RUN(test_request_config);
	RUN(test_cni_args);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	UNIT_DONE();
}
