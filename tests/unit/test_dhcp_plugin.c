/* SPDX-License-Identifier: Apache-2.0 */
/* dhcp: the IPAM plugin's config (defaults, every key, the reference's error texts) and the
 * release request DEL leaves when no daemon answers. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "unit.h"

#include "cleanup.h"
#include "cni/json.h"
#include "dhcp/plugin.h"
#include "fileio.h"
#include "fixtures.h"
#include "sha512.h"

static int load(const char *json, const char *env_args, char *out, size_t len, struct cni_err *err)
{
	struct dhcp_plugin_conf c;

	if (dhcp_plugin_conf_parse(json, strlen(json), env_args, true, &c, err) < 0)
		return err->code;
	snprintf(out, len, "sock=%s auto=%d timeout=%d prio=%d nogw=%d", c.socket_path, c.autostart,
		 c.timeout_s, c.priority, c.suppress_gateway);
	dhcp_plugin_conf_clear(&c);
	return 0;
}

#define N "{\"cniVersion\":\"1.0.0\",\"name\":\"n\","

static void test_conf(void)
{
	static const struct fixture_conf_case cases[] = {
		{N "\"ipam\":{\"type\":\"dhcp\"}}", NULL, 0,
		 "sock=/run/cni/dhcp.sock auto=1 timeout=240 prio=0 nogw=0"},
		{N "\"ipam\":{\"type\":\"dhcp\",\"daemonSocketPath\":\"\"}}", NULL, 0,
		 "sock=/run/cni/dhcp.sock auto=1 timeout=240 prio=0 nogw=0"},
		{N "\"ipam\":{\"daemonSocketPath\":\"/x/s\",\"daemonAutostart\":false,"
		   "\"daemonTimeout\":7,\"priority\":-5,\"suppress\":[\"gateway\"]}}",
		 NULL, 0, "sock=/x/s auto=0 timeout=7 prio=-5 nogw=1"},
		{N "\"ipam\":{\"suppress\":[]}}", NULL, 0,
		 "sock=/run/cni/dhcp.sock auto=1 timeout=240 prio=0 nogw=0"},
		{N "\"type\":\"macvlan\"}", NULL, 7,
		 "error obtaining socketPath: the network config has no 'ipam' object"},
		{N "\"ipam\":null}", NULL, 7,
		 "error obtaining socketPath: the network config has no 'ipam' object"},
		{N "\"ipam\":[]}", NULL, 7,
		 "invalid network config: 'ipam' must be an object, not array"},
		{N "\"ipam\":{\"suppress\":[\"routes\"]}}", NULL, 7,
		 "unknown suppress value \"routes\" (supported: \"gateway\")"},
		{N "\"ipam\":{\"daemonTimeout\":0}}", NULL, 7,
		 "invalid network config: 'daemonTimeout' is 0, must be between 1 and 3600"},
		{N "\"ipam\":{\"request\":[{\"option\":\"x\"}]}}", NULL, 7,
		 "Can not parse option \"x\": Can not parse option: strconv.ParseUint: parsing "
		 "\"x\": invalid syntax"},
		{"{\"cniVersion\":", NULL, 6,
		 "error parsing socket path conf: unexpected end of JSON input"},
	};

	fixture_conf_cases(load, cases, ARRAY_SIZE(cases));
}

/* A config that reads for ADD reads for DEL, which skips request and provide. */
static void test_conf_del(void)
{
	static const char bad[] = N "\"ipam\":{\"request\":[{\"option\":\"x\"}]}}";
	struct dhcp_plugin_conf c;
	struct cni_err err = {0};

	CHECK(dhcp_plugin_conf_parse(bad, strlen(bad), NULL, false, &c, &err) == 0);
	CHECK_STR(c.socket_path, DHCP_DEFAULT_SOCKET);
	dhcp_plugin_conf_clear(&c);
	CHECK(dhcp_plugin_conf_parse(bad, strlen(bad), NULL, true, &c, &err) < 0);
}

static void args_init(struct fixture_args *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fixture_args_vinit(f, "macvlan", fmt, ap);
	va_end(ap);
}

static void test_release_request(void)
{
	char dir[] = "/tmp/dhcp-plugin-unit-XXXXXX";
	struct fixture_args f;
	struct cni_err err = {0};
	_cleanup_free_ char *path = NULL, *text = NULL, *want = NULL;
	_cleanup_(cjson_freep) cJSON *rec = NULL;
	char key[65];
	size_t len = 0;
	struct stat st;

	CHECK(mkdtemp(dir) != NULL);
	args_init(&f, "\"ipam\": {\"type\": \"dhcp\"}");
	f.a.name = "n";
	f.a.args = "K8S_POD_NAME=p";
	f.a.path = "/opt/cni/bin";
	CHECK(dhcp_release_request_write(dir, &f.a, "/run/netns/c", &path, &err) == 0);
	CHECK(sha512_hex_printf(64, key, "cid/n/eth0") == 0);
	CHECK(asprintf(&want, "%s/release/%s.json", dir, key) > 0);
	CHECK_STR(path, want);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK(fileio_read_path(path, 1 << 20, &text, &len) == 0);
	rec = cJSON_Parse(text);
	CHECK(rec != NULL);
	if (rec) {
		CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(rec, "ContainerID")), "cid");
		CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(rec, "Netns")), "/run/netns/c");
		CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(rec, "IfName")), "eth0");
		CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(rec, "Args")), "K8S_POD_NAME=p");
		CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(rec, "Path")), "/opt/cni/bin");
		CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(rec, "StdinData")), f.text);
	}
	/* a second DEL of the same attachment replaces the request */
	free(path);
	path = NULL;
	CHECK(dhcp_release_request_write(dir, &f.a, "", &path, &err) == 0);
	CHECK_STR(path, want);
	/* no lease record of the attachment: nothing is sent */
	{
		char leases[128];

		snprintf(leases, sizeof(leases), "%s/leases", dir);
		CHECK(mkdir(leases, 0700) == 0);
		snprintf(leases, sizeof(leases), "%s/leases/other.json", dir);
		static const char other[] = "{\"key\":\"x/n/eth0\",\"lease\":{}}";

		CHECK(fileio_write_atomic(leases, other, strlen(other), NULL) == 0);
	}
	CHECK(dhcp_release_direct(dir, &f.a, "/run/netns/c", &err) == -ENOENT);
	CHECK_INT(err.code, 3);
	CHECK(dhcp_release_direct(dir, &f.a, "", &err) == -ENOENT);
	fixture_args_clear(&f);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		CHECK(system(cmd) == 0);
	}
}

int main(void)
{
	RUN(test_conf);
	RUN(test_conf_del);
	RUN(test_release_request);
	UNIT_DONE();
}
