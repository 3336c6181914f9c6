/* SPDX-License-Identifier: Apache-2.0 */
/* The iptables layouts of bridge ipMasq (ipmasq/masq_iptables.h) and portmap
 * (portmap/iptables.h) against the reference's.
 *
 * Live (root, a private network namespace per case): golden/xt_layout_<case>.txt is what
 * `iptables-nft-save` and `ip6tables-nft-save` listed after the Go reference plugins 1.1.1
 * (bridge with ipMasq, then portmap with three mappings, one with a hostIP) attached
 * container "abc" of network "mynet" with 10.88.0.2/16 and 2001:db8::2/64 to a node
 * holding an empty KUBE-MARK-MASQ in nat of both families, followed by "==== after DEL"
 * and the IPv4 listing after the reference's DEL of both. The same ADD is queued here
 * into one batch, and must list the same lines; removing the container's state
 * (net/xt_cni.h, what our DEL does) must leave what the reference's DEL leaves. A second
 * ADD of the same container queues nothing (each rule only when it is not there). */
#include "ipmasq/masq_iptables.h"
#include "portmap/iptables.h"
#include "portmap/netconf.h"
#include "net/xt_cni.h"
#include "net/test_priv.h"
#include "live.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"

static char *golden(const char *name)
{
	const char *slash = strrchr(__FILE__, '/');
	_cleanup_free_ char *p = NULL;
	char *text = NULL;
	size_t len;

	if (asprintf(&p, "%.*sgolden/%s", slash ? (int)(slash - __FILE__ + 1) : 0, __FILE__, name) <
	    0)
		abort();
	if (fileio_read_path(p, 1 << 20, &text, &len) < 0)
		return NULL;
	return text;
}

/* In a live test: a fresh namespace holding what the capture's node held, KUBE-MARK-MASQ in
 * both nat tables. */
#define FRESH_NODE()                                                                 \
	do {                                                                         \
		LIVE_REQUIRED_TOOL(LIVE_IPTABLES, "the layout comparison");          \
		LIVE_FRESH();                                                        \
		if (system("iptables-nft -t nat -N KUBE-MARK-MASQ && "               \
			   "ip6tables-nft -t nat -N KUBE-MARK-MASQ") != 0)           \
			UNIT_SKIP("cannot create the node's KUBE-MARK-MASQ chains"); \
	} while (0)

/* portmap's config of the capture, with extra (a JSON members list, may be ""). */
static int load_portmap(const char *extra, struct portmap_conf **ret)
{
	_cleanup_free_ char *buf = NULL;
	struct cni_cmd_args a = {0};

	if (asprintf(
		    &buf,
		    "{\"cniVersion\": \"1.0.0\", \"name\": \"mynet\", \"type\": \"portmap\", %s"
		    "\"runtimeConfig\": {\"portMappings\": ["
		    "{\"hostPort\": 8080, \"containerPort\": 80, \"protocol\": \"tcp\"},"
		    "{\"hostPort\": 5353, \"containerPort\": 53, \"protocol\": \"udp\"},"
		    "{\"hostPort\": 8083, \"containerPort\": 83, \"protocol\": \"tcp\", "
		    "\"hostIP\": \"192.168.0.2\"}]},"
		    "\"prevResult\": {\"cniVersion\": \"1.0.0\", \"interfaces\": ["
		    "{\"name\": \"cni-x0\"}, {\"name\": \"veth1\"}, "
		    "{\"name\": \"eth0\", \"sandbox\": \"/run/netns/c\"}], \"ips\": ["
		    "{\"address\": \"10.88.0.2/16\", \"gateway\": \"10.88.0.1\", \"interface\": 2},"
		    "{\"address\": \"2001:db8::2/64\", \"gateway\": \"2001:db8::1\", "
		    "\"interface\": 2}]}}",
		    extra) < 0)
		abort();
	a.stdin_data = buf;
	a.stdin_len = strlen(buf);
	a.cni_version = "1.0.0";
	a.name = "mynet";
	a.ifname = "eth0";
	a.container_id = "abc";
	return portmap_conf_load(&a, PORTMAP_LOAD_STRICT, ret, &err);
}

static char *save_both(void)
{
	return live_output("iptables-nft-save | grep -v '^#'; ip6tables-nft-save | grep -v '^#'");
}

