/* SPDX-License-Identifier: Apache-2.0 */
/* bridge config: defaults, every key, the reference's validation errors. */
#include "unit.h"
#include "cleanup.h"
#include "bridge/bridge.h"
#include "bridge/netconf.h"
#include "net/nl.h"
#include "net/rtnl.h"

#include <libmnl/libmnl.h>
#include <linux/if_bridge.h>
#include <linux/rtnetlink.h>

static struct cni_err last;

static struct bridge_conf *load(const char *json, const char *env_args)
{
	struct cni_cmd_args a = {.stdin_data = (char *)json,
				 .stdin_len = strlen(json),
				 .name = "net",
				 .cni_version = "1.0.0",
				 .args = env_args ? env_args : ""};
	struct bridge_conf *c = NULL;

	cni_err_clear(&last);
	if (bridge_conf_load(&a, &c, &last) < 0)
		return NULL;
	return c;
}

static void test_defaults(void)
{
	_cleanup_(bridge_conf_freep) struct bridge_conf *c = load("{\"name\":\"net\"}", NULL);

	CHECK(c != NULL);
	if (!c)
		return;
	CHECK_STR(c->bridge, "cni0");
	CHECK(!c->is_gw && !c->ip_masq && !c->preserve_default_vlan && !c->hairpin);
	CHECK(!bridge_conf_is_l3(c));
	CHECK(c->mac == NULL && c->prev == NULL && !c->has_dns);
	CHECK_INT(c->masq_backend, MASQ_BACKEND_AUTO);
}

static void test_keys(void)
{
	_cleanup_(bridge_conf_freep) struct bridge_conf *c = load(
		"{\"name\":\"net\",\"BRIDGE\":\"br9\",\"isDefaultGateway\":true,\"ipmasq\":true,"
		"\"ipMasqBackend\":\"nftables\",\"mtu\":1400,\"hairpinMode\":true,\"vlanTrunk\":"
		"[{\"id\":5},{\"minID\":3,\"maxID\":6},{\"id\":100}],\"macspoofchk\":true,"
		"\"enabledad\":true,\"portIsolation\":true,\"forceAddress\":true,"
		"\"ipam\":{\"type\":\"host-local\"},\"dns\":{\"nameservers\":[\"1.1.1.1\"]},"
		"\"args\":{\"cni\":{\"mac\":\"0a:00:00:00:00:02\"}},"
		"\"prevResult\":{\"ips\":[{\"address\":\"10.0.0.2/24\"}]}}",
		"IgnoreUnknown=1;MAC=0a:00:00:00:00:01;K8S_POD_NAME=x");

	CHECK(c != NULL);
	if (!c)
		return;
	CHECK_STR(c->bridge, "br9");
	CHECK(c->is_gw && c->is_default_gw && c->ip_masq && c->hairpin && c->macspoofchk);
	CHECK(c->enable_dad && c->port_isolation && c->force_address);
	CHECK_INT(c->masq_backend, MASQ_BACKEND_NFTABLES);
	CHECK_INT(c->mtu, 1400);
	CHECK_INT(c->n_trunk, 5);
	CHECK_INT(c->trunk[0], 3);
	CHECK_INT(c->trunk[3], 6);
	CHECK_INT(c->trunk[4], 100);
	CHECK_STR(c->ipam_type, "host-local");
	CHECK(c->has_dns);
	CHECK_STR(c->mac, "0a:00:00:00:00:02");
	CHECK(c->prev && c->prev->n_ips == 1);
}

static void test_mac_precedence(void)
{
	struct bridge_conf *c;

	c = load("{\"name\":\"n\"}", "MAC=0a:00:00:00:00:01");
	CHECK(c && strcmp(c->mac, "0a:00:00:00:00:01") == 0);
	bridge_conf_free(c);
	c = load("{\"name\":\"n\",\"args\":{\"cni\":{\"mac\":\"0a:00:00:00:00:02\"}},"
		 "\"runtimeConfig\":{\"mac\":\"0a:00:00:00:00:03\"}}",
		 "MAC=0a:00:00:00:00:01");
	CHECK(c && strcmp(c->mac, "0a:00:00:00:00:03") == 0);
	bridge_conf_free(c);
	CHECK(load("{\"name\":\"n\"}", "MAC=zz") == NULL);
	CHECK_INT(last.code, 7);
	CHECK(load("{\"name\":\"n\"}", "FOO=bar") == NULL);
	CHECK_STR(last.msg, "ARGS: unknown args [\"FOO=bar\"]");
}

