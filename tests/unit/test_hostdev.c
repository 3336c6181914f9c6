/* SPDX-License-Identifier: Apache-2.0 */
/* host-device: config parsing and every selection key against a sysfs tree of the test's
 * own (PCI, virtio, auxiliary bus, kernelpath, DPDK drivers), alternative names, a new
 * namespace, the single-request move (and its half-way failure), and the verbs in a private
 * namespace: the device moved in and out, results per version, rollback, DEL's ways of
 * finding the device. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>
#include <net/if.h>

#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include "cleanup.h"
#include "unit.h"
#include "fixtures.h"
#include "host-device/hostdev.h"
#include "host-device/move.h"
#include "host-device/netconf.h"
#include "net/link_move.h"
#include "net/netns.h"
#include "net/nl.h"
#include "net/rtnl.h"
#include "live.h"

/* The fake sysfs root of this run. */
static char sysroot[256];
/* As the verbs take it. */
static struct hostdev_paths paths;

/* ---- the fake sysfs tree ---------------------------------------------------------------- */

static void mkpath(const char *rel)
{
	char path[512], *p;

	snprintf(path, sizeof(path), "%s/%s", sysroot, rel);
	for (p = path + strlen(sysroot) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	mkdir(path, 0755);
}

static void mklink(const char *target, const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", sysroot, rel);
	if (symlink(target, path) < 0 && errno != EEXIST)
		abort();
}

/*
 * A tree laid out as the kernel's: devices under devices/, bus/pci/devices/<id> links to
 * them, driver links into bus/pci/drivers. 0000:00:01.0 is a NIC (e1000e, net/hdpci0),
 * 0000:00:02.0 bound to vfio-pci, 0000:00:03.0 unbound, 0000:00:04.0 a virtio NIC
 * (virtio1/net/hdvirt0), mlx5_core.sf.2 an auxiliary device (net/hdaux0), and
 * devices/virtual/hdk a device with net/hdk0 and net/hdk1.
 */
static void make_tree(void)
{
	static const char *const pci[] = {"0000:00:01.0", "0000:00:02.0", "0000:00:03.0",
					  "0000:00:04.0"};
	char rel[256], target[256];

	snprintf(sysroot, sizeof(sysroot), "/tmp/test_hostdev.XXXXXX");
	if (!mkdtemp(sysroot))
		abort();
	mkpath("bus/pci/drivers/e1000e");
	mkpath("bus/pci/drivers/vfio-pci");
	mkpath("bus/pci/devices");
	for (size_t i = 0; i < ARRAY_SIZE(pci); i++) {
		snprintf(rel, sizeof(rel), "devices/pci0000:00/%s", pci[i]);
		mkpath(rel);
		snprintf(target, sizeof(target), "../../../devices/pci0000:00/%s", pci[i]);
		snprintf(rel, sizeof(rel), "bus/pci/devices/%s", pci[i]);
		mklink(target, rel);
	}
	mkpath("devices/pci0000:00/0000:00:01.0/net/hdpci0");
	mklink("../../../bus/pci/drivers/e1000e", "devices/pci0000:00/0000:00:01.0/driver");
	mklink("../../../bus/pci/drivers/vfio-pci", "devices/pci0000:00/0000:00:02.0/driver");
	mkpath("devices/pci0000:00/0000:00:04.0/virtio1/net/hdvirt0");
	mklink("../../../bus/pci/drivers/e1000e", "devices/pci0000:00/0000:00:04.0/driver");
	mkpath("devices/pci0000:00/0000:00:01.0/mlx5_core.sf.2/net/hdaux0");
	mkpath("bus/auxiliary/devices");
	mklink("../../../devices/pci0000:00/0000:00:01.0/mlx5_core.sf.2",
	       "bus/auxiliary/devices/mlx5_core.sf.2");
	mkpath("devices/virtual/hdk/net/hdk1");
	mkpath("devices/virtual/hdk/net/hdk0");
	mkpath("devices/virtual/empty/net");
	paths = (struct hostdev_paths){.sysfs = sysroot};
}

static void remove_tree(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", sysroot);
	if (sysroot[0] && system(cmd) != 0)
		fprintf(stderr, "# could not remove %s\n", sysroot);
}

/* ---- config ----------------------------------------------------------------------------- */

/* fixture_conf_fn: load a config, describe the selection. */
static int load_case(const char *json, const char *env_args, char *out, size_t len,
		     struct cni_err *e)
{
	_cleanup_(hostdev_conf_freep) struct hostdev_conf *c = NULL;
	struct cni_cmd_args a = {.stdin_data = (char *)json,
				 .stdin_len = strlen(json),
				 .cni_version = "1.0.0",
				 .ifname = "net1",
				 .args = env_args ? env_args : ""};

	if (hostdev_conf_load(&a, sysroot, HOSTDEV_LOAD_FULL, &c, e) < 0)
		return e->code;
	snprintf(out, len, "device=%s hwaddr=%s kernelpath=%s pci=%s aux=%s dpdk=%d ipam=%s dns=%d",
		 c->device ? c->device : "-", c->hwaddr ? c->hwaddr : "-",
		 c->kernelpath ? c->kernelpath : "-", c->pci_addr ? c->pci_addr : "-",
		 c->aux_dev ? c->aux_dev : "-", c->dpdk, c->ipam_type ? c->ipam_type : "-",
		 c->has_dns);
	return 0;
}

#define SEL(d, h, k, p, a, dpdk)                                                               \
	"device=" d " hwaddr=" h " kernelpath=" k " pci=" p " aux=" a " dpdk=" dpdk " ipam=- " \
	"dns=0"

static void test_conf_keys(void)
{
	char unbound[512], dpdk_missing[512];
	static struct fixture_conf_case cases[] = {
		{"{\"name\":\"n\",\"type\":\"host-device\"}", NULL, 999,
		 "specify either \"device\", \"hwaddr\", \"kernelpath\" or \"pciBusID\""},
		{"{\"device\":\"\",\"hwaddr\":\"\"}", NULL, 999,
		 "specify either \"device\", \"hwaddr\", \"kernelpath\" or \"pciBusID\""},
		{"{\"device\":\"eth5\"}", NULL, 0, SEL("eth5", "-", "-", "-", "-", "0")},
		{"{\"hwaddr\":\"02:00:00:00:00:01\"}", NULL, 0,
		 SEL("-", "02:00:00:00:00:01", "-", "-", "-", "0")},
		{"{\"kernelpath\":\"/sys/devices/x\"}", NULL, 0,
		 SEL("-", "-", "/sys/devices/x", "-", "-", "0")},
		{"{\"pciBusID\":\"0000:00:01.0\"}", NULL, 0,
		 SEL("-", "-", "-", "0000:00:01.0", "-", "0")},
		/* DPDK: a userspace driver, or the key (any case) itself. */
		{"{\"pciBusID\":\"0000:00:02.0\"}", NULL, 0,
		 SEL("-", "-", "-", "0000:00:02.0", "-", "1")},
		{"{\"device\":\"eth5\",\"dpdkmode\":true}", NULL, 0,
		 SEL("eth5", "-", "-", "-", "-", "1")},
		/* A PCI address decides DPDK mode whatever the key says. */
		{"{\"pciBusID\":\"0000:00:01.0\",\"DPDKMode\":true}", NULL, 0,
		 SEL("-", "-", "-", "0000:00:01.0", "-", "0")},
		/* runtimeConfig.deviceID: PCI, auxiliary, neither. */
		{"{\"runtimeConfig\":{\"deviceID\":\"0000:00:04.0\"}}", NULL, 0,
		 SEL("-", "-", "-", "0000:00:04.0", "-", "0")},
		{"{\"pciBusID\":\"0000:00:01.0\",\"runtimeConfig\":{\"deviceID\":\"mlx5_core.sf."
		 "2\"}}",
		 NULL, 0, SEL("-", "-", "-", "-", "mlx5_core.sf.2", "0")},
		{"{\"device\":\"eth5\",\"runtimeConfig\":{\"deviceID\":\"0000:09:00.0\"}}", NULL,
		 999, "runtime config DeviceID 0000:09:00.0 not found or unsupported"},
		/* What Multus injects: deviceID and pciBusID, the same ID. */
		{"{\"deviceID\":\"0000:00:01.0\",\"pciBusID\":\"0000:00:01.0\"}",
		 "IgnoreUnknown=true;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=p", 0,
		 SEL("-", "-", "-", "0000:00:01.0", "-", "0")},
		{"{\"deviceID\":\"mlx5_core.sf.2\",\"pciBusID\":\"mlx5_core.sf.2\"}", NULL, 0,
		 SEL("-", "-", "-", "-", "mlx5_core.sf.2", "0")},
		/* A deviceID that pciBusID does not repeat is not Multus': ignored. */
		{"{\"deviceID\":\"mlx5_core.sf.2\",\"device\":\"eth5\"}", NULL, 0,
		 SEL("eth5", "-", "-", "-", "-", "0")},
		/* Types. */
		{"{\"device\":5}", NULL, 7, ""},
		{"{\"hwaddr\":true}", NULL, 7, ""},
		{"{\"kernelpath\":[]}", NULL, 7, ""},
		{"{\"pciBusID\":1}", NULL, 7, ""},
		{"{\"device\":\"e\",\"DPDKMode\":\"yes\"}", NULL, 7, ""},
		{"{\"device\":\"e\",\"runtimeConfig\":{\"deviceID\":3}}", NULL, 7, ""},
		{"{\"device\":\"e\",\"ipam\":\"x\"}", NULL, 7, ""},
		{"{\"device\":\"e\",\"dns\":[]}", NULL, 7,
		 "invalid network config: 'dns' must be an object"},
		{"{\"device\":\"e\",\"acceptRA\":1}", NULL, 7, ""},
		{"{\"device\":\"e\",\"ipam\":{\"type\":\"static\"},\"dns\":{\"nameservers\":[\"1.1."
		 "1.1\"]}}",
		 NULL, 0, "device=e hwaddr=- kernelpath=- pci=- aux=- dpdk=0 ipam=static dns=1"},
		{"{\"device\":\"e\",", NULL, 6, ""},
		{NULL, NULL, 999, ""},
		{NULL, NULL, 999, ""},
	};
	size_t n = ARRAY_SIZE(cases);

	/* The reference resolves the device's symlink before it names the missing driver. */
	snprintf(unbound, sizeof(unbound),
		 "error with host device: lstat %s/devices/pci0000:00/0000:00:03.0/driver: no "
		 "such file or directory",
		 sysroot);
	cases[n - 2] =
		(struct fixture_conf_case){"{\"pciBusID\":\"0000:00:03.0\"}", NULL, 999, unbound};
	snprintf(dpdk_missing, sizeof(dpdk_missing),
		 "error with host device: lstat %s/bus/pci/devices/0000:3d:00.1: no such file or "
		 "directory",
		 sysroot);
	cases[n - 1] = (struct fixture_conf_case){"{\"pciBusID\":\"0000:3d:00.1\"}", NULL, 999,
						  dpdk_missing};
	/* Type errors: only the code matters, the text is conf.c's. */
	for (size_t i = 0; i < n; i++) {
		if (cases[i].code == 7 && !cases[i].want[0]) {
			struct cni_err e = {0};
			char out[512];

			CHECK_INT(load_case(cases[i].json, NULL, out, sizeof(out), &e), 7);
			cases[i].code = -1;
		}
		if (cases[i].code == 6) {
			struct cni_err e = {0};
			char out[512];

			CHECK_INT(load_case(cases[i].json, NULL, out, sizeof(out), &e), 6);
			cases[i].code = -1;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (cases[i].code >= 0)
			fixture_conf_cases(load_case, &cases[i], 1);
}

/* DEL reads only what finds the device again, and nothing of sysfs. */
static void test_conf_del(void)
{
	_cleanup_(hostdev_conf_freep) struct hostdev_conf *c = NULL;
	const char *json = "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"device\":7,"
			   "\"hwaddr\":\"02:00:00:00:00:09\",\"pciBusID\":\"0000:3d:00.1\","
			   "\"runtimeConfig\":{\"deviceID\":\"nowhere\"},\"ipam\":{\"type\":\"x\"},"
			   "\"prevResult\":{\"interfaces\":5}}";
	struct cni_cmd_args a = {.stdin_data = (char *)json,
				 .stdin_len = strlen(json),
				 .cni_version = "1.0.0",
				 .ifname = "net1",
				 .args = ""};
	uint8_t mac[HWADDR_MAX];
	struct cni_err e = {0};

	CHECK_INT(hostdev_conf_load(&a, "/nonexistent", HOSTDEV_LOAD_DEL, &c, &e), 0);
	if (!c)
		return;
	CHECK(c->device == NULL);
	CHECK_STR(c->ipam_type, "x");
	CHECK(c->prev == NULL);
	CHECK_INT((int)hostdev_conf_mac(c, mac), 6);
	CHECK_INT(mac[5], 9);
}

/* ---- live: selection, alternative names, the temporary namespace ------------------------ */

/* A veth pair in this namespace: name, and its peer name_p. */
static int add_veth(struct nl_sock *s, const char *name)
{
	char peer[IFNAMSIZ];
	struct nl_veth_req req = {.name = name, .peer_name = peer, .peer_netns_fd = -1};

	snprintf(peer, sizeof(peer), "%.12sp", name);
	return nl_link_add_veth(s, &req, &err);
}

static void find_case(struct nl_sock *s, const char *json, const char *want_name,
		      const char *want_msg)
{
	_cleanup_(hostdev_conf_freep) struct hostdev_conf *c = NULL;
	struct cni_cmd_args a = {.stdin_data = (char *)json,
				 .stdin_len = strlen(json),
				 .cni_version = "1.0.0",
				 .ifname = "net1",
				 .args = ""};
	struct cni_err e = {0};
	struct nl_link l;
	int r;

	if (hostdev_conf_load(&a, sysroot, HOSTDEV_LOAD_FULL, &c, &e) < 0) {
		UNIT_FAILED("%s: %s", json, e.msg);
		return;
	}
	r = hostdev_find(c, sysroot, s, &l, &e);
	if (want_name) {
		if (r < 0)
			UNIT_FAILED("%s: %s", json, e.msg);
		else
			CHECK_STR(l.name, want_name);
	} else {
		CHECK(r < 0);
		if (r < 0 && strcmp(e.msg, want_msg) != 0)
			UNIT_FAILED("%s:\n#    got: %s\n#   want: %s", json, e.msg, want_msg);
	}
}

static void test_find(void)
{
	_cleanup_nl_close_ struct nl_sock *s = NULL;
	char want[1200];
	struct nl_link l;

	LIVE_FRESH();
	OK(nl_open(&s, &err));
	if (!s)
		return;
	OK(add_veth(s, "hdpci0"));
	OK(add_veth(s, "hdvirt0"));
	OK(add_veth(s, "hdaux0"));
	OK(add_veth(s, "hdk0"));
	OK(nl_link_get_by_name(s, "hdk0", &l, &err));

	find_case(s, "{\"device\":\"hdvirt0\"}", "hdvirt0", NULL);
	find_case(s, "{\"device\":\"nope\"}", NULL, "Link not found");
	find_case(s, "{\"device\":\"much-too-long-a-name\"}", NULL, "Link not found");
	/* device wins over every other key. */
	find_case(s, "{\"device\":\"hdaux0\",\"pciBusID\":\"0000:00:01.0\"}", "hdaux0", NULL);
	{
		char json[256], mac[HWADDR_TEXT_MAX];

		hwaddr_format(l.mac, l.mac_len, mac);
		snprintf(json, sizeof(json), "{\"hwaddr\":\"%s\"}", mac);
		find_case(s, json, "hdk0", NULL);
		/* hwaddr wins over kernelpath. */
		snprintf(json, sizeof(json),
			 "{\"hwaddr\":\"%s\",\"kernelpath\":\"/sys/devices/virtual/empty\"}", mac);
		find_case(s, json, "hdk0", NULL);
	}
	find_case(s, "{\"hwaddr\":\"02:99:99:99:99:99\"}", NULL,
		  "failed to find physical interface");
	find_case(s, "{\"hwaddr\":\"zz\"}", NULL,
		  "failed to parse MAC address \"zz\": address zz: invalid MAC address");
	/* kernelpath: the first entry of its net directory, by name. */
	find_case(s, "{\"kernelpath\":\"/sys/devices/virtual/hdk\"}", "hdk0", NULL);
	find_case(s, "{\"kernelpath\":\"sys/devices/virtual/hdk\"}", NULL,
		  "kernel device path \"sys/devices/virtual/hdk\" must be absolute and begin "
		  "with /sys/devices/");
	find_case(s, "{\"kernelpath\":\"/sys/class/net\"}", NULL,
		  "kernel device path \"/sys/class/net\" must be absolute and begin with "
		  "/sys/devices/");
	snprintf(want, sizeof(want),
		 "failed to find network device in path %s/devices/virtual/empty/net", sysroot);
	find_case(s, "{\"kernelpath\":\"/sys/devices/virtual/empty\"}", NULL, want);
	snprintf(want, sizeof(want),
		 "failed to read directory %s/devices/virtual/none/net: \"open "
		 "%s/devices/virtual/none/net: no such file or directory\"",
		 sysroot, sysroot);
	find_case(s, "{\"kernelpath\":\"/sys/devices/virtual/none\"}", NULL, want);
	/* PCI: its net directory, or a virtio function's. */
	find_case(s, "{\"pciBusID\":\"0000:00:01.0\"}", "hdpci0", NULL);
	find_case(s, "{\"runtimeConfig\":{\"deviceID\":\"0000:00:04.0\"}}", "hdvirt0", NULL);
	find_case(s, "{\"pciBusID\":\"0000:00:02.0\",\"device\":\"hdpci0\"}", "hdpci0", NULL);
	/* Auxiliary bus, from runtimeConfig or from what Multus injects. */
	find_case(s, "{\"runtimeConfig\":{\"deviceID\":\"mlx5_core.sf.2\"}}", "hdaux0", NULL);
	find_case(s, "{\"deviceID\":\"mlx5_core.sf.2\",\"pciBusID\":\"mlx5_core.sf.2\"}", "hdaux0",
		  NULL);
}

/* A RTM_NEWLINK carrying IFLA_PROP_LIST: the names packed in order, those that would not
 * fit left out, the list always ended. */
static void test_altnames_parse(void)
{
	char buf[NL_MSG_BUF_SIZE], big[NL_ALTNAME_MAX];
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	struct nlattr *list;
	struct nl_link l;

	memset(big, 'b', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	nlh = nl_msg_init(buf, RTM_NEWLINK, 0);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_index = 7;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "net1");
	list = mnl_attr_nest_start(nlh, IFLA_PROP_LIST | NLA_F_NESTED);
	mnl_attr_put_strz(nlh, IFLA_ALT_IFNAME, "cni-hostdev-eth1");
	mnl_attr_put_strz(nlh, IFLA_ALT_IFNAME, big);
	mnl_attr_put_strz(nlh, IFLA_ALT_IFNAME, "second");
	mnl_attr_put_strz(nlh, IFLA_ALT_IFNAME, big);
	mnl_attr_nest_end(nlh, list);
	OK(nl_link_parse(nlh, &l, &err));
	CHECK_INT(l.index, 7);
	CHECK(nl_link_has_altname(&l, "cni-hostdev-eth1"));
	CHECK(nl_link_has_altname(&l, big));
	CHECK(nl_link_has_altname(&l, "second"));
	CHECK(!nl_link_has_altname(&l, "net1"));
	/* 17 + 128 + 7 bytes used, and the end: the second long name does not fit. */
	CHECK_INT((int)(strlen(l.altnames) + 1 + strlen(big) + 1 + strlen("second") + 1), 152);
	/* Without the list: none. */
	nlh = nl_msg_init(buf, RTM_NEWLINK, 0);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_index = 8;
	OK(nl_link_parse(nlh, &l, &err));
	CHECK_STR(l.altnames, "");
	CHECK(!nl_link_has_altname(&l, ""));
}

static void test_altnames(void)
{
	_cleanup_nl_close_ struct nl_sock *s = NULL;
	char buf[NL_MSG_BUF_SIZE];
	struct nlmsghdr *nlh;
	struct nl_link l;
	char long_name[NL_ALTNAME_MAX + 1];

	CHECK_INT(nl_link_build_altname(buf, 3, "", true, &nlh, &err), -EINVAL);
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	CHECK_INT(nl_link_build_altname(buf, 3, long_name, true, &nlh, &err), -EINVAL);
	CHECK_INT(nl_link_build_altname(buf, 0, "x", true, &nlh, &err), -EINVAL);

	LIVE_FRESH();
	OK(nl_open(&s, &err));
	if (!s)
		return;
	OK(add_veth(s, "alt0"));
	OK(nl_link_get_by_name(s, "alt0", &l, &err));
	CHECK(!nl_link_has_altname(&l, "alt0"));
	OK(nl_link_altname(s, l.index, "cni-hostdev-eth9", true, &err));
	OK(nl_link_altname(s, l.index, "second-name", true, &err));
	/* A link's own name, or one it already has, is taken. */
	CHECK_INT(nl_link_altname(s, l.index, "alt0", true, &err), -EEXIST);
	CHECK_INT(nl_link_altname(s, l.index, "second-name", true, &err), -EEXIST);
	OK(nl_link_get_by_index(s, l.index, &l, &err));
	CHECK(nl_link_has_altname(&l, "cni-hostdev-eth9"));
	CHECK(nl_link_has_altname(&l, "second-name"));
	CHECK(!nl_link_has_altname(&l, "cni-hostdev"));
	OK(nl_link_altname(s, l.index, "second-name", false, &err));
	OK(nl_link_get_by_index(s, l.index, &l, &err));
	CHECK(!nl_link_has_altname(&l, "second-name"));
	CHECK(nl_link_has_altname(&l, "cni-hostdev-eth9"));
	CHECK(nl_link_altname(s, l.index, "second-name", false, &err) < 0);
}

/* A network namespace of the test's own, held only by the fd in *ret_fd (it ends when the fd
 * is closed), and with ret_sock non-NULL a rtnetlink socket inside it; the calling thread
 * stays where it was. */
static int netns_new_temp(int *ret_fd, struct nl_sock **ret_sock, struct cni_err *ep)
{
	_cleanup_(netns_restorep) int saved = -1;
	_cleanup_close_ int fd = -1, cur = -1;
	struct nl_sock *sock = NULL;
	int e, r;

	cur = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (cur < 0)
		return cni_err_syscall(ep, CNI_ERR_INTERNAL, errno, "open /proc/self/ns/net");
	if (unshare(CLONE_NEWNET) < 0)
		return cni_err_syscall(ep, CNI_ERR_INTERNAL, errno, "unshare");
	/* From here on the thread is in the new namespace: the guard takes it back. */
	saved = TAKE_FD(cur);
	fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		return cni_err_syscall(ep, CNI_ERR_INTERNAL, e, "open /proc/self/ns/net");
	}
	if (ret_sock) {
		r = nl_open(&sock, ep);
		if (r < 0)
			return r;
	}
	r = netns_restore(TAKE_FD(saved), ep);
	if (r < 0) {
		/* Anything done next would change the wrong namespace. */
		dprintf(STDERR_FILENO, "fatal: %s: %s\n", ep->msg, ep->details);
		abort();
	}
	if (ret_sock)
		*ret_sock = sock;
	*ret_fd = TAKE_FD(fd);
	return 0;
}

static void test_temp_netns(void)
{
	_cleanup_nl_close_ struct nl_sock *s = NULL, *t = NULL;
	_cleanup_close_ int fd = -1;
	_cleanup_free_ struct nl_link *links = NULL;
	struct nl_link l;
	size_t n = 0;

	LIVE_FRESH();
	OK(nl_open(&s, &err));
	OK(netns_new_temp(&fd, &t, &err));
	if (!s || !t)
		return;
	OK(add_veth(s, "tmp0"));
	OK(nl_link_get_by_name(s, "tmp0", &l, &err));
	/* The new namespace holds lo only; this thread stayed where it was. */
	OK(nl_link_list_kind(t, NULL, &links, &n, &err));
	CHECK_INT((int)n, 1);
	OK(nl_link_set_netns(s, l.index, fd, &err));
	CHECK_INT(nl_link_get_by_name(s, "tmp0", &l, &err), -ENODEV);
	OK(nl_link_get_by_name(t, "tmp0", &l, &err));
}

/* ---- live: the verbs -------------------------------------------------------------------- */

/* A container namespace of the test's own: its fd, and the path CNI_NETNS names it by. */
struct cont {
	int fd;		      /* the namespace */
	struct nl_sock *sock; /* rtnetlink inside it */
	char path[64];	      /* /proc/self/fd/<fd> */
};

static int cont_new(struct cont *c)
{
	if (netns_new_temp(&c->fd, &c->sock, &err) < 0)
		return -1;
	snprintf(c->path, sizeof(c->path), "/proc/self/fd/%d", c->fd);
	return 0;
}

static void cont_free(struct cont *c)
{
	nl_close(c->sock);
	if (c->fd >= 0)
		close(c->fd);
}

/* Run verb with the config body (members without braces) at version ver; *out (freed
 * first) gets what it prints. */
typedef int (*verb_fn)(const struct cni_cmd_args *, const struct hostdev_paths *, char **,
		       struct cni_err *);

static int verb(verb_fn fn, const char *ver, const struct cont *c, const char *ifname, char **out,
		struct cni_err *e, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

static int verb(verb_fn fn, const char *ver, const struct cont *c, const char *ifname, char **out,
		struct cni_err *e, const char *fmt, ...)
{
	_cleanup_free_ char *body = NULL, *json = NULL;
	struct cni_cmd_args a = {.cni_version = ver,
				 .ifname = ifname,
				 .container_id = "cid",
				 .netns = c ? c->path : "",
				 .args = "",
				 .path = "",
				 .name = "n"};
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&body, fmt, ap) < 0)
		abort();
	va_end(ap);
	if (asprintf(&json, "{\"cniVersion\":\"%s\",\"name\":\"n\",\"type\":\"host-device\",%s}",
		     ver, body) < 0)
		abort();
	a.stdin_data = json;
	a.stdin_len = strlen(json);
	cni_err_clear(e);
	free(*out);
	*out = NULL;
	return fn(&a, &paths, out, e);
}

/* out with the blanks and newlines of its pretty-printing removed (the strings it holds
 * have none), in place. */
static const char *compact(char *out)
{
	char *w = out;

	for (const char *r = out; *r; r++)
		if (*r != ' ' && *r != '\n')
			*w++ = *r;
	*w = '\0';
	return out;
}

#define del_at hostdev_del_at

/* The link name in s has: flags, alias, whether it carries the marker of orig. */
static bool link_state(struct nl_sock *s, const char *name, struct nl_link *l)
{
	struct cni_err e = {0};

	return nl_link_get_by_name(s, name, l, &e) == 0;
}

static void test_add_del(void)
{
	_cleanup_nl_close_ struct nl_sock *s = NULL;
	struct cont c = {.fd = -1};
	_cleanup_free_ char *out = NULL;
	char want[512], mac[HWADDR_TEXT_MAX], marker[NL_ALTNAME_MAX];
	struct cni_err e = {0};
	struct nl_link l, before;

	LIVE_FRESH();
	OK(nl_open(&s, &err));
	if (!s || cont_new(&c) < 0)
		goto out;
	OK(add_veth(s, "hdpci0"));
	OK(link_state(s, "hdpci0", &before) ? 0 : -1);
	OK(nl_link_set_up(s, before.index, true, &err));
	hwaddr_format(before.mac, before.mac_len, mac);

	/* pciBusID selects through sysfs; the device lands as net1, up, alias and marker. */
	CHECK_INT(verb(hostdev_add_at, "1.0.0", &c, "net1", &out, &e,
		       "\"pciBusID\":\"0000:00:01.0\""),
		  0);
	snprintf(want, sizeof(want),
		 "{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"mac\":\"%s\",\"name\":\"net1\","
		 "\"sandbox\":\"%s\"}]}",
		 mac, c.path);
	if (out)
		CHECK_STR(compact(out), want);
	else
		UNIT_FAILED("ADD: %s", e.msg);
	CHECK(!link_state(s, "hdpci0", &l));
	CHECK(link_state(c.sock, "net1", &l));
	CHECK(l.flags & IFF_UP);
	CHECK_STR(l.alias, "hdpci0");
	hostdev_marker("hdpci0", marker);
	CHECK(nl_link_has_altname(&l, marker));

	/* DEL: back under its name, down, no alias, no marker; twice is fine. */
	CHECK_INT(verb(del_at, "1.0.0", &c, "net1", &out, &e, "\"pciBusID\":\"0000:00:01.0\""), 0);
	CHECK(!link_state(c.sock, "net1", &l));
	CHECK(link_state(s, "hdpci0", &l));
	CHECK(!(l.flags & IFF_UP));
	CHECK_STR(l.alias, "");
	CHECK(!nl_link_has_altname(&l, marker));
	CHECK_INT(verb(del_at, "1.0.0", &c, "net1", &out, &e, "\"device\":\"hdpci0\""), 0);
	CHECK(link_state(s, "hdpci0", &l));

	/* A version without interfaces cannot carry an L2 result: the ADD fails and the
	 * device is back, up as it was. */
	OK(nl_link_set_up(s, l.index, true, &err));
	CHECK(verb(hostdev_add_at, "0.2.0", &c, "net1", &out, &e, "\"device\":\"hdpci0\"") < 0);
	CHECK_STR(e.msg, "cannot convert: no valid IP addresses");
	CHECK(link_state(s, "hdpci0", &l));
	CHECK(l.flags & IFF_UP);
	CHECK_STR(l.alias, "");
	CHECK(!link_state(c.sock, "net1", &l));
	for (const char *const *v = (const char *const[]){"0.3.0", "0.3.1", "0.4.0", "1.1.0", NULL};
	     *v; v++) {
		CHECK_INT(verb(hostdev_add_at, *v, &c, "net1", &out, &e, "\"device\":\"hdpci0\""),
			  0);
		/* Before 1.0.0 in the reference's key order, with its empty "dns". */
		if (strncmp(*v, "0.", 2) == 0)
			snprintf(want, sizeof(want),
				 "{\"cniVersion\":\"%s\",\"interfaces\":[{\"name\":\"net1\","
				 "\"mac\":\"%s\",\"sandbox\":\"%s\"}],\"dns\":{}}",
				 *v, mac, c.path);
		else
			snprintf(want, sizeof(want),
				 "{\"cniVersion\":\"%s\",\"interfaces\":[{\"mac\":\"%s\","
				 "\"name\":\"net1\",\"sandbox\":\"%s\"}]}",
				 *v, mac, c.path);
		if (out)
			CHECK_STR(compact(out), want);
		else
			UNIT_FAILED("ADD %s: %s", *v, e.msg);
		CHECK_INT(verb(del_at, *v, &c, "net1", &out, &e, "\"device\":\"hdpci0\""), 0);
		CHECK(link_state(s, "hdpci0", &l));
	}
out:
	cont_free(&c);
}

static void test_add_rollback(void)
{
	_cleanup_nl_close_ struct nl_sock *s = NULL;
	struct cont c = {.fd = -1};
	_cleanup_free_ char *out = NULL;
	struct cni_err e = {0};
	struct nl_link l;

	LIVE_FRESH();
	OK(nl_open(&s, &err));
	if (!s || cont_new(&c) < 0)
		goto out;
	OK(add_veth(s, "hd1"));
	OK(link_state(s, "hd1", &l) ? 0 : -1);
	OK(nl_link_set_up(s, l.index, true, &err));
	OK(add_veth(c.sock, "net1"));
	/* The container has net1: the move fails, the device is back as it was. */
	CHECK(verb(hostdev_add_at, "1.0.0", &c, "net1", &out, &e, "\"device\":\"hd1\"") < 0);
	CHECK(strstr(e.msg, "failed to move link failed to move \"net1\" (host: \"hd1\") to "
			    "container NS: file exists") == e.msg);
	CHECK(link_state(s, "hd1", &l));
	CHECK(l.flags & IFF_UP);
	CHECK_STR(l.alias, "");
	CHECK_STR(l.altnames, "");
	/* Not there at all. */
	CHECK(verb(hostdev_add_at, "1.0.0", &c, "net2", &out, &e, "\"device\":\"hd9\"") < 0);
	CHECK_STR(e.msg, "failed to find host device: Link not found");
	/* DPDK: nothing moves; the interface without a MAC. */
	CHECK_INT(verb(hostdev_add_at, "1.0.0", &c, "net2", &out, &e,
		       "\"pciBusID\":\"0000:00:02.0\""),
		  0);
	if (out) {
		char want[256];

		snprintf(want, sizeof(want),
			 "{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"net2\","
			 "\"sandbox\":\"%s\"}]}",
			 c.path);
		CHECK_STR(compact(out), want);
	}
out:
	cont_free(&c);
}

static void test_del_finds(void)
{
	_cleanup_nl_close_ struct nl_sock *s = NULL;
	struct cont c = {.fd = -1};
	_cleanup_free_ char *out = NULL;
	struct cni_err e = {0};
	struct nl_link l;
	char body[300], mac[HWADDR_TEXT_MAX];

	LIVE_FRESH();
	OK(nl_open(&s, &err));
	if (!s || cont_new(&c) < 0)
		goto out;
	OK(add_veth(s, "hd2"));
	OK(add_veth(s, "hd3"));
	OK(link_state(s, "hd2", &l) ? 0 : -1);
	hwaddr_format(l.mac, l.mac_len, mac);

	/* Renamed by the pod: found by the configured device name in the alias. */
	CHECK_INT(verb(hostdev_add_at, "1.0.0", &c, "net1", &out, &e, "\"device\":\"hd2\""), 0);
	CHECK_INT(verb(hostdev_add_at, "1.0.0", &c, "net2", &out, &e, "\"device\":\"hd3\""), 0);
	OK(link_state(c.sock, "net1", &l) ? 0 : -1);
	OK(nl_link_set_up(c.sock, l.index, false, &err));
	OK(nl_link_set_name(c.sock, l.index, "renamed", &err));
	CHECK_INT(verb(del_at, "1.0.0", &c, "net1", &out, &e, "\"device\":\"hd2\""), 0);
	CHECK(link_state(s, "hd2", &l));
	CHECK(link_state(c.sock, "net2", &l));

	/* Renamed, selected by kernelpath (no name in the config): found by prevResult's MAC,
	 * not mistaken for net2's device. */
	CHECK_INT(verb(hostdev_add_at, "1.0.0", &c, "net1", &out, &e, "\"device\":\"hd2\""), 0);
	OK(link_state(c.sock, "net1", &l) ? 0 : -1);
	OK(nl_link_set_up(c.sock, l.index, false, &err));
	OK(nl_link_set_name(c.sock, l.index, "renamed", &err));
	snprintf(
		body, sizeof(body),
		"\"kernelpath\":\"/sys/devices/virtual/hdk\",\"prevResult\":{\"cniVersion\":"
		"\"1.0.0\",\"interfaces\":[{\"name\":\"net1\",\"mac\":\"%s\",\"sandbox\":\"%s\"}]}",
		mac, c.path);
	CHECK_INT(verb(del_at, "1.0.0", &c, "net1", &out, &e, "%s", body), 0);
	CHECK(link_state(s, "hd2", &l));
	CHECK(link_state(c.sock, "net2", &l));

	/* Given back to the node by the kernel under its container name (the alias holds
	 * its name): renamed there, with CNI_NETNS empty or the netns gone. */
	OK(link_state(s, "hd2", &l) ? 0 : -1);
	OK(nl_link_set_name(s, l.index, "net1", &err));
	OK(nl_link_set_alias(s, l.index, "hd2", &err));
	CHECK_INT(verb(del_at, "1.0.0", NULL, "net1", &out, &e, "\"device\":\"hd2\""), 0);
	CHECK(link_state(s, "hd2", &l));
	CHECK_STR(l.alias, "");
	/* An alias nothing ties to this attachment is left alone. */
	OK(nl_link_set_name(s, l.index, "net1", &err));
	OK(nl_link_set_alias(s, l.index, "hd2", &err));
	CHECK_INT(verb(del_at, "1.0.0", NULL, "net1", &out, &e, "\"device\":\"other\""), 0);
	CHECK(link_state(s, "net1", &l));
	OK(nl_link_set_name(s, l.index, "hd2", &err));
	OK(nl_link_set_alias(s, l.index, "", &err));

	/* The pod rewrote the alias (or cleared it): the marker still names the device. */
	CHECK_INT(verb(hostdev_add_at, "1.0.0", &c, "net1", &out, &e, "\"device\":\"hd2\""), 0);
	OK(link_state(c.sock, "net1", &l) ? 0 : -1);
	OK(nl_link_set_alias(c.sock, l.index, "uplink to storage", &err));
	CHECK_INT(verb(del_at, "1.0.0", &c, "net1", &out, &e, "\"hwaddr\":\"%s\"", mac), 0);
	CHECK(link_state(s, "hd2", &l));
	CHECK_STR(l.alias, "");
	CHECK_STR(l.altnames, "");
	CHECK_INT(verb(hostdev_add_at, "1.0.0", &c, "net1", &out, &e, "\"device\":\"hd2\""), 0);
	OK(link_state(c.sock, "net1", &l) ? 0 : -1);
	OK(nl_link_set_alias(c.sock, l.index, "", &err));
	OK(nl_link_set_up(c.sock, l.index, false, &err));
	OK(nl_link_set_name(c.sock, l.index, "app0", &err));
	CHECK_INT(verb(del_at, "1.0.0", &c, "net1", &out, &e, "\"device\":\"hd2\""), 0);
	CHECK(link_state(s, "hd2", &l));
	CHECK_STR(l.altnames, "");
	/* Given back to the node with the marker but no alias: renamed by the marker. */
	OK(nl_link_set_name(s, l.index, "net1", &err));
	OK(nl_link_altname(s, l.index, HOSTDEV_ALTNAME_PREFIX "hd2", true, &err));
	CHECK_INT(verb(del_at, "1.0.0", NULL, "net1", &out, &e, "\"device\":\"x\""), 0);
	CHECK(link_state(s, "hd2", &l));
	CHECK_STR(l.altnames, "");

	/* The container's CNI_IFNAME without an alias is not the plugin's. */
	CHECK(verb(del_at, "1.0.0", &c, "net7", &out, &e, "\"device\":\"hd9\"") == 0);
	OK(add_veth(c.sock, "net7"));
	CHECK(verb(del_at, "1.0.0", &c, "net7", &out, &e, "\"device\":\"hd9\"") < 0);
	CHECK_STR(e.msg, "failed to find original ifname for \"net7\" (alias is not set)");
out:
	cont_free(&c);
}

/* The request nl_link_move() sends: the link, the target namespace, the name, the alias
 * (without its NUL; empty clears it). */
static void test_move_msg(void)
{
	char buf[NL_MSG_BUF_SIZE];
	const struct nlattr *tb[IFLA_MAX + 1] = {0};
	struct nlmsghdr *nlh = NULL;
	struct ifinfomsg *ifi;

	OK(nl_link_build_move(buf, 7, 5, "net1", "ens1f0", &nlh, &err));
	if (!nlh)
		return;
	CHECK_INT(nlh->nlmsg_type, RTM_NEWLINK);
	CHECK(!(nlh->nlmsg_flags & (NLM_F_CREATE | NLM_F_EXCL)));
	ifi = mnl_nlmsg_get_payload(nlh);
	CHECK_INT(ifi->ifi_index, 7);
	nl_attr_index(nlh, sizeof(*ifi), tb, IFLA_MAX);
	CHECK(tb[IFLA_NET_NS_FD] && mnl_attr_get_u32(tb[IFLA_NET_NS_FD]) == 5);
	CHECK(tb[IFLA_IFNAME] && !strcmp(mnl_attr_get_str(tb[IFLA_IFNAME]), "net1"));
	CHECK(tb[IFLA_IFALIAS] && mnl_attr_get_payload_len(tb[IFLA_IFALIAS]) == 6 &&
	      !memcmp(mnl_attr_get_payload(tb[IFLA_IFALIAS]), "ens1f0", 6));
	OK(nl_link_build_move(buf, 7, 5, "net1", "", &nlh, &err));
	memset(tb, 0, sizeof(tb));
	nl_attr_index(nlh, sizeof(*ifi), tb, IFLA_MAX);
	CHECK(tb[IFLA_IFALIAS] && mnl_attr_get_payload_len(tb[IFLA_IFALIAS]) == 0);
	CHECK_INT(nl_link_build_move(buf, 0, 5, "net1", "", &nlh, &err), -EINVAL);
	CHECK_INT(nl_link_build_move(buf, 7, -1, "net1", "", &nlh, &err), -EBADF);
	CHECK(nl_link_build_move(buf, 7, 5, "a/b", "", &nlh, &err) < 0);
}

/* The single request, live: moved, renamed and aliased at once; when the target already
 * has the new name (and not the old one) the kernel moves the device and refuses the
 * rename, and the device is moved back under its name and alias. */
static void test_move_link(void)
{
	_cleanup_nl_close_ struct nl_sock *s = NULL;
	_cleanup_close_ int host_fd = -1;
	struct cont c = {.fd = -1};
	struct cni_err e = {0};
	struct nl_link dev, l;
	bool back = false;

	LIVE_FRESH();
	OK(nl_open(&s, &err));
	host_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	CHECK(host_fd >= 0);
	if (!s || host_fd < 0 || cont_new(&c) < 0)
		goto out;
	OK(add_veth(s, "hm0"));
	OK(link_state(s, "hm0", &dev) ? 0 : -1);
	OK(nl_link_set_alias(s, dev.index, "mine", &err));
	OK(link_state(s, "hm0", &dev) ? 0 : -1);

	OK(hostdev_move_link(s, host_fd, c.sock, c.fd, &dev, "net1", "hm0", NULL, &back, &err));
	CHECK(!link_state(s, "hm0", &l));
	CHECK(link_state(c.sock, "net1", &l));
	CHECK_STR(l.alias, "hm0");
	/* And back, the alias cleared. */
	OK(hostdev_move_link(c.sock, c.fd, s, host_fd, &l, "hm0", "", NULL, &back, &err));
	CHECK(link_state(s, "hm0", &dev));
	CHECK_STR(dev.alias, "");
	OK(nl_link_set_alias(s, dev.index, "mine", &err));
	OK(link_state(s, "hm0", &dev) ? 0 : -1);

	/* Half-way: the container has net1, not hm0. The kernel moves the device, then
	 * refuses the rename; it is back in the node as it was. */
	OK(add_veth(c.sock, "net1"));
	CHECK_INT(hostdev_move_link(s, host_fd, c.sock, c.fd, &dev, "net1", "hm0", NULL, &back, &e),
		  -EEXIST);
	CHECK(back);
	CHECK(link_state(s, "hm0", &l));
	CHECK_STR(l.alias, "mine");
	CHECK(!link_state(c.sock, "hm0", &l));
	CHECK(link_state(c.sock, "net1", &l));
	CHECK_STR(l.alias, "");
	/* Both names taken: refused before the move. */
	OK(add_veth(c.sock, "hm0"));
	OK(link_state(s, "hm0", &dev) ? 0 : -1);
	CHECK(hostdev_move_link(s, host_fd, c.sock, c.fd, &dev, "net1", "hm0", NULL, &back, &e) <
	      0);
	CHECK(back);
	CHECK(link_state(s, "hm0", &l));
	CHECK_INT(l.index, dev.index);
	CHECK_STR(l.alias, "mine");
out:
	cont_free(&c);
}

/* DEL when the node has a link with the device's name: refused before anything moves,
 * the device stays in the container as it was (name, alias, marker, up); once the name
 * is free, DEL moves it back. */
static void test_del_name_taken_in_node(void)
{
	_cleanup_nl_close_ struct nl_sock *s = NULL;
	struct cont c = {.fd = -1};
	_cleanup_free_ char *out = NULL;
	char marker[NL_ALTNAME_MAX];
	struct cni_err e = {0};
	struct nl_link l;

	LIVE_FRESH();
	OK(nl_open(&s, &err));
	if (!s || cont_new(&c) < 0)
		goto out;
	OK(add_veth(s, "hd6"));
	CHECK_INT(verb(hostdev_add_at, "1.0.0", &c, "net1", &out, &e, "\"device\":\"hd6\""), 0);
	/* Another link takes the name (the device's veth peer hd6p is still there). */
	OK(add_veth(s, "hx6"));
	OK(link_state(s, "hx6", &l) ? 0 : -1);
	OK(nl_link_set_name(s, l.index, "hd6", &err));
	CHECK(verb(del_at, "1.0.0", &c, "net1", &out, &e, "\"device\":\"hd6\"") < 0);
	CHECK_STR(e.msg, "failed to move \"hd6\" to hostNS: file exists");
	hostdev_marker("hd6", marker);
	CHECK(link_state(c.sock, "net1", &l));
	CHECK_STR(l.alias, "hd6");
	CHECK(nl_link_has_altname(&l, marker));
	CHECK(l.flags & IFF_UP);
	/* The pod's own alias is kept too. */
	OK(nl_link_set_alias(c.sock, l.index, "pod alias", &err));
	CHECK(verb(del_at, "1.0.0", &c, "net1", &out, &e, "\"device\":\"hd6\"") < 0);
	CHECK(link_state(c.sock, "net1", &l));
	CHECK_STR(l.alias, "pod alias");
	CHECK(nl_link_has_altname(&l, marker));
	OK(nl_link_del_by_name(s, "hd6", &err));
	CHECK_INT(verb(del_at, "1.0.0", &c, "net1", &out, &e, "\"device\":\"hd6\""), 0);
	CHECK(!link_state(c.sock, "net1", &l));
	CHECK(link_state(s, "hd6", &l));
	CHECK_STR(l.alias, "");
	CHECK(!nl_link_has_altname(&l, marker));
out:
	cont_free(&c);
}

int main(void)
{
	make_tree();
	RUN(test_conf_keys);
	RUN(test_conf_del);
	RUN(test_altnames_parse);
	RUN(test_move_msg);
	live_enter(0);
	RUN(test_find);
	RUN(test_altnames);
	RUN(test_temp_netns);
	RUN(test_add_del);
	RUN(test_add_rollback);
	RUN(test_del_finds);
	RUN(test_move_link);
	RUN(test_del_name_taken_in_node);
	remove_tree();
	UNIT_DONE();
}
