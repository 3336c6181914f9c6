/* SPDX-License-Identifier: Apache-2.0 */
/* vlan: config parsing, its error codes, and the verbs' paths that fail before a link. */
#include "unit.h"

#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fixtures.h"
#define LIVE_LOCAL_ERR
#include "live.h"
#include "vlan/netconf.h"
#include "vlan/vlan.h"

static int loadf(enum vlan_load_mode mode, struct vlan_conf **ret, struct cni_err *e,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Load a config body (without braces, printf-formatted). */
static int loadf(enum vlan_load_mode mode, struct vlan_conf **ret, struct cni_err *e,
		 const char *fmt, ...)
{
	_cleanup_(fixture_args_clear) struct fixture_args f = {0};
	va_list ap;

	va_start(ap, fmt);
	fixture_args_vinit(&f, "vlan", fmt, ap);
	va_end(ap);
	*ret = NULL;
	cni_err_clear(e);
	return vlan_conf_load(&f.a, mode, ret, e);
}

/* The config body must fail to load in mode with code and a message containing msg. */
static void expect_error(enum vlan_load_mode mode, const char *body, int code, const char *msg)
{
	struct vlan_conf *c = NULL;
	struct cni_err e = {0};

	CHECK(loadf(mode, &c, &e, "%s", body) < 0);
	CHECK(c == NULL);
	CHECK_INT(e.code, code);
	if (!strstr(e.msg, msg)) {
		printf("#   config:  %s\n#   message: %s\n#   wanted:  %s\n", body, e.msg, msg);
		CHECK(!"message");
	}
	vlan_conf_free(c);
}

static void test_defaults(void)
{
	_cleanup_(vlan_conf_freep) struct vlan_conf *c = NULL;
	struct cni_err e = {0};

	/* Outside ADD a master is not required. */
	CHECK_INT(loadf(VLAN_LOAD_FULL, &c, &e, "%s", ""), 0);
	if (!c)
		return;
	CHECK_STR(c->cni_version, "1.0.0");
	CHECK_STR(c->master, "");
	CHECK_INT(c->vlan_id, 0);
	CHECK_INT(c->mtu, 0);
	CHECK(!c->link_in_container);
	CHECK(!c->accept_ra);
	CHECK_STR(c->ipam_type, "");
	CHECK(!c->has_dns);
	CHECK(c->prev == NULL);
}

static void test_keys(void)
{
	_cleanup_(vlan_conf_freep) struct vlan_conf *c = NULL;
	struct cni_err e = {0};

	CHECK_INT(loadf(VLAN_LOAD_ADD, &c, &e,
			"\"master\": \"eth1\", \"vlanId\": 4094, \"mtu\": 1400, "
			"\"linkInContainer\": true, \"acceptRA\": true, "
			"\"ipam\": {\"type\": \"host-local\"}, "
			"\"dns\": {\"search\": [\"example.com\"]}"),
		  0);
	if (!c)
		return;
	CHECK_STR(c->master, "eth1");
	CHECK_INT(c->vlan_id, 4094);
	CHECK_INT(c->mtu, 1400);
	CHECK(c->link_in_container);
	CHECK(c->accept_ra);
	CHECK_STR(c->ipam_type, "host-local");
	CHECK(c->has_dns);
	vlan_conf_free(TAKE_PTR(c));
	/* VLAN id 0 is accepted, as by the reference. */
	CHECK_INT(loadf(VLAN_LOAD_ADD, &c, &e, "\"master\": \"eth1\", \"vlanId\": 0"), 0);
	CHECK(c && c->vlan_id == 0);
}

static void test_master_required(void)
{
	_cleanup_(vlan_conf_freep) struct vlan_conf *c = NULL;
	struct cni_err e = {0};

	expect_error(VLAN_LOAD_ADD, "\"vlanId\": 5", CNI_ERR_INVALID_CONFIG,
		     "\"master\" field is required. It specifies the host interface name to "
		     "create the VLAN for");
	/* Before the VLAN id, as the reference checks them. */
	expect_error(VLAN_LOAD_ADD, "\"master\": \"\", \"vlanId\": 5000", CNI_ERR_INVALID_CONFIG,
		     "\"master\" field is required");
	/* A prevResult may name it (checked by ADD itself). */
	CHECK_INT(loadf(VLAN_LOAD_ADD, &c, &e,
			"\"vlanId\": 5, \"prevResult\": {\"cniVersion\": \"1.0.0\", "
			"\"interfaces\": [{\"name\": \"net1\", \"sandbox\": \"/x\"}]}"),
		  0);
	CHECK(c && c->prev && !c->master[0]);
}

static void test_errors(void)
{
	expect_error(VLAN_LOAD_ADD, "\"master\": \"e\", \"vlanId\": 4095", CNI_ERR_INVALID_CONFIG,
		     "invalid VLAN ID 4095 (must be between 0 and 4095 inclusive)");
	expect_error(VLAN_LOAD_FULL, "\"vlanId\": -1", CNI_ERR_INVALID_CONFIG,
		     "invalid VLAN ID -1 (must be between 0 and 4095 inclusive)");
	expect_error(VLAN_LOAD_FULL, "\"vlanId\": \"5\"", CNI_ERR_INVALID_CONFIG, "vlanId");
	expect_error(VLAN_LOAD_FULL, "\"vlanId\": 5.5", CNI_ERR_INVALID_CONFIG, "vlanId");
	expect_error(VLAN_LOAD_FULL, "\"master\": []", CNI_ERR_INVALID_CONFIG, "master");
	expect_error(VLAN_LOAD_FULL, "\"mtu\": true", CNI_ERR_INVALID_CONFIG, "mtu");
	expect_error(VLAN_LOAD_FULL, "\"linkInContainer\": 0", CNI_ERR_INVALID_CONFIG,
		     "linkInContainer");
	expect_error(VLAN_LOAD_FULL, "\"acceptRA\": \"no\"", CNI_ERR_INVALID_CONFIG, "acceptRA");
	expect_error(VLAN_LOAD_FULL, "\"ipam\": 1", CNI_ERR_INVALID_CONFIG, "ipam");
	expect_error(VLAN_LOAD_FULL, "\"dns\": []", CNI_ERR_INVALID_CONFIG, "dns");
	expect_error(VLAN_LOAD_FULL, "\"prevResult\": {\"cniVersion\": \"0.4.0\"}", CNI_ERR_DECODE,
		     "could not parse prevResult");
}

static void test_del_reads_little(void)
{
	_cleanup_(vlan_conf_freep) struct vlan_conf *c = NULL;
	struct cni_err e = {0};

	CHECK_INT(loadf(VLAN_LOAD_DEL, &c, &e,
			"\"vlanId\": 99999, \"mtu\": \"x\", \"ipam\": {\"type\": \"static\"}"),
		  0);
	CHECK(c && !strcmp(c->ipam_type, "static"));
}

/* Run a verb on a config body with CNI_NETNS netns and CNI_PATH path; returns its error code
 * (0: success). */
static int vverbf(cni_verb_fn verb, const char *netns, const char *path, struct cni_err *e,
		  const char *fmt, va_list ap)
{
	_cleanup_(fixture_args_clear) struct fixture_args f = {0};
	_cleanup_free_ char *out = NULL;
	struct cni_log log = {.fd = -1};

	fixture_args_vinit(&f, "vlan", fmt, ap);
	f.a.netns = netns;
	f.a.path = path;
	f.a.log = &log;
	cni_err_clear(e);
	if (verb(&f.a, &out, e) < 0)
		return e->code ? e->code : -1;
	return 0;
}

static int verbf(cni_verb_fn verb, const char *netns, struct cni_err *e, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int verbf(cni_verb_fn verb, const char *netns, struct cni_err *e, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vverbf(verb, netns, "/nonexistent", e, fmt, ap);
	va_end(ap);
	return r;
}

static int verbf_path(cni_verb_fn verb, const char *netns, const char *path, struct cni_err *e,
		      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int verbf_path(cni_verb_fn verb, const char *netns, const char *path, struct cni_err *e,
		      const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vverbf(verb, netns, path, e, fmt, ap);
	va_end(ap);
	return r;
}

/* What fails before a link is made, in a namespace of the test's own with only lo. */
static void test_verbs_fail_early(void)
{
	struct cni_err e = {0};
	const char *ns = "/proc/self/ns/net";

	LIVE_FRESH();
	/* IPAM is required, said before anything is looked up. */
	CHECK_INT(verbf(vlan_add, ns, &e, "\"master\": \"nope0\""), CNI_ERR_INVALID_CONFIG);
	CHECK_STR(e.msg, "failed to execute IPAM delegate: no plugin name provided");
	CHECK_INT(verbf(vlan_add, ns, &e, "\"master\": \"nope0\", \"ipam\": {\"type\": \"x\"}"),
		  CNI_ERR_INTERNAL);
	CHECK_STR(e.msg, "failed to lookup master \"nope0\": Link not found");
	/* A prevResult without exactly one named interface names no master. */
	CHECK_INT(verbf(vlan_add, ns, &e,
			"\"ipam\": {\"type\": \"x\"}, \"prevResult\": {\"cniVersion\": "
			"\"1.0.0\", \"interfaces\": []}"),
		  CNI_ERR_INVALID_CONFIG);
	CHECK_STR(e.msg, VLAN_MASTER_REQUIRED);
	CHECK_INT(verbf(vlan_add, ns, &e,
			"\"ipam\": {\"type\": \"x\"}, \"prevResult\": {\"cniVersion\": "
			"\"1.0.0\", \"interfaces\": [{\"name\": \"nope1\"}]}"),
		  CNI_ERR_INTERNAL);
	CHECK_STR(e.msg, "failed to lookup master \"nope1\": Link not found");
	CHECK_INT(verbf(vlan_add, ns, &e,
			"\"master\": \"lo\", \"mtu\": 65537, \"ipam\": {\"type\": \"x\"}"),
		  CNI_ERR_INVALID_CONFIG);
	CHECK_STR(e.msg, "invalid MTU 65537, must be [0, master MTU(65536)]");
	/* STATUS: the node's master must exist; then IPAM's, which an empty type fails. */
	CHECK_INT(verbf(vlan_status, "", &e, "\"master\": \"nope0\""), CNI_ERR_NOT_AVAILABLE);
	CHECK_STR(e.msg, "master 'nope0' not found");
	CHECK(verbf(vlan_status, "", &e, "\"master\": \"lo\"") != 0);
	CHECK_STR(e.msg, "no plugin name provided");
	/* DEL: the master is never looked at. */
	CHECK_INT(verbf(vlan_del, "", &e, "\"master\": \"nope0\", \"vlanId\": 5"), 0);
	CHECK_INT(verbf(vlan_del, "/run/netns/cni-unit-gone-ns", &e, "\"master\": \"nope0\""), 0);
	CHECK_INT(verbf(vlan_del, ns, &e, "\"master\": \"nope0\""), 0);
	CHECK_INT(verbf(vlan_check, ns, &e, "\"master\": \"lo\", \"ipam\": {\"type\": \"x\"}"),
		  CNI_ERR_INTERNAL);
	CHECK(strstr(e.msg, "failed to find plugin \"x\"") != NULL);
}

/* CHECK with master omitted: prevResult's one interface is the container's own link (as it
 * is after ADD), so no master is looked up and the link itself is judged. */
static void test_check_master_omitted(void)
{
	static const char own[] = "\"ipam\": {\"type\": \"x\"}, \"prevResult\": {\"cniVersion\": "
				  "\"1.0.0\", \"interfaces\": [{\"name\": \"eth0\", "
				  "\"sandbox\": \"/proc/self/ns/net\"}]}";
	struct cni_err e = {0};
	_cleanup_free_ char *dir = strdup("/tmp/cni-unit-vlan-XXXXXX");
	_cleanup_free_ char *ipam = NULL;
	FILE *script;

	LIVE_FRESH();
	if (system("ip link add eth0 type veth peer name eth0p >/dev/null 2>&1") != 0)
		UNIT_SKIP("cannot create a veth");
	/* An IPAM plugin "x" whose CHECK succeeds. */
	CHECK(dir && mkdtemp(dir));
	CHECK(asprintf(&ipam, "%s/x", dir) > 0);
	script = fopen(ipam, "w");
	CHECK(script != NULL);
	if (!script)
		return;
	fputs("#!/bin/sh\nexit 0\n", script);
	fclose(script);
	CHECK(chmod(ipam, 0755) == 0);
	CHECK_INT(verbf_path(vlan_check, "/proc/self/ns/net", dir, &e, "%s", own),
		  CNI_ERR_INTERNAL);
	CHECK_STR(e.msg, "Error: Container interface eth0 not of type vlan");
	unlink(ipam);
	rmdir(dir);
}

int main(void)
{
	live_enter(0);
	RUN(test_defaults);
	RUN(test_keys);
	RUN(test_master_required);
	RUN(test_errors);
	RUN(test_del_reads_little);
	RUN(test_verbs_fail_early);
	RUN(test_check_master_omitted);
	UNIT_DONE();
}