static void expect_error(const char *json, int code, const char *msg)
{
	struct bridge_conf *c = load(json, NULL);

	CHECK(c == NULL);
	bridge_conf_free(c);
	CHECK_INT(last.code, code);
	CHECK_STR(last.msg, msg);
}

static void test_errors(void)
{
	expect_error("{\"vlan\":4095}", 7, "invalid VLAN ID 4095 (must be between 0 and 4094)");
	expect_error("{\"vlan\":-1}", 7, "invalid VLAN ID -1 (must be between 0 and 4094)");
	expect_error("{\"vlanTrunk\":[{\"minID\":0,\"maxID\":5}]}", 7,
		     "incorrect trunk minID parameter");
	expect_error("{\"vlanTrunk\":[{\"minID\":1,\"maxID\":4095}]}", 7,
		     "incorrect trunk maxID parameter");
	expect_error("{\"vlanTrunk\":[{\"minID\":9,\"maxID\":5}]}", 7,
		     "minID is greater than maxID in trunk parameter");
	expect_error("{\"vlanTrunk\":[{\"maxID\":5}]}", 7,
		     "minID and maxID should be configured simultaneously, minID is missing");
	expect_error("{\"vlanTrunk\":[{\"minID\":5}]}", 7,
		     "minID and maxID should be configured simultaneously, maxID is missing");
	expect_error("{\"vlanTrunk\":[{\"id\":0}]}", 7, "incorrect trunk id parameter");
	expect_error("{\"hairpinMode\":true,\"promiscMode\":true}", 7,
		     "cannot set hairpin mode and promiscuous mode at the same time");
	expect_error("{\"disableContainerInterface\":true,\"ipam\":{\"type\":\"host-local\"}}", 7,
		     "cannot use IPAM when DisableContainerInterface flag is set");
	expect_error("{\"ipMasqBackend\":\"pf\"}", 7, "unknown ipmasq backend \"pf\"");
	expect_error("{\"isGateway\":\"true\"}", 7,
		     "invalid network config: 'isGateway' must be a boolean, not string");
	expect_error("{\"mtu\":\"1500\"}", 7,
		     "invalid network config: 'mtu' must be an integer, not string");
	expect_error("{\"bridge\":\"a-name-that-is-too-long\"}", 7,
		     "invalid network config: bridge name 'a-name-that-is-too-long' is not a valid "
		     "interface name: it is longer than 15 bytes");
	/* The kernel's other rules, refused here as config errors rather than by netlink. */
	expect_error("{\"bridge\":\"a:b\"}", 7,
		     "invalid network config: bridge name 'a:b' is not a valid interface name: it "
		     "contains '/', ':' or whitespace");
	expect_error("{\"bridge\":\"a/b\"}", 7,
		     "invalid network config: bridge name 'a/b' is not a valid interface name: it "
		     "contains '/', ':' or whitespace");
	expect_error(
		"{\"bridge\":\"br\\t0\"}", 7,
		"invalid network config: bridge name 'br\t0' is not a valid interface name: it "
		"contains '/', ':' or whitespace");
	expect_error(
		"{\"bridge\":\".\"}", 7,
		"invalid network config: bridge name '.' is not a valid interface name: it is . "
		"or ..");
	expect_error(
		"{\"bridge\":\"..\"}", 7,
		"invalid network config: bridge name '..' is not a valid interface name: it is . "
		"or ..");
	expect_error("{\"ipam\":[]}", 7,
		     "invalid network config: 'ipam' must be an object, not array");
	expect_error("{\"dns\":{\"nameservers\":\"1.1.1.1\"}}", 7,
		     "invalid network config: 'nameservers' must be an array, not string");
	expect_error("{\"dns\":{\"domain\":5}}", 7,
		     "invalid network config: 'domain' must be a string, not number");
	expect_error("{\"prevResult\":{\"cniVersion\":\"0.4.0\"}}", 6,
		     "could not parse prevResult: result type supports [1.0.0 1.1.0] but "
		     "unmarshalled CNIVersion is \"0.4.0\"");
}