/* The ADD of bridge ipMasq and portmap, queued into txn; *n gets portmap's rule count. */
static int queue_add(struct nft_txn *txn, const struct portmap_conf *c, size_t *n)
{
	struct ip_net ips[2];

	if (ipnet_parse("10.88.0.2/16", &ips[0]) < 0 || ipnet_parse("2001:db8::2/64", &ips[1]) < 0)
		abort();
	if (masq_xt_queue_setup(txn, ips, 2, "mynet", "abc", &err) < 0)
		return -1;
	return pm_xt_queue_add(txn, c, "mynet", "abc", n, &err);
}

static void check_layout(const char *golden_name, const char *extra)
{
	_cleanup_(nft_txn_freep) struct nft_txn *txn = NULL;
	_cleanup_(portmap_conf_freep) struct portmap_conf *c = NULL;
	_cleanup_free_ char *want = NULL, *added = NULL, *deleted = NULL, *got = NULL;
	struct xt_cni_count cnt = {0};
	bool present = false;
	size_t n = 0;

	want = golden(golden_name);
	CHECK(want != NULL);
	if (!want)
		return;
	OK(load_portmap(extra, &c));
	if (!c)
		return;
	CHECK_INT(c->backend, PORTMAP_BACKEND_IPTABLES);
	OK(nft_txn_new(&txn, &err));
	OK(pm_xt_state_present(txn, &present, &err));
	CHECK(!present);
	OK(masq_xt_state_present(txn, "mynet", &present, &err));
	CHECK(!present);
	OK(queue_add(txn, c, &n));
	CHECK(n > 0);
	OK(nft_txn_commit(txn, &err));
	added = save_both();

	/* As the reference's CHECK, and the default-backend rule sees the state. */
	OK(pm_xt_check(txn, c, "mynet", "abc", &err));
	OK(pm_xt_state_present(txn, &present, &err));
	CHECK(present);
	OK(masq_xt_state_present(txn, "mynet", &present, &err));
	CHECK(present);
	OK(masq_xt_state_present(txn, "other", &present, &err));
	CHECK(!present);

	/* The same ADD again: nothing is missing, nothing queued. */
	n = 1;
	OK(queue_add(txn, c, &n));
	CHECK_INT(n, 0);
	CHECK_INT(nft_txn_pending(txn), 0);

	/* Our DEL of both plugins. */
	OK(xt_cni_portmap_remove(txn, "mynet", "abc", &cnt, &err));
	OK(xt_cni_masq_remove(txn, "mynet", "abc", &cnt, &err));
	OK(nft_txn_commit(txn, &err));
	deleted = live_output("iptables-nft-save | grep -v '^#'");
	if (asprintf(&got, "%s==== after DEL\n%s", added, deleted) < 0)
		abort();
	CHECK_STR(got, want);
}

static void test_live_default(void)
{
	FRESH_NODE();
	check_layout("xt_layout_default.txt", "\"backend\": \"iptables\", ");
}

/* The AKS kubenet template's mark chain, with iptables-style conditions of both
 * families. */
static void test_live_kubenet(void)
{
	FRESH_NODE();
	check_layout("xt_layout_kubenet.txt",
		     "\"externalSetMarkChain\": \"KUBE-MARK-MASQ\", "
		     "\"conditionsV4\": [\"!\", \"-s\", \"10.0.0.0/8\"], "
		     "\"conditionsV6\": [\"-m\", \"comment\", \"--comment\", \"v6 only\"], ");
}

/* A missing externalSetMarkChain: the reference's code 999, naming the family. */
static void test_live_missing_mark_chain(void)
{
	_cleanup_(nft_txn_freep) struct nft_txn *txn = NULL;
	_cleanup_(portmap_conf_freep) struct portmap_conf *c = NULL;
	size_t n = 0;

	FRESH_NODE();
	CHECK_INT(system("ip6tables-nft -t nat -X KUBE-MARK-MASQ"), 0);
	OK(load_portmap("\"externalSetMarkChain\": \"KUBE-MARK-MASQ\", ", &c));
	if (!c)
		return;
	OK(nft_txn_new(&txn, &err));
	CHECK_INT(pm_xt_queue_add(txn, c, "mynet", "abc", &n, &err), -ENOENT);
	CHECK_INT(err.code, CNI_ERR_INTERNAL);
	CHECK(strstr(err.msg, "'KUBE-MARK-MASQ' does not exist in ip6tables table nat") != NULL);
}

int main(void)
{
	live_enter(LIVE_IPTABLES);
	RUN(test_live_default);
	RUN(test_live_kubenet);
	RUN(test_live_missing_mark_chain);
	UNIT_DONE();
}