/* DEL must go on with a prevResult it cannot use (the reference never parses it on DEL). */
static void test_del_lenient_prev(void)
{
	const char *json = "{\"name\":\"n\",\"prevResult\":{\"cniVersion\":\"0.4.0\"}}";
	struct cni_cmd_args a = {.stdin_data = (char *)json,
				 .stdin_len = strlen(json),
				 .name = "net",
				 .cni_version = "1.0.0",
				 .args = ""};
	struct bridge_conf *c = NULL;

	cni_err_clear(&last);
	CHECK(bridge_conf_load_for_del(&a, &c, &last) == 0);
	CHECK(c != NULL && c->prev == NULL);
	CHECK(!cni_err_isset(&last));
	bridge_conf_free(c);
	c = NULL;
	CHECK(bridge_conf_load(&a, &c, &last) < 0);
	CHECK_INT(last.code, 6);
}

/* vlan and vlanTrunk together (reference v1.8+): a trunk port with vlan as native VLAN. */
static void test_vlan_with_trunk(void)
{
	_cleanup_(bridge_conf_freep) struct bridge_conf *c =
		load("{\"vlan\":5,\"vlanTrunk\":[{\"id\":6},{\"minID\":20,\"maxID\":21}]}", NULL);
	_cleanup_(bridge_conf_freep) struct bridge_conf *empty = load("{\"vlanTrunk\":[]}", NULL);
	_cleanup_(bridge_conf_freep) struct bridge_conf *null = load("{\"vlanTrunk\":null}", NULL);

	CHECK(c != NULL);
	if (c) {
		CHECK_INT(c->vlan, 5);
		CHECK_INT(c->n_trunk, 3);
		CHECK(c->has_trunk);
	}
	/* [] configures no trunk VID but still asks for a VLAN-filtering bridge. */
	CHECK(empty && empty->has_trunk && empty->n_trunk == 0);
	CHECK(null && !null->has_trunk);
}

/* Plan steps as "+vid/flags" and "-vid", comma separated. */
static void plan_text(char *buf, size_t len, const struct bridge_vlan_step *s, size_t n)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && off < len; i++)
		off += (size_t)snprintf(
			buf + off, len - off, "%s%c%u%s", i ? "," : "", s[i].add ? '+' : '-',
			s[i].vid,
			!s[i].add	  ? ""
			: s[i].flags == 0 ? "/tagged"
			: s[i].flags == (BRIDGE_VLAN_INFO_PVID | BRIDGE_VLAN_INFO_UNTAGGED)
				? "/pvid+untagged"
				: "/?");
}

static void check_plan(int vlan, const uint16_t *trunk, size_t n_trunk, bool preserve,
		       const char *want)
{
	static const uint16_t existing[] = {1};
	_cleanup_free_ struct bridge_vlan_step *steps = NULL;
	struct cni_err err = {0};
	size_t n = 99;
	char text[512];

	CHECK_INT(bridge_vlan_plan(vlan, trunk, n_trunk, preserve, existing, 1, &steps, &n, &err),
		  0);
	plan_text(text, sizeof(text), steps, n);
	CHECK_STR(text, want);
}

static void test_vlan_plan(void)
{
	static const uint16_t trunk[] = {6, 20, 21};
	_cleanup_free_ struct bridge_vlan_step *steps = NULL;
	struct cni_err err = {0};
	size_t n = 0;

	/* Native VLAN 5 untagged + PVID, the trunk tagged, the default VLAN 1 gone. */
	check_plan(5, trunk, 3, false, "-1,+5/pvid+untagged,+6/tagged,+20/tagged,+21/tagged");
	check_plan(5, trunk, 3, true, "+5/pvid+untagged,+6/tagged,+20/tagged,+21/tagged");
	/* A trunk alone keeps VLAN 1 as its native VLAN, added last. */
	check_plan(0, trunk, 3, false, "-1,+6/tagged,+20/tagged,+21/tagged,+1/pvid+untagged");
	check_plan(7, NULL, 0, false, "-1,+7/pvid+untagged");
	check_plan(0, NULL, 0, false, "");
	CHECK(bridge_vlan_needs_flush(5, 3, false));
	CHECK(!bridge_vlan_needs_flush(5, 3, true));
	CHECK(!bridge_vlan_needs_flush(0, 0, false));

	/* The messages the steps become: RTM_SETLINK/DELLINK on the port (MASTER) with the
	 * step's bridge_vlan_info. */
	CHECK_INT(bridge_vlan_plan(5, trunk, 1, false, NULL, 0, &steps, &n, &err), 0);
	CHECK_INT(n, 2);
	for (size_t i = 0; i < n; i++) {
		const struct nlattr *tb[IFLA_MAX + 1] = {0}, *spec[IFLA_BRIDGE_MAX + 1] = {0};
		const struct bridge_vlan_info *vi;
		char buf[NL_MSG_BUF_SIZE];
		struct nlmsghdr *nlh;

		CHECK_INT(nl_link_build_vlan(buf, steps[i].add, 42, steps[i].vid, steps[i].flags,
					     BRIDGE_FLAGS_MASTER, &nlh, &err),
			  0);
		CHECK_INT(nlh->nlmsg_type, RTM_SETLINK);
		nl_attr_index(nlh, sizeof(struct ifinfomsg), tb, IFLA_MAX);
		CHECK(tb[IFLA_AF_SPEC] != NULL);
		if (!tb[IFLA_AF_SPEC])
			continue;
		nl_attr_index_nested(tb[IFLA_AF_SPEC], spec, IFLA_BRIDGE_MAX);
		CHECK(spec[IFLA_BRIDGE_FLAGS] &&
		      mnl_attr_get_u16(spec[IFLA_BRIDGE_FLAGS]) == BRIDGE_FLAGS_MASTER);
		CHECK(spec[IFLA_BRIDGE_VLAN_INFO] != NULL);
		if (!spec[IFLA_BRIDGE_VLAN_INFO])
			continue;
		vi = mnl_attr_get_payload(spec[IFLA_BRIDGE_VLAN_INFO]);
		CHECK_INT(vi->vid, i == 0 ? 5 : 6);
		CHECK_INT(vi->flags,
			  i == 0 ? BRIDGE_VLAN_INFO_PVID | BRIDGE_VLAN_INFO_UNTAGGED : 0);
	}
	CHECK_STR(steps[1].what, "failed to setup vlan tag on interface");
}

static void test_mac_forms(void)
{
	uint8_t m[6];

	CHECK(bridge_parse_mac("0A:1b:2c:3d:4e:5f", m) == 0 && m[0] == 0x0a && m[5] == 0x5f);
	CHECK(bridge_parse_mac("0a-1b-2c-3d-4e-5f", m) == 0 && m[1] == 0x1b);
	CHECK(bridge_parse_mac("0a1b.2c3d.4e5f", m) == 0 && m[4] == 0x4e);
	CHECK(bridge_parse_mac("0a:1b-2c:3d:4e:5f", m) < 0);
	CHECK(bridge_parse_mac("0a:1b:2c:3d:4e", m) < 0);
	CHECK(bridge_parse_mac("0g:1b:2c:3d:4e:5f", m) < 0);
}

int main(void)
{
	RUN(test_defaults);
	RUN(test_keys);
	RUN(test_mac_precedence);
	RUN(test_errors);
	RUN(test_mac_forms);
	RUN(test_del_lenient_prev);
	RUN(test_vlan_with_trunk);
	RUN(test_vlan_plan);
	UNIT_DONE();
}
